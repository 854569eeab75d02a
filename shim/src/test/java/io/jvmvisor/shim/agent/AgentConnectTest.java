package io.jvmvisor.shim.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link AgentClient#connect} across a slow boot, without a VM: the real agent in host mode behind
 * a socket that, like QEMU's virtio-serial chardev before the guest opened its port, accepts a
 * connection but passes nothing on for a while. The client must wait on its one connection: a
 * reconnect during a boot is what leaves the guest a stale disconnect event.
 */
class AgentConnectTest {
    private Process agentProcess;
    private ServerSocketChannel front;

    @AfterEach
    void stop() throws Exception {
        if (front != null) {
            front.close();
        }
        if (agentProcess != null) {
            agentProcess.destroy();
            agentProcess.waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aSlowBootIsWaitedForOnOneConnection(@TempDir Path dir) throws Exception {
        Path binary = Path.of(System.getProperty("jvmvisor.home", "..")).resolve("guest-agent/target/agent/jvmvisor-agent");
        assumeTrue(Files.isExecutable(binary), "skipped: no agent build at " + binary + " (mvn -pl guest-agent compile)");
        Path agentSocket = dir.resolve("agent.sock");
        agentProcess = new ProcessBuilder(binary.toString(), "--listen", agentSocket.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("agent.log").toFile()).start();
        for (int i = 0; i < 500 && !Files.exists(agentSocket); i++) {
            Thread.sleep(10);
        }
        Path frontSocket = dir.resolve("front.sock");
        front = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        front.bind(UnixDomainSocketAddress.of(frontSocket));
        AtomicInteger accepted = new AtomicInteger();
        long silenceMillis = 3500; // longer than one Ping's 2 s deadline
        Thread.ofPlatform().daemon().start(() -> {
            try {
                while (true) {
                    SocketChannel host = front.accept();
                    accepted.incrementAndGet();
                    Thread.ofPlatform().daemon().start(() -> relayAfter(host, agentSocket, silenceMillis));
                }
            } catch (IOException e) {
                // closed by the test
            }
        });

        long t0 = System.nanoTime();
        try (AgentClient c = AgentClient.connect("c", frontSocket, Duration.ofSeconds(20), agentProcess::isAlive)) {
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(waited >= silenceMillis - 100, "answered after " + waited + " ms, before the channel passed anything on");
            c.ping();
        }
        assertEquals(1, accepted.get(), "connections made while the agent was silent");
    }

    /** Holds the host's bytes for {@code millis}, then pipes both ways to the agent. */
    private static void relayAfter(SocketChannel host, Path agentSocket, long millis) {
        try (host; SocketChannel agent = SocketChannel.open(UnixDomainSocketAddress.of(agentSocket))) {
            Thread.sleep(millis);
            Thread back = Thread.ofPlatform().daemon().start(() -> pipe(agent, host));
            pipe(host, agent);
            back.join(1000);
        } catch (IOException | InterruptedException e) {
            // the test ended
        }
    }

    private static void pipe(SocketChannel from, SocketChannel to) {
        ByteBuffer b = ByteBuffer.allocate(16384);
        try {
            while (from.read(b) >= 0) {
                b.flip();
                while (b.hasRemaining()) {
                    to.write(b);
                }
                b.clear();
            }
            to.shutdownOutput();
        } catch (IOException e) {
            // one side closed
        }
    }
}
