package io.jvmvisor.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs {@code bin/jvmvisor} as docker or a person would (a subprocess with a
 * bare environment, stdio in files), against a private {@code --root}, and
 * checks that nothing was left behind.
 */
final class CliFixture {
    private static final AtomicInteger SEQ = new AtomicInteger();

    final Path home = Path.of(System.getProperty("jvmvisor.home", "..")).toAbsolutePath().normalize();
    final Path work;
    final Path root;

    CliFixture(Path work) {
        this.work = work;
        this.root = work.resolve("root");
    }

    /** Why no VM can boot here, if it cannot. */
    Optional<String> vmUnavailable() {
        if (!Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64"))) {
            return Optional.of("qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)");
        }
        for (String f : new String[] {"kernels/target/vmlinux", "kernels/target/initramfs.cpio"}) {
            if (!Files.isReadable(home.resolve(f))) {
                return Optional.of("no " + home.resolve(f) + " (build the kernels and guest-agent modules)");
            }
        }
        return Optional.empty();
    }

    /** What a command did. */
    record Result(int code, String out, String err) {
        /** The single stderr line, asserting there is exactly one. */
        String errorLine() {
            List<String> lines = err.lines().toList();
            assertEquals(1, lines.size(), "expected one error line, got: " + err);
            return lines.getFirst();
        }
    }

    /** A started CLI command whose stdio go to files. */
    final class Running {
        final Process process;
        final Path out;
        final Path err;

        Running(Process process, Path out, Path err) {
            this.process = process;
            this.out = out;
            this.err = err;
        }

        Result await(long seconds) throws IOException, InterruptedException {
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("jvmvisor did not finish within " + seconds + " s; stderr: " + Files.readString(err));
            }
            return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
        }
    }

    /** Starts {@code jvmvisor --root ROOT args...}. */
    Running start(String... args) throws IOException {
        return startWithStdin(null, args);
    }

    /** Starts {@code jvmvisor --root ROOT args...} with {@code stdin} (null: /dev/null) as its standard input. */
    Running startWithStdin(String stdin, String... args) throws IOException {
        return startWith(stdin, Map.of(), args);
    }

    /**
     * Runs a command with a classpath no JVM can start from: only what bin/jvmvisor answers
     * itself succeeds (its fast paths); anything that reaches the Java CLI exits 1.
     */
    Result runWithoutJava(String... args) throws IOException, InterruptedException {
        return startWithoutJava(args).await(180);
    }

    /** As {@link #runWithoutJava}, not waited for (its output files stay at hand). */
    Running startWithoutJava(String... args) throws IOException {
        return startWith(null, Map.of("JVMVISOR_CLASSPATH", work.resolve("no-such-classes").toString()), args);
    }

    /** Runs a command with bin/jvmvisor's own answers turned off: the Java CLI answers. */
    Result runJavaOnly(String... args) throws IOException, InterruptedException {
        return startWith(null, Map.of("JVMVISOR_JAVA_ONLY", "1"), args).await(180);
    }

    private Running startWith(String stdin, Map<String, String> env, String... args) throws IOException {
        int n = SEQ.incrementAndGet();
        File in = new File("/dev/null");
        if (stdin != null) {
            Path inFile = work.resolve("cmd" + n + ".in");
            Files.writeString(inFile, stdin);
            in = inFile.toFile();
        }
        Path out = work.resolve("cmd" + n + ".out");
        Path err = work.resolve("cmd" + n + ".err");
        List<String> cmd = new ArrayList<>();
        cmd.add(home.resolve("bin/jvmvisor").toString());
        cmd.add("--root");
        cmd.add(root.toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(in)
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/bin:/bin");
        pb.environment().put("JVMVISOR_CLASSPATH", System.getProperty("java.class.path"));
        pb.environment().putAll(env);
        return new Running(pb.start(), out, err);
    }

    /** Runs a command to completion (create includes a VM boot under TCG: allow minutes). */
    Result run(String... args) throws IOException, InterruptedException {
        return start(args).await(180);
    }

    /** A fresh container ID. */
    static String id(String what) {
        return "it-" + what + "-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet();
    }

    /** Polls {@code state} until the status is {@code status}. */
    void awaitStatus(String id, String status, long seconds) throws Exception {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        String last = "";
        while (System.nanoTime() < deadline) {
            Result r = run("state", id);
            last = r.out() + r.err();
            if (r.code() == 0 && Json.mapper().readTree(r.out()).get("status").asText().equals(status)) {
                return;
            }
            Thread.sleep(200);
        }
        fail("container " + id + " did not reach " + status + " in " + seconds + " s; last state: " + last);
    }

    /**
     * Nothing of container {@code id} remains: no state dir, no process whose
     * command line names it (pass the root's path to check for anything of this fixture),
     * no socket alias into the root, no mount under the work dir.
     */
    void assertNothingLeft(String id) throws Exception {
        assertFalse(Files.exists(root.resolve(id)), "state dir of " + id + " remains");
        assertNoProcessMentions(id);
    }

    /** No process's command line mentions {@code text}, no socket alias points into the root, no mount under the work dir. */
    void assertNoProcessMentions(String id) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        List<String> left = processesMentioning(id);
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
            left = processesMentioning(id);
        }
        assertEquals(List.of(), left, "processes of " + id + " remain");
        Path aliases = io.jvmvisor.shim.control.SocketPaths.ALIAS_ROOT;
        if (Files.isDirectory(aliases)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(aliases)) {
                for (Path a : ds) {
                    if (Files.isSymbolicLink(a) && Files.readSymbolicLink(a).startsWith(root)) {
                        fail("socket alias " + a + " -> " + Files.readSymbolicLink(a) + " remains");
                    }
                }
            }
        }
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            assertFalse(line.contains(work.toString()), "mount remains: " + line);
        }
    }

    /** A process's command line, its arguments joined by spaces (each followed by one); "" once it is gone. */
    static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException gone) {
            return "";
        }
    }

    private List<String> processesMentioning(String id) throws IOException {
        List<String> found = new ArrayList<>();
        long self = ProcessHandle.current().pid();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path p : ds) {
                if (Long.parseLong(p.getFileName().toString()) == self) {
                    continue;
                }
                String cmdline = cmdline(Long.parseLong(p.getFileName().toString()));
                if (cmdline.contains(id)) {
                    found.add(p.getFileName() + ": " + cmdline);
                }
            }
        }
        return found;
    }
}
