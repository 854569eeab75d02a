package io.jvmvisor.bench;

import java.nio.file.Path;
import java.time.Duration;

/** Section 4: host memory (PSS) of idle containers, 1 and N at once; the guest agent's RSS. */
public final class MemoryBench {
    static final String TITLE = "Memory";
    static final String ONE = "host PSS, 1 idle container";
    static final String AGENT = "guest agent RSS (Stats RPC)";
    static final String GUEST_USED = "guest memory in use (MemTotal - MemAvailable)";

    private MemoryBench() {
    }

    static String perContainer(int n) {
        return "host PSS per container, " + n + " idle at once";
    }

    static String total(int n) {
        return "host PSS total, " + n + " idle at once";
    }

    public static Section run(BenchContext ctx) {
        int n = ctx.options().fleetSize();
        Section s = new Section(TITLE)
                .method("TestBundles' `sleep` bundle, created and started through each runtime's CLI (N at once: one thread per "
                        + "container), left idle " + Fleet.SETTLE.toSeconds() + " s (past the shim's settling after start), then the sum of `Pss:` from /proc/PID/smaps_rollup over the "
                        + "container's host processes: runc: the container's process (the PID `state` reports); runsc: the "
                        + "sandbox and gofer (processes naming its --root, and their children); jvmvisor: the shim and its "
                        + "descendants (QEMU).")
                .method("Guest side: the agent's RSS from its Stats RPC, through the shim's control `stats` op "
                        + "(`ControlClient.call(stateDir, ControlRequest.of(Op.STATS))`).")
                .method("One measurement per figure (runs = 1): PSS of idle processes barely moves between runs.");
        Duration timeout = Duration.ofSeconds(n * 60L + 60);
        for (String rt : Runtimes.ALL) {
            String reason = ctx.runtimes().reason(rt);
            Fleet.Result one = null;
            Fleet.Result many = null;
            if (reason == null) {
                OciCli cli = ctx.runtimes().cli(rt).orElseThrow();
                Path sleep = ctx.bundle("sleep", "memory-" + rt);
                try {
                    one = Fleet.measure(ctx, cli, sleep, 1, "bench-mem-one", timeout);
                    many = Fleet.measure(ctx, cli, sleep, n, "bench-mem-many", timeout);
                    ctx.fleet(rt, many);
                } catch (BenchException e) {
                    reason = e.getMessage();
                }
            }
            s.add(row(ONE, rt, one == null ? null : one.pssBytes() / (double) (1 << 20), reason));
            s.add(row(perContainer(n), rt, many == null ? null : many.perContainerMiB(), reason));
            s.add(row(total(n), rt, many == null ? null : many.pssBytes() / (double) (1 << 20), reason));
            if (one != null) {
                s.note(rt + ": measured processes for 1 container: " + one.processNames()
                        + (many != null ? "; for " + n + ": " + many.processNames() : ""));
            }
            if (rt.equals(Runtimes.JVMVISOR)) {
                String why = one == null ? reason : one.guestStatsNote();
                Long agent = one == null ? null : one.guest("agent", "rss");
                Long total = one == null ? null : one.guest("mem", "total");
                Long available = one == null ? null : one.guest("mem", "available");
                s.add(row(AGENT, rt, agent == null ? null : agent / (double) (1 << 20),
                        why != null ? why : "the stats answer has no agent RSS: " + one.guestStats()));
                s.add(row(GUEST_USED, rt, total == null || available == null ? null : (total - available) / (double) (1 << 20),
                        why != null ? why : "the stats answer has no MemTotal/MemAvailable: " + one.guestStats()));
                if (total != null) {
                    s.note("jvmvisor guest RAM: " + Measurement.format(total / (double) (1 << 20)) + " MiB MemTotal; host PSS "
                            + "counts only the guest pages QEMU has touched.");
                }
            }
        }
        return s;
    }

    private static Row row(String figure, String rt, Double mib, String reason) {
        return mib == null ? Row.unavailable(figure, "MiB", rt, reason)
                : new Row(figure, "MiB", rt, Measurement.single(mib));
    }
}
