package io.jvmvisor.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jvmvisor.agent.AgentFixture;
import io.jvmvisor.agent.v1.PingRequest;
import io.jvmvisor.agent.v1.PingResponse;
import io.jvmvisor.agent.v1.ShutdownRequest;
import io.jvmvisor.agent.v1.StatsRequest;
import io.jvmvisor.agent.v1.StatsResponse;
import io.jvmvisor.testbundles.TestBundles;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Boots the guest kernel and initramfs under QEMU TCG with a 9p rootfs and
 * the agent's virtio-serial port: the agent comes up as PID 1, mounts the
 * rootfs, opens its port, answers gRPC, and Shutdown makes QEMU exit by itself.
 */
class GuestBootTest {

    @Test
    void agentBootsAsPid1AnswersAndShutdownEndsQemu(@TempDir Path dir) throws Exception {
        var why = VmAgentTarget.unavailable();
        assumeTrue(why.isEmpty(), () -> "cannot boot a VM here: " + why.orElse(""));
        Path rootfs = TestBundles.rootfs(dir.resolve("rootfs"));

        VmAgentTarget vm = VmAgentTarget.boot(dir, rootfs);
        try (AgentFixture agent = new AgentFixture(vm)) {
            String console = vm.log();
            assertTrue(console.contains("jvmvisor-agent: ready channel=virtio-serial"), console);
            assertTrue(console.contains("jvmvisor-agent: rootfs: 9p tag=rootfs mounted at /run/jvmvisor/rootfs"), console);
            assertTrue(console.contains("jvmvisor-agent: virtio-serial: port jvmvisor.agent opened"), console);
            assertEquals(2, count(console, "virtio-mmio: Registering device"), console);
            assertTrue(console.contains("Run /init as init process"), console);

            PingResponse ping = agent.blocking().ping(PingRequest.getDefaultInstance());
            assertEquals("virtio-serial", ping.getChannel());
            assertEquals("0.1.0", ping.getVersion());
            long readyMs = ping.getReadyBoottimeNs() / 1_000_000;

            StatsResponse stats = agent.blocking().stats(StatsRequest.getDefaultInstance());
            assertTrue(stats.getMemTotalBytes() > 128L << 20 && stats.getMemTotalBytes() <= 256L << 20, stats.toString());
            assertEquals(1, stats.getCpus(), stats.toString());

            long t0 = System.nanoTime();
            agent.blocking().shutdown(ShutdownRequest.getDefaultInstance());
            assertTrue(vm.waitForExit(Duration.ofSeconds(60)), "QEMU still runs after Shutdown; console:\n" + vm.log());
            long shutdownMs = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(0, vm.process().exitValue(), vm.log());
            assertTrue(vm.log().contains("reboot: Restarting system"), vm.log());

            System.out.printf("guest boot (TCG): kernel ran /init at %s s, agent ready at boot_ms=%d, "
                            + "QEMU start to ready line %d ms wall, Shutdown to QEMU exit %d ms, agent RSS %d KiB%n",
                    kernelTime(console, "Run /init as init process"), readyMs, vm.startToReady().toMillis(),
                    shutdownMs, stats.getAgentRssBytes() / 1024);
        }
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    private static String kernelTime(String console, String line) {
        Matcher m = Pattern.compile("\\[\\s*([0-9.]+)\\] " + Pattern.quote(line)).matcher(console);
        return m.find() ? m.group(1) : "?";
    }
}
