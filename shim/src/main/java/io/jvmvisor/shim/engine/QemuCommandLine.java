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

    public static List<String> of(VmConfig vm) {
        List<String> argv = new ArrayList<>(List.of(QEMU,
                "-M", "microvm,acpi=off", "-nodefaults", "-no-user-config", "-nographic", "-no-reboot"));
        boolean kvm = vm.accel() == VmConfig.Accel.KVM;
        argv.addAll(List.of("-accel", kvm ? "kvm" : "tcg", "-cpu", kvm ? "host" : "max"));
        argv.addAll(List.of("-smp", Integer.toString(vm.vcpus()), "-m", vm.memoryMib() + "M"));
        argv.addAll(List.of("-kernel", vm.kernel().toString(), "-initrd", vm.initrd().toString(),
                "-append", kernelCommandLine(vm)));
        argv.addAll(List.of("-serial", "stdio"));
        argv.addAll(List.of("-fsdev", fsdev("fs0", vm.rootfs().toString(), vm.rootfsReadonly()),
                "-device", "virtio-9p-device,fsdev=fs0,mount_tag=" + VmConfig.ROOTFS_TAG));
        int i = 1;
        for (VmConfig.HostShare s : vm.shares()) {
            String id = "fs" + i++;
            argv.addAll(List.of("-fsdev", fsdev(id, s.hostDir().toString(), s.readonly()),
                    "-device", "virtio-9p-device,fsdev=" + id + ",mount_tag=" + s.tag()));
        }
        if (vm.vsockCid() > 0) {
            argv.addAll(List.of("-device", "vhost-vsock-device,guest-cid=" + vm.vsockCid()));
        } else {
            argv.addAll(List.of("-device", "virtio-serial-device",
                    "-chardev", "socket,id=agent,path=" + option(vm.agentSocket().toString()) + ",server=on,wait=off",
                    "-device", "virtserialport,chardev=agent,name=" + AGENT_PORT));
        }
        argv.addAll(List.of("-qmp", "unix:" + option(vm.qmpSocket().toString()) + ",server=on,wait=off"));
        return argv;
    }

    static String kernelCommandLine(VmConfig vm) {
        // no_timer_check: under TCG on a loaded host the kernel's IO-APIC timer check can fail
        // ("IO-APIC + timer doesn't work!") and panic the guest
        StringBuilder b = new StringBuilder("console=ttyS0 reboot=t panic=-1 no_timer_check");
        if (vm.quiet()) {
            b.append(" quiet");
        } else {
            b.append(" jvmvisor.debug=1");
        }
        b.append(" jvmvisor.rootfs=").append(VmConfig.ROOTFS_TAG);
        if (vm.rootfsReadonly()) {
            b.append(" jvmvisor.rootfs_ro=1");
        }
        return b.toString();
    }

    private static String fsdev(String id, String path, boolean readonly) {
        return "local,id=" + id + ",path=" + option(path) + ",security_model=passthrough" + (readonly ? ",readonly=on" : "");
    }

    /** QEMU option values escape a comma by doubling it. */
    static String option(String value) {
        return value.replace(",", ",,");
    }
}
