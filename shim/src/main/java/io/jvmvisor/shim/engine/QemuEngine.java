package io.jvmvisor.shim.engine;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Boots the VM with {@code qemu-system-x86_64 -M microvm}. QEMU runs under
 * {@code setpriv --pdeathsig KILL}, so it dies with the thread that started it
 * (the shim's main thread, which lives as long as the shim); its PID is also
 * kept in {@code vmm.pid} for the CLI's {@code delete} and killed by the
 * shim's shutdown hook.
 */
public final class QemuEngine implements Engine {
    private static final System.Logger LOG = System.getLogger("shim.qemu");
    public static final String PID_FILE = "vmm.pid";

    @Override
    public Vm start(VmConfig config, Path stateDir) throws IOException {
        List<String> argv = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/setpriv"))) {
            argv.addAll(List.of("/usr/bin/setpriv", "--pdeathsig", "KILL", "--"));
        }
        argv.addAll(QemuCommandLine.of(config));
        LOG.log(Level.INFO, "starting the VM: " + String.join(" ", argv));
        Files.deleteIfExists(config.agentSocket());
        Files.deleteIfExists(config.qmpSocket());
        Process p = new ProcessBuilder(argv)
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.PIPE)
                .start();
        Files.writeString(stateDir.resolve(PID_FILE), Long.toString(p.pid()));
        LOG.log(Level.INFO, "QEMU started, pid " + p.pid());
        ConsoleLog console = new ConsoleLog(p.getInputStream(), stateDir.resolve("console.log"));
        return new QemuVm(p, config, console);
    }
}
