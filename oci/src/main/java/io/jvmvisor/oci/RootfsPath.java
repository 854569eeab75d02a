package io.jvmvisor.oci;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Resolves a path as the container will see it: inside {@code rootfs}, with
 * symlinks (absolute ones included) followed relative to the rootfs, never
 * leaving it (as {@code securejoin} does for runc).
 */
public final class RootfsPath {
    private static final int MAX_LINKS = 40;

    private RootfsPath() {
    }

    /**
     * Returns the host path of {@code containerPath} in {@code rootfs}, with
     * symlinks resolved inside the rootfs. The result may not exist.
     */
    public static Path resolve(Path rootfs, String containerPath) throws IOException {
        Deque<String> todo = new ArrayDeque<>();
        push(todo, containerPath);
        Path current = rootfs;
        int links = 0;
        while (!todo.isEmpty()) {
            String part = todo.pop();
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                current = current.equals(rootfs) ? rootfs : current.getParent();
                continue;
            }
            Path next = current.resolve(part);
            if (Files.isSymbolicLink(next)) {
                if (++links > MAX_LINKS) {
                    throw new IOException("too many levels of symbolic links: " + containerPath);
                }
                String target = Files.readSymbolicLink(next).toString();
                if (target.startsWith("/")) {
                    current = rootfs;
                }
                push(todo, target);
                continue;
            }
            current = next;
        }
        return current;
    }

    /** True if {@code containerPath} names an existing file or directory in the rootfs. */
    public static boolean exists(Path rootfs, String containerPath) throws IOException {
        return Files.exists(resolve(rootfs, containerPath), LinkOption.NOFOLLOW_LINKS);
    }

    private static void push(Deque<String> todo, String path) {
        String[] parts = path.split("/");
        for (int i = parts.length - 1; i >= 0; i--) {
            todo.push(parts[i]);
        }
    }
}
