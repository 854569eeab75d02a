package io.jvmvisor.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.jvmvisor.agent.v1.OutputChunk;
import io.jvmvisor.agent.v1.OutputStream;
import io.jvmvisor.agent.v1.ReadOutputRequest;
import io.jvmvisor.agent.v1.ResizeTtyRequest;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A terminal through the container's devpts, and output streams that are cancelled and resumed. */
public class ContainerTtyTest extends ContainerTestBase {

    /** Collects a stream as text; done when the agent ends it. */
    static final class Collector implements ClientResponseObserver<ReadOutputRequest, OutputChunk> {
        final StringBuffer text = new StringBuffer();
        final CompletableFuture<String> done = new CompletableFuture<>();
        final CountDownLatch first = new CountDownLatch(1);
        volatile ClientCallStreamObserver<ReadOutputRequest> call;

        @Override
        public void beforeStart(ClientCallStreamObserver<ReadOutputRequest> requestStream) {
            call = requestStream;
        }

        @Override
        public void onNext(OutputChunk chunk) {
            text.append(chunk.getData().toString(StandardCharsets.UTF_8));
            first.countDown();
        }

        @Override
        public void onError(Throwable t) {
            done.completeExceptionally(t);
        }

        @Override
        public void onCompleted() {
            done.complete(text.toString());
        }

        void awaitText(String expected) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(AgentFixture.DEADLINE_SECONDS);
            while (!text.toString().contains(expected)) {
                assertTrue(System.nanoTime() < deadline, "no \"" + expected + "\" in: " + text);
                Thread.sleep(20);
            }
        }
    }

    Collector read(String id, String execId, OutputStream stream) {
        Collector c = new Collector();
        agent.async().readOutput(ContainerClient.output(id, execId, stream), c);
        return c;
    }

    @Test
    void terminalOutputResizeAndExit() throws Exception {
        ctr.create("tty", spec("tty"));
        ctr.start("tty");
        Collector out = read("tty", "", OutputStream.STDOUT);
        // a tty has one output: stderr ends at once, empty
        assertEquals("", ctr.read("tty", "", OutputStream.STDERR));
        ctr.write("tty", "", "tty; stty size\n");
        out.awaitText("/dev/pts/0");
        out.awaitText("24 80");
        agent.blocking().resizeTty(ResizeTtyRequest.newBuilder().setContainerId("tty").setRows(30).setCols(100)
                .build());
        ctr.write("tty", "", "stty size\n");
        out.awaitText("30 100");
        ctr.closeStdin("tty", ""); // harmless with a tty
        ctr.write("tty", "", "exit 3\n");
        assertEquals(3, ctr.exitStatus("tty", ""));
        String all = out.done.get(AgentFixture.DEADLINE_SECONDS, TimeUnit.SECONDS);
        assertTrue(all.contains("\r\n"), "the pty translates newlines: " + all);
    }

    @Test
    void execWithTerminal() {
        ctr.create("ttyexec", spec("sleep"));
        ctr.start("ttyexec");
        ctr.exec("ttyexec", "t", shell("tty; stty size").setTerminal(true).setConsoleRows(40).setConsoleCols(120)
                .build());
        String out = ctr.read("ttyexec", "t", OutputStream.STDOUT);
        assertEquals(0, ctr.exitStatus("ttyexec", "t"));
        assertTrue(out.matches("(?s)/dev/pts/\\d+\r\n40 120\r\n"), out);
    }

    @Test
    void cancelledReadDoesNotKillTheProcessAndTheNextReadResumes() throws Exception {
        ctr.create("slow", script("i=0; while [ $i -lt 20 ]; do echo line$i; i=$((i+1)); sleep 0.1; done"));
        ctr.start("slow");
        Collector first = read("slow", "", OutputStream.STDOUT);
        assertTrue(first.first.await(AgentFixture.DEADLINE_SECONDS, TimeUnit.SECONDS));
        first.call.cancel("test", null);
        Thread.sleep(200);
        String rest = ctr.stdout("slow");
        assertEquals(0, ctr.exitStatus("slow", ""));
        assertTrue(rest.endsWith("line19\n"), rest);
        String both = first.text + rest;
        for (int i = 0; i < 20; i++) {
            assertTrue(both.contains("line" + i + "\n"), both);
        }
    }
}
