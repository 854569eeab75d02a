package io.jvmvisor.shim.engine;

import java.time.Instant;

/** Wall-clock epoch nanoseconds, the unit of the shim's boot timeline. */
public final class Timeline {
    private Timeline() {
    }

    public static long nowNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
