package io.jvmvisor.shim.engine;

import java.util.ArrayList;
import java.util.List;

/** The argv of {@code qemu-system-x86_64} for a {@link VmConfig}: a pure function. */
public final class QemuCommandLine {
    public static final String QEMU = "qemu-system-x86_64";
    /** The virtio-serial port name the agent looks for. */
    public static final String AGENT_PORT = "jvmvisor.agent";

    private QemuCommandLine() {
    }

    /**
     * QEMU's seccomp sandbox: no obsolete system calls, no set*uid/set*gid, no fork/exec, no
     * scheduler or resource changes (what a compromised VMM could use beyond the VM).
     */
    public static final String SANDBOX = "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny";

    /** The id of the guest RAM's memory backend. */
    static final String RAM_ID = "ram";
    /** The argv with the shares exported from their host paths directly (no jail: tests, AOT training). */
    public static List<String> of(VmConfig vm) {
        return of(vm, null);
    }

    /**
     * The argv for a VM whose shares {@link JailCommandLine} has built under {@code exports}
     * ({@code exports/rootfs}, {@code exports/<tag>}); null exports the host paths themselves.
     */
    public static List<String> of(VmConfig vm, java.nio.file.Path exports) {
        return of(vm, exports, Start.COLD, null);
    }

    /**
     * How the guest starts. {@link #COLD}: boots the kernel, RAM from a memfd. {@link #TEMPLATE}: boots
     * the kernel without any rootfs on its command line, RAM shared in {@code ramFile} (the template's
     * RAM, see {@link VmTemplate}). {@link #RESTORE}: no kernel, RAM a private copy-on-write mapping of
     * the template's {@code ramFile}, opened read-only (a VMM cannot change the template), and
     * {@code -incoming defer}: the device state comes over QMP ({@link TemplateRestore}).
     */
    public enum Start { COLD, TEMPLATE, RESTORE }

    /** The argv for {@code start}; {@code ramFile} is the template's RAM file (null for a cold boot). */
    public static List<String> of(VmConfig vm, java.nio.file.Path exports, Start start, java.nio.file.Path ramFile) {
        // Guest RAM from a memfd: shmem, not anonymous memory that QEMU madvises for transparent huge
        // pages (every page the guest touches would cost the host 2 MiB); the prerequisite of shared
        // templates and vhost-user devices too.
        List<String> argv = new ArrayList<>(List.of(QEMU,
                "-M", "microvm,acpi=off,memory-backend=" + RAM_ID, "-nodefaults", "-no-user-config", "-nographic",
                "-no-reboot"));
        boolean kvm = vm.accel() == VmConfig.Accel.KVM;
        // TCG keeps QEMU's default translation cache: at tb-size=8 (MiB) a container's work thrashes it
        // (agent ready -> container created 448 -> 838 ms, the hello run's exit 239 -> 570 ms)
        argv.addAll(List.of("-accel", kvm ? "kvm" : "tcg", "-cpu", kvm ? "host" : "max"));
        String size = ",size=" + vm.memoryMib() + "M";
        String ram = switch (start) {
            case COLD -> "memory-backend-memfd,id=" + RAM_ID + size;
            case TEMPLATE -> "memory-backend-file,id=" + RAM_ID + size + ",mem-path=" + option(ramFile.toString()) + ",share=on";
            case RESTORE -> "memory-backend-file,id=" + RAM_ID + size + ",mem-path=" + option(ramFile.toString())
                    + ",share=off,readonly=on,rom=off";
        };
        argv.addAll(List.of("-smp", Integer.toString(vm.vcpus()), "-m", vm.memoryMib() + "M", "-object", ram));
        if (start == Start.COLD) {
            argv.addAll(List.of("-kernel", vm.kernel().toString(), "-initrd", vm.initrd().toString(),
                    "-append", kernelCommandLine(vm)));
        } else if (start == Start.TEMPLATE) {
            argv.addAll(List.of("-kernel", vm.kernel().toString(), "-initrd", vm.initrd().toString(),
                    "-append", templateCommandLine(vm)));
        }
        argv.addAll(List.of("-serial", "stdio"));
        String root = exports == null ? vm.rootfs().toString() : exports.resolve(VmConfig.ROOTFS_TAG).toString();
        argv.addAll(List.of("-fsdev", fsdev("fs0", root, vm.rootfsReadonly()),
                "-device", "virtio-9p-device,fsdev=fs0,mount_tag=" + VmConfig.ROOTFS_TAG));
        int i = 1;
        for (VmConfig.HostShare s : vm.shares()) {
            String id = "fs" + i++;
            String path = exports != null ? exports.resolve(s.tag()).toString()
                    : s.hostDir() != null ? s.hostDir().toString() : null;
            if (path == null) {
                throw new IllegalArgumentException("share " + s.tag() + " has several entries: it needs the exports tree");
            }
            argv.addAll(List.of("-fsdev", fsdev(id, path, s.readonly()),
                    "-device", "virtio-9p-device,fsdev=" + id + ",mount_tag=" + s.tag()));
        }
        if (exports != null) {
            argv.addAll(List.of("-fsdev", fsdev("fslive", exports.resolve(VmConfig.LIVE_TAG).toString(), false),
                    "-device", "virtio-9p-device,fsdev=fslive,mount_tag=" + VmConfig.LIVE_TAG));
            argv.addAll(List.of("-sandbox", SANDBOX));
        }
        for (VmConfig.Nic n : vm.nics()) {
            // the tap exists already (the shim made it): QEMU only attaches, no script, no CAP_NET_ADMIN
            argv.addAll(List.of("-netdev", "tap,id=" + n.id() + ",ifname=" + n.tap() + ",script=no,downscript=no",
                    "-device", "virtio-net-device,netdev=" + n.id() + ",mac=" + n.mac()));
        }
        if (vm.vsockCid() > 0) {
            argv.addAll(List.of("-device", "vhost-vsock-device,guest-cid=" + vm.vsockCid()));
        } else {
            argv.addAll(List.of("-device", "virtio-serial-device",
                    "-chardev", "socket,id=agent,path=" + option(vm.agentSocket().toString()) + ",server=on,wait=off",
                    "-device", "virtserialport,chardev=agent,name=" + AGENT_PORT));
        }
        argv.addAll(List.of("-qmp", "unix:" + option(vm.qmpSocket().toString()) + ",server=on,wait=off"));
        if (start == Start.RESTORE) {
            argv.addAll(List.of("-incoming", "defer"));
        }
        return argv;
    }

