package io.jvmvisor.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmvisor.shim.control.SocketPaths;
import io.jvmvisor.testbundles.TestBundles;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults, one real VM each: the shim SIGKILLed, QEMU SIGKILLed, the CLI SIGKILLed mid-create,
 * the socket alias deleted. Each ends with the container working or gone, state and delete
 * telling the truth, and nothing left on the host.
 */
class FaultsIT {
    @TempDir
    static Path work;
    static CliFixture cli;
    static Path sleep;

    @BeforeAll
    static void probe() {
        cli = new CliFixture(work);
        cli.vmUnavailable().ifPresent(why -> Assumptions.abort("no micro-VM can boot here: " + why));
        sleep = TestBundles.create("sleep", work.resolve("sleep"));
    }

    @AfterAll
    static void nothingLeft() throws Exception {
        if (cli != null && cli.vmUnavailable().isEmpty()) {
            cli.assertNoProcessMentions(cli.root.toString());
        }
    }

    private String status(CliFixture c, String id) throws Exception {
        CliFixture.Result r = c.run("state", id);
        assertEquals(0, r.code(), r.err());
        return Json.mapper().readTree(r.out()).get("status").asText();
    }

    private long running(CliFixture c, String id) throws Exception {
        CliFixture.Result r = c.run("run", "-d", "-b", sleep.toString(), id);
        assertEquals(0, r.code(), r.err());
        c.awaitStatus(id, "running", 60);
        return Json.mapper().readTree(c.run("state", id).out()).get("pid").asLong();
    }

