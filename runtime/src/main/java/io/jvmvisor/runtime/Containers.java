package io.jvmvisor.runtime;

import io.jvmvisor.oci.Hooks;
import io.jvmvisor.oci.Spec;
import io.jvmvisor.oci.SpecException;
import io.jvmvisor.oci.SpecLoader;
import io.jvmvisor.oci.State;
import io.jvmvisor.runtime.hooks.HookRunner;
import io.jvmvisor.runtime.state.ContainerRecord;
import io.jvmvisor.runtime.state.ExitRecord;
import io.jvmvisor.runtime.state.IllegalTransitionException;
import io.jvmvisor.runtime.state.ProcStat;
import io.jvmvisor.runtime.state.StateStore;
import io.jvmvisor.runtime.state.Status;
import io.jvmvisor.runtime.state.StoreException;
import io.jvmvisor.shim.CgroupRecord;
import io.jvmvisor.shim.control.ControlClient;
import io.jvmvisor.shim.control.ControlRequest;
import io.jvmvisor.shim.control.ControlResponse;
import io.jvmvisor.shim.control.SocketPaths;
import io.jvmvisor.shim.control.StatusFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The operations on existing containers (start, kill, delete, state), over
 * the state store and each container's shim control socket.
 */
public final class Containers {
    /** The OCI runtime-spec version jvmvisor implements. */
    public static final String OCI_VERSION = "1.2.0";
    private static final long SHIM_EXIT_WAIT_MS = 10_000;

    private final StateStore store;
    private final ErrorLog log;

    public Containers(StateStore store, ErrorLog log) {
        this.store = store;
        this.log = log;
    }

    public StateStore store() {
        return store;
    }

    ErrorLog log() {
        return log;
    }

    /** Sends {@code signal} to the container's init ({@code execId} null) or to an exec'd process, quietly. */
    void forward(String id, String execId, int signal) {
        try {
            ControlResponse r = ControlClient.call(store.dir(id),
                    execId == null ? ControlRequest.kill(signal, false) : ControlRequest.kill(execId, signal));
            if (!r.ok()) {
                log.debug("forwarding signal " + signal + " to " + id + ": " + r.error());
            }
        } catch (IOException e) {
            log.debug("forwarding signal " + signal + " to " + id + ": " + e.getMessage());
        }
    }

    /** A container's record with its live status. */
    public record Found(String id, ContainerRecord record, Status status) {
        /** PID shown in state: the shim's while alive, 0 once stopped or while creating. */
        public long pid() {
            return record == null || status instanceof Status.Stopped || status instanceof Status.Creating
                    ? 0 : record.shimPid();
        }
    }

    /** Looks a container up; {@code container does not exist} if unknown. */
    public Found find(String id) throws CliException {
        try {
            ContainerRecord rec = store.read(id);
            return new Found(id, rec, liveStatus(id, rec));
        } catch (StoreException e) {
            throw new CliException(e.getMessage());
        }
    }

    /**
     * Reads the shim's status file, else asks the shim; if the shim is gone, the container stopped
     * (exit.json says how). A shim that
     * lives but does not answer (its socket removed, refused) is not a stopped container: as runc
     * says running while the container's process lives, this says running, with the reason logged.
     */
    public Status liveStatus(String id, ContainerRecord rec) {
        if (rec == null || rec.shimPid() <= 0) {
            return new Status.Creating();
        }
        if (ProcStat.isAlive(rec.shimPid(), rec.shimStartTime())) {
            // what the shim keeps in its status file, written at each transition before it is answered:
            // no connection (a fresh JVM's first Unix socket costs ~25 ms); a shim that keeps none is asked
            ControlResponse kept = StatusFile.read(store.dir(id));
            if (kept != null && kept.ok() && kept.status() != null) {
                try {
                    return Status.of(kept.status(), kept.exitStatus());
                } catch (IllegalArgumentException e) {
                    // a status this CLI does not know: ask
                }
            }
            String why;
            try {
                ControlResponse resp = ControlClient.call(store.dir(id), ControlRequest.of(ControlRequest.Op.STATE));
                if (resp.ok() && resp.status() != null) {
                    return Status.of(resp.status(), resp.exitStatus());
                }
                why = "answered state with: " + resp.error();
            } catch (IOException | IllegalArgumentException e) {
                why = "does not answer: " + e.getMessage();
            }
            if (store.locked(id)) {
                return new Status.Creating(); // its create runs: the shim does not listen yet
            }
            if (ProcStat.isAlive(rec.shimPid(), rec.shimStartTime())) {
                log.warn("the shim of " + id + " (pid " + rec.shimPid() + ") runs but " + why + "; reporting it running");
                return new Status.Running();
            }
        }
        ExitRecord exit = store.readExit(id);
        return new Status.Stopped(exit == null ? null : exit.exitStatus());
    }

