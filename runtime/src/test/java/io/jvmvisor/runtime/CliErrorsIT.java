package io.jvmvisor.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvmvisor.testbundles.TestBundles;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input to {@code bin/jvmvisor}: each gives one clear error line, exit
 * status 1, and leaves nothing behind. None of these boots a VM.
 */
class CliErrorsIT {
    @TempDir
    static Path work;
    static CliFixture cli;
    static Path hello;

    @BeforeAll
    static void bundles() {
        cli = new CliFixture(work);
        hello = TestBundles.create("hello", work.resolve("good"));
    }

    private void assertRefused(Path bundle, String expectedLine) throws Exception {
        String id = CliFixture.id("bad");
        CliFixture.Result r = cli.run("create", "--bundle", bundle.toString(), id);
        assertEquals(1, r.code(), r.err());
        assertEquals("jvmvisor: " + expectedLine, r.errorLine());
        assertEquals("", r.out());
        cli.assertNothingLeft(id);
    }

    private Path bundle(String name, java.util.function.Consumer<ObjectNode> edit) {
        return TestBundles.create("hello", work.resolve(name), edit);
    }

    @Test
    void missingConfig() throws Exception {
        Path b = Files.createDirectories(work.resolve("empty"));
        assertRefused(b, "config.json: no such file in bundle " + b);
    }

    @Test
    void malformedConfig() throws Exception {
        Path b = bundle("malformed", c -> { });
        Files.writeString(b.resolve("config.json"), "{\n  \"ociVersion\": \"1.2.0\",\n  \"process\": {\n}");
        assertRefused(b, "config.json: malformed JSON at line 4, column 2: Unexpected end-of-input: expected close marker for Object (opened at line 1, column 1)");
    }

    @Test
    void unknownOciVersionMajor() throws Exception {
        assertRefused(bundle("v2", c -> c.put("ociVersion", "2.0.0")),
                "config.json: unsupported ociVersion \"2.0.0\": jvmvisor supports 1.x");
    }

    @Test
    void missingRootfs() throws Exception {
        Path b = bundle("norootfs", c -> ((ObjectNode) c.get("root")).put("path", "nowhere"));
        assertRefused(b, "config.json: root.path \"nowhere\": no such directory " + b.resolve("nowhere"));
    }

    /** Found (or not) by the agent in the container, after its mounts: the VM is booted, then torn down. */
    @Test
    void executableNotFound() throws Exception {
        String id = CliFixture.id("bad");
        CliFixture.Result r = cli.run("create", "--bundle", bundle("noexe", c -> TestBundles.args(c, "no-such-program")).toString(), id);
        assertEquals(1, r.code(), r.err());
        assertTrue(r.errorLine().startsWith("jvmvisor: ") && r.errorLine()
                .endsWith("exec: \"no-such-program\": executable file not found in $PATH"), r.errorLine());
        cli.assertNothingLeft(id);
    }

    @Test
    void cwdMissing() throws Exception {
        Path b = bundle("nocwd", c -> ((ObjectNode) c.get("process")).put("cwd", "/nope"));
        assertRefused(b, "config.json: process.cwd \"/nope\" does not exist in the rootfs " + b.resolve("rootfs"));
    }

    @Test
    void emptyArgs() throws Exception {
        assertRefused(bundle("noargs", c -> ((ObjectNode) c.get("process")).set("args", c.arrayNode())),
                "config.json: process.args must not be empty");
    }

    @Test
    void terminalWithoutConsoleSocket() throws Exception {
        assertRefused(bundle("tty", c -> ((ObjectNode) c.get("process")).put("terminal", true)),
                "cannot allocate tty if jvmvisor will detach without setting console socket");
    }

    @Test
    void unknownIdEverywhere() throws Exception {
        for (String[] args : new String[][] {{"state", "ghost"}, {"start", "ghost"}, {"kill", "ghost"},
                {"kill", "ghost", "KILL"}, {"delete", "ghost"}, {"pause", "ghost"}}) {
            CliFixture.Result r = cli.run(args);
            assertEquals(1, r.code(), String.join(" ", args));
            assertEquals("jvmvisor: container does not exist", r.errorLine());
        }
        assertEquals(0, cli.run("delete", "--force", "ghost").code());
    }

