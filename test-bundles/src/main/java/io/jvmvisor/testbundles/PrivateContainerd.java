package io.jvmvisor.testbundles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private containerd for tests: own root, state, socket and config (CRI
 * plugin off), the test image imported into namespace {@code jvmvisor}.
 * {@link #ctr} runs the {@code ctr} client against it. Stopped by PID on close.
 */
public final class PrivateContainerd implements AutoCloseable {
    public static final String IMAGE = "docker.io/jvmvisor-test/busybox:latest";
    public static final String NAMESPACE = "jvmvisor";
    private static final Path CONTAINERD = Path.of("/usr/bin/containerd");

    private final Path dir;
    private final Process daemon;
    private final Path socket;

    private PrivateContainerd(Path dir, Process daemon, Path socket) {
        this.dir = dir;
        this.daemon = daemon;
        this.socket = socket;
    }

    /** Why a private containerd cannot run here, or null if it can. */
    public static String unavailableReason() {
        if (!Files.isExecutable(CONTAINERD)) {
            return CONTAINERD + " is not installed (apt-get install containerd)";
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            return "a private containerd needs root";
        }
        return null;
    }

    public static PrivateContainerd start(Path dir) {
        try {
            Files.createDirectories(dir);
            Path socket = dir.resolve("containerd.sock");
            Files.writeString(dir.resolve("config.toml"), """
                    version = 2
                    root = "%s"
                    state = "%s"
                    disabled_plugins = ["io.containerd.grpc.v1.cri"]
                    [grpc]
                      address = "%s"
                    [ttrpc]
                      address = "%s"
                    """.formatted(dir.resolve("root"), dir.resolve("state"), socket, dir.resolve("ttrpc.sock")));
            Process p = new ProcessBuilder(CONTAINERD.toString(), "--config", dir.resolve("config.toml").toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("containerd.log").toFile()).start();
            PrivateContainerd c = new PrivateContainerd(dir, p, socket);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!(Files.exists(socket) && c.ctr("version").exitCode() == 0)) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    c.close();
                    throw new IllegalStateException("containerd did not start: " + Files.readString(dir.resolve("containerd.log")));
                }
                Thread.sleep(100);
            }
            Path rootfs = Rootfs.build(dir.resolve("image-rootfs"));
            Path tar = dir.resolve("image.tar");
            CommandResult t = Commands.run(Duration.ofSeconds(60), List.of("tar", "-C", rootfs.toString(), "-cf", tar.toString(), "."));
            if (t.exitCode() != 0) {
                throw new IllegalStateException("tar failed: " + t);
            }
            // ctr has no "import a rootfs tarball" command: make a one-layer OCI image archive.
            Path oci = OciArchive.write(dir.resolve("oci-image"), tar, IMAGE);
            CommandResult r = c.ctr("images", "import", "--no-unpack=false", oci.toString());
            if (r.exitCode() != 0) {
                throw new IllegalStateException("ctr images import failed: " + r);
            }
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@code ctr -a SOCK -n jvmvisor ARGS...}, 120 s limit. */
    public CommandResult ctr(String... args) {
        return Commands.run(Duration.ofSeconds(120), command(args));
    }

    public List<String> command(String... args) {
        List<String> cmd = new ArrayList<>(List.of("ctr", "-a", socket.toString(), "-n", NAMESPACE));
        cmd.addAll(List.of(args));
        return cmd;
    }

    @Override
    public void close() {
        if (daemon.isAlive()) {
            daemon.destroy();
            try {
                if (!daemon.waitFor(20, TimeUnit.SECONDS)) {
                    daemon.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        PrivateDocker.unmountUnder(dir);
        PrivateDocker.deleteTree(dir);
    }
}
