package io.jvmvisor.runtime.state;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class StatusTest {
    private static String refused(org.junit.jupiter.api.function.Executable e) {
        return assertThrows(IllegalTransitionException.class, e).getMessage();
    }

    @Test
    void startOnlyFromCreated() {
        assertDoesNotThrow(() -> new Status.Created().checkStart());
        assertEquals("cannot start a container that has stopped", refused(() -> new Status.Stopped(0).checkStart()));
        assertEquals("cannot start an already running container", refused(() -> new Status.Running().checkStart()));
        IllegalTransitionException e = assertThrows(IllegalTransitionException.class, () -> new Status.Paused().checkStart());
        assertInstanceOf(Status.Paused.class, e.from());
        assertEquals("running", e.to());
    }

    @Test
    void killNeedsALiveContainer() {
        assertDoesNotThrow(() -> new Status.Created().checkKill());
        assertDoesNotThrow(() -> new Status.Running().checkKill());
        assertEquals("container not running", refused(() -> new Status.Stopped(1).checkKill()));
    }

    @Test
    void deleteOfRunningNeedsForce() {
        assertDoesNotThrow(() -> new Status.Stopped(null).checkDelete("c", false));
        assertDoesNotThrow(() -> new Status.Created().checkDelete("c", false));
        assertDoesNotThrow(() -> new Status.Running().checkDelete("c", true));
        assertEquals("cannot delete container c that is not stopped: running",
                refused(() -> new Status.Running().checkDelete("c", false)));
        assertEquals("cannot delete container c that is not stopped: paused",
                refused(() -> new Status.Paused().checkDelete("c", false)));
    }

    @Test
    void pauseAndResume() {
        assertDoesNotThrow(() -> new Status.Running().checkPause(true));
        assertDoesNotThrow(() -> new Status.Paused().checkPause(false));
        assertEquals("container not running", refused(() -> new Status.Created().checkPause(true)));
        assertEquals("container not paused", refused(() -> new Status.Running().checkPause(false)));
    }

    @Test
    void wireNames() {
        for (String w : new String[] {"creating", "created", "running", "paused", "stopped"}) {
            assertEquals(w, Status.of(w, 3).wire());
        }
        assertEquals(3, ((Status.Stopped) Status.of("stopped", 3)).exitStatus());
        assertThrows(IllegalArgumentException.class, () -> Status.of("zombie", null));
    }
}
