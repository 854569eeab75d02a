package io.jvmvisor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class BenchOptionsTest {
    private static final Path HOME = Path.of("/tmp/jvmvisor-home");

    @Test
    void allSectionsRunWithoutOnly() {
        BenchOptions o = BenchOptions.parse(new String[] {"--runs", "4"}, HOME);
        assertEquals(4, o.runs());
        assertTrue(o.latest());
        for (String s : BenchOptions.SECTIONS) {
            assertTrue(o.runs(s), s);
        }
    }

    @Test
    void onlyPicksSectionsDensityBringsMemoryAndLatestStaysUntouched() {
        BenchOptions o = BenchOptions.parse(new String[] {"--only", "start,density"}, HOME);
        assertTrue(o.runs("start"));
        assertTrue(o.runs("density"));
        assertTrue(o.runs("memory"));
        assertFalse(o.runs("cli"));
        assertFalse(o.runs("io"));
        assertFalse(o.latest());
    }

    @Test
    void unknownSectionIsOneClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BenchOptions.parse(new String[] {"--only", "start,nope"}, HOME));
        assertTrue(e.getMessage().startsWith("--only: no section nope"), e.getMessage());
    }
}
