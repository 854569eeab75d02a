package io.jvmvisor.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvmvisor.testbundles.CommandResult;
import io.jvmvisor.testbundles.Commands;
import io.jvmvisor.testbundles.PrivateDocker;
import io.jvmvisor.testbundles.TestNetns;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Section 7: TCP throughput (iperf3) container→host-side peer and container→container, and the
 * latency of small TCP round trips from the host side to a container, per runtime. Everything
 * runs inside a network namespace the bench creates, with a private dockerd in it (docker's
 * default bridge and iptables there): no packet leaves that namespace.
 */
public final class NetworkBench {
    static final String TITLE = "Networking (docker bridge)";
    static final String TO_HOST = "TCP throughput container→host peer";
    static final String TO_CONTAINER = "TCP throughput container→container";
    static final String RTT = "TCP round trip host peer→container, 64 B";
    static final String RTT_P99 = "TCP round trip, p99";
    static final List<String> FIGURES = List.of(TO_HOST, TO_CONTAINER, RTT, RTT_P99);
    /**
     * runsc with the container namespace's kernel stack (gVisor's network passthrough): its own stack
     * (netstack) refuses to start here ("cannot run with network enabled in root network namespace"),
     * and the other sections' --network=none gives no NIC.
     */
    static final List<String> RUNSC_NET_ARGS = List.of("--ignore-cgroups", "--network=host");
    private static final Duration LIMIT = Duration.ofSeconds(240);
    private static final int IPERF_PORT = 5201;
    private static final int ECHO_PORT = 7000;

    private NetworkBench() {
    }

    public static Section run(BenchContext ctx) {
        boolean quick = ctx.options().quick();
        int seconds = 5;
        int trips = 1000;
        Section s = new Section(TITLE)
                .method("A network namespace of the bench's own (`ip netns add`), a private dockerd started in it "
                        + "(`nsenter --net`) with docker's default bridge and iptables there; no packet leaves the namespace. "
                        + "Image: the busybox test rootfs plus Debian's iperf3 and its libraries, copied from the host.")
                .method("Containers get `--tmpfs /tmp` (iperf3 keeps its buffer in an unlinked temporary file, which "
                        + "jvmvisor's 9p rootfs cannot resize: \"unable to create a new stream\").")
                .method("Throughput: iperf3 (" + seconds + " s, one TCP stream) from a container to an `iperf3 -s` on the "
                        + "bridge's address in the namespace (the host side), and from one container to another of the same "
                        + "runtime on the bridge; each 1 s interval is a sample (Mbit/s, higher is better).")
                .method("Latency: " + trips + " round trips of 64 bytes on one TCP connection (TCP_NODELAY) from the host side "
                        + "to `nc -ll -e cat` in a container, after 20 untimed ones; each round trip is a sample (µs).")
                .method("runsc runs here with `" + String.join(" ", RUNSC_NET_ARGS) + "`: gVisor's network passthrough "
                        + "(the sandbox uses the kernel's stack in docker's container namespace); gVisor's own stack (netstack) "
                        + "refuses to start on this machine (\"cannot run with network enabled in root network namespace\").");
        String reason = quick ? "skipped in --quick: it boots 3 containers per runtime and sends traffic for seconds; "
                + "run bench/run.sh --only network" : null;
        if (reason == null) {
            reason = PrivateDocker.unavailableReason();
        }
        if (reason == null) {
            reason = TestNetns.unavailableReason();
        }
        if (reason == null) {
            reason = NetImage.unavailableReason();
        }
        if (reason != null) {
            Bench.log("networking: " + reason);
            for (String rt : Runtimes.ALL) {
                for (String f : FIGURES) {
                    s.add(Row.unavailable(f, unit(f), rt, reason));
                }
            }
            return s;
        }
        try (TestNetns ns = TestNetns.create("jvbench")) {
            measureAll(ctx, s, ns, seconds, trips);
        }
        return s;
    }

