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
            // many clients at once
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

    @Test
    void socketIsPrivateAndOnlyAllowedPeersGetAnAnswer(@TempDir Path stateDir) throws Exception {
        Path sock = stateDir.resolve(ControlClient.SOCKET_NAME);
        try (ControlServer open = ControlServer.listen(sock, (req, answer) -> answer.send(ControlResponse.success()))) {
            assertEquals(sock, open.socket());
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));
            assertTrue(ControlClient.call(stateDir, ControlRequest.of(ControlRequest.Op.STATE)).ok(), "root and the owner may");
        }
        long self = ProcessHandle.current().pid();
        var seen = new java.util.concurrent.atomic.AtomicReference<io.jvmvisor.sys.Libc.PeerCred>();
        try (ControlServer strict = ControlServer.listen(sock, (req, answer) -> answer.send(ControlResponse.success()),
                p -> {
                    seen.set(p);
                    return false; // as for a uid that is neither root nor the owner
                })) {
            assertEquals(sock, strict.socket());
            ControlResponse r = ControlClient.call(stateDir, ControlRequest.of(ControlRequest.Op.STATE));
            assertFalse(r.ok());
            assertEquals("PERMISSION_DENIED", r.code());
            assertEquals(self, seen.get().pid(), "SO_PEERCRED names the connecting process");
        }
    }

    /**
     * A refused client gets its answer even when the shim closes the connection before the request
     * is all written (a request larger than the socket's buffer: the write fails with EPIPE).
     */
    @Test
    void aRefusedClientGetsTheAnswerNotABrokenPipe(@TempDir Path stateDir) throws Exception {
        Path sock = stateDir.resolve(ControlClient.SOCKET_NAME);
        try (ControlServer strict = ControlServer.listen(sock, (req, answer) -> answer.send(ControlResponse.success()),
                p -> false)) {
            String big = "x".repeat(ControlServer.MAX_REQUEST / 2);
            ControlRequest req = new ControlRequest(ControlRequest.Op.MOUNT.wire, null, null, null, null, null, null, null,
                    null, null, null, null, big, "/mnt", null, null);
            ControlResponse r = ControlClient.call(stateDir, req);
            assertFalse(r.ok());
            assertEquals("PERMISSION_DENIED", r.code());
            assertEquals(sock, strict.socket());
        }
    }

    @Test
    void descriptorsSentWithTheRequestReachTheHandler(@TempDir Path stateDir) throws Exception {
        Path sock = stateDir.resolve(ControlClient.SOCKET_NAME);
        Path out = Files.writeString(stateDir.resolve("out.txt"), "before\n");
        ControlServer.Handler handler = (req, answer) -> {
            var fds = answer.takeFds();
            answer.send(ControlResponse.pid(fds.size()));
            byte[] b = ("pid " + answer.peer().pid() + "\n").getBytes();
            fds.getFirst().write(b, 0, b.length);
            for (var f : fds) {
                f.close();
            }
            answer.send(ControlResponse.exited(0));
        };
        try (ControlServer server = ControlServer.listen(sock, handler)) {
            assertEquals(sock, server.socket());
            int fd = io.jvmvisor.sys.Libc.get().open(out.toString(), io.jvmvisor.sys.Libc.O_WRONLY | 0x400 /* O_APPEND */);
            try (var f = new io.jvmvisor.sys.Fd(fd);
                 ControlClient c = ControlClient.sendWithFds(stateDir, ControlRequest.exec("e", null, 1, null),
                         f.value(), f.value(), f.value())) {
                assertEquals(3L, c.next().pid());
                assertEquals(0, c.next().exitStatus());
            }
        }
        assertEquals("before\npid " + ProcessHandle.current().pid() + "\n", Files.readString(out), "appended, not overwritten");
    }

    @Test
    void hangupIsNoticed(@TempDir Path stateDir) throws Exception {
        Path sock = stateDir.resolve(ControlClient.SOCKET_NAME);
        var hungUp = new java.util.concurrent.CountDownLatch(1);
        ControlServer.Handler handler = (req, answer) -> {
            answer.send(ControlResponse.pid(1));
            try {
                if (!answer.hangup().get(10, java.util.concurrent.TimeUnit.SECONDS)) {
                    hungUp.countDown(); // went away without a word
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        try (ControlServer server = ControlServer.listen(sock, handler)) {
            assertEquals(sock, server.socket());
            try (ControlClient c = ControlClient.connect(stateDir)) {
                assertEquals(1L, c.call(ControlRequest.of(ControlRequest.Op.STATE)).pid());
            }
            assertTrue(hungUp.await(10, java.util.concurrent.TimeUnit.SECONDS));
        }
    }
}
