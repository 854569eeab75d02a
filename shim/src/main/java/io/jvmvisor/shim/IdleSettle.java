package io.jvmvisor.shim;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;

/**
 * Shrinks the shim JVM once the container has settled (created, started): a full GC, after which
 * SerialGC hands the heap above {@code -XX:MaxHeapFreeRatio} back to the kernel ({@link ShimLauncher#JVM_FLAGS}),
 * then {@code malloc_trim(0)} for what start-up freed in the C heap, and once more after HotSpot's chunk
 * pool has given its arena chunks back to malloc. Start-up leaves 5-7 MiB of each behind that an idle
 * shim never uses again. Runs {@link #DELAY_MS} after the last request, on a
 * short-lived thread, so that no request waits for it; a request during the wait postpones it.
 */
final class IdleSettle {
    static final long DELAY_MS = 300;
    /** The delay after create: long enough for the start that usually follows (TCG, a loaded host: ~0.5-1.5 s). */
    static final long AFTER_CREATE_MS = 3000;
    /** The period of HotSpot's ChunkPoolCleaner (chunkPool.cpp). */
    static final long CHUNK_POOL_ROUND_MS = 5000;
    private static final Logger LOG = System.getLogger("shim");
    private static final Object LOCK = new Object();
    private static long due;
    private static boolean pending;
    private static int runs;
    private static long lastRoundTrim = System.nanoTime() - Long.MAX_VALUE / 2;

    private IdleSettle() {
    }

    /** Settles {@link #DELAY_MS} from now (or later, if another request comes meanwhile). */
    static void request() {
        request(DELAY_MS);
    }

    /**
     * Settles {@code delayMs} from now (or later, if another request comes meanwhile). A created container
     * asks with {@link #AFTER_CREATE_MS}: docker and containerd start it at once, and one GC then serves both.
     */
    static void request(long delayMs) {
        synchronized (LOCK) {
            due = System.nanoTime() + delayMs * 1_000_000L;
            if (pending) {
                LOCK.notifyAll();
                return;
            }
            pending = true;
        }
        Thread.ofPlatform().daemon().name("settle").start(IdleSettle::waitAndSettle);
    }

    /** How many times the shim has settled (tests). */
    static int runs() {
        synchronized (LOCK) {
            return runs;
        }
    }

    private static void waitAndSettle() {
        try {
            synchronized (LOCK) {
                long wait;
                while ((wait = due - System.nanoTime()) > 0) {
                    LOCK.wait(wait / 1_000_000L + 1); // a request may bring the settle forward (start after create)
                }
                pending = false;
            }
            settle();
            // HotSpot hands its pooled arena chunks (compilations, class linking: ~5 MiB after start-up) back
            // to malloc every 5 s of uptime (ChunkPoolCleaner): a trim just after each of the next two rounds
            // (chunks still in use at the first one come back at the second)
            for (int round = 0; round < 2; round++) {
                Thread.sleep(untilAfterChunkPoolRound());
                synchronized (LOCK) {
                    if (System.nanoTime() - lastRoundTrim < CHUNK_POOL_ROUND_MS * 1_000_000L / 2) {
                        continue; // a settle of the same burst has trimmed after this round
                    }
                    lastRoundTrim = System.nanoTime();
                }
                boolean trimmed = io.jvmvisor.sys.NativeHeap.trim();
                LOG.log(Level.DEBUG, () -> "trimmed the C heap after a chunk-pool round: resident " + residentKib() + " KiB"
                        + (trimmed ? "" : " (nothing to trim)"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Milliseconds until just after the chunk pool's next round (rounds at multiples of 5 s of JVM uptime). */
    static long untilAfterChunkPoolRound() {
        long uptime = ProcessHandle.current().info().startInstant()
                .map(i -> java.time.Duration.between(i, java.time.Instant.now()).toMillis())
                .orElse(0L);
        long next = (uptime / CHUNK_POOL_ROUND_MS + 1) * CHUNK_POOL_ROUND_MS + 300;
        return Math.max(100, next - uptime);
    }

    /** A full GC, then the C heap trimmed; logged at debug level with the resident set before and after. */
    static void settle() {
        long before = residentKib();
        System.gc();
        boolean trimmed = io.jvmvisor.sys.NativeHeap.trim();
        synchronized (LOCK) {
            runs++;
        }
        LOG.log(Level.DEBUG, () -> "settled: resident " + before + " -> " + residentKib() + " KiB"
                + (trimmed ? "" : " (nothing to trim in the C heap)"));
    }

    /** VmRSS of this process in KiB, or -1. */
    static long residentKib() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // not on Linux
        }
        return -1;
    }
}
