package io.jvmvisor.shim.engine;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Everything an engine needs to boot one container's VM.
 *
 * @param vcpus          virtual CPUs (1..host nproc)
 * @param memoryMib      guest memory in MiB
 * @param kernel         the guest kernel (vmlinux)
 * @param initrd         the initramfs with the agent as /init
 * @param rootfs         host directory shared as the guest's rootfs (9p tag "rootfs")
 * @param rootfsReadonly share the rootfs read-only
 * @param shares         further 9p shares (bind-mount sources)
 * @param socketDir      where the engine puts agent.sock and qmp.sock (short enough for sun_path)
 * @param accel          KVM or TCG
 * @param vsockCid       guest CID when vhost-vsock is used, 0 for virtio-serial
 * @param quiet          pass "quiet" on the kernel command line (off when debugging)
 * @param rootfsCache    the guest's 9p cache mode for the rootfs ({@link #CACHE_MODES}); null: the agent's default
 * @param nics           virtio-net NICs, each on an existing tap (fixed at boot: microvm has no hotplug)
 */
public record VmConfig(int vcpus, int memoryMib, Path kernel, Path initrd, Path rootfs, boolean rootfsReadonly,
                       List<HostShare> shares, Path socketDir, Accel accel, int vsockCid, boolean quiet,
                       String rootfsCache, List<Nic> nics) {

    /** The Linux 9p client's cache modes (mount option cache=). */
    public static final List<String> CACHE_MODES = List.of("none", "mmap", "loose", "fscache");

    public VmConfig(int vcpus, int memoryMib, Path kernel, Path initrd, Path rootfs, boolean rootfsReadonly,
                    List<HostShare> shares, Path socketDir, Accel accel, int vsockCid, boolean quiet) {
        this(vcpus, memoryMib, kernel, initrd, rootfs, rootfsReadonly, shares, socketDir, accel, vsockCid, quiet, null);
    }

    /** A VM without NICs. */
    public VmConfig(int vcpus, int memoryMib, Path kernel, Path initrd, Path rootfs, boolean rootfsReadonly,
                    List<HostShare> shares, Path socketDir, Accel accel, int vsockCid, boolean quiet, String rootfsCache) {
        this(vcpus, memoryMib, kernel, initrd, rootfs, rootfsReadonly, shares, socketDir, accel, vsockCid, quiet, rootfsCache,
                List.of());
    }

    /** A NIC: QEMU attaches to the tap (made by the shim) and boots the guest's NIC with {@code mac}. */
    public record Nic(String id, String tap, String mac) {
    }

    /** The 9p tag of the rootfs; the agent reads it from {@code jvmvisor.rootfs=} on the kernel command line. */
    public static final String ROOTFS_TAG = "rootfs";

    /** The 9p tag of the live share, where {@code jvmvisor mount} adds host paths to a running container. */
    public static final String LIVE_TAG = "live";

    /**
     * A tree shared into the guest under a 9p tag. Its entries are host files or directories bound
     * into it (the host kernel enforces each entry's read-only flag); the VM sees nothing else.
     *
     * @param entries  what the share holds: an entry named "" is the share's root itself
     * @param readonly the whole share is read-only (QEMU refuses writes too)
     */
    public record HostShare(String tag, List<Entry> entries, boolean readonly) {
        public HostShare {
            entries = List.copyOf(entries);
        }

        /** A share that is one host directory (or the rootfs). */
        public HostShare(String tag, Path hostDir, boolean readonly) {
            this(tag, List.of(new Entry(hostDir, "", readonly)), readonly);
        }

        /** The host directory of a one-directory share; null for a share of several entries. */
        public Path hostDir() {
            return entries.size() == 1 && entries.getFirst().name().isEmpty() ? entries.getFirst().source() : null;
        }
    }

    /** A host file or directory bound into a share as {@code name} (read-only when asked). */
    public record Entry(Path source, String name, boolean readonly) {
        public Entry {
            Objects.requireNonNull(source);
            if (name.startsWith("/") || name.contains("..")) {
                throw new IllegalArgumentException("bad share entry name " + name);
            }
        }
    }

    /** How the guest's CPU runs: hardware virtualization, or QEMU's emulator. */
    public enum Accel { KVM, TCG }

    public VmConfig {
        Objects.requireNonNull(kernel);
        Objects.requireNonNull(initrd);
        Objects.requireNonNull(rootfs);
        Objects.requireNonNull(socketDir);
        Objects.requireNonNull(accel);
        shares = List.copyOf(shares);
        nics = List.copyOf(nics);
        if (rootfsCache != null && !CACHE_MODES.contains(rootfsCache)) {
            throw new IllegalArgumentException("annotation io.jvmvisor.9p-cache: \"" + rootfsCache + "\" is not one of " + CACHE_MODES);
        }
        if (vcpus < 1 || memoryMib < 1) {
            throw new IllegalArgumentException("a VM needs at least 1 vCPU and 1 MiB (got " + vcpus + ", " + memoryMib + ")");
        }
    }

    public Path agentSocket() {
        return socketDir.resolve("agent.sock");
    }

    public Path qmpSocket() {
        return socketDir.resolve("qmp.sock");
    }
}
