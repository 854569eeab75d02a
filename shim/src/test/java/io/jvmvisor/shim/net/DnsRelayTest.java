package io.jvmvisor.shim.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jvmvisor.agent.v1.DnsQueriesRequest;
import io.jvmvisor.shim.agent.AgentClient;
import java.io.DataInputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both halves of the DNS relay without a VM: the agent in host mode listens on 127.0.0.1 (its own
 * network namespace, a free port), {@link DnsRelay} takes each query over the agent channel to a
 * {@link FakeDnsServer} standing in for docker's resolver, and the answer comes back to the client
 * that asked.
 */
class DnsRelayTest {
    private Process agentProcess;
    private AgentClient agent;
    private FakeDnsServer upstream;
    private int port;

    @BeforeEach
    void start(@TempDir Path dir) throws Exception {
        Path binary = Path.of(System.getProperty("jvmvisor.home", "..")).resolve("guest-agent/target/agent/jvmvisor-agent");
        assumeTrue(Files.isExecutable(binary), "no agent build at " + binary + " (mvn -pl guest-agent compile)");
        Path socket = dir.resolve("agent.sock");
        agentProcess = new ProcessBuilder(binary.toString(), "--listen", socket.toString(), "--debug")
                .redirectErrorStream(true).redirectOutput(dir.resolve("agent.log").toFile()).start();
        agent = AgentClient.connect("", socket, Duration.ofSeconds(10), agentProcess::isAlive);
        upstream = new FakeDnsServer();
        port = freePort();
    }

    @AfterEach
    void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (upstream != null) {
            upstream.close();
        }
        if (agentProcess != null) {
            agentProcess.destroy();
            agentProcess.waitFor(5, TimeUnit.SECONDS);
        }
    }

    private static int freePort() throws Exception {
        for (int i = 0; i < 20; i++) {
            try (ServerSocket t = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                 DatagramSocket _ = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), t.getLocalPort()))) {
                return t.getLocalPort();
            } catch (java.net.BindException e) {
                // taken for UDP: next
            }
        }
        throw new IllegalStateException("no free port");
    }

    private DnsRelay relay(DnsUpstream up) throws Exception {
        return DnsRelay.start(agent, DnsQueriesRequest.newBuilder().setAddress("127.0.0.1").setPort(port).build(), up,
                Duration.ofSeconds(10));
    }

    private byte[] askUdp(byte[] query) throws Exception {
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(8000);
            s.send(new DatagramPacket(query, query.length, InetAddress.getLoopbackAddress(), port));
            DatagramPacket p = new DatagramPacket(new byte[65535], 65535);
            s.receive(p);
            return java.util.Arrays.copyOf(p.getData(), p.getLength());
        }
    }

    @Test
    void udpAndPipelinedTcpQueriesAreAnsweredByTheUpstream() throws Exception {
        try (DnsRelay r = relay(new DnsUpstream(upstream.address(), Duration.ofSeconds(2)))) {
            assertEquals("127.0.0.1:" + port, r.listening());
            byte[] q = DnsTestMessages.query(0x1234, "web.test");
            byte[] a = askUdp(q);
            assertTrue(DnsMessages.answers(q, a));
            assertEquals("10.9.8.7", DnsTestMessages.address(a), "answered over UDP upstream");

            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                s.setSoTimeout(8000);
                var out = s.getOutputStream();
                for (int id = 1; id <= 3; id++) { // three queries at once on one connection
                    byte[] tq = DnsTestMessages.query(id, "db" + id + ".test");
                    out.write(new byte[] {0, (byte) tq.length});
                    out.write(tq);
                }
                DataInputStream in = new DataInputStream(s.getInputStream());
                java.util.Set<Integer> ids = new java.util.TreeSet<>();
                for (int i = 0; i < 3; i++) {
                    byte[] ta = in.readNBytes(in.readUnsignedShort());
                    assertEquals("10.9.8.6", DnsTestMessages.address(ta), "answered over TCP upstream");
                    ids.add(DnsMessages.id(ta));
                }
                assertEquals(java.util.Set.of(1, 2, 3), ids);
            }
            assertEquals(1, upstream.udpQueries.get());
            assertEquals(3, upstream.tcpQueries.get());
            assertEquals(4, r.answered());
        }
    }

    @Test
    void answersToOneClientComeBackInTheOrderOfItsQueries() throws Exception {
        try (DnsRelay _ = relay(new DnsUpstream(upstream.address(), Duration.ofSeconds(2)));
             DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(8000);
            // as busybox nslookup does: two questions with one ID; the first question's answer is slow upstream
            byte[] slow = DnsTestMessages.query(0x4242, "slow.test");
            byte[] fast = DnsTestMessages.query(0x4242, "fast.test");
            for (byte[] q : new byte[][] {slow, fast}) {
                s.send(new DatagramPacket(q, q.length, InetAddress.getLoopbackAddress(), port));
            }
            for (byte[] q : new byte[][] {slow, fast}) {
                DatagramPacket p = new DatagramPacket(new byte[512], 512);
                s.receive(p);
                assertEquals(new String(q, 12, q.length - 12, java.nio.charset.StandardCharsets.ISO_8859_1),
                        new String(p.getData(), 12, q.length - 12, java.nio.charset.StandardCharsets.ISO_8859_1),
                        "answers in the order of the questions");
            }
        }
    }

    @Test
    void anUpstreamThatDoesNotAnswerGivesServfailAtOnce() throws Exception {
        InetSocketAddress nobody;
        try (DatagramSocket d = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            nobody = (InetSocketAddress) d.getLocalSocketAddress();
        } // closed: UDP queries get ICMP port unreachable, TCP connections are refused
        try (DnsRelay r = relay(new DnsUpstream(nobody, Duration.ofMillis(300)))) {
            byte[] q = DnsTestMessages.query(77, "gone.test");
            long t0 = System.nanoTime();
            byte[] a = askUdp(q);
            assertEquals(2, DnsTestMessages.rcode(a), "SERVFAIL");
            assertEquals(77, DnsMessages.id(a));
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(4), "before the client's timeout");
            assertEquals(1, r.failed());
        }
    }

    @Test
    void closingTheRelayFreesThePortAndASecondRelayOnItIsRefused() throws Exception {
        DnsRelay r = relay(new DnsUpstream(upstream.address(), Duration.ofSeconds(2)));
        var e = assertThrows(AgentClient.AgentException.class, () -> relay(new DnsUpstream(upstream.address(), Duration.ofSeconds(2))));
        assertTrue(e.getMessage().contains("cannot start the DNS relay in the guest: a dns relay on 127.0.0.1:" + port
                + " is already open"), e.getMessage());
        r.close();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) { // the agent closes its sockets once it sees the cancel
            try (ServerSocket _ = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                break;
            } catch (java.net.BindException busy) {
                assertTrue(System.nanoTime() < deadline, "the agent still listens on " + port);
                Thread.sleep(20);
            }
        }
        try (DnsRelay _ = relay(new DnsUpstream(upstream.address(), Duration.ofSeconds(2)))) {
            assertEquals("10.9.8.7", DnsTestMessages.address(askUdp(DnsTestMessages.query(5, "again.test"))));
        }
    }
}
