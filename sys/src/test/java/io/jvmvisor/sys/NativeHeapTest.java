package io.jvmvisor.sys;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link NativeHeap#trim}: memory freed inside the C heap (not at its top) leaves the resident set. */
class NativeHeapTest {
    private static final int BLOCK = 16 << 10; // below glibc's mmap threshold: from the heap itself
    private static final int BLOCKS = 2048; // 32 MiB

    @Test
    void trimReturnsFreedHeapPagesToTheKernel() throws Exception {
        List<Arena> arenas = new ArrayList<>();
        for (int i = 0; i < BLOCKS; i++) {
            Arena a = Arena.ofShared(); // Arena allocations are malloc(3)'ed
            MemorySegment s = a.allocate(BLOCK);
            s.fill((byte) 1); // resident
            arenas.add(a);
        }
        try (Arena pin = Arena.ofShared()) {
            pin.allocate(64); // keeps the freed blocks off the heap's top, which free() would trim by itself
            for (Arena a : arenas) {
                a.close();
            }
            long before = residentKib();
            assertTrue(NativeHeap.trim(), "malloc_trim released nothing");
            long after = residentKib();
            assertTrue(before - after >= (BLOCKS * (long) BLOCK >> 10) / 2,
                    "resident " + before + " -> " + after + " KiB after freeing " + (BLOCKS * (long) BLOCK >> 20) + " MiB");
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
