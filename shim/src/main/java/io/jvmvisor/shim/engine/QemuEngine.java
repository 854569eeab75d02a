package io.jvmvisor.shim.engine;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Boots the VM with {@code qemu-system-x86_64 -M microvm}, started through
 * {@code jvmvisor-vmm-jail} ({@link JailCommandLine}): QEMU sees the container's
 * shares only through the exports tree of its own mount namespace
 * ({@code <state dir>/exports}, gone with QEMU), runs with a few capabilities,
 * a seccomp filter and {@code -sandbox on}, and dies with the thread that
 * started it (parent-death signal; the shim's main thread lives as long as
 * the shim). Its PID is also kept in {@code vmm.pid} for the CLI's
 * {@code delete} and killed by the shim's shutdown hook.
 */
public final class QemuEngine implements Engine {
    private static final System.Logger LOG = System.getLogger("shim.qemu");
    public static final String PID_FILE = "vmm.pid";
    /** The exports tree's mount point in the state dir (empty on the host; mounted only in QEMU's namespace). */
    public static final String EXPORTS_DIR = "exports";

    /** The jail binary, built by the shim module's make into shim/target/native. */
    public static Path jail() {
        Path home = Path.of(System.getProperty("jvmvisor.home", ".")).toAbsolutePath();
        return home.resolve("shim/target/native/jvmvisor-vmm-jail");
    }

    @Override
    public Vm start(VmConfig config, Path stateDir) throws IOException {
        return start(config, stateDir, false);
    }

    @Override
    public Vm start(VmConfig config, Path stateDir, boolean useTemplate) throws IOException {
        VmTemplate template = null;
        if (useTemplate) {
            try {
                template = VmTemplate.find(VmTemplate.root(), config);
            } catch (IOException e) {
                LOG.log(Level.WARNING, "cannot look for a VM template: " + e.getMessage());
            }
        }
        if (template != null) {
            try {
                return launch(config, stateDir, template);
            } catch (IOException e) {
                LOG.log(Level.WARNING, "restore from the template " + template.dir() + " failed, booting cold (the template is discarded): "
                        + e.getMessage());
                template.discard();
            }
        }
        return launch(config, stateDir, null);
    }

    private Vm launch(VmConfig config, Path stateDir, VmTemplate template) throws IOException {
        Path jail = jail();
        if (!Files.isExecutable(jail)) {
            throw new IOException("the VMM jail " + jail + " is missing: build the shim module (mvn install)");
        }
        Path exports = stateDir.resolve(EXPORTS_DIR).toAbsolutePath();
        Files.createDirectories(exports);
        List<String> vmm = template == null ? QemuCommandLine.of(config, exports)
                : QemuCommandLine.of(config, exports, QemuCommandLine.Start.RESTORE, template.ram());
        List<String> argv = new ArrayList<>(JailCommandLine.of(jail, config, exports, ProcessHandle.current().pid(),
                List.of(), vmm));
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
        if (template == null) {
            return new QemuVm(p, config, console);
        }
        try {
            TemplateRestore.run(config.qmpSocket(), template.state(), p, 10_000);
        } catch (IOException | InterruptedException e) {
            p.destroyForcibly();
            try {
                p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
            console.drain(500);
            Files.deleteIfExists(config.agentSocket());
            Files.deleteIfExists(config.qmpSocket());
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IOException(e.getMessage() + "; console:\n" + console.tail(5), e);
        }
        LOG.log(Level.INFO, "VM restored from the template " + template.dir());
        return new QemuVm(p, config, console, true);
    }
}
