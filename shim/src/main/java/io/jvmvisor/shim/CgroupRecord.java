package io.jvmvisor.shim;

import io.jvmvisor.shim.control.PrivateFiles;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The host cgroup directories a shim created, kept in its state dir ({@value #FILE}, one path a
 * line, deepest last) while they exist: a shim that is killed before it removed them leaves the
 * list to {@code delete}, which removes what is left (empty directories only, as rmdir does).
 */
public final class CgroupRecord {
    private static final Logger LOG = System.getLogger(CgroupRecord.class.getName());
    public static final String FILE = "cgroups";

    private CgroupRecord() {
    }

    static void write(Path stateDir, List<Path> created) throws IOException {
        StringBuilder b = new StringBuilder();
        created.forEach(p -> b.append(p).append('\n'));
        PrivateFiles.write(stateDir.resolve(FILE), b.toString());
    }

    static void clear(Path stateDir) {
        try {
            Files.deleteIfExists(stateDir.resolve(FILE));
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot remove " + stateDir.resolve(FILE) + ": " + e.getMessage());
        }
    }

    /**
     * Removes the directories a dead shim listed, deepest first, then the list. Only paths under
     * {@code /sys/fs/cgroup} are touched, and only when empty; one that still holds processes (or
     * another container's cgroup below it) stays, with a warning.
     */
    public static void removeLeftovers(Path stateDir) {
        Path file = stateDir.resolve(FILE);
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (java.nio.file.NoSuchFileException e) {
            return;
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot read " + file + ": " + e.getMessage());
            return;
        }
        for (String line : lines.reversed()) {
            Path p = Path.of(line).normalize();
            if (line.isBlank() || !p.startsWith(HostCgroup.ROOT) || p.equals(HostCgroup.ROOT)) {
                continue;
            }
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                // a parent the shim made that another container's cgroup now shares stays, quietly
                LOG.log(hasProcesses(p) ? Level.WARNING : Level.DEBUG,
                        "cannot remove the cgroup " + p + ": " + e.getMessage());
            }
        }
        clear(stateDir);
    }

    private static boolean hasProcesses(Path cgroup) {
        try {
            return !Files.readString(cgroup.resolve("cgroup.procs")).isBlank();
        } catch (IOException e) {
            return false;
        }
    }
}
