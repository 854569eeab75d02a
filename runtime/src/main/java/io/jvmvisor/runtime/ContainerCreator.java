package io.jvmvisor.runtime;

import io.jvmvisor.oci.Spec;
import io.jvmvisor.oci.SpecException;
import io.jvmvisor.oci.SpecLoader;
import io.jvmvisor.oci.SpecValidator;
import io.jvmvisor.runtime.hooks.HookException;
import io.jvmvisor.runtime.hooks.CreateHooks;
import io.jvmvisor.runtime.state.ContainerRecord;
import io.jvmvisor.runtime.state.ProcStat;
import io.jvmvisor.runtime.state.StateStore;
import io.jvmvisor.runtime.state.StoreException;
import io.jvmvisor.shim.ShimLauncher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * {@code create} as a recipe of steps, each with its undo on a
 * {@link CleanupStack}: read config.json, make the state dir, start the shim,
 * validate the bundle (while the shim's JVM boots; before the shim for a config
 * {@link ConfigPreview} cannot preview), run the createRuntime/prestart hooks while
 * the shim creates the container, wait for both, write the pid file. A failure undoes every
 * step: nothing is left behind.
 */
public final class ContainerCreator {
    /** How long a shim whose create failed gets to undo its steps and exit before it is killed. */
    private static final long SHIM_CLEANUP_SECONDS = 10;
    /** How long the shim may take to boot the VM and create the container (TCG is slow). */
    private static final Duration CREATE_TIMEOUT =
            Duration.ofSeconds(Long.getLong("jvmvisor.createTimeoutSeconds", 120));

    /** create's options. */
    public record Options(String id, Path bundle, String consoleSocket, Path pidFile, int preserveFds,
                          boolean detach) {
    }

    /** A created container: its shim process (a child of this JVM) and PID. */
    public record Created(java.lang.Process shim, long pid) {
    }

    private final Containers containers;
    private final ErrorLog log;
    private final boolean debug;

    public ContainerCreator(Containers containers, ErrorLog log, boolean debug) {
        this.containers = containers;
        this.log = log;
        this.debug = debug;
    }

