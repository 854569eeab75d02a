package io.jvmvisor.testbundles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private Docker daemon for tests and benchmarks: its own data-root,
 * exec-root, socket and managed containerd; no iptables, no bridge — or, started in a
 * test's own network namespace ({@link #start(Path, List, TestNetns)}), docker's default
 * bridge and iptables inside that namespace. Runtimes
 * (jvmvisor, runsc) are registered in its daemon.json. It imports
 * {@code jvmvisor-test/busybox:latest} from the test rootfs, and is stopped
 * (by PID) and its directories removed on {@link #close()}.
 */
public final class PrivateDocker implements AutoCloseable {
    public static final String IMAGE = "jvmvisor-test/busybox:latest";
    private static final Path DOCKERD = Path.of("/usr/sbin/dockerd");

    private final Path dir;
    private final Process daemon;
    private final Path socket;

    /** A runtime to register: name, executable, extra runtime args. */
    public record Runtime(String name, String path, List<String> args) {
    }

    private PrivateDocker(Path dir, Process daemon, Path socket) {
        this.dir = dir;
        this.daemon = daemon;
        this.socket = socket;
    }

    /** Why a private dockerd cannot run here, or null if it can. */
    public static String unavailableReason() {
        if (!Files.isExecutable(DOCKERD)) {
            return DOCKERD + " is not installed (apt-get install docker.io)";
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            return "a private dockerd needs root";
        }
        return null;
    }

    /** Starts a daemon in {@code dir} (a fresh directory) with the given extra runtimes. */
    public static PrivateDocker start(Path dir, List<Runtime> runtimes) {
        return start(dir, runtimes, null);
    }

    /**
     * Starts a daemon in {@code dir} with the given extra runtimes; with {@code netns} it runs in
     * that namespace ({@code nsenter --net}) with docker's default bridge and iptables there, so
     * containers get networks and published ports while no packet leaves the namespace.
     */
    public static PrivateDocker start(Path dir, List<Runtime> runtimes, TestNetns netns) {
        try {
            Files.createDirectories(dir);
            Path socket = dir.resolve("docker.sock");
            StringBuilder json = new StringBuilder("{\"runtimes\": {");
            for (int i = 0; i < runtimes.size(); i++) {
                Runtime r = runtimes.get(i);
                json.append(i > 0 ? ", " : "").append('"').append(r.name()).append("\": {\"path\": \"")
                        .append(r.path()).append("\", \"runtimeArgs\": [");
                for (int j = 0; j < r.args().size(); j++) {
                    json.append(j > 0 ? ", " : "").append('"').append(r.args().get(j)).append('"');
                }
                json.append("]}");
            }
            json.append("}}\n");
            Files.writeString(dir.resolve("daemon.json"), json);
            List<String> cmd = new ArrayList<>(List.of(DOCKERD.toString(), "--config-file", dir.resolve("daemon.json").toString(),
                    "--data-root", dir.resolve("data").toString(), "--exec-root", dir.resolve("exec").toString(),
                    "--pidfile", dir.resolve("docker.pid").toString(), "-H", "unix://" + socket,
                    "--storage-driver=overlay2"));
            if (netns == null) {
                cmd.addAll(List.of("--iptables=false", "--ip-masq=false", "--bridge=none"));
            } else {
                cmd = netns.inside(cmd);
            }
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("dockerd.log").toFile()).start();
            PrivateDocker d = new PrivateDocker(dir, p, socket);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (true) {
                if (!p.isAlive()) {
                    throw new IllegalStateException("dockerd exited with " + p.exitValue() + ": " + d.logTail());
                }
                if (Files.exists(socket) && d.docker("version", "--format", "{{.Server.Version}}").exitCode() == 0) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    d.close();
                    throw new IllegalStateException("dockerd did not answer within 60 s: " + d.logTail());
                }
                Thread.sleep(200);
            }
            d.importImage();
            return d;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void importImage() throws IOException {
        Path rootfs = Rootfs.build(dir.resolve("image-rootfs"));
        Path tar = dir.resolve("image.tar");
        CommandResult t = Commands.run(Duration.ofSeconds(60),
                List.of("tar", "-C", rootfs.toString(), "-cf", tar.toString(), "."));
        if (t.exitCode() != 0) {
            throw new IllegalStateException("tar failed: " + t);
        }
        CommandResult r = docker("import", "-c", "CMD [\"sh\"]", tar.toString(), IMAGE);
        if (r.exitCode() != 0) {
            throw new IllegalStateException("docker import failed: " + r);
        }
        Files.delete(tar);
    }

    /** Debian's docker.io client, the same version as the daemon (a newer docker elsewhere on PATH is not the set-up's). */
    static final String CLIENT = Files.isExecutable(Path.of("/usr/bin/docker")) ? "/usr/bin/docker" : "docker";

    /** {@code docker -H unix://SOCK ARGS...}, 120 s limit. */
    public CommandResult docker(String... args) {
        return docker(Duration.ofSeconds(120), null, args);
    }

    /** {@code docker -H unix://SOCK ARGS...} with stdin bytes and a time limit. */
    public CommandResult docker(Duration timeout, byte[] stdin, String... args) {
        return Commands.run(timeout, command(args), stdin);
    }

    /** The full argv of a docker client call, for callers that drive it themselves (ptys, timing). */
    public List<String> command(String... args) {
        List<String> cmd = new ArrayList<>(List.of(CLIENT, "-H", "unix://" + socket));
        cmd.addAll(List.of(args));
        return cmd;
    }

    public Path socket() {
        return socket;
    }

    public Path dir() {
        return dir;
    }

    /** The PID of dockerd. */
    public long pid() {
        return daemon.pid();
    }

    /** The last lines of dockerd's log. */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("dockerd.log"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** Removes every container, stops dockerd (TERM, then KILL) and deletes its directories. */
    @Override
    public void close() {
        if (daemon.isAlive()) {
            CommandResult ps = docker(Duration.ofSeconds(30), null, "ps", "-aq");
            if (ps.exitCode() == 0 && !ps.stdout().isBlank()) {
                List<String> rm = new ArrayList<>(List.of("rm", "-f"));
                rm.addAll(List.of(ps.stdout().strip().split("\\s+")));
                docker(Duration.ofSeconds(120), null, rm.toArray(String[]::new));
            }
            Map<Long, ProcessHandle> children = new LinkedHashMap<>();
            daemon.descendants().forEach(h -> children.put(h.pid(), h));
            daemon.destroy();
            try {
                if (!daemon.waitFor(30, TimeUnit.SECONDS)) {
                    daemon.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
                // dockerd's managed containerd exits with it; make sure of it.
                for (ProcessHandle h : children.values()) {
                    if (h.isAlive() && h.info().command().orElse("").contains("containerd")) {
                        h.destroy();
                        h.onExit().get(10, TimeUnit.SECONDS);
                    }
                }
            } catch (Exception e) {
                Thread.currentThread().interrupt();
            }
        }
        unmountUnder(dir);
        deleteTree(dir);
    }

    /** Unmounts anything left mounted under {@code dir} (overlay mounts of a killed daemon). */
    static void unmountUnder(Path dir) {
        try {
            String prefix = dir.toRealPath().toString() + "/";
            List<String> targets = new ArrayList<>();
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] f = line.split(" ");
                if (f.length > 4 && (f[4] + "/").startsWith(prefix)) {
                    targets.add(f[4]);
                }
            }
            targets.sort(Comparator.comparingInt(String::length).reversed());
            for (String t : targets) {
                Commands.run(Duration.ofSeconds(10), List.of("umount", "-l", t));
            }
        } catch (IOException e) {
            // nothing mounted or dir gone
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // left for the caller's temp-dir cleanup to report
                }
            });
        } catch (IOException e) {
            // ignore
        }
    }
}
