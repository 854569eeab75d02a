package io.jvmvisor.shim;

import java.lang.System.Logger.Level;
import java.nio.file.Files;

/**
 * The per-container shim process (started by {@link ShimLauncher}). Its
 * stdin/stdout/stderr are the container's; its own logs go to
 * {@code <state-dir>/shim.log}. Exits with the container's exit status.
 */
public final class ShimMain {
    private ShimMain() {
    }

    public static void main(String[] argv) throws Exception {
        boolean preStarted = argv.length == 2 && argv[0].equals(PreStartedShim.AWAIT_ARGS);
        if (preStarted) {
            // started ahead by bin/jvmvisor: the container's arguments come from the CLI, or nothing
            Thread.ofPlatform().daemon().name("warm-up").start(PreStartedShim::warmUp);
            argv = PreStartedShim.awaitArgs(Integer.parseInt(argv[1]));
            if (argv == null) {
                io.jvmvisor.sys.ProcessExit.halt(0);
            }
        }
        ShimArgs args;
        try {
            args = ShimArgs.parse(argv);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        io.jvmvisor.shim.control.PrivateFiles.createDirectories(args.stateDir());
        ShimLog.install(args.stateDir().resolve("shim.log"), args.log(), args.logJson(), args.debug());
        System.getLogger("shim").log(Level.INFO, "shim " + ProcessHandle.current().pid() + " for container " + args.id()
                + " (bundle " + args.bundle() + ")");
        // the exit's downcall is bound on a thread of its own: ~25 ms of stub spinning off the boot's path
        if (!preStarted) { // else the warm-up binds it
            Thread.ofPlatform().daemon().name("exit-prepare").start(io.jvmvisor.sys.ProcessExit::prepare);
        }
        int status;
        try {
            status = new Shim(args).run();
        } catch (Throwable t) {
            System.getLogger("shim").log(Level.ERROR, "shim failed: " + t, t);
            System.getLogger("shim").log(Level.INFO, "shim exits with 255");
            System.exit(255); // the shutdown hook stops a VM that may still run
            return;
        }
        System.getLogger("shim").log(Level.INFO, "shim exits with " + status);
        // run() has stopped the VM, written exit.json and the timeline and removed the sockets:
        // _exit(2) spares the JVM's exit wait for threads in native calls (~300 ms)
        io.jvmvisor.sys.ProcessExit.now(status);
    }
}
