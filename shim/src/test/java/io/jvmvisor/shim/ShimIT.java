package io.jvmvisor.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmvisor.shim.control.ControlRequest;
import io.jvmvisor.shim.control.ControlResponse;
import io.jvmvisor.testbundles.TestBundles;
import io.jvmvisor.sys.Fd;
import io.jvmvisor.sys.Libc;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shim end to end: real QEMU (TCG here), the real guest kernel and agent, test bundles. */
class ShimIT {
    @TempDir
    Path dir;
    private final List<ShimFixture> shims = new ArrayList<>();

    @BeforeAll
    static void needsVm() {
        Assumptions.assumeFalse(Boolean.getBoolean("jvmvisor.it.skip"), "integration tests switched off (-Djvmvisor.it.skip)");
        ShimFixture.unavailable().ifPresent(why -> Assumptions.abort("cannot boot a VM here: " + why));
    }

    @AfterEach
    void stopShims() throws Exception {
        for (ShimFixture s : shims) {
            s.close();
        }
    }

    private ShimFixture start(String id, Path bundle) throws IOException {
        return start(id, bundle, null);
    }

    private ShimFixture start(String id, Path bundle, String consoleSocket) throws IOException {
        ShimFixture s = ShimFixture.start(id, bundle, dir.resolve("state-" + id), consoleSocket);
        shims.add(s);
        return s;
    }

    /** create; aborts the test (with the reason) when the agent cannot create containers yet. */
    private ShimFixture created(String id, Path bundle) throws Exception {
        return created(id, bundle, null);
    }

    private ShimFixture created(String id, Path bundle, String consoleSocket) throws Exception {
        ShimFixture s = start(id, bundle, consoleSocket);
        try {
            assertEquals(s.process.pid(), s.awaitCreated(), "wait-created reports the shim JVM's own PID");
        } catch (ShimLauncher.ShimException e) {
            Assumptions.assumeFalse(e.getMessage().contains("not implemented"),
                    "the guest agent in kernels/target/initramfs.cpio cannot create containers yet: " + e.getMessage());
            throw new AssertionError("create failed: " + e.getMessage() + "\nshim.log:\n" + s.shimLog(), e);
        }
        return s;
    }

    private void assertNothingLeft(ShimFixture s) throws IOException {
        long vmm = s.vmmPidOrZero();
        assertFalse(s.process.isAlive(), "the shim is gone");
        if (vmm > 0) {
            assertFalse(ProcessHandle.of(vmm).map(ProcessHandle::isAlive).orElse(false), "QEMU (pid " + vmm + ") is gone");
        }
        for (String sock : List.of("shim.sock", "agent.sock", "qmp.sock")) {
            assertFalse(Files.exists(s.stateDir.resolve(sock)), sock + " is removed");
        }
    }

    private static Path sh(Path parent, String name, String script) {
        return TestBundles.create("hello", parent.resolve(name), c -> TestBundles.args(c, "sh", "-c", script));
    }

    @Test
    void helloOnStdoutErrorsOnStderrExitZero() throws Exception {
        Path bundle = sh(dir, "b1", "echo " + TestBundles.HELLO_OUTPUT + "; echo to-stderr >&2");
        ShimFixture s = created("hello", bundle);
        assertEquals("created", s.call(ControlRequest.of(ControlRequest.Op.STATE)).status());
        assertTrue(s.call(ControlRequest.of(ControlRequest.Op.START)).ok());
        assertEquals(0, s.awaitExit(), s.shimLog());
        assertEquals(TestBundles.HELLO_OUTPUT + "\n", s.stdout());
        assertEquals("to-stderr\n", s.stderr());
        assertEquals("{\"exitStatus\":0}", Files.readString(s.stateDir.resolve("exit.json")).trim());
        String timeline = Files.readString(s.stateDir.resolve("timeline.json"));
        for (String phase : List.of("shim-start", "vmm-started", "agent-ready", "container-created", "started", "exited", "shutdown")) {
            assertTrue(timeline.contains("\"" + phase + "\""), phase + " in " + timeline);
        }
        assertNothingLeft(s);
    }

    @Test
    void stdinReachesTheProcessAndEndsWithEof() throws Exception {
        Path in = Files.writeString(dir.resolve("stdin.txt"), "line one\nline two\n");
        ShimFixture s = ShimFixture.start("cat", sh(dir, "cat", "cat; echo eof-seen"), dir.resolve("state-cat"), null, in);
        shims.add(s);
        assertEquals(s.process.pid(), s.awaitCreated());
        assertTrue(s.call(ControlRequest.of(ControlRequest.Op.START)).ok());
        assertEquals(0, s.awaitExit(), s.shimLog());
        assertEquals("line one\nline two\neof-seen\n", s.stdout());
    }

