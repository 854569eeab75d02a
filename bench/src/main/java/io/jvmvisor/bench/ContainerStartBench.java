package io.jvmvisor.bench;

import io.jvmvisor.testbundles.CommandResult;
import io.jvmvisor.testbundles.Commands;
import io.jvmvisor.testbundles.PrivateDocker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Section 1: {@code docker run --rm} and {@code docker exec} through a private dockerd, per runtime. */
public final class ContainerStartBench {
    static final String TITLE = "Container start (docker)";
    static final String RUN_TRUE = "docker run --rm true";
    static final String RUN_ECHO = "docker run --rm echo hi";
    static final String EXEC_TRUE = "docker exec true";
    private static final Duration LIMIT = Duration.ofSeconds(180);

    private ContainerStartBench() {
    }

    public static Section run(BenchContext ctx) {
        int runs = ctx.options().runs();
        Section s = new Section(TITLE)
                .method("A private dockerd (own data-root, exec-root and socket; `--bridge=none`), runtimes registered in its "
                        + "daemon.json: `runsc` with `" + String.join(" ", Runtimes.RUNSC_ARGS) + "`, `jvmvisor` = bin/jvmvisor; "
                        + "image `" + PrivateDocker.IMAGE + "` imported from the test rootfs (busybox-static).")
                .method("Figures: wall time of the docker client, measured by the harness: `docker run --rm --network=none "
                        + "--runtime=R IMAGE true` and `... echo hi` (output checked); `docker exec C true` on a running "
                        + "`sleep 3600` container.")
                .method(runs + " runs per figure; ratio = p50 / runc's p50 from this run.");
        String dockerReason = PrivateDocker.unavailableReason();
        PrivateDocker docker = null;
        try {
            if (dockerReason == null) {
                List<PrivateDocker.Runtime> extra = new ArrayList<>();
                for (String rt : List.of(Runtimes.RUNSC, Runtimes.JVMVISOR)) {
                    if (ctx.runtimes().usable(rt)) {
                        extra.add(new PrivateDocker.Runtime(rt, ctx.runtimes().executable(rt),
                                rt.equals(Runtimes.RUNSC) ? Runtimes.RUNSC_ARGS : List.of()));
                    }
                }
                try {
                    docker = PrivateDocker.start(ctx.work().resolve("docker"), extra);
                } catch (RuntimeException e) {
                    dockerReason = "the private dockerd did not start: " + e.getMessage().lines().findFirst().orElse("");
                }
            }
            for (String rt : Runtimes.ALL) {
                String reason = dockerReason != null ? dockerReason : ctx.runtimes().reason(rt);
                Map<String, Measurement> m = new LinkedHashMap<>();
                if (reason == null) {
                    m = measure(docker, rt, runs);
                } else {
                    for (String f : List.of(RUN_TRUE, RUN_ECHO, EXEC_TRUE)) {
                        m.put(f, new Measurement.Unavailable(reason));
                    }
                }
                m.forEach((f, v) -> s.add(new Row(f, "ms", rt, v)));
            }
        } finally {
            if (docker != null) {
                docker.close();
            }
        }
        return s;
    }

    private static Map<String, Measurement> measure(PrivateDocker docker, String rt, int runs) {
        Map<String, Measurement> m = new LinkedHashMap<>();
        m.put(RUN_TRUE, repeat(docker, runs, null, "run", "--rm", "--network=none", "--runtime=" + rt, PrivateDocker.IMAGE, "true"));
        if (m.get(RUN_TRUE) instanceof Measurement.Unavailable u) {
            // One failure is enough: a hanging runtime would cost minutes per figure.
            m.put(RUN_ECHO, new Measurement.Unavailable("skipped: " + u.reason()));
            m.put(EXEC_TRUE, new Measurement.Unavailable("skipped: " + u.reason()));
            return m;
        }
        m.put(RUN_ECHO, repeat(docker, runs, "hi", "run", "--rm", "--network=none", "--runtime=" + rt, PrivateDocker.IMAGE,
                "echo", "hi"));
        String name = "bench-exec-" + rt;
        try {
            CommandResult r = docker.docker(LIMIT, null, "run", "-d", "--network=none", "--runtime=" + rt, "--name", name,
                    PrivateDocker.IMAGE, "sleep", "3600");
            if (r.exitCode() != 0) {
                m.put(EXEC_TRUE, new Measurement.Unavailable("docker run -d sleep failed" + OciCli.lastLine(r.stderr())));
            } else {
                m.put(EXEC_TRUE, repeat(docker, runs, null, "exec", name, "true"));
            }
        } catch (RuntimeException e) {
            m.put(EXEC_TRUE, new Measurement.Unavailable(e.getMessage().lines().findFirst().orElse("")));
        } finally {
            docker.docker(LIMIT, null, "rm", "-f", name);
        }
        return m;
    }

    /** Times {@code docker ARGS} {@code runs} times; the first failure ends it with its reason. */
    private static Measurement repeat(PrivateDocker docker, int runs, String expect, String... args) {
        List<Double> v = new ArrayList<>();
        List<String> cmd = docker.command(args);
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            CommandResult r;
            try {
                r = Commands.run(LIMIT, cmd);
            } catch (RuntimeException e) {
                return new Measurement.Unavailable("docker " + args[0] + ": " + e.getMessage().lines().findFirst().orElse(""));
            }
            double ms = (System.nanoTime() - t0) / 1e6;
            if (r.exitCode() != 0) {
                return new Measurement.Unavailable("docker " + args[0] + " failed (exit " + r.exitCode() + ")"
                        + OciCli.lastLine(r.stderr()));
            }
            if (expect != null && !r.stdout().strip().equals(expect)) {
                return new Measurement.Unavailable("docker " + args[0] + " printed \"" + r.stdout().strip()
                        + "\", not \"" + expect + "\"");
            }
            v.add(ms);
        }
        return new Measurement.Samples(v);
    }
}