    /**
     * docker's second delete (--force, of a container its first delete removed) is answered by
     * bin/jvmvisor itself: it succeeds where no Java could start; anything else still reaches Java.
     */
    @Test
    void deleteForceOfAMissingContainerNeedsNoJvm() throws Exception {
        for (String[] args : new String[][] {{"delete", "--force", "ghost"}, {"delete", "-f", "ghost"},
                {"--log", work.resolve("l.json").toString(), "--log-format", "json", "delete", "--force", "ghost"}}) {
            assertEquals(0, withoutJava(args), String.join(" ", args));
        }
        assertEquals(false, Files.exists(work.resolve("l.json")));
        for (String[] args : new String[][] {{"delete", "ghost"}, {"delete", "--force", "../ghost"}, {"state", "ghost"}}) {
            assertEquals(1, withoutJava(args), "reaches the (broken) Java CLI: " + String.join(" ", args));
        }
    }

    /** bin/jvmvisor's exit status with a classpath no JVM can start from. */
    private static int withoutJava(String... args) throws Exception {
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(cli.home.resolve("bin/jvmvisor").toString(),
                "--root", cli.root.toString()));
        cmd.addAll(java.util.List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/bin:/bin");
        pb.environment().put("JVMVISOR_CLASSPATH", work.resolve("no-such-classes").toString());
        return pb.start().waitFor();
    }

    @Test
    void invalidSignalAndIdAndUsage() throws Exception {
        assertEquals("jvmvisor: unknown signal \"NOPE\"", cli.run("kill", "ghost", "NOPE").errorLine());
        assertEquals("jvmvisor: invalid id format: ../x", cli.run("create", "-b", hello.toString(), "../x").errorLine());
        CliFixture.Result r = cli.run("create");
        assertEquals(1, r.code());
        r.errorLine();
    }

    @Test
    void jsonLogForDocker() throws Exception {
        Path log = work.resolve("log.json");
        CliFixture.Result r = cli.run("--log", log.toString(), "--log-format", "json", "state", "ghost");
        assertEquals(1, r.code());
        ObjectNode line = (ObjectNode) Json.mapper().readTree(Files.readAllLines(log).getLast());
        assertEquals("error", line.get("level").asText());
        assertEquals("container does not exist", line.get("msg").asText());
    }

    @Test
    void listOfAnEmptyRoot() throws Exception {
        CliFixture.Result r = cli.run("list");
        assertEquals(0, r.code());
        assertEquals("ID          PID         STATUS      BUNDLE      CREATED     OWNER\n", r.out());
        assertEquals("null\n", cli.run("list", "--format", "json").out());
    }

    @Test
    void rootThatIsAFile() throws Exception {
        CliFixture fileRoot = new CliFixture(Files.createDirectories(work.resolve("file-root")));
        Path file = Files.writeString(fileRoot.root, "x");
        CliFixture.Result r = fileRoot.run("create", "-b", hello.toString(), CliFixture.id("f"));
        assertEquals(1, r.code());
        assertEquals("jvmvisor: --root " + file + " is not a directory", r.errorLine());
    }

    /** A --root with no space left (a tiny tmpfs): one error line, nothing left, the ID free again. */
    @Test
    void fullRoot() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue("0".equals(new String(new ProcessBuilder("id", "-u").start()
                .getInputStream().readAllBytes()).trim()), "mounting a tmpfs needs root");
        CliFixture tiny = new CliFixture(Files.createDirectories(work.resolve("tiny-" + ProcessHandle.current().pid())));
        Path root = Files.createDirectories(tiny.root);
        Path mnt = root;
        assertEquals(0, new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=8k,nr_inodes=64", "jvmvisor-full", mnt.toString())
                .inheritIO().start().waitFor());
        try {
            try (var out = Files.newOutputStream(mnt.resolve("filler"))) {
                out.write(new byte[64 << 10]);
            } catch (java.io.IOException full) {
                // no space left: as wanted
            }
            String id = CliFixture.id("full");
            CliFixture.Result r = tiny.run("create", "-b", hello.toString(), id);
            assertEquals(1, r.code());
            assertEquals("jvmvisor: cannot write " + root.resolve(id).resolve("state.json") + ": No space left on device",
                    r.errorLine());
            try (var left = Files.list(root)) {
                assertEquals(java.util.List.of(root.resolve("filler")), left.toList(), "nothing left in the root");
            }
            assertEquals("jvmvisor: container does not exist", tiny.run("state", id).errorLine());
            assertEquals("", tiny.run("list", "-q").out());
        } finally {
            assertEquals(0, new ProcessBuilder("umount", mnt.toString()).inheritIO().start().waitFor());
        }
    }
}