    @Test
    void aNetworkNamespaceWithoutPathIsAFreshOneForShimAndVmm() throws Exception {
        ShimFixture s = created("netns", TestBundles.create("sleep", dir)); // asserts the PID is the JVM's
        Path ours = Files.readSymbolicLink(Path.of("/proc/self/ns/net"));
        Path shims = Files.readSymbolicLink(Path.of("/proc/" + s.process.pid() + "/ns/net"));
        assertNotEquals(ours, shims, "the shim runs in a fresh network namespace");
        assertTrue(ProcessHandle.of(s.process.pid()).orElseThrow().info().command().orElse("").endsWith("java"),
                "the PID is the shim JVM's, not unshare's");
        long vmm = s.vmmPidOrZero();
        if (vmm != 0) {
            assertEquals(shims, Files.readSymbolicLink(Path.of("/proc/" + vmm + "/ns/net")), "QEMU shares it");
        }
    }

    @Test
    void exitCodesBecomeTheShimsExitStatus() throws Exception {
        for (int code : new int[] {1, 42}) {
            ShimFixture s = created("exit" + code, sh(dir, "e" + code, "exit " + code));
            assertTrue(s.call(ControlRequest.of(ControlRequest.Op.START)).ok());
            assertEquals(code, s.awaitExit(), s.shimLog());
            assertNothingLeft(s);
        }
    }

    @Test
    void killNineIs137AndDeleteOfARunningContainerNeedsForce() throws Exception {
        ShimFixture s = created("sleep", TestBundles.create("sleep", dir));
        assertTrue(s.call(ControlRequest.of(ControlRequest.Op.START)).ok());
        assertEquals("running", s.call(ControlRequest.of(ControlRequest.Op.STATE)).status());
        ControlResponse refused = s.call(ControlRequest.delete(false));
        assertEquals("FAILED_PRECONDITION", refused.code(), refused.error());
        assertEquals("INVALID_ARGUMENT", s.call(ControlRequest.kill(0, false)).code());
        assertTrue(s.call(ControlRequest.kill(9, false)).ok());
        assertEquals(137, s.awaitExit(), s.shimLog());
        assertTrue(Files.readString(s.stateDir.resolve("exit.json")).contains("\"exitStatus\":137"));
        assertNothingLeft(s);
    }

    @Test
    void forcedDeleteOfARunningContainerLeavesNothing() throws Exception {
        ShimFixture s = created("del", TestBundles.create("sleep", dir));
        assertTrue(s.call(ControlRequest.of(ControlRequest.Op.START)).ok());
        assertTrue(s.call(ControlRequest.of(ControlRequest.Op.PAUSE)).ok());
        assertEquals("paused", s.call(ControlRequest.of(ControlRequest.Op.STATE)).status());
        assertTrue(s.call(ControlRequest.of(ControlRequest.Op.RESUME)).ok());
        assertTrue(s.call(ControlRequest.delete(true)).ok());
        s.awaitExit();
        assertNothingLeft(s);
    }

    @Test
    void terminalThroughTheConsoleSocket() throws Exception {
        Libc libc = Libc.get();
        Path sock = dir.resolve("console.sock");
        try (Fd listener = new Fd(libc.listenUnix(sock.toString()))) {
            ShimFixture s = created("tty", TestBundles.create("tty", dir), sock.toString());
            try (Fd conn = new Fd(libc.accept(listener.value())); Fd master = new Fd(libc.recvFd(conn.value()))) {
                assertTrue(s.call(ControlRequest.of(ControlRequest.Op.START)).ok());
                byte[] cmd = "echo jv-$((6*7)); stty size; exit 3\n".getBytes(StandardCharsets.UTF_8);
                master.write(cmd, 0, cmd.length);
                StringBuilder seen = new StringBuilder();
                byte[] buf = new byte[4096];
                long end = System.nanoTime() + 30_000_000_000L;
                while (System.nanoTime() < end && !(seen.indexOf("jv-42") >= 0 && seen.indexOf("24 80") >= 0)) {
                    if ((libc.poll(master.value(), Libc.POLLIN, 200) & Libc.POLLIN) != 0) {
                        int n = master.read(buf, 0, buf.length);
                        if (n < 0) {
                            break;
                        }
                        seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                    }
                }
                assertTrue(seen.indexOf("jv-42") >= 0, "tty output: " + seen);
                assertTrue(seen.indexOf("24 80") >= 0, "window size from consoleSize: " + seen);
                assertEquals(3, s.awaitExit(), s.shimLog());
            }
            assertNothingLeft(s);
        }
    }

