package io.jvmvisor.shim;

import io.jvmvisor.shim.control.ControlClient;
import io.jvmvisor.shim.control.ControlRequest;
import io.jvmvisor.shim.control.ControlResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts a container's shim (for the CLI's {@code create}) and waits for it to
 * report the container created. Uses only the JDK and the control API: no
 * gRPC in the CLI process.
 */
public final class ShimLauncher {
    /** What to start: the container and where its state lives. */
    public record Options(String id, Path bundle, Path stateDir, String consoleSocket, Path log, String logFormat,
                          boolean debug) {
    }

    /** The shim could not create the container; the message is the shim's (or the agent's). */
    public static final class ShimException extends IOException {
        private final String code;

        public ShimException(String message, String code) {
            super(oneLine(message));
            this.code = code;
        }

        /**
         * The CLI reports one line: the first line of the shim's message, without a stack trace or a
         * console excerpt after it (those are in shim.log and the --log file).
         */
        static String oneLine(String message) {
            if (message == null) {
                return "the shim failed without a message";
            }
            String first = message.strip().lines().findFirst().orElse("").strip();
            int trace = first.indexOf("\tat ");
            if (trace >= 0) {
                first = first.substring(0, trace).strip();
            }
            if (first.endsWith(":")) {
                // an introduction to the lines that followed ("...; last console lines:"): drop it
                int clause = first.lastIndexOf("; ");
                first = clause > 0 ? first.substring(0, clause) : first.substring(0, first.length() - 1);
            }
            return first.length() > 1000 ? first.substring(0, 1000) + "..." : first;
        }

        /** The control API's error code, or null when the shim died without answering. */
        public String code() {
            return code;
        }
    }

    private ShimLauncher() {
    }

    /**
     * The shim JVM's flags, also those of its AOT cache's training run ({@link AotTraining}): a cache
     * is only used by a JVM started with the flags and classpath it was trained with. Every shim maps
     * the same cache: at its base address ({@code ArchiveRelocationMode=0}, no relocation), its pages
     * stay clean and are shared between shims.
     */
    static final List<String> JVM_FLAGS = List.of("-XX:+UseSerialGC", "-Xms8m", "-Xmx64m", "-Xss512k",
            "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData",
            // C1 compiles a method after 5x the usual calls: the start-up path runs once and was half of
            // a shim's CPU in C1, competing with the guest's vCPU for the host's cores
            "-XX:CompileThresholdScaling=5", "-XX:MaxMetaspaceSize=64m", "-XX:ReservedCodeCacheSize=16m",
            // an idle shim keeps little: the heap shrinks to its live data + 20 % at a full GC (IdleSettle),
            // and the C heap is trimmed every 30 s (after execs, logging) besides IdleSettle's trim
            "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=20", "-XX:TrimNativeHeapInterval=30000",
            "-XX:+IgnoreUnrecognizedVMOptions", "-XX:+UnlockDiagnosticVMOptions", "-XX:ArchiveRelocationMode=0",
            "-Xlog:disable", "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
            // one agent connection: one pooled arena each for direct and heap buffers, in 1 MiB chunks
            // (netty's default: 2 per core, 4 MiB chunks), ~3 MiB less per shim
            "-Dio.grpc.netty.shaded.io.netty.allocator.numDirectArenas=1",
            "-Dio.grpc.netty.shaded.io.netty.allocator.numHeapArenas=1",
            "-Dio.grpc.netty.shaded.io.netty.allocator.maxOrder=7");

    /**
     * The shim's environment besides the CLI's: glibc makes one malloc arena per thread up to 8 per
     * core, each keeping what its thread freed; two arenas hold an idle shim's C heap in ~5 MiB less.
     * QEMU, started by the shim, inherits it.
     */
    static final java.util.Map<String, String> ENVIRONMENT = java.util.Map.of("MALLOC_ARENA_MAX", "2");

    /** The shim's AOT cache, built with the CLI's (runtime/pom.xml): {@code <home>/runtime/target/shim.aot}. */
    static Path aotCache(Path home) {
        return home.resolve("runtime/target/shim.aot");
    }

    /**
     * The shim's JVM flags, NUL-terminated, beside its AOT cache {@code cache} (shim.flags): what
     * bin/jvmvisor starts a shim ahead of create with ({@link PreStartedShim}).
     */
    static Path flagsFile(Path cache) {
        return cache.resolveSibling("shim.flags");
    }

    /** The command line of the shim: {@code setsid java <lean flags> -cp <the shim's classpath> ShimMain ...}. */
    public static List<String> command(Options o) {
        io.jvmvisor.oci.Spec spec;
        try {
            spec = createdSpec(o.bundle(), o.stateDir());
        } catch (io.jvmvisor.oci.SpecException e) {
            spec = null; // create validated it before; the shim reports the problem itself
        }
        return command(o, networkPrefix(spec));
    }

