package io.jvmvisor.shim.control;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Where a container's Unix sockets are reached. A socket path is limited to
 * 107 bytes; docker's state dirs ({@code /var/run/docker/runtime-NAME/moby/<64 hex>})
 * already exceed it with a file name appended. Then sockets are reached
 * through a short alias, {@code /run/jvmvisor-sockets/<16 hex>}, a symlink to the
 * state dir. The aliases are a cache outside every {@code --root} (so {@code list} never
 * sees them and no container ID collides with them), in a root-owned {@code 0700} directory:
 * whoever addresses a container's sockets through {@link #socketDir} re-creates its alias if it
 * is missing or wrong, so a container stays reachable whatever happens to the cache.
 */
public final class SocketPaths {
    /** Longest socket file name we append ("console.sock", "agent.sock"...). */
    private static final int LONGEST_NAME = 16;
    private static final int MAX_PATH = 107;
    /** The folder of aliases. */
    public static final Path ALIAS_ROOT = Path.of("/run/jvmvisor-sockets");

    private SocketPaths() {
    }

    /** True if sockets of this state dir need the alias. */
    public static boolean needsAlias(Path stateDir) {
        return stateDir.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8).length + 1 + LONGEST_NAME > MAX_PATH;
    }

    /** The alias symlink path for a state dir (whether or not it is needed). */
    public static Path alias(Path stateDir) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256")
                    .digest(stateDir.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8));
            return ALIAS_ROOT.resolve(HexFormat.of().formatHex(h, 0, 8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The directory through which to address sockets of this state dir (its alias is made if missing). */
    public static Path socketDir(Path stateDir) {
        Path dir = stateDir.toAbsolutePath();
        if (!needsAlias(dir)) {
            return dir;
        }
        Path alias = alias(dir);
        ensureAlias(alias, dir);
        return alias;
    }

    /**
     * Makes {@code alias} a symlink to {@code stateDir} unless it is one already; nothing when the
     * state dir is gone. Atomic (a new link renamed over the old name). A failure here is left for
     * the connect to report.
     */
    static void ensureAlias(Path alias, Path stateDir) {
        try {
            if (Files.readSymbolicLink(alias).equals(stateDir)) {
                return;
            }
        } catch (IOException e) {
            // missing, or not a link: (re)create it below
        }
        if (!Files.isDirectory(stateDir)) {
            return;
        }
        Path tmp = alias.resolveSibling("." + alias.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        try {
            PrivateFiles.createDirectories(alias.getParent());
            Files.deleteIfExists(tmp);
            Files.createSymbolicLink(tmp, stateDir);
            Files.move(tmp, alias, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | UnsupportedOperationException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException again) {
                // best effort
            }
        }
    }

    /** Removes the alias of a state dir if it points there (after delete). */
    public static void removeAlias(Path stateDir) {
        Path dir = stateDir.toAbsolutePath();
        if (!needsAlias(dir)) {
            return;
        }
        Path alias = alias(dir);
        try {
            if (Files.readSymbolicLink(alias).equals(dir)) {
                Files.deleteIfExists(alias);
            }
        } catch (IOException e) {
            // no alias
        }
    }
}
