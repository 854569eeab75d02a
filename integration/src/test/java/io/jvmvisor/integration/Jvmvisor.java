package io.jvmvisor.integration;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the built jvmvisor is, and whether it can run containers here. */
final class Jvmvisor {
    private Jvmvisor() {
    }

    static Path home() {
        return Path.of(System.getProperty("jvmvisor.home", "..")).toAbsolutePath().normalize();
    }

    static Path launcher() {
        return home().resolve("bin/jvmvisor");
    }

    /** Why jvmvisor cannot run containers here, or null. */
    static String unavailableReason() {
        Path h = home();
        for (Path p : new Path[] {launcher(), h.resolve("kernels/target/vmlinux"), h.resolve("kernels/target/initramfs.cpio")}) {
            if (!Files.exists(p)) {
                return p + " is missing: build first (./setup.sh build)";
            }
        }
        if (!Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64"))) {
            return "qemu-system-x86_64 is not installed";
        }
        return null;
    }
}