    /** Runs the recipe. */
    public Created create(Options o) throws CliException {
        StateStore store = containers.store();
        try {
            StateStore.checkId(o.id());
        } catch (StoreException e) {
            throw new CliException(e.getMessage());
        }
        Path bundle = o.bundle().toAbsolutePath().normalize();
        byte[] config;
        try {
            config = SpecLoader.read(bundle);
        } catch (SpecException e) {
            throw new CliException(e.getMessage());
        }
        // A plain config is previewed (no databind) and the shim started before the full parse, which
        // then runs while the shim's JVM boots; any other config is parsed and checked first.
        ConfigPreview preview = ConfigPreview.of(config, bundle);
        Spec spec = preview == null ? parseAndCheck(config, bundle, o) : null;
        Path rootfs;
        Map<String, String> annotations;
        List<String> networkPrefix;
        if (spec == null) {
            rootfs = preview.rootfs();
            annotations = preview.annotations();
            networkPrefix = ShimLauncher.networkPrefix(preview.network(), preview.networkPath());
        } else {
            try {
                rootfs = SpecValidator.rootfs(spec, bundle);
            } catch (SpecException e) {
                throw new CliException(e.getMessage());
            }
            annotations = spec.annotationMap();
            networkPrefix = ShimLauncher.networkPrefix(spec);
        }
        try (CleanupStack undo = new CleanupStack()) {
            ContainerRecord rec = new ContainerRecord(o.id(), bundle.toString(), rootfs.toString(),
                    Instant.now().toString(), System.getProperty("user.name", ""), annotations, 0, 0);
            Path stateDir;
            try {
                stateDir = store.create(rec);
            } catch (StoreException e) {
                if (spec == null) {
                    parseAndCheck(config, bundle, o); // a config error is reported first, as runc does
                }
                throw e;
            }
            undo.push("state dir " + stateDir, () -> store.remove(o.id()));
            // held until create ends (or this process dies): state says creating meanwhile
            java.nio.channels.FileLock creating = store.lock(o.id());
            undo.push("the create lock", () -> creating.channel().close());
            // the very bytes validated: start, exec, delete and the shim read this copy
            StateStore.writeAtomically(stateDir.resolve(StateStore.CONFIG_COPY), config);

            java.lang.Process shim = ShimLauncher.start(new ShimLauncher.Options(o.id(), bundle, stateDir,
                    o.consoleSocket(), log.file(), log.format(), debug), networkPrefix, log::debug);
            // the exit goes through _exit(2) (the reaper of the shim sits in waitpid): bound now, while the
            // shim boots the VM, not after the container is created
            io.jvmvisor.sys.ProcessExit.prepare();
            undo.push("shim " + shim.pid(), () -> {
                if (shim.isAlive()) {
                    shim.destroyForcibly();
                    shim.waitFor();
                }
                containers.killVmm(o.id());
            });
            // the shim is named at once: should this CLI die from here on, state and delete find it
            store.write(rec.withShim(shim.pid(), ProcStat.startTime(shim.pid())));
            if (spec == null) {
                try {
                    spec = parseAndCheck(config, bundle, o);
                } catch (CliException e) {
                    stopEarly(shim, stateDir);
                    throw e;
                }
            }
            store.writeHooks(o.id(), spec.hookSet());
            // createRuntime and prestart hooks run while the shim boots the VM (CreateHooks says why)
            CreateHooks hooks = CreateHooks.start(spec.hookSet(), Containers.hookState(rec, "creating", shim.pid()), shim);
            undo.push("the create hooks", hooks::awaitQuietly); // done before the shim is stopped
            ShimLauncher.Held held;
            try {
                held = ShimLauncher.awaitCreated(stateDir, shim, CREATE_TIMEOUT, true);
            } catch (ShimLauncher.ShimException e) {
                hooks.awaitQuietly();
                // the shim said why and now undoes its own steps (VM, taps, host cgroup): a SIGKILL
                // from the undo below would cut that short and leave them behind
                if (!shim.waitFor(SHIM_CLEANUP_SECONDS, java.util.concurrent.TimeUnit.SECONDS)) {
                    log.debug("the shim of " + o.id() + " did not exit " + SHIM_CLEANUP_SECONDS + " s after its create failed");
                }
                throw e;
            }
            undo.push("the shim's hold", held::close);
            long pid = held.pid();
            rec = rec.withShim(pid, ProcStat.startTime(pid));
            store.write(rec);

            hooks.await();

            if (o.pidFile() != null) {
                Path pidFile = o.pidFile();
                StateStore.writeAtomically(pidFile, Long.toString(pid));
                undo.push("pid file " + pidFile, () -> Files.deleteIfExists(pidFile));
            }
            held.commit();
            creating.channel().close();
            undo.release();
            writeStateViews(store, rec);
            return new Created(shim, pid);
        } catch (StoreException | HookException e) {
            throw new CliException(e.getMessage());
        } catch (ShimLauncher.ShimException e) {
            throw new CliException(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted while creating container " + o.id());
        } catch (IOException e) {
            throw new CliException("cannot create container " + o.id() + ": " + e.getMessage());
        }
    }

    /**
     * What {@code state} prints for the container while its shim lives and says created or running,
     * rendered by the code that renders it ({@link Json#state}), once create is over: bin/jvmvisor
     * prints it, and sends start and kill itself, without a JVM after checking that shim's PID and
     * start time and its status file ({@link StateStore#STATE_VIEWS}). Views that could not be
     * written only leave those commands to the Java CLI.
     */
    private void writeStateViews(StateStore store, ContainerRecord rec) {
        Map<String, String> views = new java.util.LinkedHashMap<>();
        for (String status : List.of("created", "running")) {
            views.put(status, Json.state(containers.view(new Containers.Found(rec.id(), rec,
                    io.jvmvisor.runtime.state.Status.of(status, null)))) + "\n");
        }
        try {
            store.writeStateViews(rec.id(), rec.shimPid(), rec.shimStartTime(), views);
        } catch (StoreException e) {
            log.debug(e.getMessage() + ": state, start and kill of " + rec.id() + " go to the Java CLI");
        }
    }

    /**
     * Stops a shim started before its config was found wrong. One that does not listen yet has done
     * nothing (its control socket comes before anything else it does) and is killed outright: a
     * SIGTERM that early in its JVM makes the JDK print a line on the stderr it shares with this CLI.
     * One that listens is asked to undo its steps (SIGTERM) and waited for.
     */
    private static void stopEarly(java.lang.Process shim, Path stateDir) throws InterruptedException {
        try {
            io.jvmvisor.shim.control.ControlClient.connect(stateDir).close();
        } catch (IOException notListening) {
            shim.destroyForcibly();
            shim.waitFor();
            io.jvmvisor.shim.control.SocketPaths.removeAlias(stateDir);
            return;
        }
        ShimLauncher.terminate(shim, Duration.ofSeconds(SHIM_CLEANUP_SECONDS));
    }

    /** Parses and validates config.json and checks it against create's options; the first problem is the error. */
    private static Spec parseAndCheck(byte[] config, Path bundle, Options o) throws CliException {
        Spec spec;
        try {
            spec = SpecLoader.parse(config);
            SpecValidator.validate(spec, bundle);
            SpecValidator.rootfs(spec, bundle);
        } catch (SpecException e) {
            throw new CliException(e.getMessage());
        }
        checkTerminal(spec, o);
        String hostNetwork = io.jvmvisor.shim.net.NicPlan.hostNetworkRefusal(spec);
        if (hostNetwork != null) {
            throw new CliException(hostNetwork);
        }
        if (o.preserveFds() > 0) {
            throw new CliException("--preserve-fds is not supported by jvmvisor (the container runs in a VM)");
        }
        return spec;
    }

    /** runc's rules on terminal and console socket. */
    private static void checkTerminal(Spec spec, Options o) throws CliException {
        boolean terminal = spec.process().isTerminal();
        if (terminal && o.detach() && o.consoleSocket() == null) {
            throw new CliException("cannot allocate tty if jvmvisor will detach without setting console socket");
        }
        if (terminal && !o.detach()) {
            throw new CliException("process.terminal is true: jvmvisor run in the foreground does not allocate a "
                    + "terminal; use create/run --detach with --console-socket");
        }
        if (!terminal && o.consoleSocket() != null) {
            throw new CliException("cannot use console socket if jvmvisor will not detach or allocate tty");
        }
    }
}
