package io.jvmvisor.oci;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The kind of namespace a {@code linux.namespaces[].path} names, as runc checks it before joining:
 * a {@code /proc/PID/ns/TYPE} link reads {@code ipc:[4026531839]}; a namespace file bound elsewhere
 * ({@code ip netns add} puts them under {@code /run/netns}) is an {@code nsfs} mount whose root in
 * {@code /proc/self/mountinfo} reads the same. Pure file reads: no native call.
 */
final class NamespacePath {
    /** OCI type -> the kernel's name in the link text. */
    static final Map<String, String> KERNEL_NAMES = Map.of("pid", "pid", "network", "net", "mount", "mnt", "ipc", "ipc",
            "uts", "uts", "user", "user", "cgroup", "cgroup", "time", "time");

    private NamespacePath() {
    }

    /** The kernel's name of the namespace at {@code path} ("net", "ipc"...), or null if it is none. */
    static String kindOf(Path path) throws IOException {
        if (Files.isSymbolicLink(path)) {
            String kind = name(Files.readSymbolicLink(path).toString());
            if (kind != null) {
                return kind;
            }
        }
        String real = path.toRealPath().toString();
        return kindFromMountinfo(Files.readAllLines(Path.of("/proc/self/mountinfo")), real);
    }

    /** From mountinfo lines: the namespace kind of the nsfs mount at {@code mountPoint}, or null. */
    static String kindFromMountinfo(List<String> lines, String mountPoint) {
        String kind = null;
        for (String line : lines) {
            String[] f = line.split(" ");
            int dash = line.indexOf(" - ");
            if (f.length < 5 || dash < 0) {
                continue;
            }
            String fstype = line.substring(dash + 3).split(" ")[0];
            if ("nsfs".equals(fstype) && unescape(f[4]).equals(mountPoint)) {
                kind = name(f[3]); // the last mount on the path wins
            }
        }
        return kind;
    }

    /** "ipc:[4026531839]" -> "ipc"; anything else -> null. */
    static String name(String text) {
        int at = text.indexOf(":[");
        return at > 0 && text.endsWith("]") ? text.substring(0, at) : null;
    }

    private static String unescape(String s) {
        return s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }
}
