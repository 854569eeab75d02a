package io.jvmvisor.sys;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link NativeHeap#trim}: memory freed inside the C heap (between blocks still in use) leaves the resident set. */
class NativeHeapTest {
    private static final int BLOCK = 16 << 10; // below glibc's mmap threshold: from the heap itself
    private static final int BLOCKS = 2048; // 32 MiB
    private static final int KEEP_EVERY = 16; // every 16th block stays: free() cannot give the holes back itself

    @Test
    void trimReturnsFreedHeapPagesToTheKernel() throws Exception {
        List<Arena> freed = new ArrayList<>();
        List<Arena> kept = new ArrayList<>();
        for (int i = 0; i < BLOCKS; i++) {
            Arena a = Arena.ofConfined(); // Arena allocations are malloc(3)'ed
            a.allocate(BLOCK).fill((byte) 1); // resident
            (i % KEEP_EVERY == KEEP_EVERY - 1 ? kept : freed).add(a);
        }
        try {
            for (Arena a : freed) {
                a.close();
            }
            long before = residentKib();
            assertTrue(NativeHeap.trim(), "malloc_trim released nothing");
            long after = residentKib();
            long freedKib = freed.size() * (long) BLOCK >> 10;
            assertTrue(before - after >= freedKib / 2,
                    "resident " + before + " -> " + after + " KiB after freeing " + (freedKib >> 10) + " MiB in holes");
        } finally {
            kept.forEach(Arena::close);
        }
    }

    private static long residentKib() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