    private static void awaitGone(long pid) throws Exception {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid + " still runs");
    }

    private void deleteAndCheck(CliFixture c, String id) throws Exception {
        CliFixture.Result d = c.run("delete", id);
        assertEquals(0, d.code(), d.err());
        c.assertNothingLeft(id);
        assertEquals(1, c.run("state", id).code(), "gone");
    }

    @Test
    void shimKilled() throws Exception {
        String id = CliFixture.id("shimkill");
        long shim = running(cli, id);
        long vmm = Long.parseLong(Files.readString(cli.root.resolve(id).resolve("vmm.pid")).trim());
        ProcessHandle.of(shim).orElseThrow().destroyForcibly();
        awaitGone(shim);
        awaitGone(vmm); // QEMU dies with its shim (pdeathsig)
        assertEquals("stopped", status(cli, id));
        deleteAndCheck(cli, id);
    }

    /** The container's cgroup in every hierarchy that has it (v1) or the unified one (v2). */
    private static List<Path> cgroupDirs(String rel) throws Exception {
        Path root = Path.of("/sys/fs/cgroup");
        if (Files.exists(root.resolve("cgroup.controllers"))) {
            return List.of(root.resolve(rel));
        }
        try (var hierarchies = Files.list(root)) {
            return hierarchies.filter(h -> Files.isDirectory(h, LinkOption.NOFOLLOW_LINKS)).map(h -> h.resolve(rel)).toList();
        }
    }

    @Test
    void aFailedCreateAndAKilledShimLeaveNoHostCgroup() throws Exception {
        Assumptions.assumeTrue(Files.isWritable(Path.of("/sys/fs/cgroup/memory")) || Files.isWritable(Path.of("/sys/fs/cgroup")),
                "skipped: cgroups are not writable here");
        String rel = "jvmvisor-it/faults" + ProcessHandle.current().pid();
        // the shim joins the cgroup, then finds the kernel missing: it answers, and must get to undo its steps
        Path bad = TestBundles.create("sleep", work.resolve("badkernel"), c -> {
            c.withObjectProperty("linux").put("cgroupsPath", "/" + rel + "/bad");
            c.withObjectProperty("annotations").put("io.jvmvisor.kernel", work.resolve("no-such-vmlinux").toString());
        });
        CliFixture.Result r = cli.run("create", "-b", bad.toString(), CliFixture.id("badkernel"));
        assertEquals(1, r.code(), r.out() + r.err());
        for (Path d : cgroupDirs(rel + "/bad")) {
            assertFalse(Files.exists(d), d + " left by a failed create");
        }
        // SIGKILL leaves the shim no chance: delete removes what it listed
        Path ok = TestBundles.create("sleep", work.resolve("cgsleep"), c -> c.withObjectProperty("linux").put("cgroupsPath", "/" + rel + "/ok"));
        String id = CliFixture.id("cgkill");
        CliFixture.Result run = cli.run("run", "-d", "-b", ok.toString(), id);
        assertEquals(0, run.code(), run.err());
        cli.awaitStatus(id, "running", 60);
        List<Path> dirs = cgroupDirs(rel + "/ok").stream().filter(Files::exists).toList();
        assertFalse(dirs.isEmpty(), "the shim made its cgroup");
        long shim = Json.mapper().readTree(cli.run("state", id).out()).get("pid").asLong();
        ProcessHandle.of(shim).orElseThrow().destroyForcibly();
        awaitGone(shim);
        long vmm = Long.parseLong(Files.readString(cli.root.resolve(id).resolve("vmm.pid")).trim());
        awaitGone(vmm);
        assertTrue(dirs.stream().allMatch(Files::exists), "a killed shim removes nothing itself");
        deleteAndCheck(cli, id);
        for (Path d : cgroupDirs(rel)) {
            assertFalse(Files.exists(d), d + " left after delete of a container whose shim was killed");
        }
    }

    @Test
    void qemuKilled() throws Exception {
        String id = CliFixture.id("qemukill");
        long shim = running(cli, id);
        long vmm = Long.parseLong(Files.readString(cli.root.resolve(id).resolve("vmm.pid")).trim());
        ProcessHandle.of(vmm).orElseThrow().destroyForcibly();
        awaitGone(shim); // the shim reports the container stopped and exits
        assertEquals("stopped", status(cli, id));
        deleteAndCheck(cli, id);
    }

    @Test
    void cliKilledMidCreate() throws Exception {
        String id = CliFixture.id("clikill");
        CliFixture.Running create = cli.start("create", "-b", sleep.toString(), id);
        Path shimLog = cli.root.resolve(id).resolve("shim.log");
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!(Files.exists(shimLog) && Files.readString(shimLog).contains("starting the VM")) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(Files.exists(shimLog), "the shim started");
        create.process.destroyForcibly().waitFor(); // mid-create: the VM boots
        long shim = Json.mapper().readTree(Files.readString(cli.root.resolve(id).resolve("state.json"))).path("shimPid").asLong();
        assertTrue(shim > 0, "state.json names the shim from the start");
        awaitGone(shim); // the container went with its creator
        assertEquals("stopped", status(cli, id));
        deleteAndCheck(cli, id);
        // and the ID can be used again
        running(cli, id);
        assertEquals(0, cli.run("delete", "--force", id).code());
        cli.assertNothingLeft(id);
    }

    /**
     * The CLI killed before its shim has looked at who its creator is: the shim (stopped with
     * SIGSTOP from the moment it is a JVM until the CLI has named it in state.json and is gone)
     * wakes up with another parent already, and goes as it does when it sees its creator die.
     * (A shim stopped before it was a JVM is one the CLI refuses to adopt: --debug says why.)
     */
    @Test
    void cliKilledBeforeItsShimLooksForIt() throws Exception {
        String id = CliFixture.id("clikill-early");
        CliFixture.Running create = cli.start("--debug", "create", "-b", sleep.toString(), id);
        long deadline = System.nanoTime() + 60_000_000_000L;
        ProcessHandle shim = null;
        while (shim == null && System.nanoTime() < deadline) {
            shim = create.process.toHandle().children()
                    .filter(p -> CliFixture.cmdline(p.pid()).matches("\\S*/java .* io\\.jvmvisor\\.shim\\.ShimMain .*"))
                    .findFirst().orElse(null); // the JVM itself, past setsid, unshare and env
        }
        assertTrue(shim != null, "the CLI started a shim");
        assertEquals(0, new ProcessBuilder("kill", "-STOP", Long.toString(shim.pid())).start().waitFor());
        Path state = cli.root.resolve(id).resolve("state.json");
        long named = 0;
        while (named != shim.pid() && System.nanoTime() < deadline) {
            try {
                named = Json.mapper().readTree(Files.readString(state)).path("shimPid").asLong();
            } catch (java.io.IOException notYet) {
                Thread.sleep(5);
            }
        }
        assertEquals(shim.pid(), named, "state.json names the shim; " + Files.readString(create.err));
        create.process.destroyForcibly().waitFor();
        assertEquals(0, new ProcessBuilder("kill", "-CONT", Long.toString(shim.pid())).start().waitFor());
        awaitGone(shim.pid());
        assertEquals("stopped", status(cli, id));
        deleteAndCheck(cli, id);
    }

    @Test
    void aliasDeleted() throws Exception {
        // a root as long as docker's, so that sockets are reached through the alias cache
        CliFixture longRoot = new CliFixture(Files.createDirectories(work.resolve("r".repeat(90))));
        String id = CliFixture.id("alias");
        running(longRoot, id);
        Path stateDir = longRoot.root.resolve(id);
        assertTrue(SocketPaths.needsAlias(stateDir));
        Path alias = SocketPaths.alias(stateDir);
        assertTrue(Files.isSymbolicLink(alias));
        Files.delete(alias);
        assertEquals("running", status(longRoot, id), "still reachable");
        CliFixture.Result exec = longRoot.run("exec", id, "echo", "reached");
        assertEquals("reached\n", exec.out(), exec.err());
        assertEquals(0, longRoot.run("kill", id, "TERM").code());
        longRoot.awaitStatus(id, "stopped", 60);
        deleteAndCheck(longRoot, id);
        assertFalse(Files.exists(alias, LinkOption.NOFOLLOW_LINKS), "no alias left");
        try (var left = Files.list(longRoot.root)) {
            assertEquals(List.of(), left.toList());
        }
    }

    /**
     * A foreground exec forwards the signals it gets to its process (runc does), and when the CLI
     * is killed outright the shim releases its stdio: a reader of that pipe ($(...)) sees EOF.
     */
    @Test
    void execForwardsSignalsAndAKilledExecReleasesItsStdio() throws Exception {
        String id = CliFixture.id("execsig");
        running(cli, id);
        try {
            CliFixture.Running exec = cli.start("exec", id, "sh", "-c",
                    "trap 'echo got-term; exit 42' TERM; echo ready; while true; do sleep 0.2; done");
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!Files.readString(exec.out).contains("ready") && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            exec.process.destroy(); // SIGTERM to the CLI
            CliFixture.Result r = exec.await(30);
            assertEquals(42, r.code(), "the process got the TERM and exited 42; stderr: " + r.err());
            assertEquals("ready\ngot-term\n", r.out());

            // the caller's stdout is a FIFO this test reads, as a shell's $(...) reads its pipe
            Path fifo = work.resolve(id + ".fifo");
            assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
            var reader = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try (var in = new java.io.FileInputStream(fifo.toFile())) {
                    return new String(in.readAllBytes());
                } catch (java.io.IOException e) {
                    return "read failed: " + e;
                }
            });
            ProcessBuilder hpb = new ProcessBuilder(cli.home.resolve("bin/jvmvisor").toString(), "--root", cli.root.toString(),
                    "exec", id, "sh", "-c", "echo ready; exec sleep 600").redirectOutput(fifo.toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD);
            hpb.environment().put("JVMVISOR_CLASSPATH", System.getProperty("java.class.path"));
            Process held = hpb.start();
            deadline = System.nanoTime() + 60_000_000_000L;
            while (!cli.run("ps", id).out().contains("sleep 600") && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            held.destroyForcibly().waitFor(); // SIGKILL: nothing can be forwarded
            assertEquals("ready\n", reader.get(20, java.util.concurrent.TimeUnit.SECONDS), "EOF: the shim let go of the pipe");
            String ps = cli.run("ps", id).out();
            assertFalse(ps.contains("sleep 600"), "the orphaned process was killed: " + ps);
        } finally {
            assertEquals(0, cli.run("delete", "--force", id).code());
        }
        cli.assertNothingLeft(id);
    }
}
