package io.jvmvisor.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jvmvisor.agent.v1.ContainerSpec;
import io.jvmvisor.agent.v1.ListProcessesRequest;
import io.jvmvisor.agent.v1.OutputStream;
import io.jvmvisor.agent.v1.ProcessInfo;
import io.jvmvisor.agent.v1.WaitProcessResponse;
import io.jvmvisor.testbundles.TestBundles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Containers run by the agent as runc runs them: output, exit codes,
 * signals, user, limits, mounts, exec. Against the host-mode agent (as root,
 * fresh namespaces on the host); a subclass runs it in a VM.
 */
public class ContainerTest extends ContainerTestBase {

    @Test
    void helloPrintsToStdoutAndOutputBeforeReadingIsKept() {
        ctr.create("hello", spec("hello"));
        ctr.start("hello");
        assertEquals(0, ctr.exitStatus("hello", ""));
        // read only after the exit: the output waited in the pipe
        assertEquals(TestBundles.HELLO_OUTPUT + "\n", ctr.stdout("hello"));
    }

    @Test
    void stderrIsSeparateFromStdout() {
        ctr.create("streams", script("echo to-out; echo to-err >&2; echo more-out"));
        ctr.start("streams");
        assertEquals(0, ctr.exitStatus("streams", ""));
        assertEquals("to-out\nmore-out\n", ctr.stdout("streams"));
        assertEquals("to-err\n", ctr.read("streams", "", OutputStream.STDERR));
    }

    @Test
    void exitCodesAreReported() {
        ctr.run("exit42", spec("exit-code"));
        assertEquals(42, ctr.exitStatus("exit42", ""));
        ctr.run("exit1", script("exit 1"));
        WaitProcessResponse one = ctr.await("exit1", "");
        assertEquals(1, one.getExitStatus());
        assertEquals(false, one.getSignaled());
        ctr.run("exit0", script("true"));
        assertEquals(0, ctr.exitStatus("exit0", ""));
    }

    @Test
    void termGives143AndKillGives137() {
        ctr.create("sig", spec("sleep"));
        ctr.start("sig");
        ctr.exec("sig", "sleeper", shell("exec sleep 1000").build());
        ctr.signal("sig", "sleeper", 15, false);
        WaitProcessResponse term = ctr.await("sig", "sleeper");
        assertEquals(143, term.getExitStatus());
        assertTrue(term.getSignaled());
        assertEquals(15, term.getSignal());
        ctr.signal("sig", "", 9, false);
        assertEquals(137, ctr.exitStatus("sig", ""));
    }

    @Test
    void killAllEndsEveryProcessAndExecsEndWithTheInit() {
        ctr.create("all", spec("sleep"));
        ctr.start("all");
        ctr.exec("all", "e1", shell("exec sleep 1000").build());
        ctr.exec("all", "e2", shell("sleep 1000 & wait").build());
        ctr.signal("all", "", 9, true);
        assertEquals(137, ctr.exitStatus("all", ""));
        assertEquals(137, ctr.exitStatus("all", "e1"));
        assertEquals(137, ctr.exitStatus("all", "e2"));
    }

    @Test
    void envCwdUserAndGroups() {
        String out = ctr.run("user", spec("env-cwd-user"));
        assertEquals("hello world\n/home/user\n1000\n1000\n1000 10\n", out);
    }

    @Test
    void rlimitsApply() {
        assertEquals("1024\n", ctr.run("ulimit", script("ulimit -n")));
    }

    @Test
    void bindAndTmpfsMountsAreSeenInside() throws Exception {
        assumeTrue(seesHostPaths(), "bind mounts of host paths need the host-mode agent");
        Path parent = dir.resolve("m" + System.nanoTime());
        Path bundle = TestBundles.create("mounts", parent);
        String out = ctr.run("mounts", BundleSpecs.of(bundle, rootPath(bundle)));
        assertTrue(out.contains("written on the host\n"), out);
        assertTrue(out.contains("/mnt/shared "), out);
        assertTrue(out.contains("/mnt/tmp tmpfs"), out);
        assertEquals("from-guest\n", Files.readString(bundle.resolve("shared/from-guest.txt")));
    }

