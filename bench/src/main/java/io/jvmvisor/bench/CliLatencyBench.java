package io.jvmvisor.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvmvisor.testbundles.TestBundles;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Section 2: each runc command's latency, on the same sleep bundle, and {@code run} of hello. */
public final class CliLatencyBench {
    static final String TITLE = "CLI latency";
    static final List<String> COMMANDS = List.of("create", "start", "state", "kill", "delete");
    static final String RUN_HELLO = "run hello (end to end)";
    private static final ObjectMapper JSON = new ObjectMapper();

    private CliLatencyBench() {
    }

    public static Section run(BenchContext ctx) {
        int runs = ctx.options().runs();
        Section s = new Section(TITLE)
                .method("Each runtime CLI is run as a process with its own `--root` (runc: `runc --root <tmp>`, runsc: `"
                        + "runsc --root <tmp> " + String.join(" ", Runtimes.RUNSC_ARGS) + "`, jvmvisor: `bin/jvmvisor --root <tmp>`); "
                        + "the time is the wall time from starting the process to its exit, measured by the harness.")
                .method("Per run: `create --bundle sleep ID`, `start ID`, `state ID`, `kill ID 9` (a number, as containerd passes it), (wait for stopped, not timed), "
                        + "`delete ID`, on TestBundles' `sleep` bundle (rootfs on disk); then `run --bundle hello ID2` end to end.")
                .method(runs + " runs per figure; ratio = p50 / runc's p50 from this run.");
        Duration timeout = Duration.ofSeconds(120);
        for (String rt : Runtimes.ALL) {
            Map<String, List<Double>> samples = new LinkedHashMap<>();
            for (String c : COMMANDS) {
                samples.put(c, new ArrayList<>());
            }
            samples.put(RUN_HELLO, new ArrayList<>());
            String reason = ctx.runtimes().reason(rt);
            if (reason == null) {
                OciCli cli = ctx.runtimes().cli(rt).orElseThrow();
                Path sleep = ctx.bundle("sleep", "cli-" + rt);
                Path hello = ctx.bundle("hello", "cli-" + rt);
                try {
                    for (int i = 0; i < runs; i++) {
                        once(cli, sleep, hello, "bench-cli-" + i, timeout, samples);
                    }
                } catch (BenchException e) {
                    reason = e.getMessage();
                }
            }
            for (Map.Entry<String, List<Double>> e : samples.entrySet()) {
                s.add(new Row(e.getKey(), "ms", rt, Measurement.of(e.getValue(), reason)));
            }
        }
        return s;
    }

    private static void once(OciCli cli, Path sleep, Path hello, String id, Duration timeout,
                             Map<String, List<Double>> samples) {
        try {
            samples.get("create").add(cli.check(timeout, "create", "--bundle", sleep.toString(), id).millis());
            samples.get("start").add(cli.check(timeout, "start", id).millis());
            samples.get("state").add(cli.check(timeout, "state", id).millis());
            samples.get("kill").add(cli.check(timeout, "kill", id, "9").millis());
            waitStopped(cli, id, Duration.ofSeconds(60));
            samples.get("delete").add(cli.check(timeout, "delete", id).millis());
        } finally {
            cli.forceDelete(id);
        }
        String runId = id + "-run";
        try {
            OciCli.Outcome o = cli.check(timeout, "run", "--bundle", hello.toString(), runId);
            if (!o.stdout().contains(TestBundles.HELLO_OUTPUT)) {
                throw new BenchException(cli.name() + " run hello printed no greeting" + OciCli.lastLine(o.stdout()));
            }
            samples.get(RUN_HELLO).add(o.millis());
        } finally {
            cli.forceDelete(runId);
        }
    }

    /** Polls {@code state} until the container is stopped. */
    static void waitStopped(OciCli cli, String id, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            try {
                if ("stopped".equals(JSON.readTree(cli.state(id)).path("status").asText())) {
                    return;
                }
            } catch (IOException e) {
                throw new BenchException(cli.name() + " state printed no JSON: " + e.getMessage());
            }
            if (System.nanoTime() > deadline) {
                throw new BenchException(cli.name() + " container " + id + " did not stop within " + limit.toSeconds() + " s");
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BenchException("interrupted");
            }
        }
    }
}
