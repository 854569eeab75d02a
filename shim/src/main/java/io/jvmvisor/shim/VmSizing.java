package io.jvmvisor.shim;

import io.jvmvisor.oci.Linux;
import io.jvmvisor.oci.Spec;
import java.nio.file.Path;
import java.util.Map;

/**
 * The VM's size and boot files, from config.json: vCPUs from the CPU quota
 * (or cpuset, or annotation {@code io.jvmvisor.vcpus}), memory from the
 * memory limit (or annotation {@code io.jvmvisor.memory}, MiB), kernel and
 * initrd from annotations or {@code <jvmvisor.home>/kernels/target/}.
 *
 * <p>With a memory limit the guest gets {@code limit + GUEST_OVERHEAD_MIB} of RAM (at least
 * {@link #MIN_MEMORY_MIB}) and the agent puts the container in a cgroup at the limit itself, so that
 * the guest kernel OOM-kills the container's process past it (137, as runc's host cgroup does) while
 * the guest kernel, the agent and the page cache keep the overhead.
 */
public record VmSizing(int vcpus, int memoryMib, Path kernel, Path initrd, String engine) {
    public static final int DEFAULT_MEMORY_MIB = 256;
    public static final int MIN_MEMORY_MIB = 128;
    /** Guest RAM above the container's memory limit: the guest kernel (~25 MiB), the agent, page cache. */
    public static final int GUEST_OVERHEAD_MIB = 64;

    public static VmSizing of(Spec spec, Path home, int hostCpus) {
        Map<String, String> ann = spec.annotations() == null ? Map.of() : spec.annotations();
        Linux.Resources res = spec.linux() == null ? null : spec.linux().resources();
        int vcpus = 0;
        if (res != null && res.cpu() != null) {
            Linux.Cpu cpu = res.cpu();
            if (cpu.quota() != null && cpu.quota() > 0 && cpu.period() != null && cpu.period() > 0) {
                vcpus = (int) ((cpu.quota() + cpu.period() - 1) / cpu.period());
            } else if (cpu.cpus() != null && !cpu.cpus().isBlank()) {
                vcpus = cpusetCount(cpu.cpus());
            }
        }
        if (vcpus == 0 && ann.containsKey("io.jvmvisor.vcpus")) {
            vcpus = positive(ann.get("io.jvmvisor.vcpus"), "io.jvmvisor.vcpus");
        }
        vcpus = Math.min(Math.max(vcpus, 1), Math.max(hostCpus, 1));

        int mem = DEFAULT_MEMORY_MIB;
        if (res != null && res.memory() != null && res.memory().limit() != null && res.memory().limit() > 0) {
            long limitMib = (res.memory().limit() + (1 << 20) - 1) >> 20;
            mem = (int) Math.max(MIN_MEMORY_MIB, limitMib + GUEST_OVERHEAD_MIB);
        } else if (ann.containsKey("io.jvmvisor.memory")) {
            mem = Math.max(MIN_MEMORY_MIB, positive(ann.get("io.jvmvisor.memory"), "io.jvmvisor.memory"));
        }
        Path kernel = Path.of(ann.getOrDefault("io.jvmvisor.kernel", home.resolve("kernels/target/vmlinux").toString()));
        Path initrd = Path.of(ann.getOrDefault("io.jvmvisor.initrd", home.resolve("kernels/target/initramfs.cpio").toString()));
        return new VmSizing(vcpus, mem, kernel, initrd, ann.get("io.jvmvisor.engine"));
    }

    /** Counts the CPUs of a cpuset list such as "0-3,6". */
    static int cpusetCount(String cpus) {
        int n = 0;
        for (String part : cpus.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int dash = p.indexOf('-');
            try {
                n += dash < 0 ? 1 : Integer.parseInt(p.substring(dash + 1)) - Integer.parseInt(p.substring(0, dash)) + 1;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("config.json: linux.resources.cpu.cpus \"" + cpus + "\" is not a CPU list");
            }
        }
        return n;
    }

    private static int positive(String value, String name) {
        try {
            int v = Integer.parseInt(value.trim());
            if (v > 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("config.json: annotation " + name + " must be a positive integer, not \"" + value + "\"");
    }
}
