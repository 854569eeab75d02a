package io.jvmvisor.bench;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** What one figure gave for one runtime: samples, or the reason there are none. */
public sealed interface Measurement {

    /** Measured values (one per run), in the row's unit. */
    record Samples(List<Double> values) implements Measurement {
        public Samples {
            if (values.isEmpty()) {
                throw new IllegalArgumentException("no samples");
            }
            values = List.copyOf(values);
        }

        public double p50() {
            return percentile(50);
        }

        public double p95() {
            return percentile(95);
        }

        public int runs() {
            return values.size();
        }

        /** Nearest-rank percentile. */
        public double percentile(int p) {
            List<Double> sorted = new ArrayList<>(values);
            Collections.sort(sorted);
            int rank = (int) Math.ceil(p / 100.0 * sorted.size());
            return sorted.get(Math.max(0, rank - 1));
        }
    }

    /** Not measured, and why (for a person: "bin/jvmvisor is missing", "exec failed: ..."). */
    record Unavailable(String reason) implements Measurement {
    }

    static Measurement of(List<Double> values, String reasonIfEmpty) {
        return values.isEmpty() ? new Unavailable(reasonIfEmpty) : new Samples(values);
    }

    static Measurement single(double value) {
        return new Samples(List.of(value));
    }

    /** A number as the report prints it: 3 significant digits, no exponent. */
    static String format(double v) {
        double a = Math.abs(v);
        if (a >= 100 || v == Math.rint(v)) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (a >= 0.1) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        return new BigDecimal(v).round(new MathContext(2)).stripTrailingZeros().toPlainString();
    }
}
