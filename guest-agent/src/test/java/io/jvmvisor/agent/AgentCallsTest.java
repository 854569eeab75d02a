package io.jvmvisor.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Context;
import io.jvmvisor.agent.v1.OutputChunk;
import io.jvmvisor.agent.v1.PingRequest;
import io.jvmvisor.agent.v1.ReadOutputRequest;
import io.jvmvisor.agent.v1.StatsRequest;
import io.jvmvisor.agent.v1.WaitProcessRequest;
import io.jvmvisor.agent.v1.WaitProcessResponse;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server core's call machinery as the container handlers use it:
 * streaming with back-pressure, deferred answers, cancel hooks. Runs the
 * test build of the agent (make test-agent: the core with the handlers of
 * src/test/c/test_handlers.c).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentCallsTest {

    private AgentFixture agent;
    private HostAgentTarget target;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        Path out = Path.of("target/agent").toAbsolutePath();
        Process make = new ProcessBuilder("make", "-s", "-C", "src/main/c", "OUT=" + out, "test-agent")
                .redirectErrorStream(true).redirectOutput(dir.resolve("make.log").toFile()).start();
        assertTrue(make.waitFor(300, TimeUnit.SECONDS) && make.exitValue() == 0,
                () -> "make test-agent failed:\n" + read(dir.resolve("make.log")));
        target = HostAgentTarget.start(out.resolve("test-agent"), dir);
        agent = new AgentFixture(target);
    }

    @AfterAll
    void stop() {
        if (agent != null) {
            agent.close();
        }
    }

    private static String read(Path p) {
        try {
            return java.nio.file.Files.readString(p);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    private static void await(BooleanSupplier cond, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void largeStreamArrivesWholeWhileTheClientReadsSlowly() throws Exception {
        int total = 16 << 20;
        Iterator<OutputChunk> it = agent.blocking()
                .readOutput(ReadOutputRequest.newBuilder().setContainerId("stream:" + total + ":65536").build());
        Thread.sleep(500); // let the windows fill: the agent must wait for drains
        long rssWhileBlocked = agent.blocking().stats(StatsRequest.getDefaultInstance()).getAgentRssBytes();
        long got = 0;
        while (it.hasNext()) {
            var data = it.next().getData();
            for (int i = 0; i < data.size(); i += 4099) {
                assertEquals((byte) ((got + i) % 251), data.byteAt(i), "byte " + (got + i));
            }
            got += data.size();
        }
        assertEquals(total, got);
        // back-pressure: the agent did not queue the 16 MiB
        assertTrue(rssWhileBlocked < 12L << 20, "agent RSS while the client did not read: " + rssWhileBlocked);
    }

    @Test
    void deferredAnswerComesFromALaterEvent() {
        long t0 = System.nanoTime();
        WaitProcessResponse r = agent.blocking().waitProcess(WaitProcessRequest.newBuilder().setContainerId("sleep:300").build());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(42, r.getExitStatus());
        assertTrue(ms >= 300, "answered after " + ms + " ms");
    }

    @Test
    void manyDeferredCallsInterleave() {
        var futures = new java.util.ArrayList<com.google.common.util.concurrent.ListenableFuture<WaitProcessResponse>>();
        var stub = io.jvmvisor.agent.v1.AgentGrpc.newFutureStub(agent.channel()).withDeadlineAfter(20, TimeUnit.SECONDS);
        for (int i = 0; i < 50; i++) {
            futures.add(stub.waitProcess(WaitProcessRequest.newBuilder().setContainerId("sleep:" + (200 - 3 * i)).build()));
        }
        for (var f : futures) {
            assertEquals(42, com.google.common.util.concurrent.Futures.getUnchecked(f).getExitStatus());
        }
    }

    @Test
    void clientCancelRunsTheCancelHook() throws Exception {
        int before = count("test: wait cancelled");
        Context.CancellableContext ctx = Context.current().withCancellation();
        ctx.run(() -> agent.async().waitProcess(WaitProcessRequest.newBuilder().setContainerId("sleep:60000").build(),
                new io.grpc.stub.StreamObserver<>() {
                    @Override public void onNext(WaitProcessResponse v) { }
                    @Override public void onError(Throwable t) { }
                    @Override public void onCompleted() { }
                }));
        Thread.sleep(200);
        ctx.cancel(null);
        await(() -> count("test: wait cancelled") == before + 1, "the cancel hook");
        agent.blocking().ping(PingRequest.getDefaultInstance());
    }

    @Test
    void droppedConnectionCancelsEveryOpenCall() throws Exception {
        int waits = count("test: wait cancelled");
        int streams = count("test: stream cancelled");
        for (int i = 0; i < 3; i++) {
            agent.async().waitProcess(WaitProcessRequest.newBuilder().setContainerId("sleep:60000").build(), sink());
        }
        agent.async().readOutput(ReadOutputRequest.newBuilder().setContainerId("stream:1000000000:65536").build(), sink());
        Thread.sleep(500);
        agent.disconnect();
        await(() -> count("test: wait cancelled") == waits + 3 && count("test: stream cancelled") == streams + 1,
                "3 wait and 1 stream cancel hooks");
        agent.blocking().ping(PingRequest.getDefaultInstance());
        assertTrue(target.isAlive());
    }

    private static <T> io.grpc.stub.StreamObserver<T> sink() {
        return new io.grpc.stub.StreamObserver<>() {
            @Override public void onNext(T v) { }
            @Override public void onError(Throwable t) { }
            @Override public void onCompleted() { }
        };
    }

    private int count(String what) {
        List<String> lines = target.log().lines().filter(l -> l.contains(what)).toList();
        return lines.size();
    }
}
