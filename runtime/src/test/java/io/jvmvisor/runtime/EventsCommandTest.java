package io.jvmvisor.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class EventsCommandTest {
    @Test
    void intervalsAreGoDurations() throws CliException {
        assertEquals(5000, EventsCommand.durationMillis("5s"));
        assertEquals(500, EventsCommand.durationMillis("500ms"));
        assertEquals(90_000, EventsCommand.durationMillis("1m30s"));
        assertEquals(1500, EventsCommand.durationMillis("1.5s"));
        assertEquals(7_200_000, EventsCommand.durationMillis("2h"));
    }

    @Test
    void badIntervalsAreRefused() {
        for (String bad : new String[] {"", "5", "s", "5x", "1..2s"}) {
            assertThrows(CliException.class, () -> EventsCommand.durationMillis(bad), bad);
        }
    }
}
