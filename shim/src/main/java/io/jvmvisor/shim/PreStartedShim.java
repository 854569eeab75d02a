package io.jvmvisor.shim;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A shim JVM that bin/jvmvisor starts for {@code create} before it execs the CLI's JVM, so that
 * the two JVMs boot side by side instead of one after the other. It is started as the CLI would
 * start it, with {@code --await-args 3} in place of the container's arguments, which it reads from
 * the pipe on fd 3: NUL-terminated arguments, then an empty one. Until then it has done nothing
 * but boot (no file, no socket), and it exits quietly at the pipe's EOF (the CLI gone or done
 * without it).
 *
 * <p>The launcher only guesses (the network prefix, from a look at config.json): the CLI adopts
 * the process only when /proc shows it is exactly what {@link ShimLauncher#start} would have
 * started (command line, environment, session, network namespace, stdio, parent), else it kills
 * it and starts its own. {@code JVMVISOR_PRESHIM} (set by bin/jvmvisor for the CLI) names it:
 * {@code PID FD} (FD: the pipe's write end in the CLI).
 */
public final class PreStartedShim {
    /** The shim's argument that makes it wait for the others on {@link #ARGS_FD}. */
    public static final String AWAIT_ARGS = "--await-args";
    /** The fd of the pipe the pre-started shim reads its arguments from. */
    public static final int ARGS_FD = 3;
    /** The CLI's environment variable naming the pre-started shim. */
    public static final String ENV = "JVMVISOR_PRESHIM";

    private static final Object LOCK = new Object();
    private static boolean consumed;

    private PreStartedShim() {
    }

    /**
     * The pre-started shim as a {@link Process} of this JVM, {@code arguments} sent, when there is
     * one and it is the shim {@link ShimLauncher} would start: the JVM {@code jvm} (java ... ShimMain)
     * under {@code networkPrefix}, with the stdio mode {@code console} (/dev/null for all three,
     * else this process's own); else null, and a pre-started shim that does not fit is killed
     * ({@code why} hears the reason).
     */
    static Process adopt(List<String> jvm, List<String> arguments, List<String> networkPrefix, boolean console,
                         Consumer<String> why) {
        Named named;
        synchronized (LOCK) {
            if (consumed) {
                return null;
            }
            consumed = true;
            named = named(System.getenv(ENV));
        }
        if (named == null) {
            return null;
        }
        List<String> expected = new ArrayList<>(jvm);
        expected.add(AWAIT_ARGS);
        expected.add(Integer.toString(ARGS_FD));
        byte[] payload = null;
        String misfit;
        try {
            payload = encode(arguments);
            misfit = misfit(named.pid(), expected, networkPrefix, console);
        } catch (IllegalArgumentException e) {
            misfit = e.getMessage();
        }
        if (misfit != null) {
            why.accept("the pre-started shim " + named.pid() + " is not used: " + misfit);
            kill(named.pid());
            return null;
        }
        try (OutputStream out = Files.newOutputStream(Path.of("/proc/self/fd/" + named.fd()))) {
            out.write(payload);
        } catch (IOException e) {
            why.accept("the pre-started shim " + named.pid() + " is not used: its pipe: " + e.getMessage());
            kill(named.pid());
            return null;
        }
        return new Adopted(ProcessHandle.of(named.pid()).orElse(null), named.pid());
    }

    /** Kills a pre-started shim this process did not adopt (create failed before it started one) and waits for it. */
    public static void discard() {
        Named named;
        synchronized (LOCK) {
            if (consumed) {
                return;
            }
            consumed = true;
            named = named(System.getenv(ENV));
        }
        if (named != null) {
            kill(named.pid());
        }
    }

    private record Named(long pid, int fd) {
    }

    private static Named named(String value) {
        if (value == null) {
            return null;
        }
        String[] parts = value.strip().split(" ");
        try {
            return parts.length == 2 ? new Named(Long.parseLong(parts[0]), Integer.parseInt(parts[1])) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Why the process {@code pid} is not the shim {@link ShimLauncher#start} would have started, or null. */
    static String misfit(long pid, List<String> cmdline, List<String> networkPrefix, boolean console) {
        Path proc = Path.of("/proc", Long.toString(pid));
        long self = ProcessHandle.current().pid();
        try {
            String[] f = stat(pid);
            // f[0] state (field 3), f[1] ppid (4), f[3] session (6)
            if (f[0].equals("Z") || f[0].equals("X")) {
                return "it has exited";
            }
            if (Long.parseLong(f[1]) != self) {
                return "it is not this process's child";
            }
            if (Long.parseLong(f[3]) != pid) {
                return "it does not lead a session of its own";
            }
            List<String> actual = nulSeparated(Files.readAllBytes(proc.resolve("cmdline")));
            if (!actual.equals(cmdline)) {
                return "its command line is " + actual + ", not " + cmdline;
            }
            List<String> environ = nulSeparated(Files.readAllBytes(proc.resolve("environ")));
            for (Map.Entry<String, String> e : ShimLauncher.ENVIRONMENT.entrySet()) {
                if (!environ.contains(e.getKey() + "=" + e.getValue())) {
                    return "its environment lacks " + e.getKey() + "=" + e.getValue();
                }
            }
            String net = Files.readSymbolicLink(proc.resolve("ns/net")).toString();
            String ours = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
            String wanted = networkPrefix.isEmpty() ? ours
                    : networkPrefix.get(0).endsWith("/nsenter") ? namespaceOf(networkPrefix.get(1)) : null;
            if (wanted == null ? net.equals(ours) : !net.equals(wanted)) {
                return "its network namespace is " + net + (wanted == null ? ", this process's" : ", not " + wanted);
            }
            for (int fd = 0; fd <= 2; fd++) {
                String theirs = Files.readSymbolicLink(proc.resolve("fd/" + fd)).toString();
                String want = console ? "/dev/null" : Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
                if (!theirs.equals(want)) {
                    return "its fd " + fd + " is " + theirs + ", not " + want;
                }
            }
            String pipe = Files.readSymbolicLink(proc.resolve("fd/" + ARGS_FD)).toString();
            return pipe.startsWith("pipe:") ? null : "its fd " + ARGS_FD + " is " + pipe + ", not a pipe";
        } catch (IOException | RuntimeException e) {
            return "its /proc entry: " + e;
        }
    }

    /**
     * The fields of /proc/PID/stat from the third (state) on: the command name before them may
     * hold spaces and parentheses, so they start past its last ')'.
     */
    private static String[] stat(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat")).strip();
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    }

    /** {@code net:[INODE]} of the namespace file an {@code nsenter --net=PATH} prefix names. */
    private static String namespaceOf(String option) throws IOException {
        Path path = Path.of(option.substring(option.indexOf('=') + 1));
        Object ino = Files.getAttribute(path, "unix:ino");
        return "net:[" + ino + "]";
    }

    private static List<String> nulSeparated(byte[] bytes) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                out.add(new String(bytes, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        return out;
    }

    /** The arguments as the pipe carries them: {@link #nulTerminated}, then an empty one. */
    static byte[] encode(List<String> args) {
        for (String a : args) {
            if (a.isEmpty()) {
                throw new IllegalArgumentException("a shim argument cannot be empty");
            }
        }
        byte[] b = nulTerminated(args);
        return java.util.Arrays.copyOf(b, b.length + 1);
    }

    /** Each string in UTF-8 with a NUL after it (the pipe's arguments, shim.flags). */
    static byte[] nulTerminated(List<String> strings) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (String s : strings) {
            if (s.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("a NUL in " + s);
            }
            b.writeBytes(s.getBytes(StandardCharsets.UTF_8));
            b.write(0);
        }
        return b.toByteArray();
    }

    /**
     * What a shim's first steps set up once per JVM, done while a pre-started shim waits for its
     * arguments (on a thread of its own, so it goes on beside them once they are in): the FFM stubs
     * of its system calls and its exit (no AOT cache keeps them), logging's set-up, Jackson's readers of config.json,
     * the SHA-256 of template keys, the SecureRandom of the restored guest's entropy. Nothing here
     * touches a file or makes a socket.
     */
    static void warmUp() {
        try {
            io.jvmvisor.sys.Libc.get().close(-1);
        } catch (IOException expected) {
            // EBADF: the stub is bound
        }
        // JUL's manager and the System.Logger bridge (ShimLog installs the handlers: none is made here)
        java.util.logging.LogManager.getLogManager();
        System.getLogger("shim");
        try {
            io.jvmvisor.oci.SpecLoader.parse("""
                    {"ociVersion": "1.0.2", "process": {"args": ["sh"], "cwd": "/", "env": ["PATH=/bin"],
                     "user": {"uid": 0, "gid": 0}}, "root": {"path": "rootfs"}, "annotations": {"a": "b"},
                     "linux": {"namespaces": [{"type": "pid"}], "resources": {"memory": {"limit": 1}}}}
                    """.getBytes(StandardCharsets.UTF_8));
        } catch (io.jvmvisor.oci.SpecException e) {
            // only the parse was wanted
        }
        try {
            java.security.MessageDigest.getInstance("SHA-256").digest(new byte[1]);
        } catch (java.security.NoSuchAlgorithmException e) {
            // the template key says so itself
        }
        new java.security.SecureRandom().nextBytes(new byte[16]);
        io.jvmvisor.sys.ProcessExit.prepare(); // needed last: at the shim's exit
    }

    /**
     * The shim's side: the arguments from fd {@code fd}, or null at EOF before the empty one that
     * ends them (the CLI gone, or done without this shim).
     */
    static String[] awaitArgs(int fd) {
        List<String> args = new ArrayList<>();
        java.io.ByteArrayOutputStream arg = new java.io.ByteArrayOutputStream();
        try (InputStream in = Files.newInputStream(Path.of("/proc/self/fd/" + fd))) {
            int c;
            while ((c = in.read()) >= 0) {
                if (c != 0) {
                    arg.write(c);
                } else if (arg.size() == 0) {
                    return args.toArray(String[]::new);
                } else {
                    args.add(arg.toString(StandardCharsets.UTF_8));
                    arg.reset();
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    private static void kill(long pid) {
        ProcessHandle.of(pid).ifPresent(p -> {
            if (p.parent().map(pp -> pp.pid() == ProcessHandle.current().pid()).orElse(false)) {
                p.destroyForcibly();
                try {
                    p.onExit().get(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (ExecutionException | TimeoutException e) {
                    // gone or going: reaped once this process exits
                }
            }
        });
    }

    /**
     * An adopted shim: a child of this JVM that it did not spawn. Its exit is seen through
     * {@link ProcessHandle#onExit} (waitid without reaping) and its status read from /proc while it
     * is a zombie (field 52, exit_code); it is reaped once this process exits.
     */
    static final class Adopted extends Process {
        private final ProcessHandle handle;
        private final long pid;
        private volatile Integer status;

        Adopted(ProcessHandle handle, long pid) {
            this.handle = handle;
            this.pid = pid;
        }

        @Override
        public OutputStream getOutputStream() {
            return OutputStream.nullOutputStream();
        }

        @Override
        public InputStream getInputStream() {
            return InputStream.nullInputStream();
        }

        @Override
        public InputStream getErrorStream() {
            return InputStream.nullInputStream();
        }

        @Override
        public int waitFor() throws InterruptedException {
            if (handle != null) {
                try {
                    handle.onExit().get();
                } catch (ExecutionException e) {
                    // ended
                }
            }
            return exitValue();
        }

        @Override
        public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
            if (handle == null) {
                return true;
            }
            try {
                handle.onExit().get(timeout, unit);
                return true;
            } catch (TimeoutException e) {
                return false;
            } catch (ExecutionException e) {
                return true;
            }
        }

        @Override
        public int exitValue() {
            Integer s = status;
            if (s != null) {
                return s;
            }
            try {
                String[] f = stat(pid);
                if (!f[0].equals("Z")) {
                    throw new IllegalThreadStateException("process " + pid + " has not exited");
                }
                int wait = Integer.parseInt(f[f.length - 1]); // exit_code (field 52), as waitpid's status
                s = (wait & 0x7f) == 0 ? (wait >> 8) & 0xff : 128 + (wait & 0x7f);
            } catch (IOException e) {
                s = 255; // reaped by someone else: its status is lost
            }
            status = s;
            return s;
        }

        @Override
        public boolean isAlive() {
            try {
                String state = stat(pid)[0];
                return !state.equals("Z") && !state.equals("X");
            } catch (IOException e) {
                return false;
            }
        }

        @Override
        public void destroy() {
            if (handle != null && isAlive()) {
                handle.destroy();
            }
        }

        @Override
        public Process destroyForcibly() {
            if (handle != null && isAlive()) {
                handle.destroyForcibly();
            }
            return this;
        }

        @Override
        public long pid() {
            return pid;
        }

        @Override
        public ProcessHandle toHandle() {
            return handle;
        }

        @Override
        public CompletableFuture<Process> onExit() {
            return handle == null ? CompletableFuture.completedFuture(this) : handle.onExit().thenApply(h -> this);
        }
    }
}
