package io.jvmvisor.bench;

import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/**
 * The harness's settings: {@code [--quick] [--runs N] [--out DIR]}.
 *
 * @param quick whether to use the small sizes (CI)
 * @param runs  repetitions of each timed figure
 * @param out   the folder the report and charts go to
 * @param home  the jvmvisor checkout (bin/jvmvisor, bench/results)
 * @param latest whether to copy the report to bench/results/latest (full runs into the default folder)
 */
public record BenchOptions(boolean quick, int runs, Path out, Path home, boolean latest) {

    static final String USAGE = "usage: bench/run.sh [--quick] [--runs N] [--out DIR]";

    /** Parses the command line; throws IllegalArgumentException with the usage on a bad one. */
    public static BenchOptions parse(String[] args, Path home) {
        boolean quick = false;
        Integer runs = null;
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--runs" -> runs = positive(value(args, ++i, "--runs"));
                case "--out" -> out = Path.of(value(args, ++i, "--out")).toAbsolutePath();
                case "-h", "--help" -> throw new IllegalArgumentException(USAGE);
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + "\n" + USAGE);
            }
        }
        String stamp = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        boolean latest = out == null && !quick;
        if (out == null) {
            out = quick ? Path.of(System.getProperty("java.io.tmpdir"), "jvmvisor-bench-quick-" + stamp)
                    : home.resolve("bench/results").resolve(stamp);
        }
        return new BenchOptions(quick, runs != null ? runs : quick ? 3 : 10, out, home, latest);
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
