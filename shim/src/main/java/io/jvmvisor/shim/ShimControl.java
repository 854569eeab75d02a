package io.jvmvisor.shim;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvmvisor.agent.v1.ProcessInfo;
import io.jvmvisor.agent.v1.StatsResponse;
import io.jvmvisor.agent.v1.WaitProcessResponse;
import io.jvmvisor.shim.ContainerState.Created;
import io.jvmvisor.shim.ContainerState.Creating;
import io.jvmvisor.shim.ContainerState.Paused;
import io.jvmvisor.shim.ContainerState.Running;
import io.jvmvisor.shim.ContainerState.Stopped;
import io.jvmvisor.shim.agent.AgentClient;
import io.jvmvisor.shim.control.ControlRequest;
import io.jvmvisor.shim.control.ControlResponse;
import io.jvmvisor.shim.control.ControlResponse.ErrorCode;
import io.jvmvisor.shim.control.ControlServer;
import io.jvmvisor.shim.control.SocketPaths;
import io.jvmvisor.shim.relay.StdioRelay;
import io.jvmvisor.sys.Fd;
import io.jvmvisor.sys.Libc;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/** The control operations of docs/control-api.md, applied to one {@link Shim}. */
final class ShimControl implements ControlServer.Handler {
    private static final System.Logger LOG = System.getLogger("shim.control");
    /** databind for update's resources, made on first use (a shim's start-up and exec need none). */
    private static final class Databind {
        static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    }

    private static final com.fasterxml.jackson.databind.node.JsonNodeFactory NODES =
            com.fasterxml.jackson.databind.node.JsonNodeFactory.instance;
    private static final int SIGKILL = 9;
    private static final AtomicInteger WAITERS = new AtomicInteger();

    private final Shim shim;

    ShimControl(Shim shim) {
        this.shim = shim;
    }

