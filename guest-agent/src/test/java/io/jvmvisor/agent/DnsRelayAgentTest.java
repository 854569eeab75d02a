package io.jvmvisor.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.jvmvisor.agent.v1.AgentGrpc;
import io.jvmvisor.agent.v1.DnsAnswerRequest;
import io.jvmvisor.agent.v1.DnsQueriesRequest;
import io.jvmvisor.agent.v1.DnsQuery;
import io.jvmvisor.agent.v1.OutputStream;
import java.io.ByteArrayOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The agent's half of the DNS relay (DnsQueries, DnsAnswer) with the test standing in for the
 * shim: queries from a process in the container's own network namespace, and the bounds on what
 * a guest can feed it (query size, queries in flight, timeouts).
 */
public class DnsRelayAgentTest extends ContainerTestBase {

    /** An open DnsQueries stream: what it delivered, and how to end it. */
    private final class Relay implements AutoCloseable {
        final BlockingQueue<DnsQuery> queries = new LinkedBlockingQueue<>();
        final Context.CancellableContext ctx = Context.current().withCancellation();
        volatile Throwable error;
        final String listening;

        Relay(DnsQueriesRequest req, Function<DnsQuery, byte[]> answer) throws Exception {
            var first = new java.util.concurrent.CompletableFuture<String>();
            ctx.run(() -> AgentGrpc.newStub(agent.channel()).dnsQueries(req, new StreamObserver<>() {
                @Override
                public void onNext(DnsQuery q) {
                    if (q.getId() == 0) {
                        first.complete(q.getListening());
                        return;
                    }
                    queries.add(q);
                    byte[] a = answer == null ? null : answer.apply(q);
                    if (a != null) {
                        Thread.ofVirtual().start(() -> agent.blocking().dnsAnswer(DnsAnswerRequest.newBuilder()
                                .setId(q.getId()).setData(ByteString.copyFrom(a)).build()));
                    }
                }

                @Override
                public void onError(Throwable t) {
                    error = t;
                    first.completeExceptionally(t);
                }

                @Override
                public void onCompleted() {
                    first.completeExceptionally(new AssertionError("stream ended"));
                }
            }));
            listening = first.get(20, TimeUnit.SECONDS);
        }

        @Override
        public void close() {
            ctx.cancel(null);
        }
    }

    static byte[] query(int id, String name) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[] {(byte) (id >> 8), (byte) id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0});
        for (String label : name.split("\\.")) {
            b.write(label.length());
            b.writeBytes(label.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        b.writeBytes(new byte[] {0, 0, 1, 0, 1});
        return b.toByteArray();
    }

    /** An answer with one A record, 10.1.2.3. */
    static byte[] answer(byte[] q) {
        byte[] r = Arrays.copyOf(q, q.length + 16);
        r[2] = (byte) (0x80 | q[2] & 0x79);
        r[3] = (byte) 0x80;
        r[7] = 1;
        byte[] rr = {(byte) 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 1, 2, 3};
        System.arraycopy(rr, 0, r, q.length, rr.length);
        return r;
    }

    private static int freePort() throws Exception {
        for (int i = 0; i < 20; i++) {
            try (ServerSocket t = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                 DatagramSocket _ = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), t.getLocalPort()))) {
                return t.getLocalPort();
            } catch (java.net.BindException e) {
                // next
            }
        }
        throw new IllegalStateException("no free port");
    }

    @Test
    void nslookupInTheContainersNamespaceIsAnsweredByTheHost() throws Exception {
        ctr.create("dns", spec("sleep"));
        try (Relay r = new Relay(DnsQueriesRequest.newBuilder().setContainerId("dns").build(), q -> answer(q.getData().toByteArray()))) {
            assertEquals("127.0.0.11:53", r.listening);
            ctr.start("dns");
            ctr.exec("dns", "q", shell("nslookup web.test 127.0.0.11").build());
            String out = ctr.read("dns", "q", OutputStream.STDOUT);
            assertEquals(0, ctr.exitStatus("dns", "q"), out);
            assertTrue(out.contains("Address: 10.1.2.3"), out);
            DnsQuery q = r.queries.poll(1, TimeUnit.SECONDS);
            assertTrue(q != null && !q.getTcp() && q.getData().size() > 12, "the query reached the host: " + q);
            // the relay listens in the container's namespace, not the agent's
            try (DatagramSocket s = new DatagramSocket()) {
                s.setSoTimeout(300);
                byte[] probe = query(9, "web.test");
                s.send(new DatagramPacket(probe, probe.length, InetAddress.getByName("127.0.0.11"), 53));
                assertThrows(java.io.IOException.class, () -> s.receive(new DatagramPacket(new byte[512], 512)));
            }
        }
    }

    @Test
    void queriesInFlightAreCappedAndForgottenAfterTheirTimeout() throws Exception {
        int port = freePort();
        try (Relay r = new Relay(DnsQueriesRequest.newBuilder().setAddress("127.0.0.1").setPort(port).build(), null);
             DatagramSocket s = new DatagramSocket()) {
            InetSocketAddress to = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
            s.send(new DatagramPacket(new byte[5], 5, to)); // shorter than a DNS header: dropped
            for (int i = 1; i <= 200; i++) {
                byte[] q = query(i, "n" + i + ".test");
                s.send(new DatagramPacket(q, q.length, to));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (r.queries.size() < 128 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            Thread.sleep(300);
            assertEquals(128, r.queries.size(), "at most 128 queries wait for an answer");
            long firstId = r.queries.peek().getId();
            Thread.sleep(6000); // past the 5 s a query may wait
            var e = assertThrows(StatusRuntimeException.class, () -> agent.blocking()
                    .dnsAnswer(DnsAnswerRequest.newBuilder().setId(firstId).setData(ByteString.copyFrom(new byte[12])).build()));
            assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
            byte[] q = query(500, "later.test");
            s.send(new DatagramPacket(q, q.length, to));
            DnsQuery later = null;
            for (DnsQuery x = r.queries.poll(5, TimeUnit.SECONDS); x != null; x = r.queries.poll(1, TimeUnit.SECONDS)) {
                later = x;
                if (x.getId() > firstId + 200) {
                    break;
                }
            }
            assertTrue(later != null && Arrays.equals(q, later.getData().toByteArray()), "forwarded again once the old ones timed out");
        }
    }

    @Test
    void tcpAnswersComeBackFramedAndABadFrameClosesTheConnection() throws Exception {
        int port = freePort();
        try (Relay r = new Relay(DnsQueriesRequest.newBuilder().setAddress("127.0.0.1").setPort(port).build(),
                q -> answer(q.getData().toByteArray()))) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                s.setSoTimeout(10000);
                byte[] q = query(42, "tcp.test");
                s.getOutputStream().write(new byte[] {0, (byte) q.length});
                s.getOutputStream().write(q);
                var in = new java.io.DataInputStream(s.getInputStream());
                byte[] a = in.readNBytes(in.readUnsignedShort());
                assertEquals(42, (a[0] & 0xff) << 8 | (a[1] & 0xff));
                assertTrue(r.queries.poll(1, TimeUnit.SECONDS).getTcp());
                s.getOutputStream().write(new byte[] {0, 3, 1, 2, 3}); // 3 bytes: no DNS message
                assertEquals(-1, s.getInputStream().read(), "the agent closed the connection");
            }
            var e = assertThrows(StatusRuntimeException.class, () -> agent.blocking().dnsQueries(
                    DnsQueriesRequest.newBuilder().setAddress("127.0.0.1.5").build()).next());
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        }
    }
}
