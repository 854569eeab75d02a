package io.jvmvisor.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmvisor.agent.v1.ContainerSpec;
import io.jvmvisor.oci.Spec;
import io.jvmvisor.shim.engine.VmConfig;
import io.jvmvisor.oci.SpecLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpecTranslatorTest {
    private static Spec spec(String json) throws Exception {
        return SpecLoader.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    private static final String PROCESS = """
            "process": {"terminal": true, "consoleSize": {"height": 30, "width": 90},
              "user": {"uid": 1000, "gid": 1000, "additionalGids": [10], "umask": 18},
              "args": ["sh", "-c", "id"], "env": ["PATH=/bin", "A=b"], "cwd": "/home/user",
              "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"]},
              "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 2048, "soft": 1024}],
              "noNewPrivileges": true, "oomScoreAdj": 5}""";

    @Test
    void processRootNamespacesAndPaths(@TempDir Path bundle) throws Exception {
        Spec s = spec("""
                {"ociVersion": "1.0.2", %s, "root": {"path": "rootfs", "readonly": true}, "hostname": "vm",
                 "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
                            {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=1777"]}],
                 "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}], "maskedPaths": ["/proc/kcore"],
                           "readonlyPaths": ["/proc/sys"], "sysctl": {"net.ipv4.ip_forward": "1"}}}
                """.formatted(PROCESS));
        SpecTranslator.Translated t = SpecTranslator.translate(s, bundle);
        ContainerSpec c = t.spec();
        assertEquals(SpecTranslator.ROOT_PATH, c.getRootPath());
        assertTrue(c.getRootReadonly());
        assertEquals("vm", c.getHostname());
        var p = c.getProcess();
        assertEquals(List.of("sh", "-c", "id"), p.getArgsList());
        assertEquals(List.of("PATH=/bin", "A=b"), p.getEnvList());
        assertEquals("/home/user", p.getCwd());
        assertTrue(p.getTerminal());
        assertEquals(30, p.getConsoleRows());
        assertEquals(90, p.getConsoleCols());
        assertEquals(1000, p.getUser().getUid());
        assertEquals(List.of(10), p.getUser().getAdditionalGidsList());
        assertTrue(p.getUser().getHasUmask());
        assertEquals(18, p.getUser().getUmask());
        assertEquals(List.of("CAP_KILL"), p.getCapabilities().getBoundingList());
        assertEquals(1024, p.getRlimits(0).getSoft());
        assertEquals(2048, p.getRlimits(0).getHard());
        assertTrue(p.getNoNewPrivileges());
        assertTrue(p.getHasOomScoreAdj());
        assertEquals(5, p.getOomScoreAdj());
        assertEquals(2, c.getMountsCount());
        assertEquals("tmpfs", c.getMounts(1).getType());
        assertEquals(List.of("nosuid", "mode=1777"), c.getMounts(1).getOptionsList());
        assertEquals(List.of("pid", "mount"), c.getNamespacesList());
        assertEquals(List.of("/proc/kcore"), c.getMaskedPathsList());
        assertEquals(List.of("/proc/sys"), c.getReadonlyPathsList());
        assertEquals("net.ipv4.ip_forward", c.getSysctl(0).getKey());
        assertTrue(t.shares().isEmpty());
    }

    @Test
    void bindSourcesBecomeEntriesOfOneShareWithoutTheirSiblings(@TempDir Path bundle) throws Exception {
        Files.createDirectories(bundle.resolve("shared"));
        Files.writeString(bundle.resolve("shared/file.txt"), "x");
        Path other = Files.createDirectories(bundle.resolve("other"));
        Spec s = spec("""
                {"ociVersion": "1.0.2", "process": {"args": ["true"], "cwd": "/"}, "root": {"path": "rootfs"},
                 "mounts": [{"destination": "/mnt/shared", "type": "bind", "source": "shared", "options": ["rbind", "ro"]},
                            {"destination": "/etc/file.txt", "type": "bind", "source": "shared/file.txt", "options": ["bind"]},
                            {"destination": "/mnt/other", "source": "%s", "options": ["rbind"]},
                            {"destination": "/mnt/again", "source": "%s", "options": ["rbind"]}]}
                """.formatted(other, other));
        SpecTranslator.Translated t = SpecTranslator.translate(s, bundle);
        // one share; each source is an entry of its own: a bound file comes without its directory
        assertEquals(1, t.shares().size());
        VmConfig.HostShare share = t.shares().getFirst();
        assertEquals("binds", share.tag());
        assertFalse(share.readonly());
        assertEquals(List.of(new VmConfig.Entry(bundle.resolve("shared"), "0", true),
                new VmConfig.Entry(bundle.resolve("shared/file.txt"), "1", false),
                new VmConfig.Entry(other, "2", false)), share.entries());
        ContainerSpec c = t.spec();
        assertEquals("/run/jvmvisor/shares/binds/0", c.getMounts(0).getSource());
        assertEquals("/run/jvmvisor/shares/binds/1", c.getMounts(1).getSource());
        assertEquals("/run/jvmvisor/shares/binds/2", c.getMounts(2).getSource());
        assertEquals("/run/jvmvisor/shares/binds/2", c.getMounts(3).getSource());
        assertEquals("bind", c.getMounts(2).getType());
        assertEquals(1, c.getSharesCount());
        assertEquals("/run/jvmvisor/shares/binds", c.getShares(0).getMountPoint());
    }

    @Test
    void onlyReadonlyBindsMakeAReadonlyShare(@TempDir Path bundle) throws Exception {
        Files.writeString(bundle.resolve("passwd"), "root:x:0:0::/root:/bin/sh\n");
        Spec s = spec("""
                {"ociVersion": "1.0.2", "process": {"args": ["true"], "cwd": "/"}, "root": {"path": "rootfs"},
                 "mounts": [{"destination": "/x", "type": "bind", "source": "passwd", "options": ["rbind", "ro"]}]}
                """);
        VmConfig.HostShare share = SpecTranslator.translate(s, bundle).shares().getFirst();
        assertTrue(share.readonly());
        assertEquals(List.of(new VmConfig.Entry(bundle.resolve("passwd"), "0", true)), share.entries());
    }

    @Test
    void rootfsCacheIsMmapWritableLooseReadonlyOrTheAnnotations() throws Exception {
        assertEquals("mmap", Shim.rootfsCache(spec("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}}")));
        assertEquals("loose", Shim.rootfsCache(spec(
                "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\", \"readonly\": true}}")));
        assertEquals("none", Shim.rootfsCache(spec("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"},"
                + " \"annotations\": {\"io.jvmvisor.9p-cache\": \"none\"}}")));
    }

    @Test
    void missingBindSourceIsNamed(@TempDir Path bundle) throws Exception {
        Spec s = spec("""
                {"ociVersion": "1.0.2", "process": {"args": ["true"], "cwd": "/"}, "root": {"path": "rootfs"},
                 "mounts": [{"destination": "/data", "type": "bind", "source": "/nonexistent/jvmvisor", "options": ["bind"]}]}
                """);
        var e = assertThrows(IllegalArgumentException.class, () -> SpecTranslator.translate(s, bundle));
        assertTrue(e.getMessage().contains("/nonexistent/jvmvisor") && e.getMessage().contains("/data"), e.getMessage());
    }

    @Test
    void vmSizingFromResourcesAnnotationsAndDefaults() throws Exception {
        Path home = Path.of("/opt/jv");
        VmSizing d = VmSizing.of(spec("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}}"), home, 8);
        assertEquals(new VmSizing(1, 256, home.resolve("kernels/target/vmlinux"),
                home.resolve("kernels/target/initramfs.cpio"), null), d);
        VmSizing r = VmSizing.of(spec("""
                {"ociVersion": "1.0.2", "root": {"path": "rootfs"},
                 "linux": {"resources": {"cpu": {"quota": 150000, "period": 100000}, "memory": {"limit": 536870912}}}}
                """), home, 8);
        assertEquals(2, r.vcpus());
        assertEquals(512 + VmSizing.GUEST_OVERHEAD_MIB, r.memoryMib(), "the limit is the guest cgroup's; RAM has room above it");
        VmSizing a = VmSizing.of(spec("""
                {"ociVersion": "1.0.2", "root": {"path": "rootfs"},
                 "linux": {"resources": {"cpu": {"cpus": "0-2,5"}, "memory": {"limit": 1048576}}},
                 "annotations": {"io.jvmvisor.kernel": "/k", "io.jvmvisor.initrd": "/i", "io.jvmvisor.engine": "qemu"}}
                """), home, 2);
        assertEquals(2, a.vcpus(), "capped at the host's CPUs");
        assertEquals(VmSizing.MIN_MEMORY_MIB, a.memoryMib());
        assertEquals(Path.of("/k"), a.kernel());
        assertEquals(Path.of("/i"), a.initrd());
        assertEquals("qemu", a.engine());
        VmSizing n = VmSizing.of(spec("""
                {"ociVersion": "1.0.2", "root": {"path": "rootfs"},
                 "annotations": {"io.jvmvisor.vcpus": "3", "io.jvmvisor.memory": "1024"}}
                """), home, 4);
        assertEquals(3, n.vcpus());
        assertEquals(1024, n.memoryMib());
        var bad = assertThrows(IllegalArgumentException.class, () -> VmSizing.of(spec("""
                {"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "annotations": {"io.jvmvisor.memory": "lots"}}
                """), home, 4));
        assertTrue(bad.getMessage().contains("io.jvmvisor.memory"), bad.getMessage());
    }

    @Test
    void devicesIdMapsAndTheMemoryLimitReachTheAgent(@TempDir Path bundle) throws Exception {
        Spec s = spec("""
                {"ociVersion": "1.0.2", "process": {"args": ["true"], "cwd": "/"}, "root": {"path": "rootfs"},
                 "linux": {"namespaces": [{"type": "user"}],
                           "devices": [{"path": "/dev/test1", "type": "c", "major": 1, "minor": 5, "fileMode": 432,
                                        "uid": 1000, "gid": 10}, {"path": "/dev/fifo", "type": "p"}],
                           "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
                           "gidMappings": [{"containerID": 0, "hostID": 200000, "size": 1000}],
                           "resources": {"memory": {"limit": 268435456}}}}
                """);
        ContainerSpec c = SpecTranslator.translate(s, bundle).spec();
        assertEquals(2, c.getDevicesCount());
        var d = c.getDevices(0);
        assertEquals(List.of("/dev/test1", "c", 1L, 5L, true, 0660, 1000, 10),
                List.of(d.getPath(), d.getType(), d.getMajor(), d.getMinor(), d.getHasFileMode(), d.getFileMode(),
                        d.getUid(), d.getGid()));
        assertEquals(false, c.getDevices(1).getHasFileMode(), "no fileMode: the agent's default (0666)");
        assertEquals(100000, c.getUidMappings(0).getHostId());
        assertEquals(65536, c.getUidMappings(0).getSize());
        assertEquals(200000, c.getGidMappings(0).getHostId());
        assertEquals(268435456L, c.getMemoryLimitBytes());
        assertEquals(List.of("user"), c.getNamespacesList());
    }

    /** A config.json without linux.namespaces, or without linux at all, is valid (a NullPointerException before). */
    @Test
    void noNamespacesOrNoLinuxSection(@TempDir Path bundle) throws Exception {
        for (String linux : List.of(", \"linux\": {\"maskedPaths\": [\"/proc/kcore\"]}", "")) {
            String json = "{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [\"true\"], \"cwd\": \"/\"},"
                    + " \"root\": {\"path\": \"rootfs\"}" + linux + "}";
            ContainerSpec c = SpecTranslator.translate(spec(json), bundle).spec();
            assertEquals(List.of(), c.getNamespacesList());
            Files.writeString(bundle.resolve("config.json"), json);
            assertEquals(List.of(), ShimLauncher.networkPrefix(ShimLauncher.createdSpec(bundle, bundle.resolve("no-state"))), "no network namespace: the host's");
        }
    }
}
