package io.jvmvisor.oci;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Checks a parsed config.json against what the runtime-spec requires and
 * what jvmvisor supports, and against the bundle's rootfs (cwd present,
 * executable found), so that mistakes surface before a VM is booted.
 */
public final class SpecValidator {
    private static final String C = SpecLoader.CONFIG + ": ";
    private static final Set<String> NAMESPACES = Set.of("pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time");
    private static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

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
        try {
            Path dir = RootfsPath.resolve(rootfs, cwd);
            if (!Files.isDirectory(dir)) {
                throw new SpecException(C + "process.cwd \"" + cwd + "\" does not exist in the rootfs " + rootfs);
            }
            checkExecutable(p, rootfs);
        } catch (IOException e) {
            throw new SpecException(C + "checking the rootfs " + rootfs + ": " + e.getMessage());
        }
    }

    /** Finds args[0] in the rootfs as execve would, using PATH from process.env (runc's wording on failure). */
    static void checkExecutable(Process p, Path rootfs) throws SpecException, IOException {
        String exe = p.argList().getFirst();
        if (exe.contains("/")) {
            String abs = exe.startsWith("/") ? exe : (p.cwd().endsWith("/") ? p.cwd() : p.cwd() + "/") + exe;
            Path host = RootfsPath.resolve(rootfs, abs);
            if (!Files.exists(host)) {
                throw new SpecException("exec: \"" + exe + "\": stat " + exe + ": no such file or directory");
            }
            if (Files.isDirectory(host) || !Files.isExecutable(host)) {
                throw new SpecException("exec: \"" + exe + "\": permission denied");
            }
            return;
        }
        String path = DEFAULT_PATH;
        for (String e : p.envList()) {
            if (e.startsWith("PATH=")) {
                path = e.substring(5);
            }
        }
        for (String dir : path.split(":")) {
            if (dir.isEmpty() || !dir.startsWith("/")) {
                continue;
            }
            Path host = RootfsPath.resolve(rootfs, dir + "/" + exe);
            if (Files.isRegularFile(host) && Files.isExecutable(host)) {
                return;
            }
        }
        throw new SpecException("exec: \"" + exe + "\": executable file not found in $PATH");
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
        for (Linux.Namespace ns : linux.namespaceList()) {
            if (ns.type() == null || !NAMESPACES.contains(ns.type())) {
                throw new SpecException(C + "linux.namespaces: unknown type \"" + ns.type() + "\" (one of "
                        + String.join(", ", NAMESPACES.stream().sorted().toList()) + ")");
            }
        }
    }
}
