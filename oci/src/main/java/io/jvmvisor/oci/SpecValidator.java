package io.jvmvisor.oci;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Checks a parsed config.json against what the runtime-spec requires and
 * what jvmvisor supports, and against the bundle's rootfs (cwd present),
 * so that mistakes surface before a VM is booted. The executable is looked
 * up by the agent, in the container after its mounts.
 */
public final class SpecValidator {
    private static final String C = SpecLoader.CONFIG + ": ";
    private static final Set<String> NAMESPACES = Set.of("pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time");

    private SpecValidator() {
    }

    /** Validates {@code spec} of the bundle at {@code bundle}. */
    public static void validate(Spec spec, Path bundle) throws SpecException {
        checkVersion(spec.ociVersion());
        Path rootfs = rootfs(spec, bundle);
        checkProcess(spec.process(), rootfs);
        checkMounts(spec.mountList());
        checkHooks(spec.hookSet());
        checkLinux(spec.linux());
    }

    /** The host path of the rootfs, checked to be an existing directory. */
    public static Path rootfs(Spec spec, Path bundle) throws SpecException {
        if (spec.root() == null || spec.root().path() == null || spec.root().path().isEmpty()) {
            throw new SpecException(C + "root.path is missing (the rootfs directory, e.g. \"rootfs\")");
        }
        Path rootfs = bundle.resolve(spec.root().path()).normalize();
        if (!Files.isDirectory(rootfs)) {
            throw new SpecException(C + "root.path \"" + spec.root().path() + "\": no such directory " + rootfs);
        }
        return rootfs;
    }

    static void checkVersion(String version) throws SpecException {
        if (version == null || version.isEmpty()) {
            throw new SpecException(C + "ociVersion is missing (jvmvisor supports 1.x, e.g. \"1.2.0\")");
        }
        String major = version.split("\\.", 2)[0];
        if (!major.equals("1")) {
            throw new SpecException(C + "unsupported ociVersion \"" + version + "\": jvmvisor supports 1.x");
        }
    }

    static void checkProcess(Process p, Path rootfs) throws SpecException {
        if (p == null) {
            throw new SpecException(C + "process is missing (a container needs process.args)");
        }
        if (p.argList().isEmpty() || p.argList().getFirst() == null || p.argList().getFirst().isEmpty()) {
            throw new SpecException(C + "process.args must not be empty");
        }
        String cwd = p.cwd();
        if (cwd == null || cwd.isEmpty()) {
            throw new SpecException(C + "process.cwd is missing (an absolute path such as \"/\")");
        }
        if (!cwd.startsWith("/")) {
            throw new SpecException(C + "process.cwd \"" + cwd + "\" must be an absolute path");
        }
        for (String e : p.envList()) {
            if (e == null || e.indexOf('=') <= 0) {
                throw new SpecException(C + "process.env entry \"" + e + "\" must have the form NAME=value");
            }
        }
        if (p.rlimits() != null) {
            for (Process.Rlimit r : p.rlimits()) {
                if (r.type() == null || !r.type().startsWith("RLIMIT_")) {
                    throw new SpecException(C + "process.rlimits type \"" + r.type() + "\" is not an RLIMIT_ name");
                }
                if (Long.compareUnsigned(r.soft(), r.hard()) > 0) {
                    throw new SpecException(C + "process.rlimits " + r.type() + ": soft limit " + r.soft()
                            + " is above hard limit " + r.hard());
                }
            }
        }
        if (rootfs == null) {
            return;
        }
        // args[0] is not looked up here: the agent finds it as the container sees it, after the mounts
        // (docker run --init binds /sbin/docker-init into the container), as runc does
        try {
            Path dir = RootfsPath.resolve(rootfs, cwd);
            if (!Files.isDirectory(dir)) {
                throw new SpecException(C + "process.cwd \"" + cwd + "\" does not exist in the rootfs " + rootfs);
            }
        } catch (IOException e) {
            throw new SpecException(C + "checking the rootfs " + rootfs + ": " + e.getMessage());
        }
    }

    static void checkMounts(List<Mount> mounts) throws SpecException {
        for (int i = 0; i < mounts.size(); i++) {
            Mount m = mounts.get(i);
            if (m.destination() == null || !m.destination().startsWith("/")) {
                throw new SpecException(C + "mounts[" + i + "].destination \"" + m.destination()
                        + "\" must be an absolute path");
            }
        }
    }

    static void checkHooks(Hooks hooks) throws SpecException {
        for (Hooks.Named named : hooks.all()) {
            for (int i = 0; i < named.hooks().size(); i++) {
                Hooks.Hook h = named.hooks().get(i);
                String where = "hooks." + named.name() + "[" + i + "]";
                if (h.path() == null || !h.path().startsWith("/")) {
                    throw new SpecException(C + where + ".path \"" + h.path() + "\" must be an absolute path");
                }
                if (h.timeout() != null && h.timeout() <= 0) {
                    throw new SpecException(C + where + ".timeout must be positive, got " + h.timeout());
                }
            }
        }
    }

    static void checkLinux(Linux linux) throws SpecException {
        if (linux == null) {
            return;
        }
        List<Linux.Namespace> namespaces = linux.namespaceList();
        for (int i = 0; i < namespaces.size(); i++) {
            Linux.Namespace ns = namespaces.get(i);
            if (ns.type() == null || !NAMESPACES.contains(ns.type())) {
                throw new SpecException(C + "linux.namespaces: unknown type \"" + ns.type() + "\" (one of "
                        + String.join(", ", NAMESPACES.stream().sorted().toList()) + ")");
            }
            if (ns.path() != null && !ns.path().isEmpty()) {
                checkNamespacePath(i, ns);
            }
        }
    }

    /** A namespace path must name a namespace of its type (runc refuses /proc/self/ns/ipc as a cgroup namespace). */
    static void checkNamespacePath(int i, Linux.Namespace ns) throws SpecException {
        String where = C + "linux.namespaces[" + i + "] (" + ns.type() + "): path \"" + ns.path() + "\"";
        Path path = Path.of(ns.path());
        if (!path.isAbsolute() || !Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new SpecException(where + " does not exist");
        }
        String kind;
        try {
            kind = NamespacePath.kindOf(path);
        } catch (IOException e) {
            throw new SpecException(where + ": cannot read it: " + e.getMessage());
        }
        String expected = NamespacePath.KERNEL_NAMES.get(ns.type());
        if (kind == null) {
            throw new SpecException(where + " is not a namespace file (such as /proc/PID/ns/" + expected + ")");
        }
        if (!kind.equals(expected)) {
            throw new SpecException(where + " is a " + kind + " namespace, not a " + expected + " namespace");
        }
    }
}