    static String kernelCommandLine(VmConfig vm) {
        StringBuilder b = new StringBuilder(templateCommandLine(vm));
        b.append(" jvmvisor.rootfs=").append(VmConfig.ROOTFS_TAG);
        if (vm.rootfsReadonly()) {
            b.append(" jvmvisor.rootfs_ro=1");
        }
        if (vm.rootfsCache() != null) {
            b.append(" jvmvisor.cache=").append(vm.rootfsCache());
        }
        return b.toString();
    }

    /** The command line without the rootfs: a template's guest mounts nothing of the host (9p blocks migration). */
    static String templateCommandLine(VmConfig vm) {
        // no_timer_check: under TCG on a loaded host the kernel's IO-APIC timer check can fail
        // ("IO-APIC + timer doesn't work!") and panic the guest
        // pty.legacy_count=0: no 256 BSD ptys to register (~50 ms under TCG; devpts serves the containers).
        // noapictimer: no local APIC timer calibration, a busy-wait of ~250 ms under TCG that fails its
        // check there anyway; the PIT drives the tick (broadcast to every vCPU) and the clocksource stays
        // what TCG gives without it (refined-jiffies: the TSC cannot be calibrated without a PIT/HPET
        // reference). KVM guests keep their APIC timer and kvm-clock.
        // noreplace-smp: a 1-vCPU guest of an SMP kernel otherwise rewrites every LOCK prefix of its text at
        // boot (SMP alternatives to UP); under TCG each patched page drops its translations: agent ready at
        // 856 -> 608 ms guest uptime (p50 of 5 interleaved boots), the patching itself 144 -> 16 ms
        StringBuilder b = new StringBuilder("console=ttyS0 reboot=t panic=-1 no_timer_check pty.legacy_count=0 noreplace-smp");
        if (vm.accel() != VmConfig.Accel.KVM) {
            b.append(" noapictimer");
        }
        if (vm.quiet()) {
            b.append(" quiet");
        } else {
            b.append(" jvmvisor.debug=1");
        }
        return b.toString();
    }

    private static String fsdev(String id, String path, boolean readonly) {
        // multidevs=remap: a share spans several host file systems (binds); QEMU keeps their inode numbers apart
        return "local,id=" + id + ",path=" + option(path) + ",security_model=passthrough,multidevs=remap"
                + (readonly ? ",readonly=on" : "");
    }

    /** QEMU option values escape a comma by doubling it. */
    static String option(String value) {
        return value.replace(",", ",,");
    }
}