    private static void measureAll(BenchContext ctx, Section s, TestNetns ns, int seconds, int trips) {
        List<PrivateDocker.Runtime> extra = new ArrayList<>();
        for (String rt : List.of(Runtimes.RUNSC, Runtimes.JVMVISOR)) {
            if (ctx.runtimes().usable(rt)) {
                extra.add(new PrivateDocker.Runtime(rt, ctx.runtimes().executable(rt),
                        rt.equals(Runtimes.RUNSC) ? RUNSC_NET_ARGS : List.of()));
            }
        }
        PrivateDocker docker = null;
        String setupFailed = null;
        String gateway = null;
        try {
            docker = PrivateDocker.start(ctx.work().resolve("docker-net"), extra, ns);
            NetImage.build(docker, ctx.work().resolve("net-image"));
            // the host side's address on docker's default bridge (docker0 in the namespace)
            CommandResult gw = ns.run(Duration.ofSeconds(10), "ip", "-4", "-o", "addr", "show", "docker0");
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("inet ([0-9.]+)/").matcher(gw.stdout());
            gateway = m.find() ? m.group(1) : null;
            if (gateway == null) {
                setupFailed = "docker0 in the namespace has no IPv4 address: " + (gw.stdout() + gw.stderr()).strip();
            }
        } catch (IOException | RuntimeException e) {
            setupFailed = "setting up the private dockerd in a namespace failed: " + e.getMessage().lines().findFirst().orElse("");
        }
        try {
            for (String rt : Runtimes.ALL) {
                String reason = setupFailed != null ? setupFailed : ctx.runtimes().reason(rt);
                Map<String, Measurement> m = new LinkedHashMap<>();
                if (reason == null) {
                    Bench.log("networking: " + rt);
                    m = measure(docker, ns, gateway, rt, seconds, trips);
                } else {
                    for (String f : FIGURES) {
                        m.put(f, new Measurement.Unavailable(reason));
                    }
                }
                m.forEach((f, v) -> s.add(new Row(f, unit(f), rt, v)));
            }
        } finally {
            if (docker != null) {
                docker.close();
            }
        }
    }

    private static String unit(String figure) {
        return figure.startsWith("TCP throughput") ? "Mbit/s" : "µs";
    }

    private static Map<String, Measurement> measure(PrivateDocker docker, TestNetns ns, String gateway, String rt,
                                                    int seconds, int trips) {
        Map<String, Measurement> m = new LinkedHashMap<>();
        m.put(TO_HOST, toHostPeer(docker, ns, gateway, rt, seconds));
        if (m.get(TO_HOST) instanceof Measurement.Unavailable u && u.reason().startsWith("docker run failed")) {
            for (String f : List.of(TO_CONTAINER, RTT, RTT_P99)) { // the runtime cannot run on the bridge at all
                m.put(f, new Measurement.Unavailable("skipped: " + u.reason()));
            }
            return m;
        }
        m.put(TO_CONTAINER, containerToContainer(docker, rt, seconds));
        Measurement[] lat = roundTrips(docker, ns, rt, trips);
        m.put(RTT, lat[0]);
        m.put(RTT_P99, lat[1]);
        return m;
    }