    @Test
    void bindMountsReachTheGuestOverNinePAndTmpfsIsMounted() throws Exception {
        Path bundle = TestBundles.create("mounts", dir);
        ShimFixture s = created("mounts", bundle);
        assertTrue(s.call(ControlRequest.of(ControlRequest.Op.START)).ok());
        assertEquals(0, s.awaitExit(), s.stderr() + s.shimLog());
        String out = s.stdout();
        assertTrue(out.contains("written on the host"), out);
        assertTrue(out.contains("/mnt/tmp tmpfs"), out);
        assertTrue(out.contains("/mnt/shared 9p"), out);
        assertEquals("from-guest\n", Files.readString(bundle.resolve("shared/from-guest.txt")));
    }

    @Test
    void readonlyRoot() throws Exception {
        // the bundle writes to /tmp, which a read-only root needs as a tmpfs (as with runc)
        ShimFixture s = created("ro", TestBundles.create("readonly-root", dir, c -> ((com.fasterxml.jackson.databind.node.ArrayNode) c.get("mounts"))
                .addObject().put("destination", "/tmp").put("type", "tmpfs").put("source", "tmpfs")));
        assertTrue(s.call(ControlRequest.of(ControlRequest.Op.START)).ok());
        int status = s.awaitExit();
        String out = s.stdout() + s.stderr();
        assertTrue(out.contains("read-only"), out);
        assertEquals(0, status, out);
        assertTrue(out.contains("tmp-writable"), out);
    }

