package io.jvmvisor.shim;

import io.jvmvisor.agent.v1.WaitProcessResponse;
import io.jvmvisor.oci.Spec;
import io.jvmvisor.oci.SpecLoader;
import io.jvmvisor.shim.agent.AgentClient;
import io.jvmvisor.shim.control.ControlResponse;
import io.jvmvisor.shim.control.ControlServer;
import io.jvmvisor.shim.control.PrivateFiles;
import io.jvmvisor.shim.control.SocketPaths;
import io.jvmvisor.shim.control.StatusFile;
import io.jvmvisor.shim.engine.Engine;
import io.jvmvisor.shim.engine.KvmProbe;
import io.jvmvisor.shim.engine.QemuEngine;
import io.jvmvisor.shim.engine.TemplateBuilder;
import io.jvmvisor.shim.engine.Timeline;
import io.jvmvisor.shim.engine.Vm;
import io.jvmvisor.shim.engine.VmConfig;
import io.jvmvisor.shim.engine.VmTemplate;
import io.jvmvisor.shim.net.DnsRelay;
import io.jvmvisor.shim.net.DnsUpstream;
import io.jvmvisor.shim.net.EmbeddedDns;
import io.jvmvisor.shim.net.Network;
import io.jvmvisor.shim.relay.StdioRelay;
import io.jvmvisor.sys.Fd;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One container's shim: builds the VM and the container step by step (each
 * step's undo on a {@link CleanupStack}), serves the control socket, relays
 * stdio, and ends with the container's exit status.
 */
final class Shim {
    private static final System.Logger LOG = System.getLogger("shim");
    static final String EXIT_FILE = "exit.json";
    static final String TIMELINE_FILE = "timeline.json";

    final ShimArgs args;
    final Path socketDir;
    final CompletableFuture<Long> created = new CompletableFuture<>();
    final CompletableFuture<Exit> finished = new CompletableFuture<>();
    private final Map<String, Long> timeline = new LinkedHashMap<>();
    private final Object lock = new Object();
    private ContainerState state = new ContainerState.Creating();
    volatile Vm vm;
    /** The host cgroup of linux.cgroupsPath; null without one. */
    volatile HostCgroup hostCgroup;
    volatile AgentClient agent;
    /** jvmvisor mount/umount on this container's VM; null until the VM runs. */
    volatile LiveShares liveShares;
    /** The container's network (taps, redirects); never null once create has planned it. */
    volatile Network network;
    /** The VM's network connected ahead of start (once create was committed); null: start connects it. */
    private volatile CompletableFuture<Void> networkReady;
    private volatile StdioRelay relay;
    private volatile DnsRelay dnsRelay;
    private volatile Spec spec;

    Shim(ShimArgs args) {
        this.args = args;
        this.socketDir = SocketPaths.socketDir(args.stateDir());
    }

    ContainerState state() {
        synchronized (lock) {
            return state;
        }
    }

    /** Moves to {@code next} if allowed (throws {@link ContainerState.IllegalTransition}). */
    ContainerState moveTo(ContainerState next) {
        synchronized (lock) {
            state = state.to(next);
            keepStatus(state);
            return state;
        }
    }

    /**
     * Keeps {@link StatusFile} current (called under the lock, after each change, before the change
     * is answered): {@code jvmvisor state} reads it rather than connecting. A file that cannot be
     * written is removed, so that the CLI asks this shim instead of reading a stale status.
     */
    private void keepStatus(ContainerState s) {
        try {
            StatusFile.write(args.stateDir(), ControlResponse.state(s.status(),
                    s instanceof ContainerState.Stopped st ? st.exitStatus() : null));
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot write " + StatusFile.NAME + ": " + e.getMessage());
            StatusFile.remove(args.stateDir());
        }
    }

    void mark(String phase) {
        synchronized (timeline) {
            timeline.putIfAbsent(phase, Timeline.nowNanos());
        }
    }

