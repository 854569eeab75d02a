package io.jvmvisor.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * {@code bench/run.sh [--quick] [--runs N] [--out DIR] [--only SECTION,...]}: measures jvmvisor side
 * by side with runc and runsc (gVisor) and writes {@code report.md} with PNG
 * charts to the output folder (full runs also to bench/results/latest).
 */
public final class Bench {
    /** How long jvmvisor's probe run of the hello bundle may take (a TCG boot on a busy 2-core host). */
    private static final Duration JVMVISOR_PROBE = Duration.ofSeconds(180);

    private Bench() {
    }

    public static void main(String[] args) {
        Path home = Path.of(System.getProperty("jvmvisor.home", ".")).toAbsolutePath().normalize();
        BenchOptions options;
        try {
            options = BenchOptions.parse(args, home);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        Path report = run(options);
        System.out.println("report: " + report);
    }

    /** Runs every section and returns the report's path; leaves no container, daemon or work folder behind. */
    public static Path run(BenchOptions options) {
        Path work;
        try {
            Files.createDirectories(options.out());
            // On disk, not tmpfs: the rootfs of the I/O figures lives here.
            work = Files.createTempDirectory(Path.of("/var/tmp"), "jvmvisor-bench-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the output or work folder: " + e.getMessage(), e);
        }
        String date = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
        Runtimes runtimes = null;
        try {
            log("probing runtimes (work folder " + work + ")");
            runtimes = Runtimes.probe(options.home(), work, work.resolve("bundles"), JVMVISOR_PROBE);
            for (String rt : Runtimes.ALL) {
                log(rt + ": " + (runtimes.usable(rt) ? "usable, hello run " + Measurement.format(runtimes.probeMillis(rt)) + " ms"
                        : runtimes.reason(rt)));
            }
            BenchContext ctx = new BenchContext(options, work, runtimes);
            Charts charts = new Charts(options.out());
            Section cli = !options.runs("cli") ? null : section(CliLatencyBench.TITLE,
                    () -> CliLatencyBench.run(ctx), s -> charts.grouped(s, "cli-latency.png", "CLI latency (p50)", "ms", s.figures()));
            Section boot = !options.runs("boot") ? null : section(BootBreakdownBench.TITLE, () -> BootBreakdownBench.run(ctx, charts), s -> { });
            Section memory = !options.runs("memory") ? null : section(MemoryBench.TITLE, () -> MemoryBench.run(ctx),
                    s -> charts.grouped(s, "memory.png", "Host PSS of idle containers", "MiB", s.figures().stream()
                            .filter(f -> !f.equals(MemoryBench.AGENT) && !f.equals(MemoryBench.GUEST_USED)).toList()));
            Section density = !options.runs("density") ? null : section(DensityBench.TITLE, () -> DensityBench.run(ctx),
                    s -> charts.grouped(s, "density-start.png", "Starting containers at once", "ms", s.figures().stream()
                            .filter(f -> f.startsWith("time to start")).toList()));
            Section io = !options.runs("io") ? null : section(FileIoBench.TITLE, () -> FileIoBench.run(ctx),
                    s -> charts.grouped(s, "file-io.png", "File I/O on the rootfs (p50)", "ms", s.figures()));
            Section start = !options.runs("start") ? null : section(ContainerStartBench.TITLE, () -> ContainerStartBench.run(ctx),
                    s -> charts.grouped(s, "container-start.png", "docker run / exec (p50)", "ms", s.figures()));
            Section network = !options.runs("network") ? null : section(NetworkBench.TITLE, () -> NetworkBench.run(ctx),
                    s -> charts.grouped(s, "network-throughput.png", "TCP throughput (p50)", "Mbit/s", s.figures().stream()
                            .filter(f -> f.startsWith("TCP throughput")).toList()));
            java.util.List<Section> sections = Stream.of(start, cli, boot, memory, io, density, network).filter(x -> x != null).toList();
            String md = Report.markdown(date, options.quick(), options.runs(), Machine.describe(ctx), sections);
            Path report = options.out().resolve("report.md");
            Files.writeString(report, md);
            if (options.latest()) {
                copyToLatest(options.out(), options.home().resolve("bench/results/latest"));
            }
            return report;
        } catch (IOException e) {
            throw new UncheckedIOException("writing the report: " + e.getMessage(), e);
        } finally {
            if (runtimes != null) {
                runtimes.removeLeftovers();
            }
            Cleanup.work(work);
        }
    }

    /** Runs a section; a harness failure becomes a note in the report instead of ending the run. */
    private static Section section(String title, Supplier<Section> body, Consumer<Section> chart) {
        log("section: " + title);
        long t0 = System.nanoTime();
        Section s;
        try {
            s = body.get();
            chart.accept(s);
        } catch (RuntimeException e) {
            s = new Section(title).note("The harness failed in this section: " + e);
        }
        System.out.println("\n## " + s.title() + "\n\n" + Report.table(s));
        log("section " + title + " took " + Measurement.format((System.nanoTime() - t0) / 1e9) + " s");
        return s;
    }

    private static void copyToLatest(Path from, Path latest) throws IOException {
        if (Files.isDirectory(latest)) {
            try (Stream<Path> old = Files.list(latest)) {
                for (Path p : old.toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(latest);
        try (Stream<Path> files = Files.list(from)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                Files.copy(p, latest.resolve(p.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    static void log(String line) {
        System.err.println("[bench] " + line);
    }
}
