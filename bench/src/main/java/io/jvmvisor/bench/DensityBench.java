package io.jvmvisor.bench;

/**
 * Section 6: how many idle containers fit a memory budget (from the measured
 * per-container PSS, capped), verified by the N started at once in the memory
 * section, and the time those N took to start.
 */
public final class DensityBench {
    static final String TITLE = "Density";

    private DensityBench() {
    }

    public static Section run(BenchContext ctx) {
        int cap = ctx.options().fleetSize();
        long budget = ctx.options().densityBudgetBytes();
        String budgetText = (budget >> 30) + " GiB";
        String estimate = "idle containers within " + budgetText + " (estimate, uncapped)";
        String fits = "idle containers within " + budgetText + ", cap " + cap;
        String verified = "verified: running at once";
        String startAll = "time to start " + cap + " at once";
        Section s = new Section(TITLE)
                .method("Estimate: floor(" + budgetText + " / host PSS per container), the PSS per container measured with "
                        + cap + " idle `sleep` containers at once (section Memory). Fit: the estimate capped at " + cap
                        + ", the most this harness starts on this 2-core machine.")
                .method("Verified: the " + cap + " containers of the memory section, started at once (create + start, one "
                        + "thread each), all `running` 2 s later, and their summed PSS within the budget.")
                .method("Start time: wall time from launching the " + cap + " creates to the last `start` returning (one run).");
        for (String rt : Runtimes.ALL) {
            Fleet.Result f = ctx.fleet(rt);
            String reason = ctx.runtimes().reason(rt);
            if (f == null) {
                String why = reason != null ? reason : "the memory section could not start " + cap + " containers";
                for (String fig : new String[] {estimate, fits, verified}) {
                    s.add(Row.unavailable(fig, "containers", rt, why));
                }
                s.add(Row.unavailable(startAll, "ms", rt, why));
                continue;
            }
            double per = f.pssBytes() / (double) f.size();
            long est = per <= 0 ? Long.MAX_VALUE : (long) Math.floor(budget / per);
            s.add(new Row(estimate, "containers", rt, Measurement.single(est)));
            s.add(new Row(fits, "containers", rt, Measurement.single(Math.min(est, cap))));
            boolean within = f.pssBytes() <= budget;
            s.add(within ? new Row(verified, "containers", rt, Measurement.single(f.size()))
                    : Row.unavailable(verified, "containers", rt, f.size() + " containers took "
                    + Measurement.format(f.pssBytes() / (double) (1 << 20)) + " MiB, over the budget"));
            s.add(new Row(startAll, "ms", rt, Measurement.single(f.startAllMillis())));
        }
        return s;
    }
}
