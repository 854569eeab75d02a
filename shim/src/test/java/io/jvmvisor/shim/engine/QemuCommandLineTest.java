package io.jvmvisor.shim.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QemuCommandLineTest {
    private static VmConfig config(boolean ro, List<VmConfig.HostShare> shares, VmConfig.Accel accel, int cid, boolean quiet) {
        return new VmConfig(2, 300, Path.of("/k/vmlinux"), Path.of("/k/initramfs.cpio"), Path.of("/b/rootfs"), ro,
                shares, Path.of("/run/s"), accel, cid, quiet);
    }

    /** The value following {@code flag} (first occurrence from {@code from}). */
    private static String after(List<String> argv, String flag) {
        return argv.get(argv.indexOf(flag) + 1);
    }

    @Test
    void aTemplateBootsWithoutRootfsAndARestoreHasNoKernelAndTheTemplatesRamReadOnlyCopyOnWrite() {
        VmConfig vm = config(true, List.of(), VmConfig.Accel.TCG, 0, true);
        Path ram = Path.of("/run/jvmvisor/templates/k/ram");
        List<String> t = QemuCommandLine.of(vm, Path.of("/x"), QemuCommandLine.Start.TEMPLATE, ram);
        assertEquals("memory-backend-file,id=ram,size=300M,mem-path=/run/jvmvisor/templates/k/ram,share=on", after(t, "-object"));
        assertFalse(after(t, "-append").contains("jvmvisor.rootfs"), "the template's agent mounts no rootfs");
        assertEquals(after(t, "-append") + " jvmvisor.rootfs=rootfs jvmvisor.rootfs_ro=1",
                after(QemuCommandLine.of(vm, Path.of("/x")), "-append"), "otherwise the cold boot's command line");
        assertFalse(t.contains("-incoming"));
        List<String> r = QemuCommandLine.of(vm, Path.of("/x"), QemuCommandLine.Start.RESTORE, ram);
        assertEquals("memory-backend-file,id=ram,size=300M,mem-path=/run/jvmvisor/templates/k/ram,share=off,readonly=on,rom=off",
                after(r, "-object"));
        assertFalse(r.contains("-kernel") || r.contains("-append"), "the kernel is in the template's RAM");
        assertEquals("defer", after(r, "-incoming"));
        assertEquals("on," + QemuCommandLine.SANDBOX.substring(3), after(r, "-sandbox"));
        // the same devices in the same order as the template's: only paths and backend options differ
        List<String> devices = t.stream().filter(a -> a.startsWith("virtio-") || a.startsWith("virtserialport")).toList();
        assertEquals(devices, r.stream().filter(a -> a.startsWith("virtio-") || a.startsWith("virtserialport")).toList());
    }

    @Test
    void tcgMicrovmWithRootfsAndVirtioSerial() {
        List<String> argv = QemuCommandLine.of(config(false, List.of(), VmConfig.Accel.TCG, 0, true));
        assertEquals("qemu-system-x86_64", argv.get(0));
        assertEquals("microvm,acpi=off,memory-backend=ram", after(argv, "-M"));
        assertEquals("memory-backend-memfd,id=ram,size=300M", after(argv, "-object"));
        assertTrue(argv.containsAll(List.of("-nodefaults", "-no-user-config", "-nographic", "-no-reboot")));
        assertEquals("tcg", after(argv, "-accel"));
        assertEquals("max", after(argv, "-cpu"));
        assertEquals("2", after(argv, "-smp"));
        assertEquals("300M", after(argv, "-m"));
        assertEquals("/k/vmlinux", after(argv, "-kernel"));
        assertEquals("/k/initramfs.cpio", after(argv, "-initrd"));
        assertEquals("console=ttyS0 reboot=t panic=-1 no_timer_check pty.legacy_count=0 noreplace-smp noapictimer quiet jvmvisor.rootfs=rootfs",
                after(argv, "-append"));
        assertEquals("stdio", after(argv, "-serial"));
        assertEquals("local,id=fs0,path=/b/rootfs,security_model=passthrough,multidevs=remap", after(argv, "-fsdev"));
        assertEquals("virtio-9p-device,fsdev=fs0,mount_tag=rootfs", after(argv, "-device"));
        assertTrue(argv.contains("virtio-serial-device"));
        assertEquals("socket,id=agent,path=/run/s/agent.sock,server=on,wait=off", after(argv, "-chardev"));
        assertTrue(argv.contains("virtserialport,chardev=agent,name=jvmvisor.agent"));
        assertEquals("unix:/run/s/qmp.sock,server=on,wait=off", after(argv, "-qmp"));
    }

    @Test
    void kvmReadonlySharesAndVsock() {
        List<String> argv = QemuCommandLine.of(config(true,
                List.of(new VmConfig.HostShare("m0", Path.of("/data,x"), true), new VmConfig.HostShare("m1", Path.of("/etc"), false)),
                VmConfig.Accel.KVM, 7, false));
        assertEquals("kvm", after(argv, "-accel"));
        assertEquals("host", after(argv, "-cpu"));
        String append = after(argv, "-append");
        assertTrue(append.endsWith("jvmvisor.rootfs=rootfs jvmvisor.rootfs_ro=1"), append);
        assertFalse(append.contains("quiet"), append);
        assertTrue(append.contains(" pty.legacy_count=0 "), append);
        assertFalse(append.contains("noapictimer"), "KVM guests keep their APIC timer: " + append);
        assertTrue(argv.contains("local,id=fs0,path=/b/rootfs,security_model=passthrough,multidevs=remap,readonly=on"));
        // commas in paths are doubled, as QEMU's option syntax wants
        assertTrue(argv.contains("local,id=fs1,path=/data,,x,security_model=passthrough,multidevs=remap,readonly=on"));
        assertTrue(argv.contains("virtio-9p-device,fsdev=fs1,mount_tag=m0"));
        assertTrue(argv.contains("local,id=fs2,path=/etc,security_model=passthrough,multidevs=remap"));
        assertTrue(argv.contains("virtio-9p-device,fsdev=fs2,mount_tag=m1"));
        assertTrue(argv.contains("vhost-vsock-device,guest-cid=7"));
        assertFalse(argv.contains("virtio-serial-device"));
    }

    @Test
    void jailedSharesComeFromTheExportsTreeWithTheSandboxOn() {
        VmConfig vm = config(true, List.of(new VmConfig.HostShare("binds", List.of(
                new VmConfig.Entry(Path.of("/etc/passwd"), "0", true), new VmConfig.Entry(Path.of("/data"), "1", false)), false)),
                VmConfig.Accel.TCG, 0, true);
        Path exports = Path.of("/st/exports");
        List<String> qemu = QemuCommandLine.of(vm, exports);
        assertTrue(qemu.contains("local,id=fs0,path=/st/exports/rootfs,security_model=passthrough,multidevs=remap,readonly=on"), qemu.toString());
        assertTrue(qemu.contains("local,id=fs1,path=/st/exports/binds,security_model=passthrough,multidevs=remap"), qemu.toString());
        assertTrue(qemu.contains("virtio-9p-device,fsdev=fslive,mount_tag=live"), qemu.toString());
        assertEquals(QemuCommandLine.SANDBOX, after(qemu, "-sandbox"));
        assertTrue(QemuCommandLine.SANDBOX.contains("elevateprivileges=deny") && QemuCommandLine.SANDBOX.contains("spawn=deny"));

        List<String> argv = JailCommandLine.of(Path.of("/j/jail"), vm, exports, 42, List.of(), qemu);
        assertEquals(List.of("/j/jail", "--exports", "/st/exports",
                "--bind", "/b/rootfs", "rootfs", "ro",
                "--bind", "/etc/passwd", "binds/0", "ro",
                "--bind", "/data", "binds/1", "rw",
                "--live", "live",
                "--keep-caps", "chown,dac_override,dac_read_search,fowner,fsetid", "--parent", "42", "--"),
                argv.subList(0, argv.indexOf("--") + 1));
        assertEquals(qemu, argv.subList(argv.indexOf("--") + 1, argv.size()));
    }

    @Test
    void rootfsCacheModeReachesTheAgent() {
        VmConfig loose = new VmConfig(1, 256, Path.of("/k"), Path.of("/i"), Path.of("/r"), false, List.of(), Path.of("/s"),
                VmConfig.Accel.TCG, 0, true, "loose");
        assertTrue(after(QemuCommandLine.of(loose), "-append").endsWith(" jvmvisor.cache=loose"));
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new VmConfig(1, 256,
                Path.of("/k"), Path.of("/i"), Path.of("/r"), false, List.of(), Path.of("/s"), VmConfig.Accel.TCG, 0, true, "fast"));
        assertTrue(e.getMessage().contains("io.jvmvisor.9p-cache") && e.getMessage().contains("loose"), e.getMessage());
    }

    @Test
    void probeSaysWhyItPicksTcg(@TempDir Path dir) throws Exception {
        Path kvm = dir.resolve("kvm");
        Path cpuinfo = dir.resolve("cpuinfo");
        Path pvm = dir.resolve("kvm_pvm");
        assertEquals(VmConfig.Accel.TCG, KvmProbe.probeNow(kvm, cpuinfo, pvm).accel());
        Files.writeString(kvm, "");
        Files.writeString(cpuinfo, "processor : 0\nflags : fpu vme sse2\n");
        KvmProbe.Result r = KvmProbe.probeNow(kvm, cpuinfo, pvm);
        assertEquals(VmConfig.Accel.TCG, r.accel());
        assertTrue(r.reason().contains("neither vmx nor svm"), r.reason());
        Files.writeString(cpuinfo, "processor : 0\nflags : fpu vmx sse2\n");
        assertEquals(VmConfig.Accel.KVM, KvmProbe.probeNow(kvm, cpuinfo, pvm).accel());
        Files.createDirectory(pvm);
        assertTrue(KvmProbe.probeNow(kvm, cpuinfo, pvm).reason().contains("PVM"));
    }

    @Test
    void nicsAttachToExistingTaps() {
        VmConfig base = config(false, List.of(), VmConfig.Accel.TCG, 0, true);
        VmConfig vm = new VmConfig(base.vcpus(), base.memoryMib(), base.kernel(), base.initrd(), base.rootfs(), false,
                List.of(), base.socketDir(), base.accel(), 0, true, null, List.of(new VmConfig.Nic("net0", "jvtap0", "02:4a:56:00:00:00")));
        List<String> argv = QemuCommandLine.of(vm);
        assertEquals("tap,id=net0,ifname=jvtap0,script=no,downscript=no", after(argv, "-netdev"));
        assertTrue(argv.contains("virtio-net-device,netdev=net0,mac=02:4a:56:00:00:00"));
        assertFalse(QemuCommandLine.of(base).contains("-netdev"));
    }
}
