package io.jvmvisor.shim.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmvisor.oci.Mount;
import io.jvmvisor.oci.Root;
import io.jvmvisor.oci.Spec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedDnsTest {

    @Test
    void nameserverLinesAreMatchedWhole() {
        assertTrue(EmbeddedDns.names("search x\nnameserver 127.0.0.11\noptions ndots:0\n"));
        assertTrue(EmbeddedDns.names("  nameserver\t127.0.0.11  # docker\n"));
        assertFalse(EmbeddedDns.names("nameserver 127.0.0.110\n"));
        assertFalse(EmbeddedDns.names("# nameserver 127.0.0.11\nnameserver 10.0.0.1\n"));
        assertFalse(EmbeddedDns.names(null));
    }

    @Test
    void dockersBindMountWinsOverTheRootfsFile(@TempDir Path bundle) throws Exception {
        Files.createDirectories(bundle.resolve("rootfs/etc"));
        Files.writeString(bundle.resolve("rootfs/etc/resolv.conf"), "nameserver 10.0.0.1\n");
        Path docker = Files.writeString(bundle.resolve("resolv.conf"), "nameserver 127.0.0.11\noptions ndots:0\n");
        Spec plain = spec(List.of());
        assertFalse(EmbeddedDns.named(plain, bundle));
        Spec mounted = spec(List.of(new Mount("/etc/resolv.conf", "bind", docker.toString(), List.of("rbind", "rprivate"))));
        assertTrue(EmbeddedDns.named(mounted, bundle));
        assertEquals(docker, EmbeddedDns.resolvConf(mounted, bundle));
    }

    @Test
    void theRootfsFileIsReadThroughItsSymlinkInsideTheRootfs(@TempDir Path bundle) throws Exception {
        Files.createDirectories(bundle.resolve("rootfs/etc"));
        Files.createDirectories(bundle.resolve("rootfs/run"));
        Files.writeString(bundle.resolve("rootfs/run/resolv.conf"), "nameserver 127.0.0.11\n");
        Files.createSymbolicLink(bundle.resolve("rootfs/etc/resolv.conf"), Path.of("/run/resolv.conf"));
        assertTrue(EmbeddedDns.named(spec(List.of()), bundle));
        assertFalse(EmbeddedDns.named(spec(List.of()), bundle.resolve("nope")), "no rootfs: no relay");
    }

    private static Spec spec(List<Mount> mounts) throws Exception {
        return new Spec("1.0.2", null, new Root("rootfs", null), null, mounts, null, null, null);
    }
}