    /** Set once the CLI that created the container committed it (wait-created with hold). */
    volatile boolean committed;
    /** The held wait-created's outcome (true: committed), once such a caller got its answer. */
    volatile CompletableFuture<Boolean> holdDecision;

    /**
     * Until create is committed, the container belongs to the CLI that started this shim: if that
     * process dies first (SIGKILL mid-create), the container goes with it rather than living on
     * unnamed in a state.json the CLI never finished.
     */
    private void watchCreator() {
        java.util.Optional<ProcessHandle> parent = ProcessHandle.current().parent();
        long creator = args.creator();
        if (creator > 0 && parent.map(ProcessHandle::pid).orElse(-1L) != creator) {
            // it died before this shim got here (this shim already has another parent): the same
            creatorGone(creator);
            return;
        }
        parent.ifPresent(p -> p.onExit().thenRun(() -> creatorGone(p.pid())));
    }

    private void creatorGone(long creator) {
        CompletableFuture<Boolean> decision = holdDecision;
        if (decision != null) {
            try {
                // a commit sent just before the creator exited may still be on its way
                if (decision.get(2, java.util.concurrent.TimeUnit.SECONDS)) {
                    return;
                }
            } catch (Exception e) {
                // no commit
            }
        }
        if (!committed && !finished.isDone()) {
            LOG.log(Level.ERROR, "the process that created container " + args.id() + " (pid " + creator
                    + ") is gone before create finished: removing the container");
            created.completeExceptionally(new CreateFailed("create did not finish: its caller went away", false));
            finished.complete(new Exit(137, 9, "create did not finish: its caller went away"));
        }
    }

    /** Runs the shim to the end; returns the process exit status. */
    int run() throws InterruptedException {
        mark("shim-start");
        watchCreator();
        ProcessHandle.current().info().startInstant()
                .ifPresent(i -> timeline.put("jvm-start", i.getEpochSecond() * 1_000_000_000L + i.getNano()));
        CleanupStack cleanup = new CleanupStack();
        ControlServer control;
        try {
            control = create(cleanup);
        } catch (Exception e) {
            String msg = e instanceof AgentClient.AgentException || e instanceof IllegalArgumentException
                    || e instanceof io.jvmvisor.oci.SpecException ? e.getMessage() : e.toString();
            LOG.log(Level.ERROR, "create failed: " + msg);
            created.completeExceptionally(new CreateFailed(msg, vm != null && !vm.isAlive()));
            ShimControl.awaitWaiters(2000);
            cleanup.close();
            mark("create-failed");
            writeTimeline();
            leaveHostCgroup();
            return 1;
        }
        if (finished.isDone()) {
            // the creator went away while the VM booted
            cleanup.close();
            writeTimeline();
            leaveHostCgroup();
            return 137;
        }
        cleanup.release();
        created.complete(ProcessHandle.current().pid());
        Thread.ofPlatform().daemon().name("wait-init").start(this::waitInit);
        IdleSettle.request(IdleSettle.AFTER_CREATE_MS); // start-up is over: give back what it left behind
        vm.onExit().thenAccept(code -> finished.complete(new Exit(137, null,
                "the VM exited unexpectedly (QEMU exit code " + code + "); console:\n" + vm.consoleTail(10))));
        Exit exit = finished.join();
        int status = teardown(exit, control);
        leaveHostCgroup();
        return status;
    }

