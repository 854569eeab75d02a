package io.jvmvisor.kernels;

import io.jvmvisor.agent.AgentTarget;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The agent as PID 1 of a QEMU microvm (TCG): the guest kernel and
 * initramfs of this module, a rootfs shared over virtio-9p (tag "rootfs"),
 * and the agent's virtio-serial port behind a chardev socket the host
 * connects to. The VM's serial console is kept in DIR/console.log.
 */
public final class VmAgentTarget implements AgentTarget {

    public static final String ROOTFS_TAG = "rootfs";
    private static final String QEMU = "qemu-system-x86_64";

    private final Process qemu;
    private final Path socket;
    private final Path console;
    private final long startNanos;
    private long readyNanos;

    private VmAgentTarget(Process qemu, Path socket, Path console, long startNanos) {
        this.qemu = qemu;
        this.socket = socket;
        this.console = console;
        this.startNanos = startNanos;
    }

    public static Path kernel() {
        return Path.of(System.getProperty("jvmvisor.kernel", base() + "/target/vmlinux"));
    }

    public static Path initramfs() {
        return Path.of(System.getProperty("jvmvisor.initramfs", base() + "/target/initramfs.cpio"));
    }

    /** This module's folder, seen from the module a test runs in. */
    private static String base() {
        return Files.exists(Path.of("build-kernel.sh")) ? "." : "../kernels";
    }

    /** Why a VM cannot be booted here, if it cannot (for JUnit assumptions). */
    public static Optional<String> unavailable() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, QEMU))) {
                if (!Files.isReadable(kernel())) {
                    return Optional.of("no guest kernel at " + kernel() + " (mvn -pl kernels process-resources builds it)");
                }
                if (!Files.isReadable(initramfs())) {
                    return Optional.of("no initramfs at " + initramfs() + " (mvn -pl kernels process-resources builds it)");
                }
                return Optional.empty();
            }
        }
        return Optional.of(QEMU + " is not installed (apt-get install qemu-system-x86)");
    }

    /** The QEMU command line: TCG, microvm without ACPI, 9p rootfs, the agent's virtio-serial port. */
    public static List<String> commandLine(Path rootfs, Path socket, String extraAppend) {
        String append = "console=ttyS0 reboot=t panic=-1 jvmvisor.rootfs=" + ROOTFS_TAG
                + (extraAppend.isEmpty() ? "" : " " + extraAppend);
        return new ArrayList<>(List.of(QEMU,
                "-accel", "tcg", "-M", "microvm,acpi=off", "-nodefaults", "-no-user-config", "-nographic",
                "-no-reboot", "-m", "256M",
                "-kernel", kernel().toString(), "-initrd", initramfs().toString(), "-append", append,
                "-serial", "stdio",
                "-fsdev", "local,id=fs0,path=" + rootfs + ",security_model=passthrough",
                "-device", "virtio-9p-device,fsdev=fs0,mount_tag=" + ROOTFS_TAG,
                "-device", "virtio-serial-device",
                "-chardev", "socket,id=agent,path=" + socket + ",server=on,wait=off",
                "-device", "virtserialport,chardev=agent,name=jvmvisor.agent"));
    }

    /** Boots the VM with rootfs shared and waits (up to 120 s) for the agent's ready line. */
    public static VmAgentTarget boot(Path dir, Path rootfs, String extraAppend) throws IOException, InterruptedException {
        Path socket = dir.resolve("agent.sock");
        Path console = dir.resolve("console.log");
        long start = System.nanoTime();
        Process p = new ProcessBuilder(commandLine(rootfs, socket, extraAppend))
                .redirectErrorStream(true).redirectOutput(console.toFile())
                .redirectInput(ProcessBuilder.Redirect.PIPE).start();
        var vm = new VmAgentTarget(p, socket, console, start);
        long deadline = start + TimeUnit.SECONDS.toNanos(120);
        while (!vm.log().contains("jvmvisor-agent: ready channel=")) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                String log = vm.log();
                vm.close();
                throw new IllegalStateException("the guest agent did not get ready (QEMU "
                        + (p.isAlive() ? "still running" : "exited " + p.exitValue()) + "); console:\n" + log);
            }
            Thread.sleep(5);
        }
        vm.readyNanos = System.nanoTime();
        while (!Files.exists(socket)) {
            Thread.sleep(5);
        }
        return vm;
    }

    public static VmAgentTarget boot(Path dir, Path rootfs) throws IOException, InterruptedException {
        return boot(dir, rootfs, "");
    }

    /** Wall time from starting QEMU to the agent's ready line on the console. */
    public Duration startToReady() {
        return Duration.ofNanos(readyNanos - startNanos);
    }

    public Process process() {
        return qemu;
    }

    @Override
    public Path socket() {
        return socket;
    }

    @Override
    public String channel() {
        return "virtio-serial";
    }

    @Override
    public boolean isAlive() {
        return qemu.isAlive();
    }

    @Override
    public boolean waitForExit(Duration timeout) throws InterruptedException {
        return qemu.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public String log() {
        try {
            return Files.exists(console) ? Files.readString(console, java.nio.charset.StandardCharsets.ISO_8859_1) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        if (qemu.isAlive()) {
            qemu.destroy();
            try {
                if (!qemu.waitFor(10, TimeUnit.SECONDS)) {
                    qemu.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                qemu.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        try {
            Files.deleteIfExists(socket);
            // keep the console for a post-mortem: target/vm-consoles/qemu-PID.log
            Path keep = Files.createDirectories(Path.of("target/vm-consoles"));
            if (Files.exists(console)) {
                Files.copy(console, keep.resolve("qemu-" + qemu.pid() + ".log"),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
