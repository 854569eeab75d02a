package io.jvmvisor.shim;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.StreamObserver;
import io.jvmvisor.agent.v1.AgentGrpc;
import io.jvmvisor.agent.v1.CreateContainerRequest;
import io.jvmvisor.agent.v1.CreateContainerResponse;
import io.jvmvisor.agent.v1.Empty;
import io.jvmvisor.agent.v1.OutputChunk;
import io.jvmvisor.agent.v1.PingRequest;
import io.jvmvisor.agent.v1.PingResponse;
import io.jvmvisor.agent.v1.ProcessRef;
import io.jvmvisor.agent.v1.ReadOutputRequest;
import io.jvmvisor.agent.v1.StartContainerRequest;
import io.jvmvisor.agent.v1.WaitProcessRequest;
import io.jvmvisor.agent.v1.WaitProcessResponse;
import io.jvmvisor.agent.v1.WriteStdinRequest;
import io.jvmvisor.oci.Spec;
import io.jvmvisor.oci.SpecLoader;
import io.jvmvisor.shim.agent.AgentClient;
import io.jvmvisor.shim.control.ControlClient;
import io.jvmvisor.shim.control.ControlRequest;
import io.jvmvisor.shim.control.ControlResponse;
import io.jvmvisor.shim.control.ControlServer;
import io.jvmvisor.shim.engine.KvmProbe;
import io.jvmvisor.shim.engine.QemuCommandLine;
import io.jvmvisor.shim.engine.VmConfig;
import io.jvmvisor.shim.relay.StdioRelay;
import io.jvmvisor.sys.Fd;
import io.jvmvisor.sys.Libc;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A training run for the shim's AOT cache (JDK 25, {@code -XX:AOTCacheOutput}):
 * the shim's start-up path without a VM: config.json parsing, translation,
 * the QEMU command line, the control socket, and the agent client against an
 * in-process gRPC server on a Unix socket. {@code --build} runs it with the launcher's exact
 * classpath and flags ({@link ShimLauncher#JVM_FLAGS}), else the JVM would reject the cache.
 */
public final class AotTraining {
    private AotTraining() {
    }

    /**
     * {@code AotTraining --build CACHE}: runs the training in a child JVM started with the shim's flags
     * ({@link ShimLauncher#JVM_FLAGS}) and this JVM's classpath, writing the cache to CACHE; without
     * arguments: the training itself.
     */
    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("--build")) {
            System.exit(build(Path.of(args[1])));
        }
        Path dir = Files.createTempDirectory("jvmvisor-aot");
        try {
            train(dir);
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static int build(Path cache) throws Exception {
        java.util.List<String> cmd = new java.util.ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(ShimLauncher.JVM_FLAGS);
        cmd.addAll(java.util.List.of("-Xlog:aot=error,cds=error", "-XX:AOTCacheOutput=" + cache,
                "-cp", System.getProperty("java.class.path"), AotTraining.class.getName()));
        Files.deleteIfExists(cache);
        int status = new ProcessBuilder(cmd).inheritIO().start().waitFor();
        // bin/jvmvisor starts a shim ahead of create's JVM with these flags (PreStartedShim)
        Files.write(ShimLauncher.flagsFile(cache), PreStartedShim.nulTerminated(ShimLauncher.JVM_FLAGS));
        return status;
    }

    private static void train(Path dir) throws Exception {
        java.io.PrintStream out = System.out;
        java.io.PrintStream err = System.err;
        try {
            ShimLog.install(dir.resolve("shim.log"), dir.resolve("log.json"), true, false); // as the shim does
            trainShim(dir);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    private static void trainShim(Path dir) throws Exception {
        System.getLogger("shim").log(System.Logger.Level.INFO, "AOT training run in " + dir);
        Files.createDirectories(dir.resolve("bundle/rootfs"));
        Files.writeString(dir.resolve("bundle/config.json"), """
                {"ociVersion": "1.0.2", "process": {"terminal": false, "user": {"uid": 0, "gid": 0},
                  "args": ["sh"], "env": ["PATH=/bin"], "cwd": "/", "noNewPrivileges": true,
                  "capabilities": {"bounding": ["CAP_KILL"]}, "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]},
                 "root": {"path": "rootfs"}, "hostname": "t",
                 "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
                 "linux": {"namespaces": [{"type": "pid"}], "maskedPaths": ["/proc/kcore"], "resources": {"memory": {"limit": 268435456}}},
                 "annotations": {"io.jvmvisor.vcpus": "1"}}
                """);
        ShimArgs a = ShimArgs.parse(new String[] {"--id", "aot", "--bundle", dir.resolve("bundle").toString(),
            "--state-dir", dir.resolve("state").toString()});
        Spec spec = SpecLoader.parse(a.bundle());
        VmSizing size = VmSizing.of(spec, dir, 1);
        SpecTranslator.Translated t = SpecTranslator.translate(spec, a.bundle());
        KvmProbe.probe();
        QemuCommandLine.of(new VmConfig(size.vcpus(), size.memoryMib(), size.kernel(), size.initrd(), dir,
                false, t.shares(), dir, VmConfig.Accel.TCG, 0, true));
        new ContainerState.Creating().to(new ContainerState.Created()).status();
        // networking as a docker container's create and start run it (the pure parts: no ip/tc here)
        io.jvmvisor.shim.net.NicPlan.nicsForNewNamespace(spec);
        io.jvmvisor.shim.net.NetCommands.redirectBoth("eth0", io.jvmvisor.shim.net.NetCommands.tapName(0));
        var nic = new VmConfig.Nic("net0", io.jvmvisor.shim.net.NetCommands.tapName(0), io.jvmvisor.shim.net.NetCommands.bootMac(0));
        var iface = io.jvmvisor.shim.net.IpJson.interfaces("""
                [{"ifindex":9,"ifname":"eth0","mtu":1500,"link_type":"ether","address":"02:42:ac:11:00:02",
                  "linkinfo":{"info_kind":"veth"},"addr_info":[{"family":"inet","local":"172.17.0.2","prefixlen":16,"scope":"global"}]}]
                """).getFirst();
        var netRequest = io.jvmvisor.shim.net.GuestNetwork.request(java.util.List.of(
                new io.jvmvisor.shim.net.GuestNetwork.Pair(iface, nic)),
                io.jvmvisor.shim.net.IpJson.routes("[{\"dst\":\"default\",\"gateway\":\"172.17.0.1\",\"dev\":\"eth0\"}]", false));
        QemuCommandLine.of(new VmConfig(size.vcpus(), size.memoryMib(), size.kernel(), size.initrd(), dir,
                false, t.shares(), dir, VmConfig.Accel.TCG, 0, true, null, java.util.List.of(nic)));

        Path control = dir.resolve("shim.sock");
        try (ControlServer server = ControlServer.listen(control,
                (req, answer) -> answer.send(ControlResponse.state("created", null)))) {
            ControlClient.call(control.getParent(), ControlRequest.of(ControlRequest.Op.STATE));
            server.socket();
        }

        Path agentSock = dir.resolve("agent.sock");
        EpollEventLoopGroup group = new EpollEventLoopGroup(1);
        Server server = NettyServerBuilder.forAddress(new DomainSocketAddress(agentSock.toFile()))
                .channelType(EpollServerDomainSocketChannel.class).bossEventLoopGroup(group).workerEventLoopGroup(group)
                .addService(new FakeAgent()).build().start();
        try (AgentClient agent = AgentClient.connect("aot", agentSock, Duration.ofSeconds(10), () -> true)) {
            agent.createContainer(t.spec());
            agent.configureNetwork(netRequest);
            int[] sv = Libc.get().socketpair();
            try (Fd out = new Fd(sv[0]); Fd peer = new Fd(sv[1])) {
                StdioRelay relay = StdioRelay.pipes(agent, "", new ByteArrayInputStream("in".getBytes(StandardCharsets.UTF_8)),
                        out, out);
                agent.start();
                agent.waitProcess("");
                relay.awaitOutputs(2000);
                relay.close();
                peer.value();
            }
        } finally {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 100, TimeUnit.MILLISECONDS).await(5, TimeUnit.SECONDS);
        }
        new Exit(0, null, null).toJson();
        IdleSettle.settle();
    }

    /** Answers like an agent whose container prints a line and exits 0. */
    private static final class FakeAgent extends AgentGrpc.AgentImplBase {
        @Override
        public void ping(PingRequest r, StreamObserver<PingResponse> o) {
            o.onNext(PingResponse.newBuilder().setVersion("aot").build());
            o.onCompleted();
        }

        @Override
        public void createContainer(CreateContainerRequest r, StreamObserver<CreateContainerResponse> o) {
            o.onNext(CreateContainerResponse.newBuilder().setPid(1).build());
            o.onCompleted();
        }

        @Override
        public void configureNetwork(io.jvmvisor.agent.v1.ConfigureNetworkRequest r, StreamObserver<Empty> o) {
            o.onNext(Empty.getDefaultInstance());
            o.onCompleted();
        }

        @Override
        public void startContainer(StartContainerRequest r, StreamObserver<Empty> o) {
            o.onNext(Empty.getDefaultInstance());
            o.onCompleted();
        }

        @Override
        public void writeStdin(WriteStdinRequest r, StreamObserver<Empty> o) {
            o.onNext(Empty.getDefaultInstance());
            o.onCompleted();
        }

        @Override
        public void closeStdin(ProcessRef r, StreamObserver<Empty> o) {
            o.onNext(Empty.getDefaultInstance());
            o.onCompleted();
        }

        @Override
        public void readOutput(ReadOutputRequest r, StreamObserver<OutputChunk> o) {
            o.onNext(OutputChunk.newBuilder().setData(com.google.protobuf.ByteString.copyFromUtf8("out\n")).build());
            o.onCompleted();
        }

        @Override
        public void waitProcess(WaitProcessRequest r, StreamObserver<WaitProcessResponse> o) {
            o.onNext(WaitProcessResponse.newBuilder().setExitStatus(0).build());
            o.onCompleted();
        }
    }
}
