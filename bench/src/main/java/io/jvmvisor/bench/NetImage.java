package io.jvmvisor.bench;

import io.jvmvisor.testbundles.CommandResult;
import io.jvmvisor.testbundles.Commands;
import io.jvmvisor.testbundles.PrivateDocker;
import io.jvmvisor.testbundles.Rootfs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The networking section's image: the busybox test rootfs plus Debian's iperf3 and the shared
 * libraries {@code ldd} names for it (copied from the host, nothing downloaded), imported into
 * the private dockerd as {@value #NAME}.
 */
final class NetImage {
    static final String NAME = "jvmvisor-bench/net:latest";
    static final Path IPERF3 = Path.of("/usr/bin/iperf3");
    private static final Pattern LIB = Pattern.compile("(/\\S+\\.so[.0-9]*)");

    private NetImage() {
    }

    /** Why the image cannot be made here, or null. */
    static String unavailableReason() {
        return Files.isExecutable(IPERF3) ? null : IPERF3 + " is not installed (apt-get install iperf3; setup.sh has it)";
    }

    static void build(PrivateDocker docker, Path dir) throws IOException {
        Path rootfs = Rootfs.build(dir.resolve("rootfs"));
        List<Path> files = new ArrayList<>(List.of(IPERF3));
        CommandResult ldd = Commands.run(Duration.ofSeconds(30), List.of("ldd", IPERF3.toString()));
        if (ldd.exitCode() != 0) {
            throw new IOException("ldd " + IPERF3 + " failed: " + ldd);
        }
        Matcher m = LIB.matcher(ldd.stdout());
        while (m.find()) {
            files.add(Path.of(m.group(1)));
        }
        for (Path f : files) {
            Path real = f.toRealPath();
            Path to = rootfs.resolve(f.toString().substring(1));
            Files.createDirectories(to.getParent());
            Files.copy(real, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
        }
        Path tar = dir.resolve("net.tar");
        CommandResult t = Commands.run(Duration.ofSeconds(60), List.of("tar", "-C", rootfs.toString(), "-cf", tar.toString(), "."));
        if (t.exitCode() != 0) {
            throw new IOException("tar failed: " + t);
        }
        CommandResult r = docker.docker("import", tar.toString(), NAME);
        if (r.exitCode() != 0) {
            throw new IOException("docker import failed: " + r);
        }
        Files.delete(tar);
    }
}