    @Test
    void readonlyRootRefusesWrites() {
        String out = ctr.run("ro", spec("readonly-root", "sh", "-c", "touch /written 2>&1 || echo read-only"));
        assertTrue(out.contains("Read-only file system"), out);
        assertTrue(out.contains("read-only\n"), out);
    }

    @Test
    void maskedAndReadonlyPaths() {
        // a masked file is /dev/null (a character device, empty), a masked directory an empty tmpfs
        String out = ctr.run("masked", script("[ -c /proc/timer_list ] && wc -c < /proc/timer_list;"
                + " ls /sys/firmware | wc -l; echo x > /proc/sys/kernel/domainname || echo ro-sys"));
        assertEquals("0\n0\nro-sys\n", out.replace(" ", ""), out);
    }

    @Test
    void hostnameAndDevices() {
        String out = ctr.run("host", script("hostname; head -c 3 /dev/zero | wc -c; ls -l /dev/null | cut -c1"));
        assertEquals("jvmvisor-test\n3\nc\n", out.replace(" ", ""));
    }

    @Test
    void pidNamespaceMakesTheInitPid1() {
        assertEquals("1\n", ctr.run("pid1", script("echo $$")));
    }

    @Test
    void execSeesTheContainerFilesAndProcesses() {
        int pid = ctr.create("ex", spec("sleep"));
        ctr.start("ex");
        ctr.exec("ex", "w", shell("echo from-exec > /tmp/shared-file").build());
        assertEquals(0, ctr.exitStatus("ex", "w"));
        ctr.exec("ex", "r", shell("cat /tmp/shared-file; tr '\\0' ' ' < /proc/1/cmdline; echo; hostname").build());
        assertEquals(0, ctr.exitStatus("ex", "r"));
        assertEquals("from-exec\nsleep 3600 \njvmvisor-test\n", ctr.read("ex", "r", OutputStream.STDOUT));
        List<ProcessInfo> ps = agent.blocking()
                .listProcesses(ListProcessesRequest.newBuilder().setContainerId("ex").build()).getProcessesList();
        assertTrue(ps.stream().anyMatch(p -> p.getPid() == pid && p.getCommand().equals("sleep 3600")), ps.toString());
    }

    @Test
    void stdinReachesTheProcessAndCloseGivesEof() {
        ctr.create("cat", script("cat; echo done"));
        ctr.start("cat");
        ctr.write("cat", "", "line one\n");
        ctr.write("cat", "", "line two\n");
        ctr.closeStdin("cat", "");
        assertEquals(0, ctr.exitStatus("cat", ""));
        assertEquals("line one\nline two\ndone\n", ctr.stdout("cat"));
    }

    @Test
    void largeOutputStreamsWholeWithBackPressure() {
        ctr.create("big", script("head -c 5000000 /dev/zero"));
        ctr.start("big");
        byte[] out = ctr.readAll("big", "", OutputStream.STDOUT);
        assertEquals(5_000_000, out.length);
        assertEquals(0, ctr.exitStatus("big", ""));
    }

    @Test
    void concurrentContainersKeepTheirOwnOutput() {
        List<CompletableFuture<String>> runs = IntStream.range(0, 4).mapToObj(i -> {
            ContainerSpec s = script("echo container-" + i + "; hostname");
            return CompletableFuture.supplyAsync(() -> ctr.run("c" + i, s));
        }).toList();
        for (int i = 0; i < runs.size(); i++) {
            assertEquals("container-" + i + "\njvmvisor-test\n", runs.get(i).join());
        }
    }

    /** Figures for the report: one hello container, create to remove, over this target's channel. */
    @Test
    void lifecycleLatency() {
        ContainerSpec s = spec("hello");
        long[] ns = new long[10];
        for (int i = 0; i < ns.length; i++) {
            long t0 = System.nanoTime();
            String out = ctr.run("lat" + i, s);
            ctr.remove("lat" + i);
            ns[i] = System.nanoTime() - t0;
            assertEquals(TestBundles.HELLO_OUTPUT + "\n", out);
        }
        java.util.Arrays.sort(ns);
        System.out.printf("container create+start+read+wait+remove over %s: median %.1f ms, min %.1f ms, max %.1f ms%n",
                agent.target().channel(), ns[ns.length / 2] / 1e6, ns[0] / 1e6, ns[ns.length - 1] / 1e6);
    }
}
