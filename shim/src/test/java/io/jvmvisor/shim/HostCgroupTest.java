package io.jvmvisor.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvmvisor.oci.Linux;
import io.jvmvisor.shim.HostCgroup.Write;
import java.util.List;
import org.junit.jupiter.api.Test;

/** linux.resources -> host cgroup files, as runc maps them (v1 and v2), with the VMM overhead on memory. */
class HostCgroupTest {
    private static final long MIB = 1L << 20;
    private static final String ALL = """
            {"memory": {"limit": 268435456, "reservation": 134217728, "swappiness": 0, "disableOOMKiller": true},
             "cpu": {"quota": 50000, "period": 100000, "shares": 1024, "cpus": "0", "mems": "0"},
             "pids": {"limit": 10}}""";

    private static Linux.Resources resources(String json) throws Exception {
        return new ObjectMapper().readValue(json, Linux.Resources.class);
    }

    @Test
    void cgroupV1() throws Exception {
        long over = HostCgroup.VMM_OVERHEAD_BYTES;
        assertEquals(List.of(
                new Write("memory", "memory.limit_in_bytes", Long.toString(256 * MIB + over)),
                new Write("memory", "memory.soft_limit_in_bytes", Long.toString(128 * MIB + over)),
                new Write("memory", "memory.swappiness", "0"),
                new Write("memory", "memory.oom_control", "1"),
                new Write("cpu", "cpu.cfs_period_us", "100000"),
                new Write("cpu", "cpu.cfs_quota_us", "50000"),
                new Write("cpu", "cpu.shares", "1024"),
                new Write("cpuset", "cpuset.cpus", "0"),
                new Write("cpuset", "cpuset.mems", "0"),
                new Write("pids", "pids.max", Long.toString(10 + HostCgroup.PIDS_OVERHEAD))),
                HostCgroup.writes(resources(ALL), false));
    }

    @Test
    void cgroupV2HasNoSwappinessNorOomKillerSwitch() throws Exception {
        long over = HostCgroup.VMM_OVERHEAD_BYTES;
        assertEquals(List.of(
                new Write("memory", "memory.max", Long.toString(256 * MIB + over)),
                new Write("memory", "memory.low", Long.toString(128 * MIB + over)),
                new Write("cpu", "cpu.max", "50000 100000"),
                new Write("cpu", "cpu.weight", "39"),
                new Write("cpuset", "cpuset.cpus", "0"),
                new Write("cpuset", "cpuset.mems", "0"),
                new Write("pids", "pids.max", Long.toString(10 + HostCgroup.PIDS_OVERHEAD))),
                HostCgroup.writes(resources(ALL), true));
    }

    @Test
    void absentFieldsWriteNothing() throws Exception {
        assertEquals(List.of(), HostCgroup.writes(resources("{\"memory\": {}, \"cpu\": {}}"), false));
        assertEquals(List.of(), HostCgroup.writes(null, true));
    }
}
