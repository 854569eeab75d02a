package io.jvmvisor.shim.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VmTemplateTest {
    @TempDir
    Path dir;

    private VmConfig vm(int mem, List<VmConfig.HostShare> shares, List<VmConfig.Nic> nics, boolean quiet) throws Exception {
        Path k = dir.resolve("vmlinux");
        Path i = dir.resolve("initrd");
        if (!Files.exists(k)) {
            Files.writeString(k, "kernel");
            Files.writeString(i, "initrd");
        }
        return new VmConfig(1, mem, k, i, dir.resolve("rootfs"), false, shares, dir, VmConfig.Accel.TCG, 0, quiet, "mmap", nics);
    }

    @Test
    void theShapeFollowsWhatTheGuestStateDependsOn() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(VmTemplate.qemuBinary() != null, "no qemu-system-x86_64 on PATH");
        String base = VmTemplate.shape(vm(256, List.of(), List.of(), true));
        assertNotNull(base);
        assertEquals(base, VmTemplate.shape(new VmConfig(1, 256, dir.resolve("vmlinux"), dir.resolve("initrd"),
                dir.resolve("other-rootfs"), true, List.of(), dir.resolve("s"), VmConfig.Accel.TCG, 0, true, "loose", List.of())),
                "the rootfs, its mode and cache and the socket dir do not matter (Resume mounts the rootfs)");
        assertNotEquals(base, VmTemplate.shape(vm(512, List.of(), List.of(), true)), "memory");
        assertNotEquals(base, VmTemplate.shape(vm(256, List.of(new VmConfig.HostShare("binds", dir, false)), List.of(), true)),
                "a 9p device more");
        Files.writeString(dir.resolve("vmlinux"), "rebuilt kernel");
        assertNotEquals(base, VmTemplate.shape(vm(256, List.of(), List.of(), true)), "a rebuilt kernel");
        VmConfig.Nic nic = new VmConfig.Nic("n0", "tap0", "02:00:00:00:00:01");
        assertNotEquals(base, VmTemplate.shape(vm(256, List.of(), List.of(nic), true)), "a NIC more");
        assertNull(VmTemplate.shape(vm(256, List.of(), java.util.Collections.nCopies(VmTemplate.MAX_NICS + 1, nic), true)),
                "more NICs boot cold");
        assertNull(VmTemplate.shape(vm(256, List.of(), List.of(), false)), "a debug console boots cold");
    }

    @Test
    void aTemplateIsUsedOnlyWithItsShapeAndRootOnlyModes() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(VmTemplate.qemuBinary() != null, "no qemu-system-x86_64 on PATH");
        VmConfig vm = vm(1, List.of(), List.of(), true);
        Path root = dir.resolve("templates");
        TemplateBuilder.makeRoot(root);
        String shape = VmTemplate.shape(vm);
        Path t = Files.createDirectory(root.resolve(VmTemplate.key(shape)),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.write(t.resolve(VmTemplate.RAM), new byte[1 << 20]);
        Files.writeString(t.resolve(VmTemplate.STATE), "state");
        Files.writeString(t.resolve(VmTemplate.SHAPE), shape);
        assertNotNull(VmTemplate.find(root, vm));
        Files.writeString(t.resolve(VmTemplate.SHAPE), shape + "x");
        assertNull(VmTemplate.find(root, vm), "another shape in the file");
        Files.writeString(t.resolve(VmTemplate.SHAPE), shape);
        Files.setPosixFilePermissions(t, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertNull(VmTemplate.find(root, vm), "a template others can read or write is not used");
        Files.setPosixFilePermissions(t, PosixFilePermissions.fromString("rwx------"));
        Files.write(t.resolve(VmTemplate.RAM), new byte[1 << 19]);
        assertNull(VmTemplate.find(root, vm), "a RAM file of another size");
        assertEquals(0, VmTemplate.removeStale(root));
        assertTrue(Files.exists(t), "a template of today's kernel stays");
        Files.writeString(dir.resolve("vmlinux"), "rebuilt kernel");
        assertEquals(1, VmTemplate.removeStale(root));
        assertFalse(Files.exists(t), "a template of a rebuilt kernel is removed");
    }

    @Test
    void onlyTheTemplatesUsedLastAreKept(@TempDir Path root) throws Exception {
        List<Path> made = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Path t = Files.createDirectory(root.resolve(("%024x").formatted(i + 1)));
            Files.writeString(t.resolve(VmTemplate.SHAPE), "shape " + i);
            Files.setLastModifiedTime(t, java.nio.file.attribute.FileTime.fromMillis(1_000_000L * (i + 1)));
            Files.createFile(root.resolve(t.getFileName() + ".lock"));
            made.add(t);
        }
        Files.createFile(root.resolve("%024x.lock".formatted(99))); // a key without a template
        // the oldest one is used now: it becomes the newest
        Files.setLastModifiedTime(made.getFirst(), java.nio.file.attribute.FileTime.fromMillis(9_000_000L));
        // a builder of a new key holds its lock (no template yet) while it sweeps
        String building = "%024x".formatted(77);
        try (var ch = java.nio.channels.FileChannel.open(root.resolve(building + ".lock"),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
             var _ = ch.lock()) {
            assertEquals(2, VmTemplate.removeLeastUsed(root, 2, building));
            assertTrue(Files.exists(root.resolve(building + ".lock")), "the builder's own lock stays");
        }
        assertTrue(Files.exists(made.get(0)), "the template used last stays");
        assertTrue(Files.exists(made.get(3)), "the second used last stays");
        assertFalse(Files.exists(made.get(1)));
        assertFalse(Files.exists(made.get(2)));
        assertFalse(Files.exists(root.resolve("%024x.lock".formatted(99))), "an idle lock without a template goes");
        assertFalse(Files.exists(root.resolve(made.get(1).getFileName() + ".lock")));
        assertTrue(Files.exists(root.resolve(made.get(0).getFileName() + ".lock")), "a template's own lock stays");
    }
}
