package io.jvmvisor.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvmvisor.testbundles.TestBundles;
import io.jvmvisor.testbundles.TestPrograms;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the guest can do with its shares, through {@code bin/jvmvisor} and real VMs: FIFOs, unix
 * sockets (bind, connect, accept across processes) on the 9p rootfs, device nodes in the guest's
 * /dev but never on the host, a clock set from the host's, and live shares ({@code jvmvisor
 * mount/umount}) both ways.
 */
class SharesIT {
    @TempDir
    static Path work;
    static CliFixture cli;
    static Path unixsock;
    static final List<String> ids = new ArrayList<>();

    @BeforeAll
    static void probe() throws Exception {
        cli = new CliFixture(work);
        cli.vmUnavailable().ifPresent(why -> Assumptions.abort("no micro-VM can boot here: " + why));
        unixsock = TestPrograms.unixsock(work);
    }

    @AfterAll
    static void deleteAll() throws Exception {
        if (cli != null && cli.vmUnavailable().isEmpty()) {
            for (String id : ids) {
                cli.run("delete", "--force", id);
            }
            cli.assertNoProcessMentions(cli.root.toString());
        }
    }

    private static String id(String what) {
        String id = CliFixture.id(what);
        ids.add(id);
        return id;
    }

    /** The hello bundle running {@code script} with unixsock in /usr/bin, with CAP_MKNOD as docker gives it. */
    private static Path scriptBundle(String name, String script) throws Exception {
        Path bundle = TestBundles.create("hello", work.resolve(name), c -> {
            ObjectNode process = (ObjectNode) c.get("process");
            process.putArray("args").add("sh").add("-c").add(script);
            if (process.get("capabilities") instanceof ObjectNode caps) {
                caps.properties().forEach(e -> ((ArrayNode) e.getValue()).add("CAP_MKNOD"));
            }
        });
        Path bin = bundle.resolve("rootfs/usr/bin/unixsock");
        Files.copy(unixsock, bin);
        return bundle;
    }

    @Test
    void fifosSocketsAndDevicesBehaveAsUnderRunc() throws Exception {
        Path bundle = scriptBundle("special", """
                mkfifo /tmp/f && (echo through-fifo > /tmp/f &) && cat /tmp/f
                mkdir -p /var/run/app && unixsock serve /var/run/app/s.sock > /tmp/serve.out &
                while ! grep -q listening /tmp/serve.out 2>/dev/null; do sleep 0.1; done
                unixsock call /var/run/app/s.sock ping
                wait
                ls -l /var/run/app/s.sock | cut -c1
                mknod /dev/mynull c 1 3 && echo dev-node > /dev/mynull && echo dev-node-ok
                mknod /tmp/disk b 8 0 2>&1 || echo rootfs-device-refused
                touch /tmp/s && chmod 4755 /tmp/s 2>&1 || echo setuid-refused
                echo guest-clock $(date +%s)
                """);
        long before = System.currentTimeMillis() / 1000;
        String id = id("special");
        CliFixture.Result r = cli.run("run", "--bundle", bundle.toString(), id);
        long after = System.currentTimeMillis() / 1000;
        assertEquals(0, r.code(), r.out() + r.err());
        List<String> out = r.out().lines().toList();
        assertEquals("through-fifo", out.get(0), r.out());
        assertEquals("pong:ping", out.get(1), r.out());
        assertEquals("s", out.get(2), "the socket is a socket on the rootfs: " + r.out());
        assertTrue(out.contains("dev-node-ok"), r.out() + r.err());
        assertTrue(out.contains("rootfs-device-refused"), r.out());
        assertTrue(out.contains("setuid-refused"), r.out());
        // the FIFO and the socket are real on the host's rootfs; the refused device is not there
        assertTrue(Files.exists(bundle.resolve("rootfs/tmp/f")));
        assertFalse(Files.exists(bundle.resolve("rootfs/tmp/disk")));
        long guest = Long.parseLong(out.stream().filter(l -> l.startsWith("guest-clock ")).findFirst().orElseThrow()
                .substring("guest-clock ".length()));
        assertTrue(guest >= before - 1 && guest <= after + 1,
                "the guest clock (" + guest + ") is not the host's (" + before + ".." + after + ")");
        cli.assertNothingLeft(id);
    }

