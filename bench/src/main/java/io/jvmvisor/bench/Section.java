package io.jvmvisor.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** One part of the report: a title, how its figures were measured, its rows and charts. */
public final class Section {
    private final String title;
    private final List<String> method = new ArrayList<>();
    private final List<Row> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final List<String> charts = new ArrayList<>();

    public Section(String title) {
        this.title = title;
    }

    /** A sentence on how the figures were measured. */
    public Section method(String sentence) {
        method.add(sentence);
        return this;
    }

    public Section note(String sentence) {
        notes.add(sentence);
        return this;
    }

    public Section add(Row row) {
        rows.add(row);
        return this;
    }

    /** A chart file name (PNG, in the report's folder). */
    public Section chart(String fileName) {
        charts.add(fileName);
        return this;
    }

    public String title() {
        return title;
    }

    public List<String> method() {
        return method;
    }

    public List<Row> rows() {
        return rows;
    }

    public List<String> notes() {
        return notes;
    }

    public List<String> charts() {
        return charts;
    }

    /** The runc row of a figure, if measured. */
    public Optional<Measurement.Samples> baseline(String figure) {
        return rows.stream()
                .filter(r -> r.figure().equals(figure) && r.runtime().equals(Runtimes.RUNC))
                .map(Row::value)
                .filter(v -> v instanceof Measurement.Samples)
                .map(v -> (Measurement.Samples) v)
                .findFirst();
    }

    /** The figures in first-seen order. */
    public List<String> figures() {
        List<String> f = new ArrayList<>();
        for (Row r : rows) {
            if (!f.contains(r.figure())) {
                f.add(r.figure());
            }
        }
        return f;
    }
}
