package io.jvmvisor.agent;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.jvmvisor.agent.v1.AgentGrpc;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A gRPC client of an {@link AgentTarget}: a grpc-java channel over the
 * target's Unix socket and fresh stubs with a deadline. Closing it shuts the
 * channel and the target.
 */
public final class AgentFixture implements AutoCloseable {

    /** Per-call deadline: generous, as a VM under TCG is slow. */
    public static final long DEADLINE_SECONDS = 20;

    private final AgentTarget target;
    private ManagedChannel channel;
    private EventLoopGroup group;

    public AgentFixture(AgentTarget target) {
        this.target = target;
    }

    /** Starts the host-mode agent in dir. */
    public static AgentFixture host(Path dir) throws Exception {
        return new AgentFixture(HostAgentTarget.start(dir));
    }

    public AgentTarget target() {
        return target;
    }

    /** The current channel, opened on first use. */
    public synchronized ManagedChannel channel() {
        if (channel == null) {
            group = new EpollEventLoopGroup(1);
            channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(target.socket().toFile()))
                    .eventLoopGroup(group)
                    .channelType(EpollDomainSocketChannel.class)
                    .usePlaintext()
                    // the default authority is the socket path; HTTP/2 servers refuse its "/"
                    .overrideAuthority("localhost")
                    .maxInboundMessageSize(8 << 20)
                    .build();
        }
        return channel;
    }

    public AgentGrpc.AgentBlockingStub blocking() {
        return AgentGrpc.newBlockingStub(channel()).withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
    }

    public AgentGrpc.AgentStub async() {
        return AgentGrpc.newStub(channel()).withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
    }

    /** Closes the current connection (the agent sees the host go away); the next call opens a new one. */
    public synchronized void disconnect() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
            channel = null;
            group = null;
        }
    }

    @Override
    public void close() {
        try {
            disconnect();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            target.close();
        }
    }
}
