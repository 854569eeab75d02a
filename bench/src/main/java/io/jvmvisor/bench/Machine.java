package io.jvmvisor.bench;

import io.jvmvisor.testbundles.CommandResult;
import io.jvmvisor.testbundles.Commands;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The report's header: what machine and which versions the figures come from. */
public final class Machine {
    private Machine() {
    }

    /** Label to value, in print order. */
    public static Map<String, String> describe(BenchContext ctx) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("CPUs (nproc)", Integer.toString(Runtime.getRuntime().availableProcessors()));
        m.put("memory", memTotal());
        m.put("kernel", read("/proc/sys/kernel/osrelease"));
        m.put("QEMU", firstLine(List.of("qemu-system-x86_64", "--version")));
        m.put("KVM probe", kvmProbe());
        Path shimProbe = Path.of("/run/jvmvisor/kvm-probe");
        if (Files.isRegularFile(shimProbe)) {
            m.put("shim's KVM probe (" + shimProbe + ")", read(shimProbe.toString()));
        }
        String accel = ctx.accel();
        m.put("jvmvisor accel (what the shim chose)", accel != null ? accel
                : ctx.runtimes().usable(Runtimes.JVMVISOR) ? "not seen (no QEMU command line or shim.log line named it)"
                : "n/a (" + ctx.runtimes().reason(Runtimes.JVMVISOR) + ")");
        m.put("runc", version(ctx, Runtimes.RUNC));
        m.put("runsc", version(ctx, Runtimes.RUNSC));
        m.put("docker", firstLine(List.of("/usr/sbin/dockerd", "--version")));
        m.put("JDK", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        return m;
    }

    /** Whether KVM can run a standard guest here, from cheap facts (see ARCHITECTURE.md). */
    static String kvmProbe() {
        if (!Files.exists(Path.of("/dev/kvm"))) {
            return "no /dev/kvm: QEMU must use TCG";
        }
        String cpuinfo = read("/proc/cpuinfo");
        boolean hw = cpuinfo.contains(" vmx") || cpuinfo.contains(" svm");
        if (Files.exists(Path.of("/sys/module/kvm_pvm"))) {
            return "/dev/kvm is PVM (kvm_pvm loaded" + (hw ? "" : ", no vmx/svm") + "): a standard guest cannot run on it, TCG expected";
        }
        return hw ? "/dev/kvm with vmx/svm: KVM usable" : "/dev/kvm without vmx/svm in /proc/cpuinfo: TCG expected";
    }

    private static String version(BenchContext ctx, String rt) {
        String exe = ctx.runtimes().executable(rt);
        return exe == null ? "not installed" : exe + ": " + firstLine(List.of(exe, "--version"));
    }

    private static String memTotal() {
        for (String line : read("/proc/meminfo").split("\n")) {
            if (line.startsWith("MemTotal:")) {
                long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                return String.format(Locale.ROOT, "%.1f GiB", kb / 1024.0 / 1024.0);
            }
        }
        return "unknown";
    }

    private static String read(String path) {
        try {
            return Files.readString(Path.of(path)).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String firstLine(List<String> cmd) {
        try {
            CommandResult r = Commands.run(Duration.ofSeconds(20), cmd);
            return (r.stdout() + r.stderr()).strip().lines().findFirst().orElse("unknown");
        } catch (RuntimeException e) {
            return "unknown (" + e.getMessage().lines().findFirst().orElse("") + ")";
        }
    }
}
