package io.jvmvisor.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmvisor.shim.control.ControlRequest;
import io.jvmvisor.shim.control.ControlResponse;
import io.jvmvisor.shim.engine.VmTemplate;
import io.jvmvisor.testbundles.TestBundles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * VM templates end to end (real QEMU, kernel and agent): the first VM of a shape boots cold and a
 * detached builder makes the template; the next VMs are restored from it and keep the container
 * contract (exit code, stdout/stderr, exec, the wall clock, a random seed of their own); a corrupted
 * template is discarded and the container boots cold. Templates live in a root of this test's own.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TemplateIT {
    private static Path dir;
    private static Path templates;
    private static final List<ShimFixture> shims = new ArrayList<>();

    @BeforeAll
    static void coldBootBuildsTheTemplate() throws Exception {
        Assumptions.assumeFalse(Boolean.getBoolean("jvmvisor.it.skip"), "integration tests switched off (-Djvmvisor.it.skip)");
        ShimFixture.unavailable().ifPresent(why -> Assumptions.abort("cannot boot a VM here: " + why));
        dir = Files.createTempDirectory("jvmvisor-template-it");
        templates = dir.resolve("templates");
        ShimFixture s = run("cold", sh("cold", "echo cold-out; echo cold-err >&2; exit 7"));
        assertEquals(7, s.awaitExit(), s.shimLog());
        assertEquals("cold-out\n", s.stdout());
        assertTrue(s.stderr().contains("cold-err"), s.stderr());
        String timeline = Files.readString(s.stateDir.resolve(Shim.TIMELINE_FILE));
        assertTrue(timeline.contains("first-console-line") && !timeline.contains("\"restored\""), timeline);
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (template() == null) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no template was built within 120 s; build.log:\n" + buildLog());
            }
            Thread.sleep(200);
        }
        Object mode = Files.getAttribute(templates, "posix:permissions");
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(template())), "template dirs are root-only: " + mode);
    }

    @AfterAll
    static void cleanUp() throws Exception {
        for (ShimFixture s : shims) {
            s.close();
        }
        if (dir != null) {
            try (var w = Files.walk(dir)) {
                w.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    @Order(1)
    void restoredVmsKeepExitCodeStdioClockAndGetTheirOwnRandomSeed() throws Exception {
        String script = "cat /proc/sys/kernel/random/uuid; head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \\n'; echo;"
                + " date +%s; echo to-err >&2; exit 7";
        ShimFixture one = run("r1", sh("r1", script));
        assertEquals(7, one.awaitExit(), one.shimLog());
        assertRestored(one);
        List<String> out1 = one.stdout().lines().toList();
        assertEquals(3, out1.size(), one.stdout());
        assertEquals("to-err\n", one.stderr());
        long hostNow = System.currentTimeMillis() / 1000;
        assertTrue(Math.abs(Long.parseLong(out1.get(2)) - hostNow) <= 3, "guest date " + out1.get(2) + ", host " + hostNow);

        // a second restored VM, its random bytes and UUID read through exec
        ShimFixture two = run("r2", TestBundles.create("sleep", dir.resolve("r2")));
        assertRestored(two);
        Path out = dir.resolve("exec.out");
        Path err = dir.resolve("exec.err");
        Files.writeString(out, "");
        Files.writeString(err, "");
        var libc = io.jvmvisor.sys.Libc.get();
        var process = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                "{\"args\": [\"sh\", \"-c\", \"" + script.replace("\\", "\\\\").replace("\"", "\\\"") + "\"], \"cwd\": \"/\", \"env\": [\"PATH=/bin\"]}");
        try (var i = io.jvmvisor.sys.Fd.open("/dev/null", io.jvmvisor.sys.Libc.O_RDONLY);
             var o = new io.jvmvisor.sys.Fd(libc.open(out.toString(), io.jvmvisor.sys.Libc.O_WRONLY));
             var e = new io.jvmvisor.sys.Fd(libc.open(err.toString(), io.jvmvisor.sys.Libc.O_WRONLY));
             var c = io.jvmvisor.shim.control.ControlClient.sendWithFds(two.stateDir,
                     ControlRequest.exec("e1", process, ProcessHandle.current().pid(), null), i.value(), o.value(), e.value())) {
            ControlResponse started = c.next();
            assertTrue(started.ok(), started.error());
            assertEquals(7, c.next().exitStatus());
        }
        List<String> out2 = Files.readString(out).lines().toList();
        assertEquals(3, out2.size(), Files.readString(out));
        assertEquals("to-err\n", Files.readString(err));
        assertNotEquals(out1.get(0), out2.get(0), "two VMs restored from one template read different UUIDs");
        assertNotEquals(out1.get(1), out2.get(1), "two VMs restored from one template read different random bytes");
        assertTrue(two.call(ControlRequest.kill(9, false)).ok());
        assertEquals(137, two.awaitExit(), two.shimLog());
    }

    @Test
    @Order(2)
    void aCorruptedTemplateIsDiscardedAndTheContainerBootsCold() throws Exception {
        Path t = template();
        assertTrue(t != null, "the template of the first test is there");
        Path state = t.resolve(VmTemplate.STATE);
        Files.setPosixFilePermissions(state, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Files.write(state, "not a migration stream".getBytes(StandardCharsets.UTF_8));
        ShimFixture s = run("corrupt", sh("corrupt", "echo still-works; exit 3"));
        assertEquals(3, s.awaitExit(), s.shimLog());
        assertEquals("still-works\n", s.stdout());
        String timeline = Files.readString(s.stateDir.resolve(Shim.TIMELINE_FILE));
        assertFalse(timeline.contains("\"restored\""), timeline);
        assertTrue(s.shimLog().contains("booting cold"), s.shimLog());
        assertFalse(Files.exists(state) && Files.readString(state, StandardCharsets.ISO_8859_1).startsWith("not a"),
                "the corrupted template is gone");
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (template() == null) {
            assertTrue(System.nanoTime() < deadline, "the cold boot rebuilds the template; build.log:\n" + buildLog());
            Thread.sleep(200);
        }
    }

    private static void assertRestored(ShimFixture s) throws IOException {
        String timeline = Files.readString(s.stateDir.resolve(Shim.TIMELINE_FILE));
        assertTrue(timeline.contains("\"restored\"") && !timeline.contains("first-console-line"), timeline + "\n" + s.shimLog());
    }

    /** Created and started; the caller waits for the exit. */
    private static ShimFixture run(String id, Path bundle) throws Exception {
        ShimFixture s = ShimFixture.start(id, bundle, dir.resolve("state-" + id), null, Path.of("/dev/null"),
                Map.of(VmTemplate.ENV, templates.toString()));
        shims.add(s);
        try {
            s.awaitCreated();
        } catch (ShimLauncher.ShimException e) {
            throw new AssertionError("create failed: " + e.getMessage() + "\nshim.log:\n" + s.shimLog(), e);
        }
        assertTrue(s.call(ControlRequest.of(ControlRequest.Op.START)).ok());
        return s;
    }

    private static Path sh(String name, String script) {
        return TestBundles.create("hello", dir.resolve(name), c -> TestBundles.args(c, "sh", "-c", script));
    }

    /** The one complete template directory in the test's root, or null. */
    private static Path template() throws IOException {
        if (!Files.isDirectory(templates)) {
            return null;
        }
        try (var s = Files.list(templates)) {
            return s.filter(p -> p.getFileName().toString().matches("[0-9a-f]{24}") && Files.exists(p.resolve(VmTemplate.SHAPE)))
                    .findFirst().orElse(null);
        }
    }

    private static String buildLog() {
        try {
            return Files.readString(templates.resolve("build.log"));
        } catch (IOException e) {
            return "(none)";
        }
    }
}
