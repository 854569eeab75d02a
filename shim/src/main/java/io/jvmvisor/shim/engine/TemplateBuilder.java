package io.jvmvisor.shim.engine;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Builds a {@link VmTemplate}: boots a guest of the VM's shape with its RAM in a shared file and no
 * rootfs on its command line, waits for the agent's ready line on the console (no host ever connects
 * to a template's agent), stops it, migrates its device state to a file with {@code x-ignore-shared}
 * (RAM stays in its file) and quits. Built in {@code <root>/<key>.tmp-<pid>/} and renamed into place,
 * under an exclusive lock on {@code <root>/<key>.lock}: of two shims that miss at once, one builds.
 *
 * <p>Started by a shim whose VM booted cold for want of a template, as a detached process
 * ({@link #spawn}) that outlives the container: {@code java ... TemplateBuilder --root R --vcpus N ...}.
 */
public final class TemplateBuilder {
    private static final String READY = "jvmvisor-agent: ready channel=";

    /** Templates kept on a host at most (one per shape, ~40 MiB of tmpfs each): the ones used last stay. */
    static final int MAX_TEMPLATES = 8;

    private TemplateBuilder() {
    }

    /** Builds the template of {@code vm}'s shape under {@code root} unless it exists; returns it (null: not served, or busy). */
    public static VmTemplate build(VmConfig vm, Path root, long timeoutMillis) throws IOException, InterruptedException {
        String shape = VmTemplate.shape(vm);
        if (shape == null) {
            return null;
        }
        makeRoot(root);
        String key = VmTemplate.key(shape);
        try (FileChannel lockFile = FileChannel.open(root.resolve(key + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = lockFile.tryLock()) {
            if (lock == null) {
                return null; // another process builds it
            }
            VmTemplate existing = VmTemplate.find(root, vm);
            if (existing != null) {
                return existing;
            }
            VmTemplate.removeStale(root);
            VmTemplate.removeLeastUsed(root, MAX_TEMPLATES - 1, key); // room for this one
            Path tmp = root.resolve(key + ".tmp-" + ProcessHandle.current().pid());
            VmTemplate.deleteTree(tmp);
            Files.createDirectory(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            try {
                bootAndSave(vm, tmp, timeoutMillis);
                Files.writeString(tmp.resolve(VmTemplate.SHAPE), shape, StandardCharsets.UTF_8);
                for (String f : List.of(VmTemplate.RAM, VmTemplate.STATE, VmTemplate.SHAPE)) {
                    Files.setPosixFilePermissions(tmp.resolve(f), PosixFilePermissions.fromString("r--------"));
                }
                Path dir = root.resolve(key);
                VmTemplate.deleteTree(dir); // a half-removed or foreign one
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
                return VmTemplate.find(root, vm);
            } finally {
                VmTemplate.deleteTree(tmp);
            }
        }
    }

    /** The root, made 0700 if missing; refused if it is not a directory of this user with mode 0700. */
    static void makeRoot(Path root) throws IOException {
        if (!Files.exists(root)) {
            Files.createDirectories(root.getParent());
            try {
                Files.createDirectory(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // made meanwhile
            }
        }
        if (!VmTemplate.ownerOnlyDir(root)) {
            throw new IOException("the template directory " + root + " is not a directory of this user with mode 0700: not used");
        }
    }

    private static void bootAndSave(VmConfig vm, Path tmp, long timeoutMillis) throws IOException, InterruptedException {
        Path exports = tmp.resolve("exports");
        List<VmConfig.HostShare> shares = new ArrayList<>();
        for (String d : List.of(VmConfig.ROOTFS_TAG, VmConfig.LIVE_TAG)) {
            Files.createDirectories(exports.resolve(d));
        }
        for (VmConfig.HostShare s : vm.shares()) {
            Files.createDirectories(exports.resolve(s.tag()));
            shares.add(new VmConfig.HostShare(s.tag(), exports.resolve(s.tag()), false));
        }
        VmConfig t = new VmConfig(vm.vcpus(), vm.memoryMib(), vm.kernel(), vm.initrd(), exports.resolve(VmConfig.ROOTFS_TAG), false,
                shares, tmp, vm.accel(), 0, true, null, vm.nics());
        List<String> argv = new ArrayList<>();
        if (!vm.nics().isEmpty()) {
            // the NICs' taps, made as the shim makes a container's, in a network namespace of the builder's own
            StringBuilder script = new StringBuilder("set -e; PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH; ip link set lo up; ");
            for (VmConfig.Nic n : vm.nics()) {
                script.append("ip tuntap add dev ").append(n.tap()).append(" mode tap user 0; ip link set ").append(n.tap()).append(" up; ");
            }
            argv.addAll(List.of("unshare", "--net", "--", "sh", "-c", script + "exec \"$@\"", "sh"));
        }
        argv.addAll(QemuCommandLine.of(t, exports, QemuCommandLine.Start.TEMPLATE, tmp.resolve(VmTemplate.RAM)));
        Process qemu = new ProcessBuilder(argv).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        try {
            CompletableFuture<String> ready = new CompletableFuture<>();
            StringBuilder console = new StringBuilder();
            Thread.ofPlatform().daemon().name("template-console").start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(qemu.getInputStream(), StandardCharsets.ISO_8859_1))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        synchronized (console) {
                            if (console.length() < 16384) {
                                console.append(line).append('\n');
                            }
                        }
                        if (line.contains(READY)) {
                            ready.complete(line);
                        }
                    }
                } catch (IOException e) {
                    // QEMU gone
                }
                ready.complete(null);
            });
            String line;
            try {
                line = ready.get(timeoutMillis, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                line = null;
            }
            if (line == null) {
                synchronized (console) {
                    throw new IOException("the template's guest did not become ready; console:\n" + console);
                }
            }
            long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
            try (QmpClient.Session s = QmpClient.Session.open(t.qmpSocket(), deadline)) {
                s.call("stop", null);
                s.call("migrate-set-capabilities", "{\"capabilities\":[{\"capability\":\"x-ignore-shared\",\"state\":true}]}");
                s.call("migrate", "{\"uri\":" + TemplateRestore.quote("file:" + tmp.resolve(VmTemplate.STATE)) + "}");
                while (true) {
                    String status = s.call("query-migrate", null).path("status").asText();
                    if (status.equals("completed")) {
                        break;
                    }
                    if (status.equals("failed") || status.equals("cancelled") || System.nanoTime() > deadline) {
                        throw new IOException("saving the template's state: migration " + status);
                    }
                    Thread.sleep(5);
                }
                s.call("quit", null);
            }
            if (!qemu.waitFor(5, TimeUnit.SECONDS)) {
                qemu.destroyForcibly();
            }
        } finally {
            if (qemu.isAlive()) {
                qemu.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            VmTemplate.deleteTree(exports);
            Files.deleteIfExists(t.agentSocket());
            Files.deleteIfExists(t.qmpSocket());
        }
    }

    /** Whether a builder holds the lock of {@code vm}'s shape now (then no other is started). */
    public static boolean busy(VmConfig vm, Path root) throws IOException {
        String shape = VmTemplate.shape(vm);
        if (shape == null) {
            return false;
        }
        Path lockPath = root.resolve(VmTemplate.key(shape) + ".lock");
        if (!Files.exists(lockPath)) {
            return false;
        }
        try (FileChannel ch = FileChannel.open(lockPath, StandardOpenOption.WRITE); FileLock l = ch.tryLock()) {
            return l == null;
        } catch (java.nio.channels.OverlappingFileLockException e) {
            return true;
        }
    }

    /**
     * Starts a detached builder (its own session, out of the caller's cgroup, its log in
     * {@code <root>/build.log}) for {@code vm}'s shape; it returns at once.
     */
    public static void spawn(VmConfig vm, Path root) throws IOException {
        makeRoot(root);
        List<String> cmd = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            cmd.add("/usr/bin/setsid");
        }
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(List.of("-XX:+UseSerialGC", "-Xmx64m", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-cp", System.getProperty("java.class.path"), TemplateBuilder.class.getName(),
                "--root", root.toString(), "--vcpus", Integer.toString(vm.vcpus()), "--memory", Integer.toString(vm.memoryMib()),
                "--kernel", vm.kernel().toString(), "--initrd", vm.initrd().toString(), "--accel", vm.accel().name()));
        for (VmConfig.HostShare s : vm.shares()) {
            cmd.addAll(List.of("--share", s.tag()));
        }
        for (VmConfig.Nic n : vm.nics()) {
            cmd.addAll(List.of("--nic", n.id() + "," + n.tap() + "," + n.mac()));
        }
        Path log = root.resolve("build.log");
        new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).redirectErrorStream(true).start();
    }

    public static void main(String[] argv) throws Exception {
        Path root = null;
        int vcpus = 1;
        int mem = 256;
        Path kernel = null;
        Path initrd = null;
        VmConfig.Accel accel = VmConfig.Accel.TCG;
        List<VmConfig.HostShare> shares = new ArrayList<>();
        List<VmConfig.Nic> nics = new ArrayList<>();
        for (int i = 0; i + 1 < argv.length; i += 2) {
            String v = argv[i + 1];
            switch (argv[i]) {
                case "--root" -> root = Path.of(v);
                case "--vcpus" -> vcpus = Integer.parseInt(v);
                case "--memory" -> mem = Integer.parseInt(v);
                case "--kernel" -> kernel = Path.of(v);
                case "--initrd" -> initrd = Path.of(v);
                case "--accel" -> accel = VmConfig.Accel.valueOf(v);
                case "--share" -> shares.add(new VmConfig.HostShare(v, Path.of("/"), false));
                case "--nic" -> {
                    String[] f = v.split(",", 3);
                    nics.add(new VmConfig.Nic(f[0], f[1], f[2]));
                }
                default -> throw new IllegalArgumentException("unknown option " + argv[i]);
            }
        }
        if (root == null || kernel == null || initrd == null) {
            System.err.println("usage: TemplateBuilder --root DIR --kernel F --initrd F [--vcpus N] [--memory MiB] [--accel TCG|KVM] [--share TAG]...");
            System.exit(2);
        }
        leaveCgroups();
        VmConfig vm = new VmConfig(vcpus, mem, kernel, initrd, Path.of("/"), false, shares, root, accel, 0, true, null, nics);
        long t0 = System.nanoTime();
        try {
            VmTemplate t = build(vm, root, 60_000);
            System.out.println(java.time.Instant.now() + " pid " + ProcessHandle.current().pid() + ": "
                    + (t == null ? "not built (another builder holds the lock)" : "template " + t.dir() + " ready")
                    + " after " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        } catch (IOException e) {
            System.out.println(java.time.Instant.now() + " pid " + ProcessHandle.current().pid() + ": template not built: " + e.getMessage());
            System.exit(1);
        }
        System.exit(0);
    }

    /** Moves this process to the root cgroups: the container's host cgroup goes with the container. */
    private static void leaveCgroups() {
        String pid = Long.toString(ProcessHandle.current().pid());
        Path cg = Path.of("/sys/fs/cgroup");
        List<Path> procs = new ArrayList<>();
        if (Files.exists(cg.resolve("cgroup.procs"))) {
            procs.add(cg.resolve("cgroup.procs"));
        } else {
            try (var s = Files.list(cg)) {
                s.map(d -> d.resolve("cgroup.procs")).filter(Files::exists).forEach(procs::add);
            } catch (IOException e) {
                return;
            }
        }
        for (Path p : procs) {
            try {
                Files.writeString(p, pid);
            } catch (IOException e) {
                // not movable there
            }
        }
    }
}