    private static Measurement toHostPeer(PrivateDocker docker, TestNetns ns, String gateway, String rt, int seconds) {
        Process server;
        try {
            server = new ProcessBuilder(ns.inside(List.of(NetImage.IPERF3.toString(), "-s", "-1", "-B", gateway,
                    "-p", String.valueOf(IPERF_PORT)))).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            return new Measurement.Unavailable("iperf3 -s in the namespace did not start: " + e.getMessage());
        }
        try {
            return iperfClient(docker, rt, gateway, seconds, "bench-iperf-c-" + rt);
        } finally {
            server.destroy();
            try {
                server.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static Measurement containerToContainer(PrivateDocker docker, String rt, int seconds) {
        String name = "bench-iperf-s-" + rt;
        try {
            String ip = detached(docker, name, rt, "iperf3", "-s", "-p", String.valueOf(IPERF_PORT));
            return iperfClient(docker, rt, ip, seconds, "bench-iperf-c2-" + rt);
        } catch (BenchException e) {
            return new Measurement.Unavailable(e.getMessage());
        } finally {
            docker.docker(LIMIT, null, "rm", "-f", name);
        }
    }

    /** Runs iperf3 -c in a container; the 1 s intervals' rates in Mbit/s. Retries while the server is not up yet. */
    private static Measurement iperfClient(PrivateDocker docker, String rt, String server, int seconds, String name) {
        // the client waits in the container until the server answers (a VM server boots for seconds)
        String script = "for i in $(seq 30); do iperf3 -c " + server + " -p " + IPERF_PORT + " -t " + seconds
                + " -J > /tmp/out.json 2>&1 && break; sleep 1; done; cat /tmp/out.json";
        CommandResult r = docker.docker(LIMIT, null, "run", "--rm", "--name", name, "--runtime=" + rt, "--tmpfs", "/tmp",
                NetImage.NAME, "sh", "-c", script);
        if (r.exitCode() != 0) {
            return new Measurement.Unavailable("docker run failed (exit " + r.exitCode() + ")" + OciCli.lastLine(r.stderr()));
        }
        try {
            JsonNode j = new ObjectMapper().readTree(r.stdout());
            if (j.hasNonNull("error")) {
                return new Measurement.Unavailable("iperf3: " + j.get("error").asText());
            }
            List<Double> mbit = new ArrayList<>();
            for (JsonNode iv : j.path("intervals")) {
                mbit.add(iv.path("sum").path("bits_per_second").asDouble() / 1e6);
            }
            return Measurement.of(mbit, "iperf3 reported no intervals");
        } catch (IOException e) {
            String first = r.stdout().lines().filter(l -> !l.isBlank()).findFirst().orElse("(nothing)");
            return new Measurement.Unavailable("iperf3 printed no JSON: " + first.strip());
        }
    }

    private static Measurement[] roundTrips(PrivateDocker docker, TestNetns ns, String rt, int trips) {
        String name = "bench-echo-" + rt;
        try {
            String ip = detached(docker, name, rt, "nc", "-ll", "-p", String.valueOf(ECHO_PORT), "-e", "cat");
            String java = ProcessHandle.current().info().command().orElse("java");
            CommandResult r = Commands.run(LIMIT, ns.inside(List.of(java, "-cp", System.getProperty("java.class.path"),
                    TcpRoundTrips.class.getName(), ip, String.valueOf(ECHO_PORT), String.valueOf(trips), "64")));
            if (r.exitCode() != 0) {
                String first = r.stderr().lines().filter(l -> !l.isBlank() && !l.startsWith("\t")).findFirst().orElse("");
                throw new BenchException("the round-trip client failed: " + first.strip());
            }
            List<Double> us = new ArrayList<>();
            for (String line : r.stdout().split("\n")) {
                if (!line.isBlank()) {
                    us.add(Long.parseLong(line.strip()) / 1e3);
                }
            }
            Measurement all = Measurement.of(us, "no round trips");
            Measurement p99 = all instanceof Measurement.Samples v ? Measurement.single(v.percentile(99)) : all;
            return new Measurement[] {all, p99};
        } catch (BenchException e) {
            Measurement u = new Measurement.Unavailable(e.getMessage());
            return new Measurement[] {u, u};
        } finally {
            docker.docker(LIMIT, null, "rm", "-f", name);
        }
    }

    /** Starts a detached container on the default bridge; returns its address. */
    private static String detached(PrivateDocker docker, String name, String rt, String... command) {
        List<String> a = new ArrayList<>(List.of("run", "-d", "--name", name, "--runtime=" + rt, "--tmpfs", "/tmp", NetImage.NAME));
        a.addAll(List.of(command));
        CommandResult r = docker.docker(LIMIT, null, a.toArray(String[]::new));
        if (r.exitCode() != 0) {
            throw new BenchException("docker run -d failed (exit " + r.exitCode() + ")" + OciCli.lastLine(r.stderr()));
        }
        CommandResult ip = docker.docker("inspect", "-f", "{{.NetworkSettings.IPAddress}}", name);
        if (ip.exitCode() != 0 || ip.stdout().isBlank()) {
            throw new BenchException("the container has no address on the bridge" + OciCli.lastLine(ip.stderr()));
        }
        return ip.stdout().strip();
    }
}
