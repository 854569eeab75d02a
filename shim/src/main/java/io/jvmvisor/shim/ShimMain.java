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
        int status;
        try {
            status = new Shim(args).run();
        } catch (Throwable t) {
            System.getLogger("shim").log(Level.ERROR, "shim failed: " + t, t);
            status = 255;
        }
        System.getLogger("shim").log(Level.INFO, "shim exits with " + status);
        System.exit(status);
    }
}