    @Test
    void execUsesTheCallersStdioAndReportsItsExit() throws Exception {
        ShimFixture s = created("exec", TestBundles.create("sleep", dir));
        assertTrue(s.call(ControlRequest.of(ControlRequest.Op.START)).ok());
        Path in = Files.writeString(dir.resolve("exec.in"), "fed through stdin\n");
        Path out = dir.resolve("exec.out");
        Path err = dir.resolve("exec.err");
        var libc = io.jvmvisor.sys.Libc.get();
        Files.writeString(out, "");
        Files.writeString(err, "");
        var process = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                "{\"args\": [\"sh\", \"-c\", \"cat; echo to-err >&2; exit 5\"], \"cwd\": \"/\", \"env\": [\"PATH=/bin\"]}");
        // the caller's stdio go with the request (SCM_RIGHTS); only the caller's own PID is taken as stdioPid
        try (var i = io.jvmvisor.sys.Fd.open(in.toString(), io.jvmvisor.sys.Libc.O_RDONLY);
             var o = new io.jvmvisor.sys.Fd(libc.open(out.toString(), io.jvmvisor.sys.Libc.O_WRONLY));
             var e = new io.jvmvisor.sys.Fd(libc.open(err.toString(), io.jvmvisor.sys.Libc.O_WRONLY));
             var c = io.jvmvisor.shim.control.ControlClient.sendWithFds(s.stateDir,
                     ControlRequest.exec("e1", process, ProcessHandle.current().pid(), null), i.value(), o.value(), e.value())) {
            ControlResponse started = c.next();
            assertTrue(started.ok(), started.error());
            assertTrue(started.pid() > 1);
            ControlResponse exited = c.next();
            assertEquals(5, exited.exitStatus());
        }
        try (var c = io.jvmvisor.shim.control.ControlClient.sendWithFds(s.stateDir,
                ControlRequest.exec("e2", process, 1, null), 0, 1, 2)) {
            assertEquals("PERMISSION_DENIED", c.next().code(), "another process's PID is refused");
        }
        assertEquals("fed through stdin\n", Files.readString(out));
        assertEquals("to-err\n", Files.readString(err));
        standInOfADetachedExec(s, out);
        var ps = s.call(ControlRequest.of(ControlRequest.Op.PS));
        assertTrue(ps.ok() && ps.data().toString().contains("sleep"), String.valueOf(ps));
        assertTrue(s.call(ControlRequest.kill(9, false)).ok());
        assertEquals(137, s.awaitExit(), s.shimLog());
    }

    /**
     * exec --detach: the shim answers with the PID of the process's stand-in on the host that it
     * started. The signals the stand-in gets reach the process; it exits with the process's status,
     * but only once the caller hung up; a stand-in killed takes the process with it.
     */
    private static void standInOfADetachedExec(ShimFixture s, Path out) throws Exception {
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        var trapper = mapper.readTree("{\"args\": [\"sh\", \"-c\", \"trap 'echo got-term; exit 7' TERM; echo trapped; sleep 100 & wait\"], "
                + "\"cwd\": \"/\", \"env\": [\"PATH=/bin\"]}");
        long self = ProcessHandle.current().pid();
        var libc = io.jvmvisor.sys.Libc.get();
        Files.writeString(out, "");
        try (var o = new io.jvmvisor.sys.Fd(libc.open(out.toString(), io.jvmvisor.sys.Libc.O_WRONLY))) {
            var c = io.jvmvisor.shim.control.ControlClient.sendWithFds(s.stateDir,
                    ControlRequest.execForStandIn("d1", trapper, self, null), 0, o.value(), 2);
            ControlResponse started = c.next();
            assertTrue(started.ok(), started.error());
            ProcessHandle standIn = ProcessHandle.of(started.pid()).orElseThrow();
            assertTrue(Files.readString(Path.of("/proc/" + standIn.pid() + "/cmdline")).contains("jvmvisor-exec:"), "the stand-in runs");
            assertTrue(standIn.parent().map(ph -> ph.pid() != s.process.pid()).orElse(true),
                    "the stand-in is not the shim's child (the subreaper above it reaps it)");
            long end = System.currentTimeMillis() + 60_000;
            // the TERM goes once the process set its trap (before, it would end it: no "got-term")
            while (!Files.readString(out).contains("trapped") && System.currentTimeMillis() < end) {
                Thread.sleep(20);
            }
            libc.kill((int) standIn.pid(), 15);
            while (!Files.readString(out).contains("got-term") && System.currentTimeMillis() < end) {
                Thread.sleep(50);
            }
            assertEquals("trapped\ngot-term\n", Files.readString(out), "the stand-in's TERM reached the process: " + s.shimLog());
            Thread.sleep(1000);
            assertTrue(standIn.isAlive(), "the stand-in stays while its caller is connected");
            c.close();
            standIn.onExit().get(60, java.util.concurrent.TimeUnit.SECONDS);
        }
        var sleeper = mapper.readTree("{\"args\": [\"sleep\", \"123\"], \"cwd\": \"/\", \"env\": [\"PATH=/bin\"]}");
        try (var c = io.jvmvisor.shim.control.ControlClient.sendWithFds(s.stateDir,
                ControlRequest.execForStandIn("d2", sleeper, self, null), 0, 1, 2)) {
            ControlResponse started = c.next();
            assertTrue(started.ok(), started.error());
            assertTrue(s.call(ControlRequest.of(ControlRequest.Op.PS)).data().toString().contains("sleep 123"));
            libc.kill(started.pid().intValue(), 9);
        }
        long end = System.currentTimeMillis() + 60_000;
        while (s.call(ControlRequest.of(ControlRequest.Op.PS)).data().toString().contains("sleep 123")
                && System.currentTimeMillis() < end) {
            Thread.sleep(100);
        }
        assertFalse(s.call(ControlRequest.of(ControlRequest.Op.PS)).data().toString().contains("sleep 123"),
                "the process is killed with its stand-in: " + s.shimLog());
    }

    @Test
    void longStateDirsUseAnAliasThatIsRemovedAndStaleAliasesAreSwept() throws Exception {
        Files.createDirectories(io.jvmvisor.shim.control.SocketPaths.ALIAS_ROOT);
        Path stale = io.jvmvisor.shim.control.SocketPaths.ALIAS_ROOT.resolve("jvmvisor-test-stale");
        Files.deleteIfExists(stale);
        Files.createSymbolicLink(stale, dir.resolve("gone"));
        Path stateDir = dir.resolve("x".repeat(100)).resolve("long-state");
        assertTrue(io.jvmvisor.shim.control.SocketPaths.needsAlias(stateDir));
        ShimFixture s = ShimFixture.start("long", sh(dir, "long", "echo via-alias"), stateDir, null);
        shims.add(s);
        assertEquals(s.process.pid(), s.awaitCreated());
        Path alias = io.jvmvisor.shim.control.SocketPaths.alias(stateDir);
        assertTrue(Files.isSymbolicLink(alias));
        assertFalse(Files.exists(stale, java.nio.file.LinkOption.NOFOLLOW_LINKS), "a dangling alias is swept");
        assertTrue(s.call(ControlRequest.of(ControlRequest.Op.START)).ok());
        assertEquals(0, s.awaitExit(), s.shimLog());
        assertEquals("via-alias\n", s.stdout());
        assertFalse(Files.exists(alias, java.nio.file.LinkOption.NOFOLLOW_LINKS), "the alias is removed at exit");
        assertNothingLeft(s);
    }

    @Test
    void failedCreateSaysWhyAndLeavesNothing() throws Exception {
        Path bundle = TestBundles.create("hello", dir.resolve("bad"), c -> TestBundles.args(c, "nope"));
        ShimFixture s = start("bad", bundle);
        ShimLauncher.ShimException e = assertThrows(ShimLauncher.ShimException.class, s::awaitCreated);
        assertTrue(s.awaitExit() != 0);
        assertNothingLeft(s);
        Assumptions.assumeFalse(e.getMessage().contains("not implemented"),
                "the guest agent cannot create containers yet (cleanup after a failed create was checked): " + e.getMessage());
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
    }
}
