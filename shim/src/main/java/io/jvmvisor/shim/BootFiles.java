package io.jvmvisor.shim;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the guest kernel and initramfs may come from. Whoever writes config.json chooses the
 * annotations {@code io.jvmvisor.kernel} / {@code io.jvmvisor.initrd}; the shim runs as root, so a
 * path there could load a root-only file into the guest or replace the agent. Such a path is taken
 * only from a directory an administrator owns: {@code /usr/lib/jvmvisor/kernels} or the built
 * {@code <jvmvisor.home>/kernels/target}. After resolving symlinks the file must lie in one of them,
 * be a regular file, and it and every directory from {@code /} down to it must be owned by root
 * and not writable by group or others.
 */
final class BootFiles {
    /** The administrator's directory for extra kernels and initramfs images. */
    static final Path SYSTEM_DIR = Path.of("/usr/lib/jvmvisor/kernels");

    private BootFiles() {
    }

    /** The directories boot files may come from, for this installation. */
    static List<Path> allowedDirs(Path home) {
        return List.of(SYSTEM_DIR, home.resolve("kernels/target"));
    }

    /**
     * Checks a boot file named by {@code annotation}; returns its resolved path or throws with
     * the reason, in one line.
     */
    static Path check(Path file, String annotation, List<Path> allowed) {
        String what = "config.json: annotation " + annotation + " \"" + file + "\"";
        if (!file.isAbsolute()) {
            throw new IllegalArgumentException(what + " is not an absolute path");
        }
        Path real;
        try {
            real = file.toRealPath();
        } catch (IOException e) {
            throw new IllegalArgumentException(what + ": no such file");
        }
        Path dir = null;
        for (Path d : allowed) {
            try {
                Path r = d.toRealPath();
                if (real.startsWith(r) && !real.equals(r)) {
                    dir = r;
                    break;
                }
            } catch (IOException e) {
                // that directory does not exist here
            }
        }
        if (dir == null) {
            throw new IllegalArgumentException(what + " is outside the directories for guest kernels and initramfs images ("
                    + String.join(", ", allowed.stream().map(Path::toString).toList()) + ")");
        }
        if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException(what + " is not a regular file");
        }
        List<Path> chain = new ArrayList<>();
        for (Path p = real; p != null; p = p.getParent()) {
            chain.addFirst(p);
        }
        for (Path p : chain) {
            try {
                int uid = (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
                int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
                if (uid != 0) {
                    throw new IllegalArgumentException(what + ": " + p + " is owned by uid " + uid + ", not root");
                }
                if ((mode & 0022) != 0) {
                    throw new IllegalArgumentException(what + ": " + p + " is writable by "
                            + ((mode & 0002) != 0 ? "others" : "its group") + " (mode " + Integer.toOctalString(mode & 07777) + ")");
                }
            } catch (IOException e) {
                throw new IllegalArgumentException(what + ": cannot check " + p + ": " + e.getMessage());
            }
        }
        return real;
    }
}