    /** Leaves and removes the host cgroup once QEMU is gone (stopEverything has stopped it). */
    private void leaveHostCgroup() {
        HostCgroup cg = hostCgroup;
        if (cg == null) {
            return;
        }
        Vm v = vm;
        if (v != null) {
            try {
                v.onExit().get(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.log(Level.WARNING, "QEMU still running while leaving the host cgroup: " + e);
            }
        }
        cg.close();
    }

    private ControlServer create(CleanupStack cleanup) throws Exception {
        Path stateDir = args.stateDir();
        if (SocketPaths.needsAlias(stateDir)) {
            Path alias = SocketPaths.alias(stateDir);
            PrivateFiles.createDirectories(alias.getParent());
            removeStaleAliases(alias.getParent());
            // made (atomically) if missing or wrong; clients addressing the shim do the same meanwhile
            SocketPaths.socketDir(stateDir);
            if (!Files.isSymbolicLink(alias)) {
                throw new IOException("cannot make the socket alias " + alias + " for " + stateDir);
            }
            cleanup.push("remove the socket alias " + alias, () -> SocketPaths.removeAlias(stateDir));
        }
        ControlServer control = ControlServer.listen(socketDir.resolve("shim.sock"), new ShimControl(this));
        cleanup.push("close the control socket", control::close);

        Spec spec = ShimLauncher.createdSpec(args.bundle(), stateDir);
        if (spec.linux() != null && spec.linux().cgroupsPath() != null && !spec.linux().cgroupsPath().isBlank()) {
            hostCgroup = HostCgroup.join(spec.linux().cgroupsPath(), spec.linux().resources(), stateDir);
            LOG.log(Level.INFO, "host cgroup: " + spec.linux().cgroupsPath());
        }
        Path home = Path.of(System.getProperty("jvmvisor.home", ".")).toAbsolutePath();
        VmSizing size = VmSizing.of(spec, home, Runtime.getRuntime().availableProcessors());
        java.util.Map<String, String> ann = spec.annotations() == null ? java.util.Map.of() : spec.annotations();
        for (String a : new String[] {"io.jvmvisor.kernel", "io.jvmvisor.initrd"}) {
            if (ann.containsKey(a)) {
                BootFiles.check(Path.of(ann.get(a)), a, BootFiles.allowedDirs(home));
            }
        }
        for (Path p : new Path[] {size.kernel(), size.initrd()}) {
            if (!Files.isReadable(p)) {
                throw new IllegalArgumentException("cannot read the guest " + (p == size.kernel() ? "kernel" : "initramfs")
                        + " " + p + " (set the annotation io.jvmvisor." + (p == size.kernel() ? "kernel" : "initrd")
                        + " or build kernels/)");
            }
        }
        Engine engine = Engine.named(size.engine());
        KvmProbe.Result accel = KvmProbe.probe();
        LOG.log(Level.INFO, "accelerator: " + accel.accel() + " because " + accel.reason());
        SpecTranslator.Translated t = SpecTranslator.translate(spec, args.bundle());
        if (spec.root() == null || spec.root().path() == null) {
            throw new IllegalArgumentException("config.json: root.path is missing");
        }
        Network net = Network.plan(spec);
        network = net;
        cleanup.push("remove the taps", net::close);
        net.createTaps();
        if (net.vmIsTheNamespace()) {
            t = new SpecTranslator.Translated(SpecTranslator.withoutNetworkNamespace(t.spec()), t.shares());
        }
        Path rootfs = args.bundle().resolve(spec.root().path()).toAbsolutePath().normalize();
        VmConfig config = new VmConfig(size.vcpus(), size.memoryMib(), size.kernel(), size.initrd(), rootfs,
                spec.root().readonly() != null && spec.root().readonly(), t.shares(), socketDir, accel.accel(), 0, !args.debug(),
                rootfsCache(spec), net.nics());
        LOG.log(Level.INFO, "VM: " + size.vcpus() + " vCPU, " + size.memoryMib() + " MiB, " + t.shares().size()
                + " extra 9p shares, " + net.nics().size() + " NIC(s)");

        boolean templates = templatesWanted(spec);
        // The agent's connection is begun while QEMU starts and restores: netty's and gRPC's set-up
        // runs on that thread meanwhile, and QEMU holds the preface and the first Ping until the
        // guest opens its port (AgentClient.connect), so the restored guest's agent answers at once.
        java.util.concurrent.atomic.AtomicReference<Vm> booting = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicBoolean abandoned = new java.util.concurrent.atomic.AtomicBoolean();
        CompletableFuture<AgentClient> early = connectEarly(config.agentSocket(),
                () -> !abandoned.get() && (booting.get() == null || booting.get().isAlive()));
        Vm started;
        try {
            started = engine.start(config, stateDir, templates);
        } catch (IOException | RuntimeException e) {
            abandoned.set(true);
            throw e;
        }
        booting.set(started);
        vm = started;
        mark("vmm-started");
        privatize(stateDir.resolve(QemuEngine.PID_FILE));
        cleanup.push("stop the VM", () -> {
            vm.stop(Duration.ZERO);
            Files.deleteIfExists(config.agentSocket());
            Files.deleteIfExists(config.qmpSocket());
            Files.deleteIfExists(stateDir.resolve(QemuEngine.PID_FILE));
            removeExportsDir();
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // a SIGTERM/SIGINT to the shim: the VM goes with it, and nothing is left in the state dir's sockets
            Vm v = vm;
            if (v.isAlive()) {
                ProcessHandle.of(v.pid()).ifPresent(ProcessHandle::destroyForcibly);
                net.close();
                Path exitFile = stateDir.resolve(EXIT_FILE);
                try {
                    if (!Files.exists(exitFile)) {
                        PrivateFiles.write(exitFile, new Exit(137, null, "the shim was terminated").toJson());
                    }
                    Files.deleteIfExists(socketDir.resolve("shim.sock"));
                    Files.deleteIfExists(config.agentSocket());
                    Files.deleteIfExists(config.qmpSocket());
                    SocketPaths.removeAlias(stateDir);
                } catch (IOException e) {
                    // best effort while the process ends
                }
            }
        }, "shim-shutdown"));

        AgentClient client = awaitAgent(early, started);
        if (started.restored()) {
            try {
                byte[] entropy = new byte[64];
                new java.security.SecureRandom().nextBytes(entropy);
                client.resume(entropy, VmConfig.ROOTFS_TAG, config.rootfsCache(), config.rootfsReadonly());
                mark("restored");
            } catch (AgentClient.AgentException e) {
                LOG.log(Level.WARNING, "the VM restored from a template did not resume (" + e.getMessage() + "): booting cold");
                mark("restore-failed");
                client.close();
                started.stop(Duration.ZERO);
                started = engine.start(config, stateDir, false);
                vm = started;
                privatize(stateDir.resolve(QemuEngine.PID_FILE));
                client = connectAgent(started);
            }
        }
        agent = client;
        cleanup.push("close the agent connection", agent::close);
        // QEMU made its sockets under the caller's umask; the 0700 state dir guards them, and so do their modes
        privatize(config.agentSocket());
        privatize(config.qmpSocket());
        mark("agent-ready");
        if (!started.restored()) {
            client.setTime();
        }
        startClockSync(client);
        liveShares = new LiveShares(QemuEngine.jail(), stateDir.resolve(QemuEngine.EXPORTS_DIR).toAbsolutePath(),
                stateDir.toAbsolutePath().getParent());
        if (!started.restored() && started.firstConsoleLineNanos() != 0) {
            synchronized (timeline) {
                timeline.put("first-console-line", started.firstConsoleLineNanos());
            }
        }

        int guestPid = client.createContainer(t.spec());
        mark("container-created");
        LOG.log(Level.INFO, "container created, guest PID " + guestPid);
        this.spec = spec;
        var p = spec.process();
        if (p != null && Boolean.TRUE.equals(p.terminal()) && args.consoleSocket() != null) {
            int rows = p.consoleSize() == null ? 0 : p.consoleSize().height();
            int cols = p.consoleSize() == null ? 0 : p.consoleSize().width();
            relay = StdioRelay.terminal(client, "", args.consoleSocket(), rows, cols);
        } else {
            boolean terminal = p != null && Boolean.TRUE.equals(p.terminal());
            relay = StdioRelay.pipes(client, "", new FileInputStream(FileDescriptor.in), new Fd(1), terminal ? null : new Fd(2));
        }
        moveTo(new ContainerState.Created());
        writeTimeline();
        if (templates && !started.restored()) {
            buildTemplateLater(config);
        }
        return control;
    }

