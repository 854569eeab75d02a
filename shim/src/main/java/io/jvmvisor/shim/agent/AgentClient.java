package io.jvmvisor.shim.agent;

import com.google.protobuf.ByteString;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.StreamObserver;
import io.jvmvisor.agent.v1.AgentGrpc;
import io.jvmvisor.agent.v1.ContainerSpec;
import io.jvmvisor.agent.v1.CreateContainerRequest;
import io.jvmvisor.agent.v1.DnsAnswerRequest;
import io.jvmvisor.agent.v1.DnsQueriesRequest;
import io.jvmvisor.agent.v1.DnsQuery;
import io.jvmvisor.agent.v1.Empty;
import io.jvmvisor.agent.v1.ExecProcessRequest;
import io.jvmvisor.agent.v1.ListProcessesRequest;
import io.jvmvisor.agent.v1.ListProcessesResponse;
import io.jvmvisor.agent.v1.OutputChunk;
import io.jvmvisor.agent.v1.OutputStream;
import io.jvmvisor.agent.v1.PingRequest;
import io.jvmvisor.agent.v1.PingResponse;
import io.jvmvisor.agent.v1.ProcessRef;
import io.jvmvisor.agent.v1.ReadOutputRequest;
import io.jvmvisor.agent.v1.ResizeTtyRequest;
import io.jvmvisor.agent.v1.ShutdownRequest;
import io.jvmvisor.agent.v1.SignalProcessRequest;
import io.jvmvisor.agent.v1.StartContainerRequest;
import io.jvmvisor.agent.v1.StatsRequest;
import io.jvmvisor.agent.v1.StatsResponse;
import io.jvmvisor.agent.v1.WaitProcessRequest;
import io.jvmvisor.agent.v1.WaitProcessResponse;
import io.jvmvisor.agent.v1.WriteStdinRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The shim's gRPC client of one container's guest agent, over the Unix socket
 * at the host end of the agent channel. Calls carry the container ID; errors
 * come back as {@link AgentException} with the agent's message.
 */
public final class AgentClient implements AutoCloseable {
    private static final long CALL_SECONDS = 30;

    private final String containerId;
    private final EpollEventLoopGroup group;
    private final ManagedChannel channel;
    private final AgentGrpc.AgentBlockingStub blocking;
    private final AgentGrpc.AgentStub async;

