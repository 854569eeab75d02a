package io.jvmvisor.shim.control;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Where a container's Unix sockets are reached. A socket path is limited to
 * 107 bytes; docker's state dirs ({@code /var/run/docker/runtime-NAME/moby/<64 hex>})
 * already exceed it with a file name appended. Then sockets are reached
 * through a short alias, {@code /run/jvmvisor/h/<16 hex>}, a symlink to the
 * state dir that the shim creates at start and removes at exit.
 */
public final class SocketPaths {
    /** Longest socket file name we append ("console.sock", "agent.sock"...). */
    private static final int LONGEST_NAME = 16;
    private static final int MAX_PATH = 107;
    /** The folder of aliases. */
    public static final Path ALIAS_ROOT = Path.of("/run/jvmvisor/h");

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

    /** The directory through which to address sockets of this state dir. */
    public static Path socketDir(Path stateDir) {
        return needsAlias(stateDir) ? alias(stateDir) : stateDir.toAbsolutePath();
    }
}
