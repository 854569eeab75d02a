package io.jvmvisor.shim.engine;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The argv of {@code jvmvisor-vmm-jail} (shim/src/main/c/vmm_jail.c) in front of QEMU's: a pure
 * function. The jail builds the exports tree in a mount namespace of QEMU's own (rootfs and every
 * bind source bound in with nosuid, nodev and, where asked, read-only; an empty read-only live
 * share for {@code jvmvisor mount}), seals it read-only, keeps only {@link #KEPT_CAPS} and installs
 * its seccomp filter (no set-user/group-ID bits, no device nodes), then execs QEMU.
 */
public final class JailCommandLine {
    /**
     * What QEMU's 9p server needs as root with {@code security_model=passthrough}: chown files to
     * the guest's owners, read and write them whatever their modes, set their modes and times.
     * Everything else (sys_admin: no remount of a read-only export; setfcap: no file capabilities;
     * mknod; net_admin; sys_ptrace; setuid/setgid …) is dropped from the bounding set.
     */
    public static final List<String> KEPT_CAPS = List.of("chown", "dac_override", "dac_read_search", "fowner", "fsetid");

    private JailCommandLine() {
    }

    /** The jail's options for {@code vm} with its exports at {@code exports}, then {@code --} and {@code vmm}. */
    public static List<String> of(Path jail, VmConfig vm, Path exports, long parentPid, List<String> extraCaps,
                                  List<String> vmm) {
        List<String> argv = new ArrayList<>(List.of(jail.toString(), "--exports", exports.toString()));
        argv.addAll(List.of("--bind", vm.rootfs().toString(), VmConfig.ROOTFS_TAG, vm.rootfsReadonly() ? "ro" : "rw"));
        for (VmConfig.HostShare s : vm.shares()) {
            for (VmConfig.Entry e : s.entries()) {
                String name = e.name().isEmpty() ? s.tag() : s.tag() + "/" + e.name();
                argv.addAll(List.of("--bind", e.source().toString(), name, e.readonly() || s.readonly() ? "ro" : "rw"));
            }
        }
        argv.addAll(List.of("--live", VmConfig.LIVE_TAG));
        List<String> caps = new ArrayList<>(KEPT_CAPS);
        caps.addAll(extraCaps);
        argv.addAll(List.of("--keep-caps", String.join(",", caps), "--parent", Long.toString(parentPid), "--"));
        argv.addAll(vmm);
        return argv;
    }
}
