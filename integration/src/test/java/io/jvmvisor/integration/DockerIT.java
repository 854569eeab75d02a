package io.jvmvisor.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jvmvisor.testbundles.CommandResult;
import io.jvmvisor.testbundles.Commands;
import io.jvmvisor.testbundles.PrivateDocker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code docker run --runtime=jvmvisor} against a private dockerd started here
 * (own data-root and socket, no iptables), stopped at the end. Every container
 * boots its own micro-VM (QEMU; TCG on machines without usable KVM).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DockerIT {
    static final String IMAGE = PrivateDocker.IMAGE;
    static final Duration LONG = Duration.ofSeconds(180);

    PrivateDocker docker;
    Path dir;

    @BeforeAll
    void startDocker() throws Exception {
        String why = PrivateDocker.unavailableReason();
        assumeTrue(why == null, () -> "skipped: " + why);
        dir = Files.createTempDirectory("jvmvisor-docker-it");
        if (RUNTIME.equals("jvmvisor")) {
            String jv = Jvmvisor.unavailableReason();
            assumeTrue(jv == null, () -> "skipped: " + jv);
            docker = PrivateDocker.start(dir.resolve("d"),
                    List.of(new PrivateDocker.Runtime("jvmvisor", Jvmvisor.launcher().toString(), List.of())));
        } else {
            docker = PrivateDocker.start(dir.resolve("d"), List.of());
        }
    }

    @AfterAll
    void stopDocker() throws Exception {
        if (docker != null) {
            docker.close();
        }
        if (dir != null) {
            Commands.run(Duration.ofSeconds(30), List.of("rm", "-rf", dir.toString()));
        }
    }

    /** docker run --rm --runtime=jvmvisor --network=none EXTRA... */
    CommandResult run(String... args) {
        return docker.docker(LONG, null, runArgs(args));
    }

    /** The runtime under test; -Djvmvisor.it.runtime=runc checks the tests themselves against runc. */
    static final String RUNTIME = System.getProperty("jvmvisor.it.runtime", "jvmvisor");

    static String[] runArgs(String... args) {
        List<String> a = new ArrayList<>(List.of("run", "--rm", "--runtime=" + RUNTIME, "--network=none"));
        a.addAll(List.of(args));
        return a.toArray(String[]::new);
    }

    /** Starts a detached container and returns its name. */
    String detached(String name, String... args) {
        List<String> a = new ArrayList<>(List.of("run", "-d", "--name", name, "--runtime=" + RUNTIME, "--network=none"));
        a.addAll(List.of(args));
        CommandResult r = docker.docker(LONG, null, a.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.toString());
        return name;
    }

    /**
     * Waits until the container's output has {@code line}: a shell that is PID 1 ignores a signal
     * sent before its trap is set (no default action for a namespace's init), so a test that
     * signals a trap waits for the script to say it is set.
     */
    void awaitLog(String name, String line) {
        long deadline = System.nanoTime() + LONG.toNanos();
        CommandResult logs = null;
        while (System.nanoTime() < deadline) {
            logs = docker.docker("logs", name);
            if (logs.stdout().lines().anyMatch(line::equals)) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new AssertionError("container " + name + " never printed " + line + ": " + logs);
    }

    void remove(String name) {
        docker.docker(LONG, null, "rm", "-f", name);
    }

    /**
     * FIFOs and unix sockets on the rootfs and on a bind, a unix-socket server in /var/run (as
     * postgres, php-fpm, supervisord use it), a device node in /dev; the tool comes in through a
     * single-file read-only bind.
     */
    @Test
    void fifosAndUnixSocketsWorkOnTheRootfsAndOnBinds() throws Exception {
        Path tool = io.jvmvisor.testbundles.TestPrograms.unixsock(Files.createDirectories(dir.resolve("tools")));
        Path data = Files.createDirectories(dir.resolve("special-data"));
        CommandResult r = run("-v", tool + ":/usr/local/bin/unixsock:ro", "-v", data + ":/data", IMAGE, "sh", "-c", """
                mkfifo /tmp/f && (echo through-fifo > /tmp/f &) && cat /tmp/f
                mkdir -p /var/run/app && unixsock serve /var/run/app/s.sock > /tmp/serve.out &
                while ! grep -q listening /tmp/serve.out 2>/dev/null; do sleep 0.1; done
                unixsock call /var/run/app/s.sock ping && wait
                unixsock serve /data/d.sock > /tmp/serve2.out &
                while ! grep -q listening /tmp/serve2.out 2>/dev/null; do sleep 0.1; done
                unixsock call /data/d.sock on-a-bind && wait
                mkfifo /data/fifo && ls -l /data/fifo | cut -c1
                mknod /dev/mynull c 1 3 && echo node > /dev/mynull && echo dev-node-ok
                """);
        assertEquals(0, r.exitCode(), r.toString());
        assertEquals(List.of("through-fifo", "pong:ping", "pong:on-a-bind", "p", "dev-node-ok"), r.stdout().lines().toList(), r.toString());
        assertTrue(Files.exists(data.resolve("fifo")) && Files.readAttributes(data.resolve("fifo"),
                java.nio.file.attribute.BasicFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS).isOther());
    }

    @Test
    void echoHi() {
        CommandResult r = run(IMAGE, "echo", "hi");
        assertEquals(0, r.exitCode(), r.toString());
        assertEquals("hi\n", r.stdout());
    }

    @Test
    void exitCodes() {
        for (int code : new int[] {0, 1, 42}) {
            CommandResult r = run(IMAGE, "sh", "-c", "exit " + code);
            assertEquals(code, r.exitCode(), r.toString());
        }
    }

    @Test
    void stdoutAndStderrStaySeparate() {
        CommandResult r = run(IMAGE, "sh", "-c", "echo out; echo err >&2");
        assertEquals(0, r.exitCode(), r.toString());
        assertEquals("out\n", r.stdout());
        assertTrue(r.stderr().contains("err"), r.toString());
        String c = detached("logs", IMAGE, "sh", "-c", "echo out; echo err >&2");
        try {
            assertEquals("0\n", docker.docker(LONG, null, "wait", c).stdout());
            CommandResult logs = docker.docker("logs", c);
            assertEquals("out\n", logs.stdout(), logs.toString());
            assertEquals("err\n", logs.stderr(), logs.toString());
        } finally {
            remove(c);
        }
    }

    @Test
    void stdinWithDashI() {
        CommandResult r = docker.docker(LONG, "data\nmore\n".getBytes(StandardCharsets.UTF_8), runArgs("-i", IMAGE, "cat"));
        assertEquals(0, r.exitCode(), r.toString());
        assertEquals("data\nmore\n", r.stdout());
    }

    @Test
    void killGives137AndStopGives143() {
        String k = detached("killed", IMAGE, "sleep", "1000");
        try {
            assertEquals(0, docker.docker("kill", k).exitCode());
            assertEquals("137\n", docker.docker(LONG, null, "wait", k).stdout());
        } finally {
            remove(k);
        }
        String s = detached("stopped", IMAGE, "sh", "-c", "trap 'exit 143' TERM; echo trapped; while :; do sleep 0.2; done");
        try {
            awaitLog(s, "trapped");
            CommandResult stop = docker.docker(LONG, null, "stop", "-t", "20", s);
            assertEquals(0, stop.exitCode(), stop.toString());
            assertEquals("143\n", docker.docker(LONG, null, "wait", s).stdout());
        } finally {
            remove(s);
        }
        // A process that ignores TERM is killed after the timeout.
        String i = detached("ignores-term", IMAGE, "sh", "-c", "trap '' TERM; while :; do sleep 0.2; done");
        try {
            assertEquals(0, docker.docker(LONG, null, "stop", "-t", "2", i).exitCode());
            assertEquals("137\n", docker.docker(LONG, null, "wait", i).stdout());
        } finally {
            remove(i);
        }
    }

    @Test
    void killWithHup() {
        String c = detached("hup", IMAGE, "sh", "-c", "trap 'echo got-hup; exit 5' HUP; echo trapped; while :; do sleep 0.2; done");
        try {
            awaitLog(c, "trapped");
            assertEquals(0, docker.docker("kill", "-s", "HUP", c).exitCode());
            assertEquals("5\n", docker.docker(LONG, null, "wait", c).stdout());
            assertEquals("trapped\ngot-hup\n", docker.docker("logs", c).stdout());
        } finally {
            remove(c);
        }
    }

    @Test
    void execSeesTheContainerAndReturnsItsExitCode() {
        String c = detached("exec", IMAGE, "sleep", "1000");
        try {
            CommandResult w = docker.docker(LONG, null, "exec", c, "sh", "-c", "echo from-exec > /tmp/x");
            assertEquals(0, w.exitCode(), w.toString());
            assertEquals("from-exec\n", docker.docker(LONG, null, "exec", c, "cat", "/tmp/x").stdout());
            CommandResult ps = docker.docker(LONG, null, "exec", c, "ps");
            assertTrue(ps.stdout().contains("sleep 1000"), ps.toString());
            assertEquals(7, docker.docker(LONG, null, "exec", c, "sh", "-c", "exit 7").exitCode());
            CommandResult err = docker.docker(LONG, null, "exec", c, "sh", "-c", "echo e >&2");
            assertEquals("", err.stdout());
            assertTrue(err.stderr().contains("e"), err.toString());
            CommandResult it = Pty.script(docker.command("exec", "-it", c, "sh"), "echo $((2+3))\nexit 4\n", LONG);
            assertEquals(4, it.exitCode(), it.toString());
            assertTrue(it.stdout().contains("5"), it.toString());
        } finally {
            remove(c);
        }
    }

    @Test
    void ttyAndInteractiveShell() {
        CommandResult t = Pty.script(docker.command(runArgs("-t", IMAGE, "tty")), "", LONG);
        assertEquals(0, t.exitCode(), t.toString());
        assertTrue(t.stdout().contains("/dev/pts/"), t.toString());
        CommandResult it = Pty.script(docker.command(runArgs("-it", IMAGE, "sh")), "echo $((6*7))\nexit 3\n", LONG);
        assertEquals(3, it.exitCode(), it.toString());
        assertTrue(it.stdout().contains("42"), it.toString());
    }

    @Test
    void windowSizeFollowsResize() throws Exception {
        try (Pty.Tmux t = Pty.tmux(dir.resolve("tmux.sock"), 100, 30,
                docker.command(runArgs("-it", IMAGE, "sh")))) {
            t.waitFor("#", Duration.ofSeconds(90));
            t.typeUntil("stty size", "30 100", Duration.ofSeconds(30));
            t.resize(120, 40);
            t.typeUntil("stty size", "40 120", Duration.ofSeconds(30));
            // Ctrl-C reaches the foreground process in the guest.
            t.type("sleep 100");
            Thread.sleep(1000);
            t.keys("C-c");
            t.type("echo after-ctrl-c");
            t.waitFor("after-ctrl-c\n", Duration.ofSeconds(30));
            t.type("exit");
        }
    }

    @Test
    void pauseUnpauseAndTop() {
        String c = detached("paused", IMAGE, "sleep", "1000");
        try {
            assertEquals(0, docker.docker(LONG, null, "pause", c).exitCode());
            assertEquals("paused\n", docker.docker("inspect", "-f", "{{.State.Status}}", c).stdout());
            assertEquals(0, docker.docker(LONG, null, "unpause", c).exitCode());
            assertEquals("running\n", docker.docker("inspect", "-f", "{{.State.Status}}", c).stdout());
            assertEquals(0, docker.docker(LONG, null, "exec", c, "true").exitCode());
            CommandResult top = docker.docker("top", c);
            assertEquals(0, top.exitCode(), top.toString());
            assertTrue(top.stdout().lines().count() >= 2, top.toString());
        } finally {
            remove(c);
        }
    }

    /** -v with a propagation mode: the volume is in the container's mount table with it, as under runc. */
    @Test
    void volumesWithPropagationModes() throws Exception {
        Path host = Files.createDirectories(dir.resolve("prop"));
        Files.writeString(host.resolve("in.txt"), "seen\n");
        // docker wants the source of a shared/slave volume on a shared mount: make the directory one
        assertEquals(0, Commands.run(Duration.ofSeconds(10), List.of("mount", "--bind", host.toString(), host.toString())).exitCode());
        try {
            assertEquals(0, Commands.run(Duration.ofSeconds(10), List.of("mount", "--make-shared", host.toString())).exitCode());
            CommandResult r = run("-v", host + ":/p1:rshared", "-v", host + ":/p2:rslave", "-v", host + ":/p3:private",
                    IMAGE, "sh", "-c", "for p in p1 p2 p3; do grep \" /$p \" /proc/self/mountinfo | cut -d' ' -f5; cat /$p/in.txt; done");
            assertEquals(0, r.exitCode(), r.toString());
            assertEquals("/p1\nseen\n/p2\nseen\n/p3\nseen\n", r.stdout(), r.toString());
        } finally {
            Commands.run(Duration.ofSeconds(10), List.of("umount", "-l", host.toString()));
        }
    }

    @Test
    void bindMountsReadOnlyRootAndTmpfs() throws Exception {
        Path host = Files.createDirectories(dir.resolve("vol"));
        Files.writeString(host.resolve("in.txt"), "from-host\n");
        CommandResult r = run("-v", host + ":/data", IMAGE, "sh", "-c", "cat /data/in.txt; echo from-guest > /data/out.txt");
        assertEquals(0, r.exitCode(), r.toString());
        assertEquals("from-host\n", r.stdout());
        assertEquals("from-guest\n", Files.readString(host.resolve("out.txt")));

        CommandResult ro = run("--read-only", IMAGE, "sh", "-c", "touch /x || echo denied");
        assertTrue(ro.stdout().contains("denied"), ro.toString());

        CommandResult t = run("--tmpfs", "/scratch", IMAGE, "sh", "-c", "grep ' /scratch ' /proc/mounts | cut -d' ' -f3");
        assertEquals("tmpfs\n", t.stdout(), t.toString());
    }

    @Test
    void envWorkdirUserHostname() {
        CommandResult r = run("-e", "FOO=bar", "-w", "/tmp", "-u", "1000:1000", "--hostname", "vmhost", IMAGE,
                "sh", "-c", "echo $FOO; pwd; id -u; id -g; hostname");
        assertEquals(0, r.exitCode(), r.toString());
        assertEquals("bar\n/tmp\n1000\n1000\nvmhost\n", r.stdout());
    }

    @Test
    void memoryAndCpusSizeTheGuest() {
        CommandResult r = run("--memory", "256m", "--cpus", "2", IMAGE, "sh", "-c",
                "grep MemTotal /proc/meminfo | tr -s ' ' | cut -d' ' -f2; nproc");
        assertEquals(0, r.exitCode(), r.toString());
        String[] lines = r.stdout().strip().split("\n");
        long memKb = Long.parseLong(lines[0]);
        // the guest has the limit plus room for its kernel and agent; the container's cgroup in it is at the limit
        assertTrue(memKb > 180_000 && memKb <= (256 + 64) * 1024, "MemTotal " + memKb + " kB for --memory 256m");
        assertEquals("2", lines[1]);
    }

    /**
     * Past --memory the process is OOM-killed (137, as under runc), not refused an allocation, and docker
     * says OOMKilled (the shim reports the guest's kill on the host cgroup containerd's shim watches).
     */
    @Test
    void memoryLimitOomKills() {
        String c = "oom" + ProcessHandle.current().pid();
        CommandResult r = docker.docker(LONG, null, "run", "--name", c, "--runtime=" + RUNTIME, "--network=none",
                "--memory", "64m", IMAGE, "sh", "-c", "exec dd if=/dev/zero of=/dev/null bs=100M count=1");
        try {
            assertEquals(137, r.exitCode(), r.toString());
            assertEquals("true\n", docker.docker("inspect", "-f", "{{.State.OOMKilled}}", c).stdout());
        } finally {
            remove(c);
        }
    }

    /** docker run --init binds docker-init into the container: found as the container sees it; HOME from passwd. */
    @Test
    void initBinaryFromABindMountAndHome() {
        CommandResult r = run("--init", IMAGE, "sh", "-c", "cat /proc/1/comm; echo $HOME");
        assertEquals(0, r.exitCode(), r.toString());
        assertEquals("docker-init\n/root\n", r.stdout(), r.toString());
    }

    @Test
    void badInputEndsCleanly() throws Exception {
        CommandResult missing = run(IMAGE, "no-such-command");
        assertEquals(127, missing.exitCode(), missing.toString());
        assertTrue(missing.stderr().contains("executable file not found"), missing.toString());

        String c = detached("exited", IMAGE, "true");
        try {
            docker.docker(LONG, null, "wait", c);
            CommandResult e = docker.docker(LONG, null, "exec", c, "true");
            assertNotEquals(0, e.exitCode());
            assertTrue(e.stderr().contains("is not running"), e.toString());
        } finally {
            remove(c);
        }

        // An image whose rootfs has no /bin/sh.
        Path noSh = Files.createDirectories(dir.resolve("nosh/bin"));
        Files.copy(Path.of("/bin/busybox"), noSh.resolve("busybox"));
        Path tar = dir.resolve("nosh.tar");
        assertEquals(0, Commands.run(LONG, List.of("tar", "-C", dir.resolve("nosh").toString(), "-cf", tar.toString(), ".")).exitCode());
        assertEquals(0, docker.docker("import", "-c", "CMD [\"sh\"]", tar.toString(), "jvmvisor-test/nosh:latest").exitCode());
        CommandResult nosh = run("jvmvisor-test/nosh:latest");
        assertEquals(127, nosh.exitCode(), nosh.toString());
        assertTrue(nosh.stderr().contains("\"sh\""), nosh.toString());
    }

    @Test
    void killedVmEndsTheContainer() throws Exception {
        String c = detached("vmkill", IMAGE, "sleep", "1000");
        try {
            String id = docker.docker("inspect", "-f", "{{.Id}}", c).stdout().strip();
            List<ProcessHandle> qemu = ProcessHandle.allProcesses()
                    .filter(h -> h.info().commandLine().orElse("").contains("qemu-system")
                            && h.info().commandLine().orElse("").contains(id))
                    .collect(Collectors.toList());
            assertEquals(1, qemu.size(), "expected one QEMU for container " + id);
            assertTrue(qemu.get(0).destroyForcibly());
            CommandResult w = docker.docker(LONG, null, "wait", c);
            assertNotEquals("0\n", w.stdout(), w.toString());
            String status = docker.docker("inspect", "-f", "{{.State.Status}}", c).stdout();
            assertEquals("exited\n", status);
            Thread.sleep(1000);
            assertTrue(ProcessHandle.allProcesses().noneMatch(h -> h.info().commandLine().orElse("").contains(id)
                    && !h.info().commandLine().orElse("").contains("containerd-shim")),
                    "a process of the killed container is still running");
        } finally {
            remove(c);
        }
    }

    @Test
    void fiftyRunsLeaveNothingBehind() {
        // dockerd gives every runtime a --root under exec/runtime-*: count what is in all of them.
        Path execRoot = docker.dir().resolve("exec");
        run(IMAGE, "true"); // warm: the runtime root exists from here on
        HostLeftovers before = HostLeftovers.snapshot(docker.dir().toString(), execRoot);
        for (int i = 0; i < 50; i++) {
            CommandResult r = run(IMAGE, "true");
            assertEquals(0, r.exitCode(), "run " + i + ": " + r);
        }
        HostLeftovers after = HostLeftovers.snapshot(docker.dir().toString(), execRoot);
        assertEquals(before, after);
    }
}
