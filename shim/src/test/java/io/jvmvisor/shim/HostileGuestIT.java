package io.jvmvisor.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jvmvisor.oci.Spec;
import io.jvmvisor.oci.SpecLoader;
import io.jvmvisor.shim.engine.QemuEngine;
import io.jvmvisor.shim.engine.Vm;
import io.jvmvisor.shim.engine.VmConfig;
import io.jvmvisor.testbundles.Rootfs;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A compromised guest: an initramfs of this test's own (busybox, a script as /init) in place of
 * the agent, booted by the real engine (jail + QEMU) with the VM configuration jvmvisor builds for
 * a bundle with a single-file read-only bind. It mounts every 9p tag it is offered read-write and
 * tries to find the bound file's siblings, to write the bound file
 * (also after remounting it read-write), to make set-user-ID files and device nodes. The host must
 * show none of it.
 */
class HostileGuestIT {

    private static final String HOSTILE_INIT = """
            #!/bin/busybox sh
            export PATH=/bin
            /bin/busybox --install -s /bin
            mkdir -p /proc /sys /dev /mnt
            mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs dev /dev
            say() { echo "HOSTILE $*" > /dev/ttyS0; }
            for d in /sys/bus/virtio/drivers/9pnet_virtio/virtio*; do
              tag=$(cat $d/mount_tag); mkdir -p /mnt/$tag
              mount -t 9p -o trans=virtio,version=9p2000.L,rw,cache=none $tag /mnt/$tag && say "mounted $tag"
            done
            for m in /mnt/binds /mnt/live; do find $m | while read f; do say "entry $f"; done; done
            for m in /mnt/*; do mount -o remount,rw $m && say "remounted $m rw"; done
            for f in /mnt/binds/*; do
              echo pwned >> $f && say "WROTE $f"
              say "bound $f: $(cat $f)"
            done
            for m in /mnt/*; do
              cp /bin/busybox $m/suid-copy 2>/dev/null && chmod 4755 $m/suid-copy && say "SETUID $m/suid-copy"
              touch $m/sgid 2>/dev/null && chmod 2755 $m/sgid && say "SETGID $m/sgid"
              install -m 4755 /bin/busybox $m/suid-install 2>/dev/null && say "SETUID-INSTALL $m"
              mknod $m/blockdev b 8 0 2>/dev/null && say "MKNOD $m/blockdev"
              mknod $m/chardev c 1 1 2>/dev/null && say "MKNOD $m/chardev"
              mkfifo $m/fifo 2>/dev/null && say "FIFO $m/fifo"
            done
            say "caps $(grep CapEff /proc/self/status)"
            say done
            reboot -f
            """;

