package io.jvmvisor.testbundles;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A network namespace of a test's own ({@code ip netns add NAME}, {@code lo} up), so that
 * network tests send no packet outside it; deleted on {@link #close()}. Commands enter it with
 * {@code nsenter --net=/run/netns/NAME} (not {@code ip netns exec}, which remounts /sys and hides
 * the cgroup mounts dockerd needs).
 */
public final class TestNetns implements AutoCloseable {
    private final String name;

    private TestNetns(String name) {
        this.name = name;
    }

    /** Why a test namespace cannot be made here, or null. */
    public static String unavailableReason() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "a network namespace needs root";
        }
        if (!Files.isExecutable(Path.of("/usr/bin/nsenter")) || !Files.isExecutable(Path.of("/usr/sbin/ip")) && !Files.isExecutable(Path.of("/sbin/ip"))) {
            return "nsenter (util-linux) and ip (iproute2) are needed";
        }
        return null;
    }

    /** Creates {@code prefix-PID} (unique per test JVM) with {@code lo} up. */
    public static TestNetns create(String prefix) {
        String name = prefix + "-" + ProcessHandle.current().pid();
        Commands.run(Duration.ofSeconds(10), List.of("ip", "netns", "del", name)); // a killed earlier run's
        CommandResult r = Commands.run(Duration.ofSeconds(10), List.of("ip", "netns", "add", name));
        if (r.exitCode() != 0) {
            throw new IllegalStateException("ip netns add " + name + ": " + r);
        }
        TestNetns ns = new TestNetns(name);
        CommandResult lo = ns.run(Duration.ofSeconds(10), "ip", "link", "set", "lo", "up");
        if (lo.exitCode() != 0) {
            ns.close();
            throw new IllegalStateException("lo up in " + name + ": " + lo);
        }
        return ns;
    }

    public String name() {
        return name;
    }

    public Path path() {
        return Path.of("/run/netns", name);
    }

    /** {@code nsenter --net=PATH --} + {@code command}: the argv of a command run inside. */
    public List<String> inside(List<String> command) {
        List<String> argv = new ArrayList<>(List.of("/usr/bin/nsenter", "--net=" + path(), "--"));
        argv.addAll(command);
        return argv;
    }

    /** Runs a command inside the namespace. */
    public CommandResult run(Duration timeout, String... command) {
        return Commands.run(timeout, inside(List.of(command)));
    }

    @Override
    public void close() {
        Commands.run(Duration.ofSeconds(30), List.of("ip", "netns", "del", name));
    }
}
