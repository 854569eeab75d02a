package io.jvmvisor.shim.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ControlServerTest {
    @Test
    void answersOneLinePerRequestAndTwoForExec(@TempDir Path stateDir) throws Exception {
        ControlServer.Handler handler = (req, answer) -> {
            switch (ControlRequest.Op.of(req.op())) {
                case STATE -> answer.send(ControlResponse.state("created", null));
                case KILL -> answer.send(req.signal() == 9
                        ? ControlResponse.success()
                        : ControlResponse.failure(ControlResponse.ErrorCode.INVALID_ARGUMENT, "signal " + req.signal()));
                case EXEC -> {
                    answer.send(ControlResponse.pid(42));
                    answer.send(ControlResponse.exited(3));
                }
                default -> answer.send(ControlResponse.failure(ControlResponse.ErrorCode.NOT_FOUND, req.op()));
            }
        };
        Path sock = stateDir.resolve(ControlClient.SOCKET_NAME);
        try (ControlServer server = ControlServer.listen(sock, handler)) {
            assertEquals(sock, server.socket());
            assertEquals("created", ControlClient.call(stateDir, ControlRequest.of(ControlRequest.Op.STATE)).status());
            assertTrue(ControlClient.call(stateDir, ControlRequest.kill(9, false)).ok());
            ControlResponse bad = ControlClient.call(stateDir, ControlRequest.kill(99, false));
            assertFalse(bad.ok());
            assertEquals("INVALID_ARGUMENT", bad.code());
            assertEquals("signal 99", bad.error());
            try (ControlClient c = ControlClient.connect(stateDir)) {
                assertEquals(42L, c.call(ControlRequest.exec("e1", null, 1, null)).pid());
                assertEquals(3, c.next().exitStatus());
            }
            // many clients at once, each on its own virtual thread
            var threads = new java.util.ArrayList<Thread>();
            var failures = new java.util.concurrent.atomic.AtomicInteger();
            for (int i = 0; i < 20; i++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        if (!ControlClient.call(stateDir, ControlRequest.of(ControlRequest.Op.STATE)).ok()) {
                            failures.incrementAndGet();
                        }
                    } catch (IOException e) {
                        failures.incrementAndGet();
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            assertEquals(0, failures.get());
        }
        assertFalse(Files.exists(sock), "closing the server removes its socket");
        assertThrows(IOException.class, () -> ControlClient.call(stateDir, ControlRequest.of(ControlRequest.Op.STATE)));
    }

    @Test
    void garbageGetsAnInvalidArgumentAnswer(@TempDir Path stateDir) throws Exception {
        Path sock = stateDir.resolve(ControlClient.SOCKET_NAME);
        try (ControlServer server = ControlServer.listen(sock, (req, answer) -> answer.send(ControlResponse.success()));
             var ch = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(sock))) {
            assertEquals(sock, server.socket());
            ch.write(java.nio.ByteBuffer.wrap("{\"op\":\"explode\"}\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(java.nio.channels.Channels.newInputStream(ch),
                    java.nio.charset.StandardCharsets.UTF_8));
            String line = in.readLine();
            assertTrue(line.contains("INVALID_ARGUMENT") && line.contains("explode"), line);
        }
    }
}