    @Test
    void liveSharesAddAndRemoveHostPathsBothWays() throws Exception {
        Path host = Files.createDirectories(work.resolve("live-src"));
        Files.writeString(host.resolve("from-host.txt"), "hello from the host\n");
        Path roFile = Files.writeString(work.resolve("ro.conf"), "read-only\n");
        String id = id("live");
        Path bundle = TestBundles.create("sleep", work.resolve("live"));
        assertEquals(0, cli.run("create", "--bundle", bundle.toString(), id).code());
        assertEquals(0, cli.run("start", id).code());

        CliFixture.Result m = cli.run("mount", id, host.toString(), "/mnt/live");
        assertEquals(0, m.code(), m.err());
        CliFixture.Result cat = cli.run("exec", id, "cat", "/mnt/live/from-host.txt");
        assertEquals("hello from the host\n", cat.out(), cat.err());
        assertEquals(0, cli.run("exec", id, "sh", "-c", "echo from the guest > /mnt/live/from-guest.txt").code());
        assertEquals("from the guest\n", Files.readString(host.resolve("from-guest.txt")));
        Files.writeString(host.resolve("later.txt"), "written later\n");
        assertEquals("written later\n", cli.run("exec", id, "cat", "/mnt/live/later.txt").out());

        assertEquals(0, cli.run("mount", "--ro", id, roFile.toString(), "/etc/ro.conf").code());
        CliFixture.Result w = cli.run("exec", id, "sh", "-c", "cat /etc/ro.conf; echo x >> /etc/ro.conf");
        assertEquals("read-only\n", w.out());
        assertTrue(w.code() != 0 && w.err().contains("Read-only"), w.err());
        assertEquals("read-only\n", Files.readString(roFile));

        // refusals: one line each
        assertTrue(cli.run("mount", id, host.toString(), "/mnt/live").errorLine().contains("already a live mount"));
        assertTrue(cli.run("mount", id, "/proc/1", "/x").errorLine().contains("never shared"));
        assertTrue(cli.run("mount", id, "relative/path", "/x").errorLine().contains("absolute"));
        assertTrue(cli.run("mount", id, host.toString(), "relative").errorLine().contains("absolute"));
        assertTrue(cli.run("mount", id, cli.root.toString(), "/x").errorLine().contains("state"));
        assertTrue(cli.run("mount", "no-such-" + id, host.toString(), "/x").errorLine().contains("does not exist"));
        assertTrue(cli.run("umount", id, "/mnt/other").errorLine().contains("not a live mount"));
        // busy: a process has its working directory there
        assertEquals(0, cli.run("exec", "--detach", id, "sh", "-c", "cd /mnt/live && exec sleep 30").code());
        Thread.sleep(500);
        assertTrue(cli.run("umount", id, "/mnt/live").errorLine().contains("busy"));
        assertEquals(0, cli.run("kill", "--all", id, "KILL").code());
        cli.awaitStatus(id, "stopped", 60);
        assertTrue(cli.run("umount", id, "/mnt/live").errorLine().contains("stopped"));
        assertEquals(0, cli.run("delete", id).code());
        cli.assertNothingLeft(id);
        assertFalse(Files.readString(Path.of("/proc/self/mountinfo")).contains("exports"), "an exports tree is mounted on the host");
    }

    @Test
    void umountRemovesTheMountFromTheContainer() throws Exception {
        Path host = Files.createDirectories(work.resolve("gone-src"));
        Files.writeString(host.resolve("f"), "x\n");
        String id = id("umount");
        Path bundle = TestBundles.create("sleep", work.resolve("umount"));
        assertEquals(0, cli.run("create", "--bundle", bundle.toString(), id).code());
        assertEquals(0, cli.run("start", id).code());
        assertEquals(0, cli.run("mount", id, host.toString(), "/data").code());
        assertEquals("f\n", cli.run("exec", id, "ls", "/data").out());
        CliFixture.Result u = cli.run("umount", id, "/data");
        assertEquals(0, u.code(), u.err());
        assertEquals("", cli.run("exec", id, "ls", "/data").out());
        // the same destination can be used again
        assertEquals(0, cli.run("mount", "--ro", id, host.toString(), "/data").code());
        assertEquals("f\n", cli.run("exec", id, "ls", "/data").out());
        assertEquals(0, cli.run("kill", id, "KILL").code());
        cli.awaitStatus(id, "stopped", 60);
        assertEquals(0, cli.run("delete", id).code());
        cli.assertNothingLeft(id);
    }
}
