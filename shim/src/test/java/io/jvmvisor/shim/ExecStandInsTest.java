package io.jvmvisor.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jvmvisor.sys.Libc;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The host stand-in of a detached exec, without a VM: its signals and its exit status. */
class ExecStandInsTest {
    /**
     * A signal sent as soon as the stand-in's PID is known (containerd may signal an exec at once)
     * is caught and reported, never the end of the stand-in; the status written to it is its exit.
     */
    @Test
    void aSignalSentOnceThePidIsKnownIsCaught() throws Exception {
        for (int round = 0; round < 3; round++) {
            ExecStandIns.StandIn s = ExecStandIns.start("c", "e" + round);
            ProcessHandle h = ProcessHandle.of(s.pid()).orElseThrow();
            try {
                Libc.get().kill((int) s.pid(), 15);
                assertEquals("15", s.signals().readLine(), "round " + round);
                byte[] status = "7\n".getBytes(StandardCharsets.US_ASCII);
                Libc.get().write(s.exit().value(), status, 0, status.length);
                h.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
                assertEquals(false, h.isAlive());
            } finally {
                ExecStandIns.kill(s);
                s.exit().close();
            }
        }
    }
}