    /** Waits (bounded) until every wait-created caller got its answer. */
    static void awaitWaiters(long millis) {
        long end = System.currentTimeMillis() + millis;
        while (WAITERS.get() > 0 && System.currentTimeMillis() < end) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void handle(ControlRequest req, ControlServer.Answer answer) throws IOException {
        ControlRequest.Op op = ControlRequest.Op.of(req.op());
        LOG.log(Level.DEBUG, "control: " + req.op());
        try {
            switch (op) {
                case WAIT_CREATED -> waitCreated(req, answer);
                case STATE -> answer.send(state());
                case START -> answer.send(start());
                case KILL -> answer.send(kill(req));
                case PAUSE -> answer.send(pause());
                case RESUME -> answer.send(resume());
                case DELETE -> delete(req, answer);
                case EXEC -> exec(req, answer);
                case RESIZE -> answer.send(resize(req));
                case PS -> answer.send(ps());
                case STATS -> answer.send(stats());
                case UPDATE -> answer.send(update(req));
                case MOUNT -> answer.send(mount(req, true));
                case UMOUNT -> answer.send(mount(req, false));
            }
        } catch (ContainerState.IllegalTransition e) {
            answer.send(ControlResponse.failure(ErrorCode.FAILED_PRECONDITION, e.getMessage()));
        } catch (AgentClient.AgentException e) {
            boolean dead = shim.vm != null && !shim.vm.isAlive();
            answer.send(ControlResponse.failure(dead ? ErrorCode.VM_DIED : ErrorCode.INTERNAL,
                    req.op() + ": " + e.getMessage()));
        }
    }

    /**
     * Answers when the container is created. Held ({@code hold}), the container stays only if the
     * caller commits (sends a line) before it hangs up: a create CLI killed midway (after the VM
     * booted, before its hooks ran and state.json named the shim) takes the container with it.
     */
    private void waitCreated(ControlRequest req, ControlServer.Answer answer) throws IOException {
        ControlResponse r = waitCreated();
        boolean hold = Boolean.TRUE.equals(req.hold());
        if (hold && r.ok()) {
            // known before the answer goes: the creator may commit and exit right after reading it
            shim.holdDecision = answer.hangup();
        }
        try {
            answer.send(r);
        } catch (IOException e) {
            if (hold && r.ok()) {
                shim.finished.complete(new Exit(137, SIGKILL, "create did not finish: its caller went away"));
            }
            throw e;
        }
        if (!r.ok() || !hold) {
            return;
        }
        boolean committed;
        try {
            committed = shim.holdDecision.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (ExecutionException e) {
            committed = false;
        }
        if (committed) {
            shim.committed = true;
            shim.connectNetworkEarly();
        } else {
            LOG.log(Level.ERROR, "the create of container " + shim.args.id() + " did not finish (its caller is gone): "
                    + "removing the container");
            shim.finished.complete(new Exit(137, SIGKILL, "create did not finish: its caller went away"));
        }
    }

    private ControlResponse waitCreated() {
        WAITERS.incrementAndGet();
        try {
            return ControlResponse.pid(shim.created.get());
        } catch (ExecutionException e) {
            Shim.CreateFailed f = (Shim.CreateFailed) e.getCause();
            return ControlResponse.failure(f.vmDied ? ErrorCode.VM_DIED : ErrorCode.INTERNAL, f.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ControlResponse.failure(ErrorCode.INTERNAL, "interrupted");
        } finally {
            WAITERS.decrementAndGet();
        }
    }

    private ControlResponse state() {
        ContainerState s = shim.state();
        return ControlResponse.state(s.status(), s instanceof Stopped st ? st.exitStatus() : null);
    }

    private AgentClient agentOrFail() {
        ContainerState s = shim.state();
        if (s instanceof Creating || shim.agent == null) {
            throw new ContainerState.IllegalTransition(s, new Running());
        }
        return shim.agent;
    }

    private ControlResponse start() throws AgentClient.AgentException {
        ContainerState s = shim.state();
        if (!(s instanceof Created)) {
            return ControlResponse.failure(ErrorCode.FAILED_PRECONDITION, "cannot start a container that is " + s.status());
        }
        shim.mark("start-requested");
        try {
            shim.connectNetwork();
        } catch (IOException e) {
            return ControlResponse.failure(ErrorCode.INTERNAL, "start: cannot connect the VM to the container's network: "
                    + e.getMessage());
        }
        shim.mark("network-configured");
        shim.startDnsRelayIfNamed();
        shim.agent.start();
        shim.mark("started");
        shim.moveTo(new Running());
        shim.writeTimeline();
        IdleSettle.request();
        return ControlResponse.success();
    }

    private ControlResponse kill(ControlRequest req) throws IOException {
        int sig = req.signal() == null ? 15 : req.signal();
        if (sig < 1 || sig > 64) {
            return ControlResponse.failure(ErrorCode.INVALID_ARGUMENT, "kill: signal " + sig + " is not in 1..64");
        }
        ContainerState s = shim.state();
        if (s instanceof Stopped) {
            return ControlResponse.failure(ErrorCode.FAILED_PRECONDITION, "container not running");
        }
        AgentClient agent = agentOrFail();
        if (s instanceof Paused) {
            SocketPaths.socketDir(shim.args.stateDir()); // QMP is reached through the alias: remade if gone
            shim.vm.resume(); // the agent runs in the VM: it cannot answer while paused
        }
        agent.signal(req.execId() == null ? "" : req.execId(), sig, Boolean.TRUE.equals(req.all()));
        if (s instanceof Paused && sig != SIGKILL) {
            shim.vm.pause();
        }
        return ControlResponse.success();
    }

    private ControlResponse pause() throws IOException {
        ContainerState s = shim.state();
        if (!(s instanceof Running)) {
            return ControlResponse.failure(ErrorCode.FAILED_PRECONDITION, "container not running");
        }
        SocketPaths.socketDir(shim.args.stateDir()); // QMP is reached through the alias: remade if gone
        shim.vm.pause();
        shim.moveTo(new Paused());
        return ControlResponse.success();
    }

    private ControlResponse resume() throws IOException {
        ContainerState s = shim.state();
        if (!(s instanceof Paused)) {
            return ControlResponse.failure(ErrorCode.FAILED_PRECONDITION, "container not paused");
        }
        SocketPaths.socketDir(shim.args.stateDir()); // QMP is reached through the alias: remade if gone
        shim.vm.resume();
        shim.moveTo(new Running());
        return ControlResponse.success();
    }

    private void delete(ControlRequest req, ControlServer.Answer answer) throws IOException {
        ContainerState s = shim.state();
        boolean force = Boolean.TRUE.equals(req.force());
        if ((s instanceof Running || s instanceof Paused) && !force) {
            answer.send(ControlResponse.failure(ErrorCode.FAILED_PRECONDITION,
                    "cannot delete container " + shim.args.id() + " that is not stopped: " + s.status() + " (use --force)"));
            return;
        }
        answer.send(ControlResponse.success());
        LOG.log(Level.INFO, "delete (" + s.status() + (force ? ", forced" : "") + ")");
        if (s instanceof Creating) {
            if (shim.vm != null) {
                shim.vm.stop(Duration.ZERO);
            }
            return;
        }
        shim.finished.complete(new Exit(137, SIGKILL, "deleted while " + s.status()));
    }

    private ControlResponse resize(ControlRequest req) throws AgentClient.AgentException {
        if (req.rows() == null || req.cols() == null || req.rows() < 1 || req.cols() < 1) {
            return ControlResponse.failure(ErrorCode.INVALID_ARGUMENT, "resize: rows and cols must be positive");
        }
        agentOrFail().resize(req.execId() == null ? "" : req.execId(), req.rows(), req.cols());
        return ControlResponse.success();
    }

    /** {@code jvmvisor mount} (add) and {@code umount} (remove) on a created or running container. */
    private ControlResponse mount(ControlRequest req, boolean add) throws IOException {
        ContainerState s = shim.state();
        String what = add ? "mount" : "umount";
        if (!(s instanceof Created || s instanceof Running)) {
            return ControlResponse.failure(ErrorCode.FAILED_PRECONDITION,
                    what + ": the container is " + s.status() + ", not created or running");
        }
        LiveShares live = shim.liveShares;
        if (live == null) {
            return ControlResponse.failure(ErrorCode.FAILED_PRECONDITION, what + ": this VM has no live share");
        }
        try {
            if (add) {
                live.mount(shim.vm.pid(), shim.agent, req.hostPath(), req.containerPath(), Boolean.TRUE.equals(req.readonly()));
            } else {
                live.umount(shim.vm.pid(), shim.agent, req.containerPath());
            }
        } catch (LiveShares.Refused e) {
            return ControlResponse.failure(ErrorCode.FAILED_PRECONDITION, what + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ControlResponse.failure(ErrorCode.INTERNAL, what + ": interrupted");
        }
        return ControlResponse.success();
    }

    private ControlResponse ps() throws AgentClient.AgentException {
        ArrayNode list = NODES.arrayNode();
        for (ProcessInfo p : agentOrFail().listProcesses().getProcessesList()) {
            list.addObject().put("pid", p.getPid()).put("ppid", p.getPpid()).put("uid", p.getUid())
                    .put("state", p.getState()).put("command", p.getCommand());
        }
        return ControlResponse.data(list);
    }

    /**
     * Applies {@code resources} (OCI linux.resources) to the host cgroup. The guest's RAM and
     * vCPUs are fixed at boot: the answer's message says so.
     */
    private ControlResponse update(ControlRequest req) throws IOException {
        if (req.resources() == null || req.resources().isNull()) {
            return ControlResponse.failure(ErrorCode.INVALID_ARGUMENT, "update: resources are required");
        }
        HostCgroup cg = shim.hostCgroup;
        if (cg == null) {
            return ControlResponse.failure(ErrorCode.FAILED_PRECONDITION,
                    "update: the container has no host cgroup (config.json has no linux.cgroupsPath)");
        }
        cg.apply(Databind.JSON.treeToValue(req.resources(), io.jvmvisor.oci.Linux.Resources.class));
        ObjectNode o = NODES.objectNode();
        o.put("message", "applied to the host cgroup; the guest's RAM and vCPUs stay as booted");
        return ControlResponse.data(o);
    }

    /**
     * runc's {@code events --stats} data: cpu, memory and pids from the host cgroup when there is
     * one (what docker reads), else from the guest; the guest's own figures under {@code guest}.
     */
    private ControlResponse stats() throws AgentClient.AgentException {
        StatsResponse s = agentOrFail().stats();
        ObjectNode data = NODES.objectNode();
        HostCgroup cg = shim.hostCgroup;
        if (cg != null) {
            cg.stats(data);
        } else {
            var usage = data.putObject("cpu").putObject("usage");
            usage.put("total", s.getCpuUserNs() + s.getCpuSystemNs()).put("kernel", s.getCpuSystemNs())
                    .put("user", s.getCpuUserNs()).putArray("percpu");
            var mem = data.putObject("memory");
            mem.putObject("usage").put("usage", s.getMemTotalBytes() - s.getMemAvailableBytes()).put("max", 0)
                    .put("limit", s.getMemTotalBytes());
            mem.putObject("raw");
            data.putObject("pids").put("current", s.getPids()).put("limit", 0);
        }
        ObjectNode o = data.putObject("guest");
        o.put("memTotalBytes", s.getMemTotalBytes()).put("memAvailableBytes", s.getMemAvailableBytes())
                .put("memFreeBytes", s.getMemFreeBytes()).put("cpuUserNs", s.getCpuUserNs())
                .put("cpuSystemNs", s.getCpuSystemNs()).put("cpus", s.getCpus()).put("pids", s.getPids())
                .put("agentRssBytes", s.getAgentRssBytes()).put("uptimeNs", s.getUptimeNs());
        return ControlResponse.data(data);
    }

    private void exec(ControlRequest req, ControlServer.Answer answer) throws IOException {
        java.util.List<Fd> fds = answer.takeFds();
        try {
            exec(req, answer, fds);
        } finally {
            for (Fd fd : fds) {
                if (!fd.isClosed()) {
                    fd.close();
                }
            }
        }
    }

    /**
     * Runs an exec'd process with the caller's own stdio: the three descriptors it sent with the
     * request (the very open files: an {@code >> out.txt} keeps appending). Only the caller's
     * own PID is accepted as {@code stdioPid}.
     *
     * <p>A foreground caller waits for the exit status on this connection and stands in for the
     * process on the host: when it hangs up (the CLI was killed), the process is killed and the
     * caller's stdio released, so that nobody waits on a pipe the shim would hold open.
     *
     * <p>An {@code exec --detach} caller ({@code standIn}) exits once the process started, with the
     * PID of the process's stand-in on the host that this shim started ({@link ExecStandIns}) in
     * the answer: the stand-in gets the exit status, its signals go to the process, and when it is
     * gone without its status the process is killed.
     */
    private void exec(ControlRequest req, ControlServer.Answer answer, java.util.List<Fd> fds) throws IOException {
        if (!(shim.state() instanceof Running)) {
            answer.send(ControlResponse.failure(ErrorCode.FAILED_PRECONDITION,
                    "cannot exec in a container that is " + shim.state().status()));
            return;
        }
        if (req.execId() == null || req.execId().isEmpty() || req.process() == null) {
            answer.send(ControlResponse.failure(ErrorCode.INVALID_ARGUMENT, "exec: execId and process are required"));
            return;
        }
        Libc.PeerCred peer = answer.peer();
        if (peer == null || req.stdioPid() == null || req.stdioPid() != peer.pid()) {
            answer.send(ControlResponse.failure(ErrorCode.PERMISSION_DENIED, "exec: stdioPid " + req.stdioPid()
                    + " is not the caller" + (peer == null ? "" : " (pid " + peer.pid() + ")")));
            return;
        }
        boolean detached = Boolean.TRUE.equals(req.standIn());
        java.util.List<Fd> stdio = fds;
        io.jvmvisor.oci.Process p = io.jvmvisor.oci.SpecLoader.process(req.process());
        boolean terminal = Boolean.TRUE.equals(p.terminal());
        boolean console = terminal && req.consoleSocket() != null;
        if (!console && stdio.size() != 3) {
            answer.send(ControlResponse.failure(ErrorCode.INVALID_ARGUMENT,
                    "exec: the caller's stdin, stdout and stderr must come with the request (got " + stdio.size() + " fds)"));
            return;
        }
        AgentClient agent = shim.agent;
        String id = req.execId();
        // the stand-in starts while the guest starts the process (both take tens of ms under TCG)
        java.util.concurrent.CompletableFuture<ExecStandIns.StandIn> starting =
                detached ? ExecStandIns.startAsync(shim.args.id(), id) : null;
        ExecStandIns.StandIn standIn = null;
        int pid = -1;
        StdioRelay relay;
        try {
            pid = agent.exec(id, SpecTranslator.process(p));
            if (starting != null) {
                standIn = ExecStandIns.await(starting);
            }
            relay = console
                    ? StdioRelay.terminal(agent, id, req.consoleSocket(),
                            p.consoleSize() == null ? 0 : p.consoleSize().height(), p.consoleSize() == null ? 0 : p.consoleSize().width())
                    : StdioRelay.pipes(agent, id, stdio.get(0).inputStream(), stdio.get(1), terminal ? null : stdio.get(2));
        } catch (IOException | RuntimeException e) {
            if (starting != null) {
                ExecStandIns.discard(starting);
                if (pid > 0) {
                    agent.signal(id, SIGKILL, false); // nobody on the host would stand in for it
                }
            }
            throw e;
        }
        // a detached caller writes its stand-in's PID to its pid file; a foreground one stands in itself
        answer.send(ControlResponse.pid(standIn != null ? standIn.pid() : pid));
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable orphaned = () -> {
            if (done.get()) {
                return;
            }
            LOG.log(Level.WARNING, "exec " + id + ": its stand-in on the host (caller pid " + peer.pid()
                    + ") is gone: killing the process, releasing its stdio");
            relay.close();
            for (Fd fd : stdio) {
                try {
                    fd.close();
                } catch (IOException e) {
                    // closing cannot usefully fail
                }
            }
            try {
                agent.signal(id, SIGKILL, false);
            } catch (AgentClient.AgentException e) {
                LOG.log(Level.DEBUG, "exec " + id + ": " + e.getMessage());
            }
        };
        if (standIn != null) {
            ExecStandIns.relaySignals(agent, id, standIn, orphaned);
        } else {
            answer.hangup().thenAccept(sentSomething -> {
                if (!sentSomething) {
                    orphaned.run();
                }
            });
        }
        WaitProcessResponse r = agent.waitProcess(id);
        relay.awaitOutputs(2000);
        done.set(true);
        relay.close();
        if (standIn != null) {
            ExecStandIns.sendExit(answer, standIn, r.getExitStatus(), id);
        } else {
            answer.send(ControlResponse.exited(r.getExitStatus()));
        }
    }
}
