package io.jvmvisor.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvmvisor.testbundles.TestBundles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Section 5: file I/O on the container's rootfs (for jvmvisor: virtio-9p to
 * the bundle's rootfs on the host disk), timed inside the container.
 */
public final class FileIoBench {
    static final String TITLE = "File I/O on the rootfs";
    /** Uptime in 10 ms steps: the only clock busybox's shell reads without a fork. */
    private static final String NOW = "read T _ </proc/uptime; ";

    private FileIoBench() {
    }

    public static Section run(BenchContext ctx) {
        int mib = ctx.options().ioMiB();
        int files = ctx.options().metadataFiles();
        int runs = ctx.options().ioRuns();
        String write = "sequential write " + mib + " MiB (dd, fsync)";
        String read = "sequential read " + mib + " MiB (dd)";
        String create = "create " + files + " files";
        String stat = "stat " + files + " files";
        String unlink = "unlink " + files + " files";
        Section s = new Section(TITLE)
                .method("`run` of a bundle whose rootfs is on the host's disk (ext4, not tmpfs); inside, busybox `sh` reads "
                        + "/proc/uptime (10 ms resolution) before and after each step and prints the difference.")
                .method("Write: `dd if=/dev/zero of=/bench.dat bs=1M count=" + mib + " conv=fsync`, one container run. Read: "
                        + "`dd if=/bench.dat of=/dev/null bs=1M` in a second, fresh container (host page cache warm: this "
                        + "measures the path to the host's cache — 9p for jvmvisor — not the disk).")
                .method("Metadata: in a third run, a shell loop creates " + files + " empty files (`: > fN`), stats each one "
                        + "(`[ -e fN ]`, a shell builtin: no fork), then one `rm -f` unlinks them all.")
                .method(runs + " runs per figure (each a whole container run); ratio = p50 / runc's p50.");
        for (String rt : Runtimes.ALL) {
            Map<String, List<Double>> samples = new LinkedHashMap<>();
            for (String f : List.of(write, read, create, stat, unlink)) {
                samples.put(f, new ArrayList<>());
            }
            String reason = ctx.runtimes().reason(rt);
            if (reason == null) {
                OciCli cli = ctx.runtimes().cli(rt).orElseThrow();
                Path bundle = ctx.bundle("hello", "io-" + rt);
                try {
                    for (int i = 0; i < runs; i++) {
                        List<Double> w = inContainer(cli, bundle, "bench-io-w" + i, NOW + "a=$T; dd if=/dev/zero of=/bench.dat bs=1M count="
                                + mib + " conv=fsync 2>/dev/null || echo dd failed; " + NOW + "echo BENCH $a $T");
                        samples.get(write).add(w.getFirst());
                        List<Double> r = inContainer(cli, bundle, "bench-io-r" + i, NOW + "a=$T; dd if=/bench.dat of=/dev/null bs=1M"
                                + " 2>/dev/null || echo dd failed; " + NOW + "echo BENCH $a $T");
                        samples.get(read).add(r.getFirst());
                        Files.deleteIfExists(bundle.resolve("rootfs/bench.dat"));
                        List<Double> m = inContainer(cli, bundle, "bench-io-m" + i, "mkdir -p /meta && cd /meta; " + NOW + "a=$T; i=0; "
                                + "while [ $i -lt " + files + " ]; do : > f$i; i=$((i+1)); done; " + NOW + "b=$T; i=0; "
                                + "while [ $i -lt " + files + " ]; do [ -e f$i ] || echo missing; i=$((i+1)); done; " + NOW
                                + "c=$T; rm -f /meta/f*; " + NOW + "cd / && rmdir /meta; echo BENCH $a $b $c $T");
                        samples.get(create).add(m.get(0));
                        samples.get(stat).add(m.get(1));
                        samples.get(unlink).add(m.get(2));
                    }
                } catch (BenchException | IOException e) {
                    reason = e.getMessage();
                }
            }
            for (Map.Entry<String, List<Double>> e : samples.entrySet()) {
                s.add(new Row(e.getKey(), "ms", rt, Measurement.of(e.getValue(), reason)));
            }
        }
        s.note("A 0 ms figure means under the 10 ms resolution of /proc/uptime.");
        return s;
    }

    /** Runs {@code sh -c script} in the bundle; returns the differences between the printed uptimes, in ms. */
    private static List<Double> inContainer(OciCli cli, Path bundle, String id, String script) {
        ObjectNode config = TestBundles.readConfig(bundle);
        TestBundles.args(config, "sh", "-c", script);
        TestBundles.write(bundle, config);
        try {
            OciCli.Outcome o = cli.check(Duration.ofSeconds(600), "run", "--bundle", bundle.toString(), id);
            String line = o.stdout().lines().filter(l -> l.startsWith("BENCH ")).findFirst()
                    .orElseThrow(() -> new BenchException(cli.name() + " I/O run printed no timings" + OciCli.lastLine(o.stdout())));
            if (o.stdout().contains("dd failed") || o.stdout().contains("missing")) {
                throw new BenchException(cli.name() + " I/O run failed inside the container" + OciCli.lastLine(o.stdout()));
            }
            String[] t = line.substring(6).trim().split("\\s+");
            List<Double> diffs = new ArrayList<>();
            for (int i = 1; i < t.length; i++) {
                diffs.add((Double.parseDouble(t[i]) - Double.parseDouble(t[i - 1])) * 1000);
            }
            return diffs;
        } catch (NumberFormatException e) {
            throw new BenchException(cli.name() + " I/O run printed unreadable timings: " + e.getMessage());
        } finally {
            cli.forceDelete(id);
        }
    }
}