    /** As {@link #command(Options)}, with the network prefix ({@link #networkPrefix(boolean, String)}) known. */
    public static List<String> command(Options o, List<String> networkPrefix) {
        return command(networkPrefix, jvm(), arguments(o));
    }

    private static List<String> command(List<String> networkPrefix, List<String> jvm, List<String> arguments) {
        List<String> cmd = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            cmd.add("/usr/bin/setsid");
        }
        cmd.addAll(networkPrefix);
        cmd.addAll(jvm);
        cmd.addAll(arguments);
        return cmd;
    }

    /** The shim's JVM, up to its main class: {@code java <lean flags> [AOT cache] -cp <classpath> ShimMain}. */
    static List<String> jvm() {
        Path home = Path.of(System.getProperty("jvmvisor.home", ".")).toAbsolutePath();
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(JVM_FLAGS);
        Path aot = aotCache(home);
        if (Files.isReadable(aot)) {
            cmd.add("-XX:AOTCache=" + aot);
        }
        cmd.add("-Djvmvisor.home=" + home);
        cmd.addAll(List.of("-cp", classpath(), ShimMain.class.getName()));
        return cmd;
    }

    /** The container's arguments to ShimMain ({@link ShimArgs}); this process is the creator. */
    static List<String> arguments(Options o) {
        List<String> cmd = new ArrayList<>(List.of("--id", o.id(), "--bundle", o.bundle().toAbsolutePath().toString(),
                "--state-dir", o.stateDir().toAbsolutePath().toString()));
        if (o.consoleSocket() != null) {
            cmd.addAll(List.of("--console-socket", o.consoleSocket()));
        }
        if (o.log() != null) {
            cmd.addAll(List.of("--log", o.log().toAbsolutePath().toString(),
                    "--log-format", o.logFormat() == null ? "text" : o.logFormat()));
        }
        if (o.debug()) {
            cmd.add("--debug");
        }
        cmd.addAll(List.of("--creator", Long.toString(ProcessHandle.current().pid())));
        return cmd;
    }

    /**
     * The shim's classpath: {@code jvmvisor.shim.classpath} where the launcher sets it (bin/jvmvisor:
     * the CLI runs on a lean classpath of its own, the shim needs gRPC and netty too), else this
     * JVM's (tests).
     */
    static String classpath() {
        String cp = System.getProperty("jvmvisor.shim.classpath");
        return cp == null || cp.isEmpty() ? System.getProperty("java.class.path") : cp;
    }

    /**
     * How the shim joins the container's network namespace (config.json {@code linux.namespaces}):
     * a {@code network} entry without a path gets a fresh one ({@code unshare --net --}), one with a
     * path joins it ({@code nsenter --net=PATH --}), none keeps the host's. Neither tool forks for a
     * network namespace, so the shim's PID stays the JVM's (docker's prestart hook reads
     * {@code /proc/<pid>/ns/net} of that PID); QEMU, started by the shim, inherits the namespace.
     */
    public static List<String> networkPrefix(io.jvmvisor.oci.Spec spec) {
        if (spec == null || spec.linux() == null) {
            return List.of();
        }
        for (var ns : spec.linux().namespaceList()) {
            if ("network".equals(ns.type())) {
                return networkPrefix(true, ns.path());
            }
        }
        return List.of();
    }

    /** The prefix for a config whose linux.namespaces has a network entry ({@code network}) with {@code path}. */
    public static List<String> networkPrefix(boolean network, String path) {
        if (!network) {
            return List.of();
        }
        return path == null || path.isEmpty()
                ? List.of("/usr/bin/unshare", "--net", "--")
                : List.of("/usr/bin/nsenter", "--net=" + path, "--");
    }

    /** The config.json create kept in the state dir, else (no copy: tests) the bundle's. */
    static io.jvmvisor.oci.Spec createdSpec(Path bundle, Path stateDir) throws io.jvmvisor.oci.SpecException {
        Path copy = stateDir.resolve(io.jvmvisor.oci.SpecLoader.CONFIG);
        if (Files.exists(copy)) {
            try {
                return io.jvmvisor.oci.SpecLoader.parse(Files.readAllBytes(copy));
            } catch (IOException e) {
                throw new io.jvmvisor.oci.SpecException("cannot read " + copy + ": " + e.getMessage());
            }
        }
        return io.jvmvisor.oci.SpecLoader.parse(bundle);
    }

    /**
     * Starts the shim with this process's stdin/stdout/stderr; returns it (its PID is the shim JVM's).
     * With a console socket the container's stdio is the pty sent over it, and the shim keeps none of
     * create's own stdio (as runc's init): containerd reads create's output until EOF in that mode.
     */
    public static Process start(Options o) throws IOException {
        io.jvmvisor.oci.Spec spec;
        try {
            spec = createdSpec(o.bundle(), o.stateDir());
        } catch (io.jvmvisor.oci.SpecException e) {
            spec = null;
        }
        return start(o, networkPrefix(spec));
    }

    /** As {@link #start(Options)}, with the network prefix known (create: config.json not parsed again). */
    public static Process start(Options o, List<String> networkPrefix) throws IOException {
        return start(o, networkPrefix, why -> { });
    }

    /**
     * As {@link #start(Options, List)}: the shim bin/jvmvisor started ahead ({@link PreStartedShim})
     * when it is the very process this would start ({@code why} hears why not), else a new one.
     */
    public static Process start(Options o, List<String> networkPrefix, java.util.function.Consumer<String> why)
            throws IOException {
        io.jvmvisor.shim.control.PrivateFiles.createDirectories(o.stateDir());
        List<String> jvm = jvm();
        List<String> arguments = arguments(o);
        Process adopted = PreStartedShim.adopt(jvm, arguments, networkPrefix, o.consoleSocket() != null, why);
        if (adopted != null) {
            return adopted;
        }
        ProcessBuilder pb = new ProcessBuilder(command(networkPrefix, jvm, arguments));
        pb.environment().putAll(ENVIRONMENT);
        pb.environment().remove(PreStartedShim.ENV);
        if (o.consoleSocket() != null) {
            pb.redirectInput(new java.io.File("/dev/null"))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD);
        } else {
            pb.redirectInput(ProcessBuilder.Redirect.INHERIT)
                    .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                    .redirectError(ProcessBuilder.Redirect.INHERIT);
        }
        return pb.start();
    }

    /**
     * Waits until the shim answers {@code wait-created}: returns its PID, or
     * throws with the shim's error (or the last error of shim.log if it died).
     */
    public static long awaitCreated(Path stateDir, Process shim, Duration timeout) throws IOException, InterruptedException {
        try (Held h = awaitCreated(stateDir, shim, timeout, false)) {
            return h.pid();
        }
    }

    /**
     * A created container the shim holds for its creator: {@link #commit()} once create finished
     * (hooks run, state written); closing without a commit (or the creator's death) makes the shim
     * remove the container.
     */
    public static final class Held implements AutoCloseable {
        private final long pid;
        private final ControlClient connection;

        Held(long pid, ControlClient connection) {
            this.pid = pid;
            this.connection = connection;
        }

        /** The shim's PID. */
        public long pid() {
            return pid;
        }

        /** Keeps the container. */
        public void commit() throws IOException {
            if (connection != null) {
                connection.sendLine("commit");
                connection.close();
            }
        }

        @Override
        public void close() throws IOException {
            if (connection != null) {
                connection.close();
            }
        }
    }

    /** As {@link #awaitCreated(Path, Process, Duration)}; with {@code hold}, the container stays only once committed. */
    public static Held awaitCreated(Path stateDir, Process shim, Duration timeout, boolean hold)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!shim.isAlive()) {
                throw new ShimException(diedMessage(stateDir, shim), null);
            }
            ControlClient c;
            try {
                c = ControlClient.connect(stateDir);
            } catch (IOException e) {
                Thread.sleep(10);
                continue;
            }
            try {
                ControlResponse r = c.call(hold ? ControlRequest.waitCreatedHeld() : ControlRequest.of(ControlRequest.Op.WAIT_CREATED));
                if (r.ok()) {
                    if (!hold) {
                        c.close();
                    }
                    return new Held(r.pid(), hold ? c : null);
                }
                throw new ShimException(r.error(), r.code());
            } catch (ShimException e) {
                c.close();
                throw e;
            } catch (IOException e) {
                c.close();
                // the shim went away while creating: report why
                shim.waitFor();
                throw new ShimException(diedMessage(stateDir, shim), null);
            }
        }
        shim.destroyForcibly();
        throw new ShimException("the shim did not create the container within " + timeout.toSeconds() + " s (see "
                + stateDir.resolve("shim.log") + ")", null);
    }

    /**
     * Stops a shim that must go (a create that failed after the shim answered):
     * SIGTERM first, so that it kills its VM and removes its sockets and alias,
     * SIGKILL after {@code grace}.
     */
    public static void terminate(Process shim, Duration grace) throws InterruptedException {
        if (!shim.isAlive()) {
            return;
        }
        shim.destroy();
        if (!shim.waitFor(grace.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            shim.destroyForcibly().waitFor();
        }
    }

    private static String diedMessage(Path stateDir, Process shim) {
        String last = lastError(stateDir.resolve("shim.log"));
        return "the shim exited with status " + shim.exitValue() + (last == null ? "" : ": " + last);
    }

    /** The last ERROR/SEVERE line of shim.log (message only), if any. */
    static String lastError(Path shimLog) {
        try {
            List<String> lines = Files.readAllLines(shimLog, StandardCharsets.UTF_8);
            for (int i = lines.size() - 1; i >= 0; i--) {
                String l = lines.get(i);
                int at = l.indexOf(" SEVERE ");
                if (at >= 0) {
                    int colon = l.indexOf(": ", at);
                    return colon >= 0 ? l.substring(colon + 2) : l;
                }
            }
        } catch (IOException e) {
            // no log
        }
        return null;
    }
}