    /** The view printed by {@code state} and {@code list}. */
    public ContainerView view(Found f) {
        ContainerRecord r = f.record();
        if (r == null) {
            return new ContainerView(OCI_VERSION, f.id(), 0, f.status().wire(), "", "", "", "", Map.of());
        }
        return new ContainerView(OCI_VERSION, f.id(), f.pid(), f.status().wire(), r.bundle(), r.rootfs(),
                r.created(), r.owner(), r.annotations());
    }

    /** The OCI state JSON given to hooks on stdin. */
    public static byte[] hookState(ContainerRecord r, String status, long pid) {
        return Json.hookState(new State(OCI_VERSION, r.id(), status, pid, r.bundle(), r.annotations()))
                .getBytes(StandardCharsets.UTF_8);
    }

    /** {@code start}: releases a created container's process, then runs poststart hooks. */
    public void start(String id) throws CliException {
        Found f = find(id);
        try {
            f.status().checkStart();
        } catch (IllegalTransitionException e) {
            throw new CliException(e.getMessage());
        }
        ControlResponse resp = call(id, ControlRequest.of(ControlRequest.Op.START));
        if (!resp.ok()) {
            throw new CliException(resp.error());
        }
        Hooks hooks = postHooks(f.record());
        if (!Hooks.orEmpty(hooks.poststart()).isEmpty()) {
            warnAll(HookRunner.runAllReportingFailures("poststart", hooks.poststart(),
                    hookState(f.record(), "running", f.record().shimPid())));
        }
    }

    /** {@code kill}: a signal to the container's init (or all its processes). */
    public void kill(String id, int signal, boolean all) throws CliException {
        Found f = find(id);
        if (all && f.status() instanceof Status.Stopped) {
            return; // runc: nothing left to signal is not an error with --all
        }
        try {
            f.status().checkKill();
        } catch (IllegalTransitionException e) {
            throw new CliException(e.getMessage());
        }
        ControlResponse resp;
        try {
            resp = call(id, ControlRequest.kill(signal, all));
        } catch (CliException unreachable) {
            if (signal != 9) {
                throw unreachable;
            }
            // SIGKILL needs no agent: end the shim and the VM by PID (the container exits with 137)
            log.warn(unreachable.getMessage() + ": killing the shim and the VM by PID");
            stopShim(id, f.record());
            return;
        }
        if (!resp.ok()) {
            throw new CliException(resp.error());
        }
    }

    /** {@code pause} / {@code resume}. */
    public void pause(String id, boolean pause) throws CliException {
        Found f = find(id);
        try {
            f.status().checkPause(pause);
        } catch (IllegalTransitionException e) {
            throw new CliException(e.getMessage());
        }
        ControlResponse resp = call(id, ControlRequest.of(pause ? ControlRequest.Op.PAUSE : ControlRequest.Op.RESUME));
        if (!resp.ok()) {
            throw new CliException(resp.error());
        }
    }

    /** {@code mount}: a host path into a created or running container. */
    public void mount(String id, String hostPath, String containerPath, boolean readonly) throws CliException {
        liveShare(id, "mount", ControlRequest.mount(hostPath, containerPath, readonly));
    }

    /** {@code umount}: removes a live mount. */
    public void umount(String id, String containerPath) throws CliException {
        liveShare(id, "umount", ControlRequest.umount(containerPath));
    }

    private void liveShare(String id, String what, ControlRequest req) throws CliException {
        Found f = find(id);
        if (!(f.status() instanceof Status.Running || f.status() instanceof Status.Created)) {
            throw new CliException(what + ": container " + id + " is " + f.status().wire() + ", not created or running");
        }
        ControlResponse resp = call(id, req);
        if (!resp.ok()) {
            throw new CliException(resp.error());
        }
    }

    /**
     * {@code delete}: stops the shim and VM if needed, runs poststop hooks,
     * removes the state dir. Unknown IDs: an error, or nothing with force (as runc).
     */
    public void delete(String id, boolean force) throws CliException {
        ContainerRecord rec;
        try {
            rec = store.read(id);
        } catch (StoreException e) {
            if (e.kind() == StoreException.Kind.NOT_FOUND && force) {
                return;
            }
            throw new CliException(e.getMessage());
        }
        if (rec == null) {
            // an interrupted create left a directory without state.json: remove it, as runc does
            removeDir(id);
            if (force) {
                return;
            }
            throw new CliException("container does not exist");
        }
        Status status = liveStatus(id, rec);
        try {
            status.checkDelete(id, force);
        } catch (IllegalTransitionException e) {
            throw new CliException(e.getMessage());
        }
        stopShim(id, rec);
        CgroupRecord.removeLeftovers(store.dir(id)); // a shim killed before it removed them
        if (!(status instanceof Status.Creating)) {
            Hooks hooks = postHooks(rec);
            if (!Hooks.orEmpty(hooks.poststop()).isEmpty()) {
                warnAll(HookRunner.runAllReportingFailures("poststop", hooks.poststop(), hookState(rec, "stopped", 0)));
            }
        }
        removeDir(id);
    }

