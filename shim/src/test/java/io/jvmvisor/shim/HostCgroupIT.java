package io.jvmvisor.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvmvisor.shim.control.ControlRequest;
import io.jvmvisor.shim.control.ControlResponse;
import io.jvmvisor.testbundles.TestBundles;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** linux.cgroupsPath end to end: shim and QEMU in the host cgroup with the limits, update, stats, removal. */
class HostCgroupIT {
    private static final long MIB = 1L << 20;
    @TempDir
    Path dir;
    private ShimFixture shim;
    private final String rel = "jvmvisor-it/cg" + ProcessHandle.current().pid();

    @BeforeAll
    static void needsVmAndCgroups() {
        Assumptions.assumeFalse(Boolean.getBoolean("jvmvisor.it.skip"), "integration tests switched off (-Djvmvisor.it.skip)");
        ShimFixture.unavailable().ifPresent(why -> Assumptions.abort("cannot boot a VM here: " + why));
        Path probe = HostCgroup.unified() ? HostCgroup.ROOT : HostCgroup.ROOT.resolve("memory");
        Assumptions.assumeTrue(Files.isWritable(probe), "cgroups are not writable here (" + probe + ")");
        Assumptions.assumeFalse(HostCgroup.unified(), "this test reads cgroup v1 files; the host has cgroup v2");
    }

    @AfterEach
    void stop() throws Exception {
        if (shim != null) {
            shim.close();
        }
        Files.deleteIfExists(HostCgroup.ROOT.resolve("memory/jvmvisor-it"));
    }

    private static String v1(String controller, String rel, String file) throws Exception {
        return Files.readString(HostCgroup.ROOT.resolve(controller).resolve(rel).resolve(file)).trim();
    }

    private static boolean inCgroup(long pid, String rel) throws Exception {
        return Files.readString(Path.of("/proc/" + pid + "/cgroup")).contains(":memory:/" + rel + "\n");
    }

    @Test
    void shimAndQemuRunInTheLimitedCgroupWhichIsRemovedAtTheEnd() throws Exception {
        Path bundle = TestBundles.create("sleep", dir, c -> {
            var linux = c.withObjectProperty("linux");
            linux.put("cgroupsPath", "/" + rel);
            var res = linux.putObject("resources");
            res.putObject("memory").put("limit", 128 * MIB).put("reservation", 64 * MIB).put("swappiness", 10)
                    .put("disableOOMKiller", true);
            res.putObject("cpu").put("quota", 50000).put("period", 100000).put("shares", 512).put("cpus", "0");
            res.putObject("pids").put("limit", 100);
        });
        shim = ShimFixture.start("cg", bundle, dir.resolve("state-cg"));
        assertEquals(shim.process.pid(), shim.awaitCreated(), "created");
        long vmm = shim.vmmPidOrZero();
        assertTrue(vmm > 0, "QEMU's PID is known");
        assertTrue(inCgroup(shim.process.pid(), rel), "the shim is in the cgroup");
        assertTrue(inCgroup(vmm, rel), "QEMU is in the cgroup");
        assertEquals(Long.toString(128 * MIB + HostCgroup.VMM_OVERHEAD_BYTES), v1("memory", rel, "memory.limit_in_bytes"));
        assertEquals("50000", v1("cpu", rel, "cpu.cfs_quota_us"));
        assertEquals("100000", v1("cpu", rel, "cpu.cfs_period_us"));
        assertEquals("512", v1("cpu", rel, "cpu.shares"));
        assertEquals(Long.toString(100 + HostCgroup.PIDS_OVERHEAD), v1("pids", rel, "pids.max"));
        assertEquals(Long.toString(64 * MIB + HostCgroup.VMM_OVERHEAD_BYTES), v1("memory", rel, "memory.soft_limit_in_bytes"));
        assertEquals("10", v1("memory", rel, "memory.swappiness"));
        assertTrue(v1("memory", rel, "memory.oom_control").contains("oom_kill_disable 1"), "disableOOMKiller");
        assertEquals("0", v1("cpuset", rel, "cpuset.cpus"), "cpus \"0\" is CPU 0");

        ObjectMapper json = new ObjectMapper();
        JsonNode res = json.readTree("{\"memory\":{\"limit\":" + 192 * MIB + "},\"cpu\":{\"quota\":25000}}");
        ControlResponse u = shim.call(ControlRequest.update(res));
        assertTrue(u.ok(), String.valueOf(u.error()));
        assertEquals(Long.toString(192 * MIB + HostCgroup.VMM_OVERHEAD_BYTES), v1("memory", rel, "memory.limit_in_bytes"));
        assertEquals("25000", v1("cpu", rel, "cpu.cfs_quota_us"));

        ControlResponse st = shim.call(ControlRequest.of(ControlRequest.Op.STATS));
        assertTrue(st.ok(), String.valueOf(st.error()));
        JsonNode d = st.data();
        assertTrue(d.at("/memory/usage/usage").asLong() > 0, d.toString());
        assertEquals(192 * MIB + HostCgroup.VMM_OVERHEAD_BYTES, d.at("/memory/usage/limit").asLong());
        assertTrue(d.at("/cpu/usage/total").asLong() > 0, d.toString());
        assertTrue(d.at("/pids/current").asLong() > 10, d.toString());
        assertTrue(d.at("/guest/memTotalBytes").asLong() > 0, d.toString());
        System.out.println("stats: " + d);
        System.out.println("memory.usage_in_bytes of an idle container: " + v1("memory", rel, "memory.usage_in_bytes"));

        assertTrue(shim.call(ControlRequest.kill(9, false)).ok());
        shim.process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
        assertFalse(shim.process.isAlive(), "the shim ended");
        for (String c : new String[] {"memory", "cpu", "cpuacct", "pids", "cpuset", "freezer", "devices", "blkio"}) {
            assertFalse(Files.exists(HostCgroup.ROOT.resolve(c).resolve(rel)), c + " cgroup removed");
        }
    }
}