    @Test
    void compromisedGuestReachesOnlyWhatTheBundleShares(@TempDir Path dir) throws Exception {
        var why = ShimFixture.unavailable();
        assumeTrue(why.isEmpty(), () -> "skipped: " + why.get());
        Path home = Path.of(System.getProperty("jvmvisor.home", "..")).toAbsolutePath().normalize();
        System.setProperty("jvmvisor.home", home.toString());
        assumeTrue(Files.isExecutable(QemuEngine.jail()), "skipped: no " + QemuEngine.jail() + " (build the shim module)");

        // the bound file's directory holds a root-only secret; the bundle's directory another one
        String secret = "secret-" + UUID.randomUUID();
        Path hostDir = Files.createDirectories(dir.resolve("etc"));
        Path bound = Files.writeString(hostDir.resolve("bound.conf"), "original\n");
        Path sibling = Files.writeString(hostDir.resolve("SECRET_NAME"), secret + "\n");
        Files.setPosixFilePermissions(sibling, PosixFilePermissions.fromString("rw-------"));
        Path bundle = Files.createDirectories(dir.resolve("bundle"));
        Files.writeString(bundle.resolve("SECRET_NAME"), secret + "\n");
        Files.writeString(dir.resolve("SECRET_NAME"), secret + "\n");
        Path rootfs = Rootfs.build(bundle.resolve("rootfs"));
        Files.writeString(bundle.resolve("config.json"), """
                {"ociVersion": "1.0.2", "process": {"args": ["sh"], "cwd": "/"}, "root": {"path": "rootfs"},
                 "mounts": [{"destination": "/etc/app.conf", "type": "bind", "source": "%s", "options": ["rbind", "ro"]}],
                 "linux": {"namespaces": [{"type": "mount"}]}}
                """.formatted(bound));
        Path initrd = hostileInitramfs(dir.resolve("initrd"));

        Spec spec = SpecLoader.parse(bundle);
        SpecTranslator.Translated t = SpecTranslator.translate(spec, bundle);
        Path state = Files.createDirectories(dir.resolve("state"));
        VmConfig config = new VmConfig(1, 256, home.resolve("kernels/target/vmlinux"), initrd, rootfs, false,
                t.shares(), state, VmConfig.Accel.TCG, 0, false);
        Vm vm = new QemuEngine().start(config, state);
        try {
            vm.onExit().get(180, TimeUnit.SECONDS);
        } finally {
            vm.stop(Duration.ZERO);
        }
        String console = Files.readString(state.resolve("console.log"));
        List<String> said = console.lines().filter(l -> l.contains("HOSTILE")).toList();
        said.forEach(System.out::println);
        assertTrue(said.stream().anyMatch(l -> l.contains("HOSTILE done")), "the hostile init did not finish:\n" + console);
        assertTrue(said.stream().anyMatch(l -> l.contains("mounted binds")), String.join("\n", said));
        assertTrue(said.stream().anyMatch(l -> l.contains("mounted rootfs")), String.join("\n", said));

        // reading: no secret, no sibling name; the bound file is all the binds share holds
        assertFalse(console.contains(secret), "the guest read a secret:\n" + String.join("\n", said));
        List<String> bindEntries = said.stream().filter(l -> l.contains("entry /mnt/binds")).toList();
        assertEquals(2, bindEntries.size(), "the binds share holds more than the bound file:\n" + String.join("\n", bindEntries));
        // writing: the read-only bind stays as it was, even after a read-write remount in the guest
        assertEquals("original\n", Files.readString(bound));
        assertFalse(said.stream().anyMatch(l -> l.contains("WROTE")), String.join("\n", said));
        // no set-user/group-ID file, no device node on the host; FIFOs are fine
        assertFalse(said.stream().anyMatch(l -> l.matches(".*(SETUID|SETGID|MKNOD).*")), String.join("\n", said));
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.toList()) {
                int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
                assertEquals(0, mode & 06000, p + " is set-user/group-ID on the host");
                int type = mode & 0170000;
                assertTrue(type != 0020000 && type != 0060000, p + " is a device node on the host");
            }
        }
        assertTrue(said.stream().anyMatch(l -> l.contains("FIFO /mnt/rootfs/fifo")), String.join("\n", said));
        // and nothing of the exports tree is left mounted on the host
        assertFalse(Files.readString(Path.of("/proc/self/mountinfo")).contains(state.toString()));
    }

    /** busybox + the script above as /init, packed as an uncompressed newc cpio. */
    private static Path hostileInitramfs(Path stage) throws Exception {
        Files.createDirectories(stage.resolve("bin"));
        Files.copy(Rootfs.BUSYBOX, stage.resolve("bin/busybox"));
        Path init = Files.writeString(stage.resolve("init"), HOSTILE_INIT);
        Files.setPosixFilePermissions(init, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path out = stage.resolveSibling("hostile.cpio");
        Process p = new ProcessBuilder("sh", "-c", "find . | cpio --quiet -o -H newc -R 0:0 > " + out)
                .directory(stage.toFile()).inheritIO().start();
        assertEquals(0, p.waitFor(), "cpio failed");
        return out;
    }
}
