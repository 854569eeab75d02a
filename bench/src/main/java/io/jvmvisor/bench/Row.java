package io.jvmvisor.bench;

/**
 * One line of a section's table: a figure (what was measured, with its unit)
 * for one runtime.
 *
 * @param figure  what was measured, e.g. "docker run true"
 * @param unit    "ms", "MiB", "containers"...
 * @param runtime runc, runsc or jvmvisor
 * @param value   the samples or why there are none
 */
public record Row(String figure, String unit, String runtime, Measurement value) {

    public static Row unavailable(String figure, String unit, String runtime, String reason) {
        return new Row(figure, unit, runtime, new Measurement.Unavailable(reason));
    }
}
