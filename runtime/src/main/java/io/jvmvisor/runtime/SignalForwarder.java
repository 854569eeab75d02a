package io.jvmvisor.runtime;

import io.jvmvisor.sys.ErrnoException;
import io.jvmvisor.sys.Libc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.IntConsumer;

/**
 * Forwards the signals a foreground {@code exec} or {@code run} receives to its process in the
 * guest, as runc does: HUP, INT, QUIT, USR1, USR2, TERM, WINCH. bin/jvmvisor starts the JVM for
 * these commands with the signals blocked in every thread ({@code env --block-signal}, {@code -Xrs},
 * the JVM's own suspend signal moved off SIGUSR2), so none of them ends the CLI; a thread reads
 * them from a signalfd. Signals that arrived before the forwarder started stay pending and are
 * forwarded then. Without that start-up (the CLI run in-process) nothing is forwarded.
 */
final class SignalForwarder {
    /** The signals forwarded (runc forwards every signal; these are the ones a terminal or a supervisor sends). */
    static final int[] SIGNALS = {1, 2, 3, 10, 12, 15, 28};

    private SignalForwarder() {
    }

    /** True if every forwarded signal is blocked in this thread (and so, from bin/jvmvisor, in all). */
    static boolean blocked() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/thread-self/status"))) {
                if (line.startsWith("SigBlk:")) {
                    long mask = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                    for (int s : SIGNALS) {
                        if ((mask & (1L << (s - 1))) == 0) {
                            return false;
                        }
                    }
                    return true;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // no /proc: nothing forwarded
        }
        return false;
    }

    /** Starts forwarding to {@code forward} (on a daemon thread); false if the signals are not blocked here. */
    static boolean start(IntConsumer forward, ErrorLog log) {
        if (!blocked()) {
            log.debug("signals are not blocked: not forwarding them (start the CLI through bin/jvmvisor)");
            return false;
        }
        int fd;
        try {
            fd = Libc.get().signalfd(SIGNALS);
        } catch (ErrnoException e) {
            log.warn("cannot forward signals: " + e.getMessage());
            return false;
        }
        Thread.ofPlatform().daemon().name("signals").stackSize(256 << 10).start(() -> {
            while (true) {
                int sig;
                try {
                    sig = Libc.get().readSignal(fd);
                } catch (ErrnoException e) {
                    log.warn("signal forwarding stopped: " + e.getMessage());
                    return;
                }
                log.debug("forwarding signal " + sig);
                forward.accept(sig);
            }
        });
        return true;
    }
}
