package io.jvmvisor.shim.engine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether a standard guest kernel can run on this host's KVM. Probed once per
 * host boot and cached in {@code /run/jvmvisor/kvm-probe} ("kvm|reason" or
 * "tcg|reason").
 */
public final class KvmProbe {
    /** The answer: the accelerator and why. */
    public record Result(VmConfig.Accel accel, String reason) {
    }

    private static final Path CACHE = Path.of("/run/jvmvisor/kvm-probe");

    private KvmProbe() {
    }

    public static Result probe() {
        try {
            if (Files.isReadable(CACHE)) {
                String[] s = Files.readString(CACHE, StandardCharsets.UTF_8).trim().split("\\|", 2);
                if (s.length == 2) {
                    return new Result(VmConfig.Accel.valueOf(s[0].toUpperCase(java.util.Locale.ROOT)),
                            s[1] + " (cached in " + CACHE + ")");
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            // probe again
        }
        Result r = probeNow(Path.of("/dev/kvm"), Path.of("/proc/cpuinfo"), Path.of("/sys/module/kvm_pvm"));
        try {
            Files.createDirectories(CACHE.getParent());
            Path tmp = Files.createTempFile(CACHE.getParent(), "kvm-probe", ".tmp");
            Files.writeString(tmp, r.accel().name().toLowerCase(java.util.Locale.ROOT) + "|" + r.reason());
            Files.move(tmp, CACHE, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // not cached: the next shim probes again
        }
        return r;
    }

    static Result probeNow(Path devKvm, Path cpuinfo, Path pvmModule) {
        if (!Files.exists(devKvm)) {
            return new Result(VmConfig.Accel.TCG, devKvm + " does not exist");
        }
        if (!Files.isReadable(devKvm) || !Files.isWritable(devKvm)) {
            return new Result(VmConfig.Accel.TCG, devKvm + " is not usable by this user");
        }
        if (Files.exists(pvmModule)) {
            return new Result(VmConfig.Accel.TCG, pvmModule + " exists: this KVM is paravirtual (PVM) and cannot run a standard guest kernel");
        }
        try {
            String flags = Files.readString(cpuinfo, StandardCharsets.ISO_8859_1);
            if (!flags.matches("(?s).*\\bflags\\s*:.*\\b(vmx|svm)\\b.*")) {
                return new Result(VmConfig.Accel.TCG, cpuinfo + " shows neither vmx nor svm");
            }
        } catch (IOException e) {
            return new Result(VmConfig.Accel.TCG, "cannot read " + cpuinfo + ": " + e.getMessage());
        }
        return new Result(VmConfig.Accel.KVM, devKvm + " is usable and the CPU has vmx/svm");
    }
}
