package io.jvmvisor.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class SignalsTest {
    @Test
    void namesWithAndWithoutSigAndNumbers() {
        assertEquals(15, Signals.parse("TERM"));
        assertEquals(15, Signals.parse("SIGTERM"));
        assertEquals(15, Signals.parse("sigterm"));
        assertEquals(9, Signals.parse("KILL"));
        assertEquals(9, Signals.parse("9"));
        assertEquals(1, Signals.parse("HUP"));
        assertEquals(10, Signals.parse("SIGUSR1"));
        assertEquals(28, Signals.parse("WINCH"));
        assertEquals(34, Signals.parse("RTMIN"));
        assertEquals(37, Signals.parse("SIGRTMIN+3"));
        assertEquals(62, Signals.parse("RTMAX-2"));
        assertEquals(64, Signals.parse("64"));
    }

    @Test
    void invalidSignalsAreRefusedWithTheirName() {
        assertEquals("unknown signal \"FOO\"", assertThrows(IllegalArgumentException.class, () -> Signals.parse("FOO")).getMessage());
        assertEquals("invalid signal number 0 (1-64)", assertThrows(IllegalArgumentException.class, () -> Signals.parse("0")).getMessage());
        assertEquals("invalid signal number 65 (1-64)", assertThrows(IllegalArgumentException.class, () -> Signals.parse("65")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Signals.parse("RTMIN+40"));
        assertThrows(IllegalArgumentException.class, () -> Signals.parse("9x"));
        assertThrows(IllegalArgumentException.class, () -> Signals.parse(""));
    }
}
