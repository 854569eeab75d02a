package io.jvmvisor.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Section 3: where a jvmvisor container's life goes, from the CLI's
 * {@code create} to {@code delete} returning, split at the shim's timestamps.
 */
public final class BootBreakdownBench {
    static final String TITLE = "Boot breakdown (jvmvisor)";
    static final String CLI_START = "cli-start";
    static final String DELETED = "deleted";
    /**
     * The shim's JVM start, which the shim takes from /proc (boot time in whole
     * seconds + start jiffies): off by up to a second, it can precede cli-start. Left out.
     */
    static final String JVM_START = "jvm-start";
    private static final Pattern ACCEL = Pattern.compile("-accel[= ](tcg|kvm)|\\baccel\\W+(tcg|kvm)\\b", Pattern.CASE_INSENSITIVE);

    /** One run's phases: segment name ("→ phase") to its length in ms. */
    public record Breakdown(Map<String, Double> segments) {
    }

    private BootBreakdownBench() {
    }

    public static Section run(BenchContext ctx, Charts charts) {
        int runs = ctx.options().runs();
        Section s = new Section(TITLE)
                .method("`bin/jvmvisor --root <tmp> create` of the hello bundle, `start`, `state` polled until stopped, "
                        + "then `<root>/<id>/timeline.json` (epoch ns per phase, written by the shim) is read before `delete`.")
                .method("`" + CLI_START + "` is the harness's clock just before exec'ing `create`; `" + DELETED
                        + "` just after `delete` returned. Each row is the time from the previous phase to the named one. "
                        + runs + " runs; the harness's own polling (50 ms) is inside `exited`'s segment at most.")
                .method("The shim's `" + JVM_START + "` is left out: it comes from /proc's process start time on top of a "
                        + "boot time with whole-second precision, so it can even precede `" + CLI_START + "`.");
        String reason = ctx.runtimes().reason(Runtimes.JVMVISOR);
        List<Breakdown> done = new ArrayList<>();
        if (reason == null) {
            OciCli cli = ctx.runtimes().cli(Runtimes.JVMVISOR).orElseThrow();
            Path hello = ctx.bundle("hello", "boot");
            try {
                for (int i = 0; i < runs; i++) {
                    done.add(once(ctx, cli, hello, "bench-boot-" + i));
                }
            } catch (BenchException e) {
                reason = e.getMessage();
            }
        }
        if (done.isEmpty()) {
            s.add(Row.unavailable("create → deleted", "ms", Runtimes.JVMVISOR, reason));
            return s;
        }
        // runs restored from a VM template have "restored" where cold boots have "first-console-line"
        List<String> order = new ArrayList<>();
        for (Breakdown b : done) {
            for (String seg : b.segments().keySet()) {
                if (!order.contains(seg)) {
                    int at = order.indexOf("→ agent-ready");
                    order.add(at >= 0 && !seg.equals("→ agent-ready") && b.segments().containsKey("→ agent-ready")
                            && indexIn(b, seg) < indexIn(b, "→ agent-ready") ? at : order.size(), seg);
                }
            }
        }
        long restored = done.stream().filter(b -> b.segments().containsKey("→ restored")).count();
        s.note(restored + " of " + done.size() + " runs restored the VM from a template (docs/templates.md), "
                + (done.size() - restored) + " booted it cold.");
        for (String seg : order) {
            List<Double> v = new ArrayList<>();
            for (Breakdown b : done) {
                if (b.segments().containsKey(seg)) {
                    v.add(b.segments().get(seg));
                }
            }
            s.add(new Row(seg, "ms", Runtimes.JVMVISOR, Measurement.of(v, "phase missing")));
        }
        List<Double> total = done.stream().map(b -> b.segments().values().stream().mapToDouble(Double::doubleValue).sum()).toList();
        s.add(new Row("total: create → deleted", "ms", Runtimes.JVMVISOR, new Measurement.Samples(total)));
        if (reason != null) {
            s.note("Some runs failed: " + reason);
        }
        charts.stacked(s, "boot-breakdown.png", "jvmvisor boot breakdown per run", order, done);
        return s;
    }

    private static int indexIn(Breakdown b, String seg) {
        return new ArrayList<>(b.segments().keySet()).indexOf(seg);
    }

    private static Breakdown once(BenchContext ctx, OciCli cli, Path bundle, String id) {
        Duration timeout = Duration.ofSeconds(120);
        try {
            long t0 = cli.check(timeout, "create", "--bundle", bundle.toString(), id).startEpochNs();
            cli.check(timeout, "start", id);
            CliLatencyBench.waitStopped(cli, id, Duration.ofSeconds(60));
            Path stateDir = cli.root().resolve(id);
            List<Timeline.Point> points = Timeline.read(stateDir.resolve("timeline.json"));
            ctx.accel(accelFromLog(stateDir.resolve("shim.log")));
            cli.check(timeout, "delete", id);
            Instant now = Instant.now();
            long t1 = now.getEpochSecond() * 1_000_000_000L + now.getNano();
            Map<String, Double> seg = new LinkedHashMap<>();
            long prev = t0;
            for (Timeline.Point p : points) {
                if (p.phase().equals(JVM_START)) {
                    continue;
                }
                seg.merge("→ " + p.phase(), (p.epochNs() - prev) / 1e6, Double::sum);
                prev = Math.max(prev, p.epochNs());
            }
            seg.put("→ " + DELETED, (t1 - prev) / 1e6);
            return new Breakdown(seg);
        } finally {
            cli.forceDelete(id);
        }
    }

    /** "tcg (from shim.log: ...)" for the first log line naming an accelerator, or null. */
    static String accelFromLog(Path log) {
        try {
            for (String line : Files.readAllLines(log)) {
                Matcher m = ACCEL.matcher(line);
                if (m.find()) {
                    String accel = (m.group(1) != null ? m.group(1) : m.group(2)).toLowerCase(Locale.ROOT);
                    return accel + " (from shim.log: \"" + m.group() + "\")";
                }
            }
        } catch (IOException e) {
            // no log
        }
        return null;
    }
}
