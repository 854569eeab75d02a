package io.jvmvisor.bench;

import io.jvmvisor.testbundles.CommandResult;
import io.jvmvisor.testbundles.Commands;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/** PNG charts drawn by gnuplot next to the report; a failed chart becomes a note, never an error. */
public final class Charts {
    private static final Path GNUPLOT = Path.of("/usr/bin/gnuplot");
    /** Twelve colours, so that the phases of a stacked bar never share one (gnuplot cycles after 8). */
    private static final String DISTINCT_COLOURS = String.join("", java.util.stream.IntStream.range(0, 12)
            .mapToObj(i -> "set linetype " + (i + 1) + " lc rgb '" + List.of("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                    "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#f7b6d2").get(i) + "'\n")
            .toList());
    private final Path dir;

    public Charts(Path dir) {
        this.dir = dir;
    }

    /** Why charts cannot be drawn, or null. */
    public static String unavailableReason() {
        return Files.isExecutable(GNUPLOT) ? null : "gnuplot is not installed (apt-get install gnuplot-nox)";
    }

    /** Clustered bars: one group per figure, one bar per runtime (its p50); n/a rows leave a gap. */
    public void grouped(Section s, String file, String title, String ylabel, List<String> figures) {
        StringBuilder data = new StringBuilder("figure");
        for (String rt : Runtimes.ALL) {
            boolean measured = s.rows().stream().anyMatch(r -> r.runtime().equals(rt) && figures.contains(r.figure())
                    && r.value() instanceof Measurement.Samples);
            data.append('\t').append(rt).append(measured ? "" : " (n/a)");
        }
        data.append('\n');
        boolean any = false;
        double min = Double.MAX_VALUE;
        double max = 0;
        for (String f : figures) {
            data.append(f.replace('\t', ' '));
            for (String rt : Runtimes.ALL) {
                Measurement m = s.rows().stream().filter(r -> r.figure().equals(f) && r.runtime().equals(rt))
                        .map(Row::value).findFirst().orElse(null);
                if (m instanceof Measurement.Samples v) {
                    data.append('\t').append(String.format(Locale.ROOT, "%.3f", v.p50()));
                    any = true;
                    if (v.p50() > 0) {
                        min = Math.min(min, v.p50());
                        max = Math.max(max, v.p50());
                    }
                } else {
                    data.append("\t?");
                }
            }
            data.append('\n');
        }
        if (!any) {
            s.note("No chart: no figure was measured.");
            return;
        }
        String plot = "plot for [i=2:" + (Runtimes.ALL.size() + 1) + "] '" + dataFile(file) + "' using i:xtic(1) title columnheader(i)";
        // Values apart by more than 50x (a VM boot next to runc) only read on a log scale.
        boolean log = max / min > 50;
        draw(s, file, title, log ? ylabel + " (log scale)" : ylabel,
                "set style histogram clustered gap 1\n" + (log ? "set logscale y\nset yrange [" + String.format(Locale.ROOT,
                        "%.3g", min / 2) + ":*]\n" : "set yrange [0:*]\n"), data.toString(), plot);
    }

    /** Stacked bars: one bar per run, one block per phase. */
    public void stacked(Section s, String file, String title, List<String> phases, List<BootBreakdownBench.Breakdown> runs) {
        StringBuilder data = new StringBuilder("run");
        for (String p : phases) {
            data.append('\t').append(p);
        }
        data.append('\n');
        for (int i = 0; i < runs.size(); i++) {
            data.append("run ").append(i + 1);
            for (String p : phases) {
                Double v = runs.get(i).segments().get(p);
                data.append('\t').append(v == null ? "?" : String.format(Locale.ROOT, "%.3f", v));
            }
            data.append('\n');
        }
        String plot = "plot for [i=2:" + (phases.size() + 1) + "] '" + dataFile(file) + "' using i:xtic(1) title columnheader(i)";
        draw(s, file, title, "ms", "set style histogram rowstacked\nset key outside right\nset yrange [0:*]\n" + DISTINCT_COLOURS,
                data.toString(), plot);
    }

    /** The data file's name, relative to the report's folder (gnuplot runs there). */
    private static String dataFile(String png) {
        return png.replace(".png", ".dat");
    }

    private void draw(Section s, String file, String title, String ylabel, String style, String data, String plot) {
        String reason = unavailableReason();
        if (reason != null) {
            s.note("No chart: " + reason + ".");
            return;
        }
        Path script = dir.resolve(file.replace(".png", ".gp"));
        String gp = "set terminal pngcairo size 960,480 noenhanced font 'sans,10'\n"
                + "set output '" + file + "'\n"
                + "set title '" + title.replace("'", "") + "'\n"
                + "set ylabel '" + ylabel + "'\n"
                + "set style data histograms\n" + style
                + "set style fill solid 0.85 border -1\n"
                + "set datafile separator '\\t'\n"
                + "set datafile missing '?'\n"
                + "set grid ytics\nset xtics rotate by -15\n"
                + plot + "\n";
        try {
            Files.writeString(dir.resolve(dataFile(file)), data);
            Files.writeString(script, gp);
            CommandResult r = Commands.run(Duration.ofSeconds(60),
                    List.of(GNUPLOT.toString(), "-e", "cd '" + dir + "'", script.getFileName().toString()));
            if (r.exitCode() != 0 || !Files.isRegularFile(dir.resolve(file))) {
                s.note("No chart: gnuplot failed" + OciCli.lastLine(r.stderr()) + ".");
                return;
            }
            s.chart(file);
        } catch (IOException | RuntimeException e) {
            s.note("No chart: " + e.getMessage() + ".");
        }
    }
}
