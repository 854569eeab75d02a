package io.jvmvisor.runtime;

import io.jvmvisor.runtime.state.ContainerRecord;
import io.jvmvisor.runtime.state.ProcStat;
import io.jvmvisor.shim.control.ControlClient;
import io.jvmvisor.shim.control.SocketPaths;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import io.jvmvisor.runtime.state.StateStore;
import io.jvmvisor.runtime.state.StoreException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The training run of the AOT cache ({@code -XX:AOTCacheOutput}, built in the
 * runtime module's package phase): the commands docker and containerd call
 * most, on a scratch root, so their classes are loaded and linked ahead of time.
 */
public final class AotTraining {
    private AotTraining() {
    }

    /**
     * A stand-in for a running container's shim on its control socket: answers
     * every request with "running", so the CLI's live-state path is trained too.
     */
    private static Thread fakeShim(Path socket) throws IOException {
        return fakeShim(socket, "running");
    }

    /** As {@link #fakeShim(Path)}, reporting {@code status}. */
    private static Thread fakeShim(Path socket, String status) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        return Thread.ofPlatform().daemon().start(() -> {
            try (server) {
                while (!Thread.currentThread().isInterrupted()) {
                    try (SocketChannel c = server.accept()) {
                        BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(c),
                                StandardCharsets.UTF_8));
                        in.readLine();
                        c.write(ByteBuffer.wrap(("{\"ok\":true,\"status\":\"" + status + "\"}\n").getBytes(StandardCharsets.UTF_8)));
                    }
                }
            } catch (IOException e) {
                // training over
            }
        });
    }

    /**
     * The training run of the lean cache ({@code jvmvisor-ops.aot}, bin/jvmvisor picks it for these
     * commands): only what docker and containerd call on an existing container, as they call it
     * (--log in JSON), so that these commands' JVM preloads a quarter of the classes the full cache
     * holds (every cached class is loaded at start-up).
     */
    static void operations() throws IOException, StoreException {
        quietlyIn(tmp -> {
            String root = tmp.resolve("root").toString();
            String log = tmp.resolve("log.json").toString();
            Path bundle = Files.createDirectories(tmp.resolve("bundle"));
            StateStore store = new StateStore(Path.of(root));
            long self = ProcessHandle.current().pid();
            Path live = store.create(new ContainerRecord("live", bundle.toString(), bundle.resolve("rootfs").toString(),
                    "2026-01-01T00:00:00Z", "root", Map.of("a", "b"), self, ProcStat.startTime(self)));
            Path fresh = store.create(new ContainerRecord("fresh", bundle.toString(), bundle.resolve("rootfs").toString(),
                    "2026-01-01T00:00:00Z", "root", Map.of(), self, ProcStat.startTime(self)));
            store.writeHooks("fresh", io.jvmvisor.oci.Hooks.NONE);
            Thread liveShim = fakeShim(live.resolve(ControlClient.SOCKET_NAME), "running");
            Thread freshShim = fakeShim(fresh.resolve(ControlClient.SOCKET_NAME), "created");
            Class.forName("io.jvmvisor.sys.ProcessExit", false, AotTraining.class.getClassLoader());
            // docker's state dirs are too long for a socket path: the alias's name is a SHA-256 of it
            SocketPaths.alias(Path.of(root));
            for (int i = 0; i < 3; i++) {
                String stopped = "stopped" + i;
                store.create(new ContainerRecord(stopped, bundle.toString(), bundle.resolve("rootfs").toString(),
                        "2026-01-01T00:00:00Z", "root", Map.of(), Integer.MAX_VALUE, 1));
                store.writeHooks(stopped, io.jvmvisor.oci.Hooks.NONE);
                Files.writeString(store.dir(stopped).resolve(StateStore.EXIT_FILE), "{\"exitStatus\":137,\"signal\":9}");
                for (String[] a : new String[][] {{"state", "live"}, {"state", stopped}, {"start", "fresh"},
                        {"kill", "live", "KILL"}, {"kill", "live"}, {"kill", "--all", "live", "9"},
                        {"state", "missing"}, {"start", "missing"}, {"kill", stopped, "KILL"}, {"delete", "missing"},
                        {"delete", "--force", "missing"}, {"delete", stopped}}) {
                    String[] globals = {"--root", root, "--log", log, "--log-format", "json"};
                    String[] argv = java.util.Arrays.copyOf(globals, globals.length + a.length);
                    System.arraycopy(a, 0, argv, globals.length, a.length);
                    Main.run(argv);
                }
            }
            Main.run("version");
            liveShim.interrupt();
            freshShim.interrupt();
        });
    }

    public static void main(String[] args) throws IOException, StoreException {
        if (args.length > 0 && args[0].equals("--ops")) {
            operations();
            return;
        }
        quietlyIn(tmp -> {
            String root = tmp.resolve("root").toString();
            Path bundle = Files.createDirectories(tmp.resolve("bundle"));
            StateStore store = new StateStore(Path.of(root));
            store.create(new ContainerRecord("stopped", bundle.toString(),
                    bundle.resolve("rootfs").toString(), "2026-01-01T00:00:00Z", "root", Map.of("a", "b"), 1, 1));
            long self = ProcessHandle.current().pid();
            Path live = store.create(new ContainerRecord("live", bundle.toString(), bundle.resolve("rootfs").toString(),
                    "2026-01-01T00:00:00Z", "root", Map.of(), self, ProcStat.startTime(self)));
            Thread shim = fakeShim(live.resolve(ControlClient.SOCKET_NAME));
            Path process = Files.writeString(tmp.resolve("process.json"), "{\"terminal\":false,\"user\":{\"uid\":0,\"gid\":0},"
                    + "\"args\":[\"true\"],\"env\":[\"PATH=/bin\"],\"cwd\":\"/\"}");
            for (int i = 0; i < 3; i++) {
                Main.run("--help");
                Main.run("version");
                Main.run("features");
                Main.run("spec", "--bundle", bundle.toString());
                Files.deleteIfExists(bundle.resolve("config.json"));
                Main.run("spec", "--bundle", bundle.toString());
                Main.run("--root", root, "--log", tmp.resolve("log.json").toString(), "--log-format", "json",
                        "create", "--bundle", bundle.toString(), "--pid-file", tmp.resolve("pid").toString(), "x");
                Main.run("--root", root, "state", "missing");
                Main.run("--root", root, "state", "stopped");
                Main.run("--root", root, "state", "live");
                Main.run("--root", root, "kill", "live", "TERM");
                Main.run("--root", root, "list");
                Main.run("--root", root, "list", "--format", "json");
                Main.run("--root", root, "kill", "stopped", "KILL");
                Main.run("--root", root, "kill", "--all", "missing", "9");
                Main.run("--root", root, "ps", "--format", "json", "live");
                // exec's path: the request with the caller's stdio (SCM_RIGHTS, FFM); the stand-in answers once
                Main.run("--root", root, "exec", "live", "true");
                // what containerd runs for docker exec: --process, --detach (the shim names the stand-in) and a pid file
                Main.run("--root", root, "--log", tmp.resolve("log.json").toString(), "--log-format", "json", "exec",
                        "--process", process.toString(), "--detach", "--pid-file", tmp.resolve("exec.pid").toString(), "live");
                Main.run("--root", root, "exec", "--process", process.toString(), "live");
                Main.run("--root", root, "events", "--stats", "live");
                Main.run("--root", root, "update", "--memory", "256m", "--pids-limit", "100", "live");
                Main.run("--root", root, "start", "missing");
                Main.run("--root", root, "delete", "missing");
                Main.run("--root", root, "delete", "--force", "missing");
                Files.deleteIfExists(bundle.resolve("config.json"));
            }
            shim.interrupt();
            // every command ends through it (Main.main): in the cache, it is not looked up along the classpath
            // (which opens every jar before jvmvisor-sys's) on every exit
            io.jvmvisor.sys.ProcessExit.prepare();
            // docker's state dirs are too long for a socket path: the alias's name is a SHA-256 of it
            SocketPaths.alias(Path.of(root));
        });
    }

    /** A training run's body, given its scratch directory. */
    private interface Training {
        void run(Path tmp) throws IOException, StoreException, ReflectiveOperationException;
    }

    /** Runs {@code t} with a scratch directory and the CLI's output discarded; removes the directory after. */
    private static void quietlyIn(Training t) throws IOException, StoreException {
        Path tmp = Files.createTempDirectory("jvmvisor-aot");
        PrintStream out = System.out;
        PrintStream err = System.err;
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        System.setOut(quiet);
        System.setErr(quiet);
        try {
            t.run(tmp);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        } finally {
            System.setOut(out);
            System.setErr(err);
            try (Stream<Path> walk = Files.walk(tmp)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
