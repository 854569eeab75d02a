package io.jvmvisor.bench;

import java.util.List;
import java.util.Map;

/** The markdown report, and the same tables for stdout. */
public final class Report {
    private Report() {
    }

    public static String markdown(String date, boolean quick, int runs, Map<String, String> machine, List<Section> sections) {
        StringBuilder b = new StringBuilder("# jvmvisor benchmark" + (quick ? " (quick mode)" : "") + "\n\n");
        b.append("Date: ").append(date).append(". Command: `bench/run.sh").append(quick ? " --quick" : "")
                .append(" --runs ").append(runs).append("`.\n\n");
        b.append("| machine | |\n|---|---|\n");
        machine.forEach((k, v) -> b.append("| ").append(k).append(" | ").append(cell(v)).append(" |\n"));
        b.append("\nAbsolute times are noisy on this shared 2-core machine: compare within a run (ratio to runc, "
                + "measured in the same run). p50/p95 are nearest-rank percentiles over the runs. "
                + "\"n/a (reason)\" marks a figure that could not be measured, and why.\n");
        int n = 1;
        for (Section s : sections) {
            b.append("\n## ").append(n++).append(". ").append(s.title()).append("\n\n");
            for (String m : s.method()) {
                b.append("- ").append(m).append('\n');
            }
            b.append('\n').append(table(s));
            for (String c : s.charts()) {
                b.append("\n![").append(s.title()).append("](").append(c).append(")\n");
            }
            if (!s.notes().isEmpty()) {
                b.append('\n');
                for (String note : s.notes()) {
                    b.append("- ").append(note).append('\n');
                }
            }
        }
        return b.toString();
    }

    /** The section's table: figure | runtime | p50 | p95 | runs | ratio to runc. */
    public static String table(Section s) {
        StringBuilder b = new StringBuilder("| figure | runtime | p50 | p95 | runs | ratio to runc |\n|---|---|---:|---:|---:|---:|\n");
        for (String f : s.figures()) {
            for (Row r : s.rows()) {
                if (!r.figure().equals(f)) {
                    continue;
                }
                b.append("| ").append(cell(f)).append(" (").append(r.unit()).append(") | ").append(r.runtime()).append(" | ");
                switch (r.value()) {
                    case Measurement.Samples v -> b.append(Measurement.format(v.p50())).append(" | ")
                            .append(Measurement.format(v.p95())).append(" | ").append(v.runs()).append(" | ")
                            .append(ratio(s, f, v)).append(" |\n");
                    case Measurement.Unavailable u -> b.append("n/a (").append(cell(u.reason())).append(") | | | |\n");
                }
            }
        }
        return b.toString();
    }

    private static String ratio(Section s, String figure, Measurement.Samples v) {
        return s.baseline(figure)
                .filter(base -> base.p50() > 0)
                .map(base -> "×" + Measurement.format(v.p50() / base.p50()))
                .orElse("—");
    }

    private static String cell(String text) {
        return text == null ? "" : text.replace("|", "\\|").replace("\n", " ");
    }
}