    private static Duration agentTimeout() {
        return Duration.ofSeconds(Long.getLong("jvmvisor.agent.timeout.seconds", 45));
    }

    private AgentClient connectAgent(Vm started) throws AgentClient.AgentException, InterruptedException {
        try {
            return AgentClient.connect(args.id(), started.agentSocket(), agentTimeout(), started::isAlive);
        } catch (AgentClient.AgentException e) {
            throw withConsole(started, e);
        }
    }

    /** {@link AgentClient#connect} on a thread of its own, begun before the VM exists ({@code alive} says when to give up). */
    private CompletableFuture<AgentClient> connectEarly(Path socket, java.util.function.BooleanSupplier alive) {
        return OwnThread.call("agent-connect", 0, () -> AgentClient.connect(args.id(), socket, agentTimeout(), alive));
    }

    /** The connection {@link #connectEarly} made to {@code started}'s agent. */
    private AgentClient awaitAgent(CompletableFuture<AgentClient> early, Vm started)
            throws AgentClient.AgentException, InterruptedException {
        try {
            return early.get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof AgentClient.AgentException a) {
                throw withConsole(started, a);
            }
            if (e.getCause() instanceof InterruptedException i) {
                throw i;
            }
            throw new IllegalStateException("connecting to the agent failed: " + e.getCause(), e.getCause());
        }
    }

    /** The agent's failure, with what the guest's console says (a kernel panic first). */
    private static AgentClient.AgentException withConsole(Vm started, AgentClient.AgentException e) {
        String panic = started.consoleLine("Kernel panic");
        return new AgentClient.AgentException((panic != null ? "the guest kernel panicked: " + panic.trim() + "; " : "")
                + e.getMessage() + "; last console lines:\n" + started.consoleTail(15));
    }

    /**
     * VM templates (docs/templates.md) unless the annotation {@code io.jvmvisor.template} is
     * {@code off} or {@code $JVMVISOR_TEMPLATES} is {@code off}.
     */
    static boolean templatesWanted(Spec spec) {
        String v = spec.annotations() == null ? null : spec.annotations().get("io.jvmvisor.template");
        return !"off".equals(v) && VmTemplate.root() != null;
    }

    /** This VM booted cold for want of a template of its shape: a detached builder makes one for the next VMs. */
    private static void buildTemplateLater(VmConfig config) {
        try {
            Path root = VmTemplate.root();
            if (VmTemplate.shape(config) != null && VmTemplate.find(root, config) == null
                    && !(Files.isDirectory(root) && TemplateBuilder.busy(config, root))) {
                TemplateBuilder.spawn(config, root);
                LOG.log(Level.INFO, "no VM template of this shape yet: a builder was started (" + VmTemplate.root() + ")");
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot start a VM template builder: " + e.getMessage());
        }
    }

    /**
     * Connects the VM to the container's network on a thread of its own, once its creator committed
     * the create: by then the create hooks have run (docker's put the container's interfaces in its
     * namespace), and what start would find is there. Under TCG the guest's part (NICs detached or
     * configured, ~100 ms) then overlaps the time until start comes instead of delaying it.
     */
    void connectNetworkEarly() {
        if (!network.vmIsTheNamespace()) {
            return; // no NIC: nothing to connect
        }
        networkReady = OwnThread.call("network", 0, () -> {
            network.configure(agent);
            mark("network-configured");
            return null;
        });
    }

    /** start's network: what {@link #connectNetworkEarly} did (its failure is start's), else done now. */
    void connectNetwork() throws IOException, AgentClient.AgentException {
        CompletableFuture<Void> f = networkReady;
        if (f == null) {
            network.configure(agent);
            return;
        }
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while the network was connected");
        } catch (java.util.concurrent.ExecutionException e) {
            switch (e.getCause()) {
                case AgentClient.AgentException a -> throw a;
                case IOException io -> throw io;
                default -> throw new IOException(e.getCause().toString(), e.getCause());
            }
        }
    }

    /**
     * Docker's embedded DNS (resolv.conf names 127.0.0.11): the agent listens on 127.0.0.11:53 in the
     * container's namespace in the guest and relays each query here, where 127.0.0.11:53 is docker's
     * resolver (the shim runs in the container's network namespace). Decided at start, just before the
     * container's process runs: docker rewrites resolv.conf to 127.0.0.11 in its prestart hook, which
     * may still run while the shim creates the container.
     */
    void startDnsRelayIfNamed() throws AgentClient.AgentException {
        Spec s = spec;
        if (dnsRelay != null || s == null || !EmbeddedDns.named(s, args.bundle())) {
            return;
        }
        try {
            dnsRelay = DnsRelay.start(agent, io.jvmvisor.agent.v1.DnsQueriesRequest.newBuilder()
                            .setContainerId(args.id()).setAddress(EmbeddedDns.ADDRESS).setPort(53).build(),
                    new DnsUpstream(DnsUpstream.DOCKER, Duration.ofSeconds(2)), Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentClient.AgentException("interrupted while starting the DNS relay");
        }
        mark("dns-relay");
    }

    /** Makes a file the VMM created readable by its owner only (0600). */
    private static void privatize(Path file) {
        try {
            if (Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Files.setPosixFilePermissions(file, PrivateFiles.FILE);
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot make " + file + " private: " + e.getMessage());
        }
    }

    /**
     * The rootfs's 9p cache mode unless the annotation {@code io.jvmvisor.9p-cache} names one:
     * {@code mmap} for a writable rootfs (writes go to the host in msize-sized requests: with
     * {@code loose} the 6.1 guest writes back page by page, 17x slower for a 64 MiB dd), {@code loose}
     * for a read-only one (names and attributes cached: stat ~16x faster, and nothing to write back).
     * Binds and live shares stay uncached: the host shares them with its own processes. docs/shares.md.
     */
    static String rootfsCache(Spec spec) {
        String v = spec.annotations() == null ? null : spec.annotations().get("io.jvmvisor.9p-cache");
        if (v != null && !v.isEmpty()) {
            return v;
        }
        return spec.root() != null && Boolean.TRUE.equals(spec.root().readonly()) ? "loose" : "mmap";
    }

    /**
     * Keeps the guest's wall clock on the host's: a TCG guest's clock runs behind under load
     * (tar then warns of files "in the future"). Every 30 s while the container lives.
     */
    private void startClockSync(AgentClient client) {
        Thread.ofPlatform().daemon().name("clock-sync").start(() -> {
            while (!finished.isDone()) {
                try {
                    Thread.sleep(Duration.ofSeconds(30));
                    if (!(state() instanceof ContainerState.Paused) && !finished.isDone()) {
                        client.setTime();
                    }
                } catch (InterruptedException e) {
                    return;
                } catch (AgentClient.AgentException e) {
                    LOG.log(Level.DEBUG, "clock sync: " + e.getMessage());
                }
            }
        });
    }

    /** The exports mount point: empty on the host (its mounts lived in QEMU's namespace and went with it). */
    private void removeExportsDir() {
        try {
            Files.deleteIfExists(args.stateDir().resolve(QemuEngine.EXPORTS_DIR));
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot remove " + QemuEngine.EXPORTS_DIR + ": " + e.getMessage());
        }
    }

    /** Aliases whose state dir is gone were left by shims that were SIGKILLed: remove them. */
    private static void removeStaleAliases(Path dir) {
        try (var links = Files.list(dir)) {
            links.filter(Files::isSymbolicLink).filter(l -> !Files.exists(l)).forEach(l -> {
                try {
                    Files.deleteIfExists(l);
                } catch (IOException e) {
                    // another shim removed it
                }
            });
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "cannot sweep " + dir + ": " + e.getMessage());
        }
    }

    private void waitInit() {
        try {
            WaitProcessResponse r = agent.waitProcess("");
            if (r.getOomKilled()) {
                LOG.log(Level.WARNING, "container " + args.id() + ": its init was OOM-killed in the guest (memory limit)");
                HostCgroup cg = hostCgroup;
                if (cg != null && cg.signalOom()) {
                    LOG.log(Level.INFO, "the OOM kill was reported on the host cgroup (docker's OOMKilled)");
                }
            }
            finished.complete(new Exit(r.getExitStatus(), r.getSignaled() ? r.getSignal() : null, null));
        } catch (AgentClient.AgentException e) {
            if (!finished.isDone()) {
                String why = vm.isAlive() ? "the agent connection failed: " + e.getMessage()
                        : "the VM died; console:\n" + vm.consoleTail(10);
                finished.complete(new Exit(137, null, why));
            }
        }
    }

    private int teardown(Exit exit, ControlServer control) {
        mark("exited");
        ContainerState.Stopped stopped = new ContainerState.Stopped(exit.exitStatus());
        synchronized (lock) {
            state = stopped;
            keepStatus(stopped);
        }
        if (exit.reason() != null) {
            LOG.log(Level.ERROR, "container " + args.id() + ": " + exit.reason());
        } else {
            LOG.log(Level.INFO, "container exited with status " + exit.exitStatus());
        }
        boolean processExited = exit.reason() == null;
        try {
            stopEverything(exit, processExited);
        } finally {
            removeSockets(control);
        }
        return exit.exitStatus() & 0xff;
    }

    private void stopEverything(Exit exit, boolean processExited) {
        if (processExited && relay != null && !relay.awaitOutputs(2000)) {
            LOG.log(Level.WARNING, "the output streams did not end within 2 s after the exit");
        }
        try {
            PrivateFiles.write(args.stateDir().resolve(EXIT_FILE), exit.toJson());
        } catch (IOException e) {
            LOG.log(Level.ERROR, "cannot write " + EXIT_FILE + ": " + e.getMessage());
        }
        boolean synced = false;
        if (processExited && vm.isAlive()) {
            synced = agent.shutdown(); // answered once the guest has synced: nothing left to wait for
        }
        vm.stop(processExited && !synced ? Duration.ofSeconds(2) : Duration.ZERO);
        CompletableFuture<Void> early = networkReady;
        if (early != null) {
            try {
                early.get(5, java.util.concurrent.TimeUnit.SECONDS); // its redirects are made before they are removed
            } catch (Exception e) {
                // failed or the VM went first: what it made is removed below all the same
            }
        }
        if (network != null) {
            network.close();
        }
        mark("shutdown");
        removeExportsDir();
        try {
            Files.deleteIfExists(args.stateDir().resolve(QemuEngine.PID_FILE));
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot remove " + QemuEngine.PID_FILE + ": " + e.getMessage());
        }
        writeTimeline();
        if (relay != null) {
            relay.close();
        }
        if (dnsRelay != null) {
            dnsRelay.close();
        }
        agent.close();
    }

    private void removeSockets(ControlServer control) {
        CleanupStack steps = new CleanupStack();
        if (SocketPaths.needsAlias(args.stateDir())) {
            steps.push("remove the socket alias", () -> SocketPaths.removeAlias(args.stateDir()));
        }
        steps.push("remove qmp.sock", () -> Files.deleteIfExists(socketDir.resolve("qmp.sock")));
        steps.push("remove agent.sock", () -> Files.deleteIfExists(socketDir.resolve("agent.sock")));
        steps.push("close the control socket", control::close);
        steps.close();
    }

    void writeTimeline() {
        StringBuilder b = new StringBuilder("{");
        synchronized (timeline) {
            timeline.forEach((k, v) -> b.append(b.length() > 1 ? "," : "").append('"').append(k).append("\":").append(v));
        }
        b.append("}\n");
        try {
            PrivateFiles.write(args.stateDir().resolve(TIMELINE_FILE), b.toString());
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot write " + TIMELINE_FILE + ": " + e.getMessage());
        }
    }

    /** Why create failed, for wait-created waiters. */
    static final class CreateFailed extends Exception {
        final boolean vmDied;

        CreateFailed(String message, boolean vmDied) {
            super(message, null, false, false);
            this.vmDied = vmDied;
        }
    }
}
