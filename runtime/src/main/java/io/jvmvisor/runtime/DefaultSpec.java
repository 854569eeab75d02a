package io.jvmvisor.runtime;

import io.jvmvisor.oci.Hooks;
import io.jvmvisor.oci.Linux;
import io.jvmvisor.oci.Mount;
import io.jvmvisor.oci.Process;
import io.jvmvisor.oci.Root;
import io.jvmvisor.oci.Spec;
import java.util.List;
import java.util.Map;

/** The config.json {@code spec} writes: runc's template, with what the jvmvisor guest supports. */
final class DefaultSpec {
    private static final List<String> CAPS = List.of("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");

    private DefaultSpec() {
    }

    static Spec create() {
        Process process = new Process(true, null, new Process.User(0, 0, null, null), List.of("sh"),
                List.of("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"), "/",
                new Process.Capabilities(CAPS, CAPS, null, CAPS, null),
                List.of(new Process.Rlimit("RLIMIT_NOFILE", 1024, 1024)), true, null, null);
        List<Mount> mounts = List.of(
                new Mount("/proc", "proc", "proc", null),
                new Mount("/dev", "tmpfs", "tmpfs", List.of("nosuid", "strictatime", "mode=755", "size=65536k")),
                new Mount("/dev/pts", "devpts", "devpts",
                        List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5")),
                new Mount("/dev/shm", "tmpfs", "shm", List.of("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")),
                new Mount("/dev/mqueue", "mqueue", "mqueue", List.of("nosuid", "noexec", "nodev")),
                new Mount("/sys", "sysfs", "sysfs", List.of("nosuid", "noexec", "nodev", "ro")));
        Linux linux = new Linux(
                List.of(new Linux.Namespace("pid", null), new Linux.Namespace("network", null),
                        new Linux.Namespace("ipc", null), new Linux.Namespace("uts", null),
                        new Linux.Namespace("mount", null)),
                null, null,
                List.of("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"),
                List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"),
                null, null, null, null, null);
        return new Spec(Containers.OCI_VERSION, process, new Root("rootfs", true), "jvmvisor", mounts, (Hooks) null,
                Map.of("io.jvmvisor.engine", "qemu"), linux);
    }
}
