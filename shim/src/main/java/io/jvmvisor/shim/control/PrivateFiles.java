package io.jvmvisor.shim.control;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * Files and directories of a container's state, readable by their owner only (0600 / 0700, as
 * runc keeps its state dir): the state holds the bundle path, the guest's console and the logs,
 * and the directory holds the sockets that drive the container.
 */
public final class PrivateFiles {
    /** rw------- */
    public static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
    /** rwx------ */
    public static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");

    private PrivateFiles() {
    }

    public static FileAttribute<Set<PosixFilePermission>> fileMode() {
        return PosixFilePermissions.asFileAttribute(FILE);
    }

    public static FileAttribute<Set<PosixFilePermission>> dirMode() {
        return PosixFilePermissions.asFileAttribute(DIR);
    }

    /** Opens {@code file} for writing (created 0600; an existing one is made 0600 too), appending or truncating. */
    public static OutputStream open(Path file, boolean append) throws IOException {
        var options = EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
        OutputStream out = Channels.newOutputStream(Files.newByteChannel(file, options, fileMode()));
        Files.setPosixFilePermissions(file, FILE);
        return out;
    }

    /** Writes {@code text} to {@code file} (0600), replacing what was there. */
    public static void write(Path file, String text) throws IOException {
        try (OutputStream out = open(file, false)) {
            out.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    /** Creates {@code dir} and missing parents, the new ones 0700. */
    public static Path createDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return dir;
        }
        return Files.createDirectories(dir, dirMode());
    }
}
