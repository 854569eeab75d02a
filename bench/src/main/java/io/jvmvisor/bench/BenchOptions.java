package io.jvmvisor.bench;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/**
 * The harness's settings: {@code [--quick] [--runs N] [--out DIR] [--only SECTION,...]}.
 *
 * @param quick whether to use the small sizes (CI)
 * @param runs  repetitions of each timed figure
 * @param out   the folder the report and charts go to
 * @param home  the jvmvisor checkout (bin/jvmvisor, bench/results)
 * @param latest whether to copy the report to bench/results/latest (full runs into the default folder)
 * @param only   the sections to run (names in {@link #SECTIONS}); all of them when empty
 */
public record BenchOptions(boolean quick, int runs, Path out, Path home, boolean latest, Set<String> only) {

    /** The sections' short names, in report order. */
    public static final Set<String> SECTIONS = Set.of("start", "cli", "boot", "memory", "io", "density", "network");

    static final String USAGE = "usage: bench/run.sh [--quick] [--runs N] [--out DIR] [--only start,cli,boot,memory,io,density,network]";

    /** Parses the command line; throws IllegalArgumentException with the usage on a bad one. */
    public static BenchOptions parse(String[] args, Path home) {
        boolean quick = false;
        Integer runs = null;
        Path out = null;
        Set<String> only = new LinkedHashSet<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--runs" -> runs = positive(value(args, ++i, "--runs"));
                case "--out" -> out = Path.of(value(args, ++i, "--out")).toAbsolutePath();
                case "--only" -> only.addAll(sections(value(args, ++i, "--only")));
                case "-h", "--help" -> throw new IllegalArgumentException(USAGE);
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + "\n" + USAGE);
            }
        }
        String stamp = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        boolean latest = out == null && !quick && only.isEmpty();
        if (out == null) {
            out = quick ? Path.of(System.getProperty("java.io.tmpdir"), "jvmvisor-bench-quick-" + stamp)
                    : home.resolve("bench/results").resolve(stamp);
        }
        return new BenchOptions(quick, runs != null ? runs : quick ? 3 : 10, out, home, latest, Set.copyOf(only));
    }

    /** Whether section {@code name} runs ({@code density} needs {@code memory}'s fleet: it brings it along). */
    public boolean runs(String name) {
        return only.isEmpty() || only.contains(name) || name.equals("memory") && only.contains("density");
    }

    private static Set<String> sections(String list) {
        Set<String> names = new LinkedHashSet<>();
        for (String n : list.split(",")) {
            if (!SECTIONS.contains(n.strip())) {
                throw new IllegalArgumentException("--only: no section " + n + " (sections: start, cli, boot, memory, io, density, network)\n"
                        + USAGE);
            }
            names.add(n.strip());
        }
        return names;
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new IllegalArgumentException(flag + " needs a value\n" + USAGE);
        }
        return args[i];
    }

    private static int positive(String s) {
        try {
            int n = Integer.parseInt(s);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new IllegalArgumentException("--runs wants a positive number, not " + s + "\n" + USAGE);
    }

    /** Size of the sequential file written and read in the I/O section. */
    public int ioMiB() {
        return quick ? 16 : 256;
    }

    /** Small files created, stat'ed and unlinked in the metadata run. */
    public int metadataFiles() {
        return quick ? 200 : 5000;
    }

    /** Containers started at once for the memory and density figures. */
    public int fleetSize() {
        return quick ? 2 : 10;
    }

    /** Runs of each I/O figure (each one a whole container run). */
    public int ioRuns() {
        return Math.min(runs, 3);
    }

    /** The memory budget of the density figure. */
    public long densityBudgetBytes() {
        return 4L << 30;
    }
}
