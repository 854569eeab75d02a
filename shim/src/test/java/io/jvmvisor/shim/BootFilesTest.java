package io.jvmvisor.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** io.jvmvisor.kernel / io.jvmvisor.initrd take files only from an administrator's directory. */
class BootFilesTest {
    private Path base;
    private Path kernels;

    @BeforeEach
    void dirs() throws Exception {
        // every component from / down must be root-owned and closed to others: /run is (0755 root);
        // the checkout may not be (a clone under /tmp), so the test builds its tree there
        assumeTrue(ProcessHandle.current().info().user().orElse("").equals("root") && Files.isWritable(Path.of("/run")),
                "needs root: the test makes root-owned directories under /run and changes file owners");
        base = Files.createDirectories(Path.of("/run", "jvmvisor-bootfiles-test-" + ProcessHandle.current().pid()));
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        kernels = Files.createDirectories(base.resolve("kernels"));
        Files.writeString(kernels.resolve("vmlinux"), "kernel");
        Files.writeString(base.resolve("probe"), "x");
    }

    @AfterEach
    void clean() throws Exception {
        if (base != null && Files.exists(base)) {
            try (Stream<Path> w = Files.walk(base)) {
                for (Path p : w.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private IllegalArgumentException refused(Path p) {
        return assertThrows(IllegalArgumentException.class, () -> BootFiles.check(p, "io.jvmvisor.kernel", List.of(kernels)));
    }

    @Test
    void aRootOwnedFileInTheDirectoryIsTaken() throws Exception {
        assertEquals(kernels.resolve("vmlinux").toRealPath(),
                BootFiles.check(kernels.resolve("vmlinux"), "io.jvmvisor.kernel", List.of(kernels)));
    }

    @Test
    void anyOtherHostPathIsRefused() throws Exception {
        assertTrue(refused(Path.of("/etc/shadow")).getMessage().contains("outside the directories"));
        assertTrue(refused(kernels.resolve("../probe")).getMessage().contains("outside the directories"));
        assertTrue(refused(Path.of("relative/vmlinux")).getMessage().contains("not an absolute path"));
        Files.createSymbolicLink(kernels.resolve("link"), Path.of("/etc/passwd"));
        assertTrue(refused(kernels.resolve("link")).getMessage().contains("outside the directories"));
        assertTrue(refused(kernels.resolve("missing")).getMessage().contains("no such file"));
    }

    @Test
    void writableOrForeignComponentsAreRefused() throws Exception {
        Files.setPosixFilePermissions(kernels, PosixFilePermissions.fromString("rwxrwxrwx"));
        IllegalArgumentException w = refused(kernels.resolve("vmlinux"));
        assertTrue(w.getMessage().contains("writable by others"), w.getMessage());
        Files.setPosixFilePermissions(kernels, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setAttribute(kernels.resolve("vmlinux"), "unix:uid", 65534);
        IllegalArgumentException o = refused(kernels.resolve("vmlinux"));
        assertTrue(o.getMessage().contains("owned by uid 65534"), o.getMessage());
        Files.setAttribute(kernels.resolve("vmlinux"), "unix:uid", 0);
        Files.createDirectory(kernels.resolve("sub"));
        assertTrue(refused(kernels.resolve("sub")).getMessage().contains("not a regular file"));
    }
}
