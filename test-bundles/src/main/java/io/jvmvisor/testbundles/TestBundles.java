package io.jvmvisor.testbundles;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * OCI bundles for tests and the demo: a config.json like {@code runc spec}'s
 * and a busybox-static rootfs ({@link Rootfs}). Each named bundle differs in
 * its process and a few settings:
 * <ul>
 * <li>{@code hello}: echo a line</li>
 * <li>{@code exit-code}: {@code sh -c 'exit $CODE'} with CODE=42</li>
 * <li>{@code sleep}: {@code sh -c "trap 'exit 143' TERM; sleep 3600 & wait"}: survives {@code state} polling, exits 143 on TERM</li>
 * <li>{@code tty}: a shell with {@code terminal: true}</li>
 * <li>{@code env-cwd-user}: env, cwd /home/user, uid/gid 1000, additional gid 10</li>
 * <li>{@code mounts}: a bind mount of {@code <bundle>/shared} at /mnt/shared and a tmpfs at /mnt/tmp</li>
 * <li>{@code readonly-root}: root.readonly true, a write to / fails</li>
 * <li>{@code hooks}: prestart/poststart/poststop hooks that record the state JSON in the bundle</li>
 * </ul>
 * Usage from the command line: {@code TestBundles OUTDIR [NAME...]}.
 */
public final class TestBundles {
    public static final List<String> NAMES =
            List.of("hello", "exit-code", "sleep", "tty", "env-cwd-user", "mounts", "readonly-root", "hooks");

    /** The line the hello bundle prints. */
    public static final String HELLO_OUTPUT = "Hello from a jvmvisor micro-VM";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private TestBundles() {
    }

    /** Creates bundle {@code name} as {@code parentDir/name} and returns its path. */
    public static Path create(String name, Path parentDir) {
        return create(name, parentDir, c -> { });
    }

    /** Creates bundle {@code name}, letting {@code edit} change its config before it is written. */
    public static Path create(String name, Path parentDir, Consumer<ObjectNode> edit) {
        Path bundle = parentDir.resolve(name);
        try {
            Files.createDirectories(bundle);
            Rootfs.build(bundle.resolve("rootfs"));
            ObjectNode config = baseConfig();
            customize(name, bundle, config);
            edit.accept(config);
            write(bundle, config);
            return bundle;
        } catch (IOException e) {
            throw new UncheckedIOException("creating bundle " + bundle + ": " + e.getMessage(), e);
        }
    }

    /** Builds only a rootfs in {@code dir}. */
    public static Path rootfs(Path dir) {
        return Rootfs.build(dir);
    }

