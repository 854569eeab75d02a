package io.jvmvisor.shim.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.StreamObserver;
import io.jvmvisor.agent.v1.AgentGrpc;
import io.jvmvisor.agent.v1.ListProcessesRequest;
import io.jvmvisor.agent.v1.ListProcessesResponse;
import io.jvmvisor.agent.v1.PingRequest;
import io.jvmvisor.agent.v1.PingResponse;
import io.jvmvisor.agent.v1.ProcessInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A hostile agent cannot make the shim hold more than one bounded message per answer. */
class AgentClientLimitsTest {
    /** An agent whose ps answers are as large as it likes. */
    private static final class HugeAgent extends AgentGrpc.AgentImplBase {
        volatile int commandBytes;

        @Override
        public void ping(PingRequest r, StreamObserver<PingResponse> o) {
            o.onNext(PingResponse.newBuilder().setVersion("huge").build());
            o.onCompleted();
        }

        @Override
        public void listProcesses(ListProcessesRequest r, StreamObserver<ListProcessesResponse> o) {
            o.onNext(ListProcessesResponse.newBuilder()
                    .addProcesses(ProcessInfo.newBuilder().setPid(1).setCommand("x".repeat(commandBytes))).build());
            o.onCompleted();
        }
    }

    @Test
    void anAnswerOverTheLimitIsRefusedNotBuffered(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("agent.sock");
        HugeAgent fake = new HugeAgent();
        EpollEventLoopGroup group = new EpollEventLoopGroup(1);
        Server server = NettyServerBuilder.forAddress(new DomainSocketAddress(sock.toFile()))
                .channelType(EpollServerDomainSocketChannel.class).bossEventLoopGroup(group).workerEventLoopGroup(group)
                .maxInboundMessageSize(64 << 20).addService(fake).build().start();
        try (AgentClient agent = AgentClient.connect("c", sock, Duration.ofSeconds(10), () -> true)) {
            fake.commandBytes = 1 << 20;
            assertEquals(1 << 20, agent.listProcesses().getProcesses(0).getCommand().length(), "1 MiB passes");
            fake.commandBytes = 32 << 20;
            AgentClient.AgentException e = assertThrows(AgentClient.AgentException.class, agent::listProcesses);
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains("exceeds maximum size 8388608"), e.getMessage());
        } finally {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 100, TimeUnit.MILLISECONDS).await(5, TimeUnit.SECONDS);
        }
    }
}
