package io.jvmvisor.shim.engine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * A VM template: the RAM and device state of a guest booted to its agent's ready line with nothing
 * of the host mounted, from which a VM of the same shape is restored instead of booted
 * ({@link TemplateRestore}); docs/templates.md.
 *
 * <p>On disk, {@code <root>/<key>/} holds {@code ram} (the guest RAM, mapped copy-on-write and
 * read-only by every restored QEMU), {@code state} (QEMU's device state, migrated with
 * {@code x-ignore-shared}) and {@code shape} (what the guest state depends on: QEMU's binary,
 * kernel and initrd by path, size, mtime and inode, vCPUs, memory, accelerator, the 9p devices, the
 * kernel command line, this format's version). The key is a hash of the shape; a template is used
 * only when its shape file equals the shape of the VM to start, so a rebuilt kernel, initrd or an
 * upgraded QEMU makes a new key and the old template is never used again. The root is
 * {@code /run/jvmvisor/templates} (tmpfs: gone at reboot), owned by root with mode 0700, as each
 * template directory: a template found otherwise is not used.
 *
 * <p>Shapes served: up to {@link #MAX_NICS} NICs (none: docker {@code --network=none}, the CLI's
 * default; one: docker's bridge), no vsock, a quiet console, any vCPUs/memory and any list of 9p
 * shares; anything else boots cold.
 */
public record VmTemplate(Path dir, String shape) {
    /** Bumped whenever what a template holds or how it is restored changes. */
    static final String FORMAT = "jvmvisor-template-1";
    public static final String RAM = "ram";
    public static final String STATE = "state";
    public static final String SHAPE = "shape";
    /** Environment variable naming the templates' root, or {@code off}. */
    public static final String ENV = "JVMVISOR_TEMPLATES";
    public static final Path DEFAULT_ROOT = Path.of("/run/jvmvisor/templates");
    /** VMs with more NICs boot cold. */
    static final int MAX_NICS = 4;
    private static final Set<PosixFilePermission> OWNER_ONLY = Set.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);

    public Path ram() {
        return dir.resolve(RAM);
    }

    public Path state() {
        return dir.resolve(STATE);
    }

    /** The templates' root ({@code $JVMVISOR_TEMPLATES}, property {@code jvmvisor.templates}); null when off. */
    public static Path root() {
        String v = System.getenv(ENV);
        if (v == null || v.isEmpty()) {
            v = System.getProperty("jvmvisor.templates");
        }
        if (v == null || v.isEmpty()) {
            return DEFAULT_ROOT;
        }
        return v.equals("off") ? null : Path.of(v).toAbsolutePath();
    }

    /** What a template for {@code vm} must match, or null when no template serves such a VM. */
    public static String shape(VmConfig vm) throws IOException {
        if (vm.nics().size() > MAX_NICS || vm.vsockCid() > 0 || !vm.quiet()) {
            return null;
        }
        Path qemu = qemuBinary();
        if (qemu == null) {
            return null;
        }
        StringBuilder b = new StringBuilder(FORMAT).append('\n');
        b.append("qemu=").append(stat(qemu)).append('\n');
        b.append("kernel=").append(stat(vm.kernel())).append('\n');
        b.append("initrd=").append(stat(vm.initrd())).append('\n');
        b.append("vcpus=").append(vm.vcpus()).append('\n');
        b.append("memory=").append(vm.memoryMib()).append('\n');
        b.append("accel=").append(vm.accel()).append('\n');
        b.append("shares=").append(String.join(",", vm.shares().stream().map(VmConfig.HostShare::tag).toList())).append('\n');
        // a NIC's MAC is device state: the guest keeps the template's (every VM boots NIC i with the
        // same MAC, NetCommands.bootMac, and ConfigureNetwork gives it the container's)
        b.append("nics=").append(String.join(",", vm.nics().stream().map(VmConfig.Nic::mac).toList())).append('\n');
        b.append("cmdline=").append(QemuCommandLine.templateCommandLine(vm)).append('\n');
        return b.toString();
    }

    /** The directory name of a shape: a hash of it. */
    public static String key(String shape) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(shape.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The template for {@code vm} under {@code root}, or null (none, another shape, unsafe modes). */
    public static VmTemplate find(Path root, VmConfig vm) throws IOException {
        String shape = shape(vm);
        if (root == null || shape == null) {
            return null;
        }
        Path dir = root.resolve(key(shape));
        if (!ownerOnlyDir(root) || !ownerOnlyDir(dir)) {
            return null;
        }
        Path shapeFile = dir.resolve(SHAPE);
        Path ram = dir.resolve(RAM);
        if (!Files.isRegularFile(shapeFile, LinkOption.NOFOLLOW_LINKS) || !Files.isRegularFile(ram, LinkOption.NOFOLLOW_LINKS)
                || !Files.isRegularFile(dir.resolve(STATE), LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        if (!Files.readString(shapeFile, StandardCharsets.UTF_8).equals(shape) || Files.size(ram) != ((long) vm.memoryMib() << 20)) {
            return null;
        }
        try {
            // the directory's mtime is its last use: removeLeastUsed keeps the templates in use
            Files.setLastModifiedTime(dir, java.nio.file.attribute.FileTime.from(java.time.Instant.now()));
        } catch (IOException e) {
            // an unrecorded use only makes it an earlier candidate for removal
        }
        return new VmTemplate(dir, shape);
    }

    /** A directory (not a link) of this process's user with no access for anyone else. */
    static boolean ownerOnlyDir(Path dir) {
        try {
            PosixFileAttributes a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            Object uid = Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            return a.isDirectory() && OWNER_ONLY.containsAll(a.permissions())
                    && ((Integer) uid).longValue() == currentUid();
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    static long currentUid() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
        } catch (IOException e) {
            return -1;
        }
    }

    /** Removes a template that failed to restore (the next miss builds it again). */
    public void discard() {
        Path gone = dir.resolveSibling(dir.getFileName() + ".bad-" + ProcessHandle.current().pid());
        try {
            Files.move(dir, gone, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            deleteTree(gone);
        } catch (IOException e) {
            // another shim discarded it first
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            try (var s = Files.list(p)) {
                for (Path c : s.toList()) {
                    deleteTree(c);
                }
            }
        }
        Files.deleteIfExists(p);
    }

    /**
     * Removes the templates under {@code root} whose QEMU, kernel or initrd has changed or is gone
     * since they were built (a rebuilt kernel makes a new key; the old template would only hold
     * memory, ~40 MiB of tmpfs each). Returns how many went.
     */
    public static int removeStale(Path root) {
        int n = 0;
        try (var dirs = Files.list(root)) {
            for (Path d : dirs.toList()) {
                Path shapeFile = d.resolve(SHAPE);
                if (!d.getFileName().toString().matches("[0-9a-f]{24}") || !Files.isRegularFile(shapeFile)) {
                    continue;
                }
                if (stale(Files.readString(shapeFile, StandardCharsets.UTF_8))) {
                    new VmTemplate(d, null).discard();
                    n++;
                }
            }
        } catch (IOException e) {
            // nothing to sweep
        }
        return n;
    }

    /**
     * Keeps the {@code keep} templates used last under {@code root} and removes the others (each holds
     * ~40 MiB of tmpfs per shape: a host that runs many shapes would otherwise keep them all), and
     * the lock files of keys that have no template and no builder (but {@code ownKey}'s, which the
     * calling builder holds). Returns how many templates went.
     */
    public static int removeLeastUsed(Path root, int keep, String ownKey) {
        List<Path> templates = new ArrayList<>();
        try (var dirs = Files.list(root)) {
            for (Path d : dirs.toList()) {
                if (d.getFileName().toString().matches("[0-9a-f]{24}") && Files.isRegularFile(d.resolve(SHAPE))) {
                    templates.add(d);
                }
            }
        } catch (IOException e) {
            return 0;
        }
        templates.sort(java.util.Comparator.comparing(VmTemplate::lastUse).reversed());
        int n = 0;
        for (Path d : templates.subList(Math.min(keep, templates.size()), templates.size())) {
            new VmTemplate(d, null).discard();
            n++;
        }
        removeIdleLocks(root, ownKey);
        return n;
    }

    private static java.nio.file.attribute.FileTime lastUse(Path dir) {
        try {
            return Files.getLastModifiedTime(dir, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return java.nio.file.attribute.FileTime.fromMillis(0);
        }
    }

    /** {@code <key>.lock} files without a template, taken by nobody (a builder holds its own while it builds). */
    private static void removeIdleLocks(Path root, String ownKey) {
        try (var files = Files.list(root)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (!name.matches("[0-9a-f]{24}\\.lock") || name.startsWith(ownKey + ".")
                        || Files.exists(root.resolve(name.substring(0, 24)))) {
                    continue;
                }
                try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.WRITE);
                     var lock = ch.tryLock()) {
                    if (lock != null) {
                        Files.deleteIfExists(f);
                    }
                } catch (IOException | java.nio.channels.OverlappingFileLockException e) {
                    // gone, or held (by this JVM too): the next sweep
                }
            }
        } catch (IOException e) {
            // nothing to sweep
        }
    }

    static boolean stale(String shape) {
        if (!shape.startsWith(FORMAT + "\n")) {
            return true;
        }
        for (String line : shape.split("\n")) {
            for (String k : new String[] {"qemu=", "kernel=", "initrd="}) {
                if (line.startsWith(k)) {
                    String path = line.substring(k.length(), line.indexOf(' ', k.length()) < 0 ? line.length() : line.indexOf(' ', k.length()));
                    try {
                        if (!stat(Path.of(path)).equals(line.substring(k.length()))) {
                            return true;
                        }
                    } catch (IOException e) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** "path size mtime inode" of a file: a rebuilt or replaced file gives another line. */
    static String stat(Path file) throws IOException {
        Path real = file.toRealPath();
        return real + " " + Files.size(real) + " " + Files.getLastModifiedTime(real).toMillis() + " "
                + Files.getAttribute(real, "unix:ino");
    }

    /** The {@code qemu-system-x86_64} QEMU is run as (first on PATH), or null. */
    static Path qemuBinary() {
        String path = System.getenv("PATH");
        for (String d : (path == null ? "/usr/bin" : path).split(":")) {
            if (d.isEmpty()) {
                continue;
            }
            Path p = Path.of(d, QemuCommandLine.QEMU);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }
}
