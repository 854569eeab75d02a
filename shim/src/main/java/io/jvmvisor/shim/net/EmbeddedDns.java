package io.jvmvisor.shim.net;

import io.jvmvisor.oci.Mount;
import io.jvmvisor.oci.Spec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Whether a container uses docker's embedded DNS: its resolv.conf, as the container will see it,
 * names 127.0.0.11 (docker writes that on user-defined networks). That is the bind mount on
 * {@code /etc/resolv.conf} when config.json has one (docker's), else the rootfs's own file.
 */
public final class EmbeddedDns {
    /** The address docker's resolver answers on inside the container's network namespace. */
    public static final String ADDRESS = "127.0.0.11";
    private static final Pattern NAMESERVER = Pattern.compile("(?m)^[ \\t]*nameserver[ \\t]+127\\.0\\.0\\.11[ \\t]*(#.*)?$");
    private static final long MAX_SIZE = 1 << 20;

    private EmbeddedDns() {
    }

    /** True when the container's resolv.conf names 127.0.0.11. */
    public static boolean named(Spec spec, Path bundle) {
        Path file = resolvConf(spec, bundle);
        return file != null && names(read(file));
    }

    /** The host file the container will see as /etc/resolv.conf, or null. */
    static Path resolvConf(Spec spec, Path bundle) {
        Path found = null;
        for (Mount m : spec.mountList()) { // the last mount on a destination wins, as in the container
            if (m.destination() != null && Path.of(m.destination()).normalize().equals(Path.of("/etc/resolv.conf"))
                    && m.source() != null && ("bind".equals(m.type()) || m.options() != null && m.options().contains("bind")
                    || m.options() != null && m.options().contains("rbind"))) {
                found = Path.of(m.source());
            }
        }
        if (found != null) {
            return found;
        }
        if (spec.root() == null || spec.root().path() == null) {
            return null;
        }
        try { // the rootfs's own file, symlinks followed inside the rootfs
            return io.jvmvisor.oci.RootfsPath.resolve(bundle.resolve(spec.root().path()).toAbsolutePath().normalize(),
                    "/etc/resolv.conf");
        } catch (IOException e) {
            return null;
        }
    }

    static boolean names(String resolvConf) {
        return resolvConf != null && NAMESERVER.matcher(resolvConf).find();
    }

    private static String read(Path file) {
        try {
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || Files.size(file) > MAX_SIZE) {
                return null;
            }
            return Files.readString(file, java.nio.charset.StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return null;
        }
    }
}