    private AgentClient(String containerId, Path socket) {
        this.containerId = containerId;
        this.group = new EpollEventLoopGroup(1, Thread.ofPlatform().daemon().name("agent-io").factory());
        this.channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toFile()))
                .eventLoopGroup(group)
                .channelType(EpollDomainSocketChannel.class)
                .usePlaintext()
                .overrideAuthority("localhost") // the default (the socket path) is refused by HTTP/2 servers
                .maxInboundMessageSize(8 << 20)
                .build();
        this.blocking = AgentGrpc.newBlockingStub(channel);
        this.async = AgentGrpc.newStub(channel);
    }

    /**
     * How long one connection may go unanswered before {@link #connect} replaces it. The agent's
     * channel is a virtio-serial port: every host connection is one byte stream to the guest, and
     * the guest learns of a disconnect on another virtqueue than the data, so a reconnect while the
     * guest boots can leave it a stale "host gone" event that arrives in the middle of the next
     * session (the agent then holds an answer for a client it cannot tell from a new one: a 30 s
     * call deadline). QEMU holds the bytes of a connection made before the agent opened the port
     * and hands them over once it has: the first connection is answered however slow the boot.
     */
    static final Duration REPLACE_UNANSWERED = Duration.ofSeconds(20);

    /**
     * Connects and waits until the agent answers Ping, at most {@code timeout}: one connection,
     * Pings of 2 s on it until one is answered; a new connection only when this one failed or went
     * unanswered for {@link #REPLACE_UNANSWERED}. {@code vmAlive} is checked between tries: a dead
     * VM fails at once.
     */
    public static AgentClient connect(String containerId, Path socket, Duration timeout, BooleanSupplier vmAlive)
            throws AgentException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        AgentClient c = null;
        long since = 0;
        try {
            while (System.nanoTime() < deadline) {
                if (!vmAlive.getAsBoolean()) {
                    throw new AgentException("the VM exited before its agent answered (" + last + ")");
                }
                if (c == null) {
                    if (!Files.exists(socket)) {
                        Thread.sleep(10);
                        continue;
                    }
                    c = new AgentClient(containerId, socket);
                    since = System.nanoTime();
                }
                long t0 = System.nanoTime();
                try {
                    c.blocking.withWaitForReady().withDeadlineAfter(2, TimeUnit.SECONDS).ping(PingRequest.getDefaultInstance());
                    AgentClient ready = c;
                    c = null;
                    return ready;
                } catch (StatusRuntimeException e) {
                    last = e.getStatus().getCode() + ": " + e.getStatus().getDescription();
                }
                boolean failed = c.channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE;
                if (failed || System.nanoTime() - since > REPLACE_UNANSWERED.toNanos()) {
                    c.close();
                    c = null;
                }
                if (System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(50)) {
                    Thread.sleep(50); // failed at once (refused): do not spin
                }
            }
        } finally {
            if (c != null) {
                c.close();
            }
        }
        throw new AgentException("the guest agent did not answer Ping within " + timeout.toSeconds() + " s (" + last + ")");
    }

    private AgentGrpc.AgentBlockingStub call() {
        return blocking.withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS);
    }

    private static AgentException failed(String what, StatusRuntimeException e) {
        Status s = e.getStatus();
        String msg = s.getDescription() != null ? s.getDescription() : s.getCode().toString();
        return new AgentException(msg, s.getCode(), what);
    }

    public PingResponse ping() throws AgentException {
        try {
            return call().ping(PingRequest.getDefaultInstance());
        } catch (StatusRuntimeException e) {
            throw failed("Ping", e);
        }
    }

    /** Creates the container; returns the guest PID of its (blocked) init. */
    public int createContainer(ContainerSpec spec) throws AgentException {
        try {
            return call().createContainer(CreateContainerRequest.newBuilder().setContainerId(containerId).setSpec(spec).build()).getPid();
        } catch (StatusRuntimeException e) {
            throw failed("CreateContainer", e);
        }
    }

    /** Configures the guest's NICs, addresses and routes (before {@link #start()}). */
    public void configureNetwork(io.jvmvisor.agent.v1.ConfigureNetworkRequest request) throws AgentException {
        try {
            call().configureNetwork(request);
        } catch (StatusRuntimeException e) {
            throw failed("ConfigureNetwork", e);
        }
    }

    public void start() throws AgentException {
        try {
            call().startContainer(StartContainerRequest.newBuilder().setContainerId(containerId).build());
        } catch (StatusRuntimeException e) {
            throw failed("StartContainer", e);
        }
    }

    public int exec(String execId, io.jvmvisor.agent.v1.Process process) throws AgentException {
        try {
            return call().execProcess(ExecProcessRequest.newBuilder().setContainerId(containerId).setExecId(execId)
                    .setProcess(process).build()).getPid();
        } catch (StatusRuntimeException e) {
            throw failed("ExecProcess", e);
        }
    }

    public void signal(String execId, int signal, boolean all) throws AgentException {
        try {
            call().signalProcess(SignalProcessRequest.newBuilder().setContainerId(containerId).setExecId(execId)
                    .setSignal(signal).setAll(all).build());
        } catch (StatusRuntimeException e) {
            throw failed("SignalProcess", e);
        }
    }

    /** Blocks (no deadline) until the process exits. */
    public WaitProcessResponse waitProcess(String execId) throws AgentException {
        try {
            return blocking.waitProcess(WaitProcessRequest.newBuilder().setContainerId(containerId).setExecId(execId).build());
        } catch (StatusRuntimeException e) {
            throw failed("WaitProcess", e);
        }
    }

    public void writeStdin(String execId, byte[] data, int len) throws AgentException {
        try {
            call().writeStdin(WriteStdinRequest.newBuilder().setContainerId(containerId).setExecId(execId)
                    .setData(ByteString.copyFrom(data, 0, len)).build());
        } catch (StatusRuntimeException e) {
            throw failed("WriteStdin", e);
        }
    }

    public void closeStdin(String execId) throws AgentException {
        try {
            call().closeStdin(ProcessRef.newBuilder().setContainerId(containerId).setExecId(execId).build());
        } catch (StatusRuntimeException e) {
            throw failed("CloseStdin", e);
        }
    }

    public void resize(String execId, int rows, int cols) throws AgentException {
        try {
            call().resizeTty(ResizeTtyRequest.newBuilder().setContainerId(containerId).setExecId(execId)
                    .setRows(rows).setCols(cols).build());
        } catch (StatusRuntimeException e) {
            throw failed("ResizeTty", e);
        }
    }

    /** Binds entry {@code source} of the live share onto {@code destination} in the container. */
    public void addMount(String source, String destination, boolean readonly) throws AgentException {
        try {
            call().addMount(io.jvmvisor.agent.v1.AddMountRequest.newBuilder().setContainerId(containerId)
                    .setSource(source).setDestination(destination).setReadonly(readonly).build());
        } catch (StatusRuntimeException e) {
            throw failed("AddMount", e);
        }
    }

    /** Unmounts {@code destination} in the container (refused while busy). */
    public void removeMount(String destination) throws AgentException {
        try {
            call().removeMount(io.jvmvisor.agent.v1.RemoveMountRequest.newBuilder().setContainerId(containerId)
                    .setDestination(destination).build());
        } catch (StatusRuntimeException e) {
            throw failed("RemoveMount", e);
        }
    }

    /**
     * The first call to a guest restored from a template: reseeds its CRNG with {@code entropy}
     * (host random bytes), sets its clock, mounts the rootfs share.
     */
    public void resume(byte[] entropy, String rootfsTag, String rootfsCache, boolean rootfsReadonly) throws AgentException {
        java.time.Instant now = java.time.Instant.now();
        try {
            call().resume(io.jvmvisor.agent.v1.ResumeRequest.newBuilder()
                    .setEntropy(ByteString.copyFrom(entropy))
                    .setUnixNanos(now.getEpochSecond() * 1_000_000_000L + now.getNano())
                    .setRootfsTag(rootfsTag).setRootfsCache(rootfsCache == null ? "" : rootfsCache)
                    .setRootfsReadonly(rootfsReadonly).build());
        } catch (StatusRuntimeException e) {
            throw failed("Resume", e);
        }
    }

    /** Sets the guest's wall clock to this host's. */
    public void setTime() throws AgentException {
        java.time.Instant now = java.time.Instant.now();
        try {
            call().setTime(io.jvmvisor.agent.v1.SetTimeRequest.newBuilder()
                    .setUnixNanos(now.getEpochSecond() * 1_000_000_000L + now.getNano()).build());
        } catch (StatusRuntimeException e) {
            throw failed("SetTime", e);
        }
    }

    public ListProcessesResponse listProcesses() throws AgentException {
        try {
            return call().listProcesses(ListProcessesRequest.newBuilder().setContainerId(containerId).build());
        } catch (StatusRuntimeException e) {
            throw failed("ListProcesses", e);
        }
    }

    public StatsResponse stats() throws AgentException {
        try {
            return call().stats(StatsRequest.newBuilder().setContainerId(containerId).build());
        } catch (StatusRuntimeException e) {
            throw failed("Stats", e);
        }
    }

    /** Asks the guest to sync and power off; true once it answered (it has synced), false if it did not. */
    public boolean shutdown() {
        try {
            blocking.withDeadlineAfter(2, TimeUnit.SECONDS).shutdown(ShutdownRequest.getDefaultInstance());
            return true;
        } catch (StatusRuntimeException e) {
            return false; // the VM may already be gone
        }
    }

    /**
     * Streams one output of a process to {@code sink}; the future completes when
     * the stream ends (the process exited and its output was drained).
     */
    public CompletableFuture<Void> readOutput(String execId, OutputStream stream, Consumer<byte[]> sink) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        async.readOutput(ReadOutputRequest.newBuilder().setContainerId(containerId).setExecId(execId).setStream(stream).build(),
                new StreamObserver<OutputChunk>() {
                    @Override
                    public void onNext(OutputChunk chunk) {
                        sink.accept(chunk.getData().toByteArray());
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        done.complete(null);
                    }
                });
        return done;
    }

    /**
     * Opens the agent's DNS relay (DnsQueries): {@code sink} gets the first message (listening), then
     * every query, until the stream ends. Returns what cancels the stream (the agent closes its sockets).
     */
    public Runnable dnsQueries(DnsQueriesRequest request, StreamObserver<DnsQuery> sink) {
        io.grpc.Context.CancellableContext ctx = io.grpc.Context.current().withCancellation();
        ctx.run(() -> async.dnsQueries(request, sink));
        return () -> ctx.cancel(null);
    }

    /** Answers one query of {@link #dnsQueries} without waiting; {@code done} gets the outcome (null: delivered). */
    public void dnsAnswer(long id, byte[] data, Consumer<Throwable> done) {
        async.withDeadlineAfter(5, TimeUnit.SECONDS).dnsAnswer(
                DnsAnswerRequest.newBuilder().setId(id).setData(ByteString.copyFrom(data)).build(),
                new StreamObserver<Empty>() {
                    @Override
                    public void onNext(Empty value) {
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.accept(t);
                    }

                    @Override
                    public void onCompleted() {
                        done.accept(null);
                    }
                });
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        group.shutdownGracefully(0, 200, TimeUnit.MILLISECONDS);
    }

    /** An agent call that failed: the agent's own message, the gRPC code, and the call. */
    public static final class AgentException extends IOException {
        private final Status.Code code;
        private final String call;

        public AgentException(String message) {
            this(message, Status.Code.UNAVAILABLE, "connect");
        }

        public AgentException(String message, Status.Code code, String call) {
            super(message);
            this.code = code;
            this.call = call;
        }

        public Status.Code code() {
            return code;
        }

        public String call() {
            return call;
        }
    }
}