    /** Asks the shim to delete, waits for it to exit, then kills it and the VMM by PID if they are still there. */
    void stopShim(String id, ContainerRecord rec) {
        long pid = rec.shimPid();
        if (pid > 0 && ProcStat.isAlive(pid, rec.shimStartTime())) {
            long wait = SHIM_EXIT_WAIT_MS;
            try {
                ControlResponse resp = ControlClient.call(store.dir(id), ControlRequest.delete(true));
                if (!resp.ok()) {
                    log.debug("shim of " + id + " refused delete: " + resp.error());
                }
            } catch (IOException e) {
                // unreachable: SIGTERM makes the shim kill its VM and remove its sockets itself
                log.debug("shim of " + id + " did not answer delete (" + e.getMessage() + "): terminating it");
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
                wait = 3000;
            }
            long deadline = System.currentTimeMillis() + wait;
            while (ProcStat.isAlive(pid, rec.shimStartTime()) && System.currentTimeMillis() < deadline) {
                sleep(20);
            }
            if (ProcStat.isAlive(pid, rec.shimStartTime())) {
                log.warn("the shim of " + id + " (pid " + pid + ") did not exit, killing it");
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        killVmm(id);
    }

    /** Kills the VMM recorded in vmm.pid if it still runs and still belongs to this container. */
    void killVmm(String id) {
        long vmm = store.readVmmPid(id);
        if (vmm <= 0 || ProcStat.startTime(vmm) < 0) {
            return;
        }
        try {
            String cmdline = new String(Files.readAllBytes(Path.of("/proc", Long.toString(vmm), "cmdline")),
                    StandardCharsets.UTF_8);
            Path stateDir = store.dir(id);
            if (cmdline.contains(stateDir.toString()) || cmdline.contains(SocketPaths.socketDir(stateDir).toString())) {
                ProcessHandle.of(vmm).ifPresent(ProcessHandle::destroyForcibly);
                for (int i = 0; i < 100 && ProcStat.startTime(vmm) >= 0; i++) {
                    sleep(20);
                }
            }
        } catch (IOException e) {
            // gone meanwhile
        }
    }

    private void removeDir(String id) throws CliException {
        try {
            store.remove(id);
            SocketPaths.removeAlias(store.dir(id));
        } catch (StoreException e) {
            throw new CliException(e.getMessage());
        }
    }

    private ControlResponse call(String id, ControlRequest req) throws CliException {
        try {
            return ControlClient.call(store.dir(id), req);
        } catch (IOException e) {
            throw new CliException("cannot reach the shim of container " + id + ": " + e.getMessage());
        }
    }

    /**
     * The config.json the container was created with: create keeps a copy in the state dir (as runc
     * keeps its config in state.json), so a bundle edited or removed afterwards changes nothing.
     * Containers created before that copy existed: the bundle's.
     */
    public Spec createdSpec(ContainerRecord rec) throws SpecException {
        Path copy = store.dir(rec.id()).resolve(StateStore.CONFIG_COPY);
        if (Files.exists(copy)) {
            try {
                return SpecLoader.parse(Files.readAllBytes(copy));
            } catch (IOException e) {
                throw new SpecException("cannot read " + copy + ": " + e.getMessage());
            }
        }
        return SpecLoader.parse(Path.of(rec.bundle()));
    }

    /**
     * The poststart/poststop hooks create kept in hooks.json, read with the streaming API (the kept
     * config.json is not parsed again for them); the kept config's for a container whose create kept none.
     */
    private Hooks postHooks(ContainerRecord rec) {
        try {
            Hooks kept = store.readHooks(rec.id());
            if (kept != null) {
                return kept;
            }
        } catch (IOException e) {
            log.warn("cannot read " + StateStore.HOOKS_FILE + " of " + rec.id() + ": " + e.getMessage());
        }
        try {
            return createdSpec(rec).hookSet();
        } catch (SpecException e) {
            log.warn("cannot read hooks of " + rec.id() + ": " + e.getMessage());
            return Hooks.NONE;
        }
    }

    private void warnAll(List<String> failures) {
        failures.forEach(log::warn);
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
