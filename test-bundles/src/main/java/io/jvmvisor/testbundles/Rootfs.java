package io.jvmvisor.testbundles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * A minimal root file system made from Debian's busybox-static: the binary,
 * one symlink per applet in /bin, and the files a container expects
 * (/etc/passwd with root and user 1000, /etc/group, empty mount points).
 * Nothing is committed as a binary: the rootfs is built from the installed package.
 */
public final class Rootfs {
    /** Where Debian's busybox-static puts the binary. */
    public static final Path BUSYBOX = Path.of("/bin/busybox");

    private Rootfs() {
    }

    /** Builds a rootfs in {@code dir} (created if missing) and returns it. */
    public static Path build(Path dir) {
        try {
            requireBusybox();
            Files.createDirectories(dir);
            for (String d : List.of("bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "tmp", "root",
                    "home/user", "mnt", "run", "var/tmp")) {
                Files.createDirectories(dir.resolve(d));
            }
            Files.setPosixFilePermissions(dir.resolve("tmp"), PosixFilePermissions.fromString("rwxrwxrwx"));
            Path bb = dir.resolve("bin/busybox");
            Files.copy(BUSYBOX, bb, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
            for (String applet : applets()) {
                Path link = dir.resolve("bin").resolve(applet);
                if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    Files.createSymbolicLink(link, Path.of("busybox"));
                }
            }
            Files.writeString(dir.resolve("etc/passwd"),
                    "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n"
                            + "nobody:x:65534:65534:nobody:/:/bin/false\n");
            Files.writeString(dir.resolve("etc/group"),
                    "root:x:0:\nwheel:x:10:user\nuser:x:1000:\nnogroup:x:65534:\n");
            Files.writeString(dir.resolve("etc/hostname"), "busybox\n");
            Files.writeString(dir.resolve("etc/hosts"), "127.0.0.1 localhost\n");
            Files.writeString(dir.resolve("etc/resolv.conf"), "");
            Files.writeString(dir.resolve("etc/os-release"), "NAME=\"jvmvisor test busybox\"\nID=busybox\n");
            Path home = dir.resolve("home/user");
            Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
            try {
                Files.setAttribute(home, "unix:uid", 1000);
                Files.setAttribute(home, "unix:gid", 1000);
            } catch (IOException | UnsupportedOperationException e) {
                // not root: the home stays owned by the builder; tests that need it run as root anyway
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("building rootfs in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void requireBusybox() {
        if (!Files.isExecutable(BUSYBOX)) {
            throw new IllegalStateException(BUSYBOX + " is missing: install Debian's busybox-static (apt-get install busybox-static)");
        }
    }

    /** The applets of the installed busybox ({@code busybox --list}). */
    static List<String> applets() throws IOException {
        Process p = new ProcessBuilder(BUSYBOX.toString(), "--list").redirectErrorStream(true).start();
        List<String> names = new ArrayList<>();
        try (var r = p.inputReader()) {
            r.lines().map(String::strip).filter(s -> !s.isEmpty() && !s.equals("busybox")).forEach(names::add);
        }
        try {
            if (p.waitFor() != 0) {
                throw new IOException("busybox --list failed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return names;
    }
}
