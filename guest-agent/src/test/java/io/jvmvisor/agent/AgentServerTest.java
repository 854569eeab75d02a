package io.jvmvisor.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.jvmvisor.agent.v1.PingRequest;
import io.jvmvisor.agent.v1.PingResponse;
import io.jvmvisor.agent.v1.StatsRequest;
import io.jvmvisor.agent.v1.StatsResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's gRPC server seen from grpc-java: system RPCs, errors, broken
 * and malformed connections. Runs against the host-mode agent; a subclass
 * runs the same tests against the agent in a VM by overriding {@link #startTarget}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public class AgentServerTest {

    protected AgentFixture agent;

    /** The agent under test; host mode here. */
    protected AgentTarget startTarget(Path dir) throws Exception {
        return HostAgentTarget.start(dir);
    }

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        agent = new AgentFixture(startTarget(dir));
    }

    @AfterAll
    void stop() throws Exception {
        if (agent != null) {
            // the agent's last words, for the surefire report
            var lines = agent.target().log().lines().filter(l -> l.contains("jvmvisor-agent")).toList();
            lines.subList(Math.max(0, lines.size() - 60), lines.size()).forEach(System.out::println);
            agent.close();
        }
    }

    @Test
    void pingReportsVersionChannelAndReadyTime() {
        PingResponse r = agent.blocking().ping(PingRequest.getDefaultInstance());
        assertEquals("0.1.0", r.getVersion());
        assertEquals(agent.target().channel(), r.getChannel());
        assertTrue(r.getReadyBoottimeNs() > 0, "ready time " + r.getReadyBoottimeNs());
        assertTrue(r.getBoottimeNs() >= r.getReadyBoottimeNs(), r.toString());
    }

    @Test
    void statsReportsMemoryCpuAndAgentRss() {
        StatsResponse s = agent.blocking().stats(StatsRequest.getDefaultInstance());
        assertTrue(s.getMemTotalBytes() > 0, s.toString());
        assertTrue(s.getMemAvailableBytes() <= s.getMemTotalBytes(), s.toString());
        assertTrue(s.getMemFreeBytes() <= s.getMemTotalBytes(), s.toString());
        assertTrue(s.getCpus() >= 1, s.toString());
        assertTrue(s.getAgentRssBytes() > 0 && s.getAgentRssBytes() < 64L << 20, s.toString());
        assertTrue(s.getUptimeNs() > 0, s.toString());
        assertEquals(0, s.getPids());
    }

    @Test
    void unknownMethodIsUnimplemented() {
        var e = assertThrows(StatusRuntimeException.class, () -> rawCall("NoSuchMethod", new byte[0]));
        assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("NoSuchMethod"), e.getStatus().toString());
        assertPings();
    }

    @Test
    void undecodableMessageIsInvalidArgument() {
        // field 1 (container_id), length 16, but only 1 byte follows
        var e = assertThrows(StatusRuntimeException.class, () -> rawCall("Stats", new byte[] {0x0a, 0x10, 0x41}));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("StatsRequest"), e.getStatus().toString());
        assertPings();
    }

    @Test
    void compressedMessageIsRefused() {
        var e = assertThrows(StatusRuntimeException.class,
                () -> agent.blocking().withCompression("gzip")
                        .stats(StatsRequest.newBuilder().setContainerId("c".repeat(100)).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("compress"), e.getStatus().toString());
        assertPings();
    }

    @Test
    void oversizedMessageIsResourceExhausted() {
        String big = "x".repeat(5 << 20);
        var e = assertThrows(StatusRuntimeException.class,
                () -> agent.blocking().stats(StatsRequest.newBuilder().setContainerId(big).build()));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
        assertPings();
    }

    @Test
    void garbageOnTheConnectionEndsItAndTheAgentServesTheNextOne() throws Exception {
        agent.disconnect();
        try (SocketChannel raw = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            raw.connect(UnixDomainSocketAddress.of(agent.target().socket()));
            raw.write(ByteBuffer.wrap("GET / HTTP/1.1\r\nHost: x\r\n\r\n\u0000\u00ff garbage".getBytes(StandardCharsets.ISO_8859_1)));
            if (agent.target().agentClosesConnections()) {
                assertTrue(readsUntilEof(raw), "the agent should close a connection that is not HTTP/2");
            }
        }
        assertPings();
        assertTrue(agent.target().isAlive());
    }

    @Test
    void malformedFramesAfterAValidPrefaceEndTheConnection() throws Exception {
        agent.disconnect();
        try (SocketChannel raw = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            raw.connect(UnixDomainSocketAddress.of(agent.target().socket()));
            ByteBuffer b = ByteBuffer.allocate(64);
            b.put("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            // a SETTINGS frame whose length is not a multiple of 6 (FRAME_SIZE_ERROR)
            b.put(new byte[] {0, 0, 5, 4, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5});
            // a DATA frame on stream 0 (PROTOCOL_ERROR)
            b.put(new byte[] {0, 0, 1, 0, 0, 0, 0, 0, 0, 7});
            b.flip();
            raw.write(b);
            if (agent.target().agentClosesConnections()) {
                assertTrue(readsUntilEof(raw), "the agent should end a connection with bad frames");
            }
        }
        assertPings();
    }

    @Test
    void reconnectingWorks() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertPings();
            agent.disconnect();
        }
        assertPings();
    }

    /**
     * A client that connects to an agent that is ready and idle (no host connected for a while: a late
     * connect, as after a VM restore) is answered on its first connection: the agent takes the whole
     * client preface, so the first Ping succeeds without a retry, well within the shim's 2 s per try.
     */
    @Test
    void lateConnectIsAnsweredOnTheFirstTry() throws Exception {
        for (int i = 0; i < 2; i++) {
            agent.disconnect();
            Thread.sleep(500);
            long t0 = System.nanoTime();
            PingResponse r = agent.blocking().withDeadlineAfter(5, TimeUnit.SECONDS).ping(PingRequest.getDefaultInstance());
            assertFalse(r.getVersion().isEmpty());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.println("late connect " + i + ": first Ping answered after " + ms + " ms");
        }
    }

    @Test
    void concurrentCallsAllComplete() throws Exception {
        List<CompletableFuture<Object>> calls = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            var f = new CompletableFuture<Object>();
            var observer = new io.grpc.stub.StreamObserver<Object>() {
                @Override public void onNext(Object v) { f.complete(v); }
                @Override public void onError(Throwable t) { f.completeExceptionally(t); }
                @Override public void onCompleted() { f.complete(null); }
            };
            if (i % 2 == 0) {
                agent.async().ping(PingRequest.getDefaultInstance(), cast(observer));
            } else {
                agent.async().stats(StatsRequest.getDefaultInstance(), cast(observer));
            }
            calls.add(f);
        }
        for (var f : calls) {
            Object v = f.get(AgentFixture.DEADLINE_SECONDS, TimeUnit.SECONDS);
            assertTrue(v instanceof PingResponse || v instanceof StatsResponse, String.valueOf(v));
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> io.grpc.stub.StreamObserver<T> cast(io.grpc.stub.StreamObserver<Object> o) {
        return (io.grpc.stub.StreamObserver<T>) (io.grpc.stub.StreamObserver<?>) o;
    }

    protected void assertPings() {
        PingResponse r = agent.blocking().ping(PingRequest.getDefaultInstance());
        assertFalse(r.getVersion().isEmpty());
    }

    /** Reads (discarding the agent's SETTINGS/GOAWAY) until EOF; false on a 10 s timeout. */
    private static boolean readsUntilEof(SocketChannel raw) throws IOException, InterruptedException {
        raw.configureBlocking(false);
        ByteBuffer buf = ByteBuffer.allocate(4096);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            buf.clear();
            int n;
            try {
                n = raw.read(buf);
            } catch (IOException e) {
                return true; // reset by the agent
            }
            if (n < 0) {
                return true;
            }
            if (n == 0) {
                Thread.sleep(10);
            }
        }
        return false;
    }

    private byte[] rawCall(String method, byte[] body) {
        MethodDescriptor<byte[], byte[]> md = MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(MethodDescriptor.generateFullMethodName("jvmvisor.agent.v1.Agent", method))
                .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
        return ClientCalls.blockingUnaryCall(agent.channel(), md,
                CallOptions.DEFAULT.withDeadlineAfter(AgentFixture.DEADLINE_SECONDS, TimeUnit.SECONDS), body);
    }

    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    };
}