    /** Reads a bundle's config.json for editing. */
    public static ObjectNode readConfig(Path bundle) {
        try {
            return (ObjectNode) JSON.readTree(bundle.resolve("config.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes a bundle's config.json. */
    public static void write(Path bundle, ObjectNode config) {
        try {
            JSON.writeValue(bundle.resolve("config.json").toFile(), config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Replaces the process args of a config. */
    public static void args(ObjectNode config, String... args) {
        ArrayNode a = ((ObjectNode) config.get("process")).putArray("args");
        for (String s : args) {
            a.add(s);
        }
    }

    private static void customize(String name, Path bundle, ObjectNode c) throws IOException {
        ObjectNode process = (ObjectNode) c.get("process");
        switch (name) {
            case "hello" -> args(c, "echo", HELLO_OUTPUT);
            case "exit-code" -> {
                args(c, "sh", "-c", "exit ${CODE:-0}");
                ((ArrayNode) process.get("env")).add("CODE=42");
            }
            case "sleep" -> args(c, "sh", "-c", "trap 'exit 143' TERM; sleep 3600 & wait");
            case "tty" -> {
                process.put("terminal", true);
                process.putObject("consoleSize").put("height", 24).put("width", 80);
                args(c, "sh");
            }
            case "env-cwd-user" -> {
                ((ArrayNode) process.get("env")).add("GREETING=hello world");
                process.put("cwd", "/home/user");
                ObjectNode user = process.putObject("user").put("uid", 1000).put("gid", 1000);
                user.putArray("additionalGids").add(10);
                args(c, "sh", "-c", "echo \"$GREETING\"; pwd; id -u; id -g; id -G");
            }
            case "mounts" -> {
                Path shared = bundle.resolve("shared");
                Files.createDirectories(shared);
                Files.writeString(shared.resolve("from-host.txt"), "written on the host\n");
                ArrayNode mounts = (ArrayNode) c.get("mounts");
                mounts.addObject().put("destination", "/mnt/shared").put("type", "bind")
                        .put("source", shared.toAbsolutePath().toString())
                        .putArray("options").add("rbind").add("rw");
                mounts.addObject().put("destination", "/mnt/tmp").put("type", "tmpfs").put("source", "tmpfs")
                        .putArray("options").add("nosuid").add("nodev").add("size=16m");
                args(c, "sh", "-c",
                        "cat /mnt/shared/from-host.txt; echo from-guest > /mnt/shared/from-guest.txt;"
                                + " grep -E ' /mnt/(shared|tmp) ' /proc/mounts | cut -d' ' -f2,3");
            }
            case "readonly-root" -> {
                ((ObjectNode) c.get("root")).put("readonly", true);
                args(c, "sh", "-c", "touch /written 2>&1 || echo read-only; touch /tmp/ok && echo tmp-writable");
            }
            case "hooks" -> {
                ObjectNode hooks = c.putObject("hooks");
                for (String h : List.of("prestart", "createRuntime", "poststart", "poststop")) {
                    hooks.putArray(h).addObject().put("path", "/bin/sh")
                            .set("args", JSON.createArrayNode().add("sh").add("-c")
                                    .add("cat > " + bundle.toAbsolutePath().resolve("hook-" + h + ".json")));
                }
                args(c, "echo", "hooked");
            }
            default -> throw new IllegalArgumentException("unknown test bundle: " + name + " (known: " + NAMES + ")");
        }
    }

    /** A config like {@code runc spec}'s, for a rootless-free, networkless container. */
    static ObjectNode baseConfig() {
        ObjectNode c = JSON.createObjectNode();
        c.put("ociVersion", "1.2.0");
        ObjectNode p = c.putObject("process");
        p.put("terminal", false);
        p.putObject("user").put("uid", 0).put("gid", 0);
        p.putArray("args").add("sh");
        p.putArray("env").add("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").add("TERM=xterm");
        p.put("cwd", "/");
        ObjectNode caps = p.putObject("capabilities");
        for (String set : List.of("bounding", "effective", "permitted")) {
            caps.putArray(set).add("CAP_AUDIT_WRITE").add("CAP_KILL").add("CAP_NET_BIND_SERVICE").add("CAP_CHOWN")
                    .add("CAP_DAC_OVERRIDE").add("CAP_FOWNER").add("CAP_SETUID").add("CAP_SETGID");
        }
        p.putArray("rlimits").addObject().put("type", "RLIMIT_NOFILE").put("hard", 1024).put("soft", 1024);
        p.put("noNewPrivileges", true);
        c.putObject("root").put("path", "rootfs").put("readonly", false);
        c.put("hostname", "jvmvisor-test");
        ArrayNode m = c.putArray("mounts");
        mount(m, "/proc", "proc", "proc");
        mount(m, "/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k");
        mount(m, "/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620");
        mount(m, "/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k");
        mount(m, "/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev");
        mount(m, "/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro");
        ObjectNode linux = c.putObject("linux");
        ArrayNode ns = linux.putArray("namespaces");
        for (String t : List.of("pid", "network", "ipc", "uts", "mount")) {
            ns.addObject().put("type", t);
        }
        linux.putArray("maskedPaths").add("/proc/kcore").add("/proc/keys").add("/proc/timer_list")
                .add("/sys/firmware").add("/proc/scsi");
        linux.putArray("readonlyPaths").add("/proc/bus").add("/proc/fs").add("/proc/irq").add("/proc/sys")
                .add("/proc/sysrq-trigger");
        return c;
    }

    private static void mount(ArrayNode mounts, String dest, String type, String source, String... options) {
        ObjectNode m = mounts.addObject().put("destination", dest).put("type", type).put("source", source);
        if (options.length > 0) {
            ArrayNode o = m.putArray("options");
            for (String s : options) {
                o.add(s);
            }
        }
    }

    /** {@code TestBundles OUTDIR [NAME...]}: writes the named bundles (all by default). */
    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: TestBundles OUTDIR [NAME...]   names: " + NAMES);
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        List<String> names = args.length > 1 ? List.of(args).subList(1, args.length) : NAMES;
        for (String n : names) {
            System.out.println(create(n, out));
        }
    }
}
