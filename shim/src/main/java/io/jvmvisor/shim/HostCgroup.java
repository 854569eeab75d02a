package io.jvmvisor.shim;

import io.jvmvisor.oci.Linux;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The host cgroup of a container ({@code linux.cgroupsPath}): the shim moves
 * itself in first, so QEMU, started later, inherits it; the limits of
 * {@code linux.resources} apply on the host to shim + QEMU. cgroup v2 where
 * {@code /sys/fs/cgroup/cgroup.controllers} exists, else the v1 hierarchies
 * under {@code /sys/fs/cgroup/<controller>}. {@link #close()} moves the shim
 * back to the root and removes the directories it created.
 */
final class HostCgroup implements AutoCloseable {
    private static final Logger LOG = System.getLogger(HostCgroup.class.getName());

    /**
     * Added to the memory limit: the guest gets {@code limit} as RAM, and the shim JVM
     * (about 60 MiB RSS) and QEMU itself (about 60-100 MiB beside guest RAM under TCG,
     * its translation cache included) need memory on top of it.
     */
    static final long VMM_OVERHEAD_BYTES = 256L << 20;
    /** The shim (~20 threads) and QEMU (~5 + vCPUs) need tasks of their own: pids.max is limit + this. */
    static final long PIDS_OVERHEAD = 64;

    static final Path ROOT = Path.of("/sys/fs/cgroup");
    private static final List<String> V1 = List.of("memory", "cpu", "cpuacct", "pids", "cpuset", "freezer", "devices", "blkio");

    private final boolean v2;
    /** Controller name (v1) or "" (v2) -> the container's directory. */
    private final Map<String, Path> dirs;
    /** Directories this shim created, deepest last. */
    private final List<Path> created;

    /** How many path components cgroupsPath has below each hierarchy's root. */
    private final int depth;

    /** Where the created directories are recorded ({@link CgroupRecord}); null: nowhere. */
    private final Path stateDir;

    private HostCgroup(boolean v2, Map<String, Path> dirs, List<Path> created, int depth, Path stateDir) {
        this.depth = depth;
        this.stateDir = stateDir;
        this.v2 = v2;
        this.dirs = dirs;
        this.created = created;
    }

    /** Whether the host has cgroup v2 (unified) mounted. */
    static boolean unified() {
        return Files.exists(ROOT.resolve("cgroup.controllers"));
    }

    /** The path relative to each hierarchy's root; systemd's {@code slice:prefix:name} is refused with a reason. */
    static String relative(String cgroupsPath) {
        if (cgroupsPath.contains(":")) {
            throw new IllegalArgumentException("linux.cgroupsPath \"" + cgroupsPath + "\" is systemd-style (slice:prefix:name);"
                    + " jvmvisor manages cgroupfs paths only: configure the cgroupfs driver (docker: exec-opts"
                    + " native.cgroupdriver=cgroupfs) or give a path such as /docker/<id>");
        }
        String rel = cgroupsPath.replaceAll("^/+", "").replaceAll("/+$", "");
        if (rel.isEmpty() || rel.contains("..")) {
            throw new IllegalArgumentException("linux.cgroupsPath \"" + cgroupsPath + "\": not a usable cgroup path");
        }
        return rel;
    }

    /**
     * Creates the cgroup, moves this process in and applies {@code resources} (may be null); the
     * directories it creates are listed in {@code stateDir} (null: not listed) until {@link #close()}.
     */
    static HostCgroup join(String cgroupsPath, Linux.Resources resources, Path stateDir) throws IOException {
        String rel = relative(cgroupsPath);
        boolean v2 = unified();
        Map<String, Path> dirs = new LinkedHashMap<>();
        List<Path> created = new ArrayList<>();
        if (v2) {
            dirs.put("", ROOT.resolve(rel));
        } else {
            for (String c : V1) {
                Path base = ROOT.resolve(c);
                if (Files.isDirectory(base) && !dirs.containsValue(base.toRealPath().resolve(rel))) {
                    dirs.put(c, base.toRealPath().resolve(rel));
                }
            }
        }
        HostCgroup cg = new HostCgroup(v2, dirs, created, Path.of(rel).getNameCount(), stateDir);
        try {
            for (var e : dirs.entrySet()) {
                cg.make(e.getKey(), e.getValue());
            }
            String pid = Long.toString(ProcessHandle.current().pid());
            for (Path d : dirs.values()) {
                Files.writeString(d.resolve("cgroup.procs"), pid);
            }
            cg.apply(resources);
        } catch (IOException | RuntimeException e) {
            cg.close();
            throw new IOException("cannot set up the host cgroup " + cgroupsPath + ": " + e.getMessage(), e);
        }
        return cg;
    }

    private void make(String controller, Path dir) throws IOException {
        List<Path> missing = new ArrayList<>();
        for (Path p = dir; p != null && !Files.exists(p); p = p.getParent()) {
            missing.addFirst(p);
        }
        for (Path p : missing) {
            if (v2) {
                enableControllers(p.getParent());
            }
            Files.createDirectory(p);
            created.add(p);
            if (stateDir != null) {
                CgroupRecord.write(stateDir, created);
            }
            if ("cpuset".equals(controller)) {
                for (String f : List.of("cpuset.cpus", "cpuset.mems")) {
                    if (Files.readString(p.resolve(f)).isBlank()) {
                        Files.writeString(p.resolve(f), Files.readString(p.getParent().resolve(f)).trim());
                    }
                }
            }
        }
    }

    private static void enableControllers(Path parent) throws IOException {
        String available = Files.readString(parent.resolve("cgroup.controllers"));
        for (String c : List.of("cpu", "cpuset", "memory", "pids")) {
            if ((" " + available.trim() + " ").contains(" " + c + " ")) {
                try {
                    Files.writeString(parent.resolve("cgroup.subtree_control"), "+" + c);
                } catch (IOException e) {
                    LOG.log(Level.WARNING, "cannot enable the " + c + " controller in " + parent + ": " + e.getMessage());
                }
            }
        }
    }

    /** One write of a limit: a file of a controller's directory (v1) or of the unified one (v2). */
    record Write(String controller, String file, String value) {
    }

    /**
     * Applies the limits present in {@code r} (the rest stays as is): memory (limit and reservation
     * + {@link #VMM_OVERHEAD_BYTES}, swappiness, disableOOMKiller), CPU (quota/period, shares, cpuset
     * cpus/mems) and pids.
     */
    void apply(Linux.Resources r) throws IOException {
        for (Write w : writes(r, v2)) {
            write(w.controller(), w.file(), w.value());
        }
    }

    /** What {@link #apply} writes for {@code r}, in order (pure: runc's mapping of linux.resources). */
    static List<Write> writes(Linux.Resources r, boolean v2) {
        List<Write> out = new ArrayList<>();
        if (r == null) {
            return out;
        }
        Linux.Memory m = r.memory();
        if (m != null) {
            if (m.limit() != null && m.limit() > 0) {
                out.add(new Write("memory", v2 ? "memory.max" : "memory.limit_in_bytes",
                        Long.toString(m.limit() + VMM_OVERHEAD_BYTES)));
            }
            if (m.reservation() != null && m.reservation() > 0) {
                out.add(new Write("memory", v2 ? "memory.low" : "memory.soft_limit_in_bytes",
                        Long.toString(m.reservation() + VMM_OVERHEAD_BYTES)));
            }
            // v2 has neither (runc ignores them there too)
            if (!v2 && m.swappiness() != null && m.swappiness() >= 0 && m.swappiness() <= 100) {
                out.add(new Write("memory", "memory.swappiness", Long.toString(m.swappiness())));
            }
            if (!v2 && Boolean.TRUE.equals(m.disableOOMKiller())) {
                out.add(new Write("memory", "memory.oom_control", "1"));
            }
        }
        if (r.cpu() != null) {
            Linux.Cpu c = r.cpu();
            Long quota = c.quota();
            Long period = c.period();
            if (v2) {
                if (quota != null || period != null) {
                    out.add(new Write("cpu", "cpu.max", (quota == null || quota <= 0 ? "max" : quota) + " "
                            + (period == null ? 100000 : period)));
                }
                if (c.shares() != null && c.shares() > 0) {
                    long w = 1 + ((c.shares() - 2) * 9999) / 262142;
                    out.add(new Write("cpu", "cpu.weight", Long.toString(Math.max(1, Math.min(10000, w)))));
                }
            } else {
                if (period != null && period > 0) {
                    out.add(new Write("cpu", "cpu.cfs_period_us", Long.toString(period)));
                }
                if (quota != null) {
                    out.add(new Write("cpu", "cpu.cfs_quota_us", Long.toString(quota <= 0 ? -1 : quota)));
                }
                if (c.shares() != null && c.shares() > 0) {
                    out.add(new Write("cpu", "cpu.shares", Long.toString(c.shares())));
                }
            }
            // "0" is a CPU list (CPU 0), not "unset"
            if (c.cpus() != null && !c.cpus().isBlank()) {
                out.add(new Write("cpuset", "cpuset.cpus", c.cpus().trim()));
            }
            if (c.mems() != null && !c.mems().isBlank()) {
                out.add(new Write("cpuset", "cpuset.mems", c.mems().trim()));
            }
        }
        if (r.pids() != null) {
            long limit = r.pids().limit();
            out.add(new Write("pids", "pids.max", limit <= 0 ? "max" : Long.toString(limit + PIDS_OVERHEAD)));
        }
        return out;
    }

    private void write(String controller, String file, String value) throws IOException {
        Path d = dirs.get(v2 ? "" : controller);
        if (d != null) {
            Files.writeString(d.resolve(file), value);
        }
    }

    /**
     * Makes this cgroup report the guest's OOM kill as the host kernel reports one under runc:
     * containerd's runc shim watches the cgroup of the container's process (here the shim's) through
     * {@code memory.oom_control} (v1) or {@code memory.events} (v2), and docker sets {@code OOMKilled}
     * from that event. A process of this cgroup with oom_score_adj 1000 allocates until the host kernel
     * OOM-kills it (the shim and QEMU score far lower). Skipped, with the reason logged, where that
     * would not end in a kill: no memory limit, the OOM killer disabled, swap on the host.
     * Returns whether the host kernel killed it.
     */
    boolean signalOom() {
        String blocker = oomBlocker();
        if (blocker != null) {
            LOG.log(Level.WARNING, "the guest's OOM kill is not reported on the host cgroup: " + blocker);
            return false;
        }
        try {
            java.lang.Process hog = new ProcessBuilder("/bin/sh", "-c",
                    "echo 1000 > /proc/self/oom_score_adj && exec /usr/bin/tail -n 1 /dev/zero")
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!hog.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                hog.destroyForcibly().waitFor();
                LOG.log(Level.WARNING, "the OOM signal process was not killed within 10 s");
                return false;
            }
            return hog.exitValue() == 137;
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot start the OOM signal process: " + e.getMessage());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private String oomBlocker() {
        String limit = read("memory", v2 ? "memory.max" : "memory.limit_in_bytes").trim();
        if (limit.isEmpty() || "max".equals(limit) || number(limit) >= (1L << 62)) {
            return "it has no memory limit";
        }
        if (!v2 && read("memory", "memory.oom_control").contains("oom_kill_disable 1")) {
            return "its OOM killer is disabled (disableOOMKiller)";
        }
        try {
            if (Files.readAllLines(Path.of("/proc/swaps")).size() > 1) {
                return "the host has swap (an allocation would swap before it is killed)";
            }
        } catch (IOException e) {
            return "cannot read /proc/swaps";
        }
        return Files.isExecutable(Path.of("/usr/bin/tail")) ? null : "no /usr/bin/tail";
    }

    /** The directory of {@code controller} (v1) or the unified one (v2); null if absent. */
    Path dir(String controller) {
        return dirs.get(v2 ? "" : controller);
    }

    boolean isV2() {
        return v2;
    }

    /**
     * Fills {@code data} with runc's {@code events --stats} figures of this cgroup:
     * {@code cpu.usage{total,percpu,kernel,user}} (ns), {@code memory.usage{usage,max,limit}} and
     * {@code memory.raw} (memory.stat), {@code pids{current,limit}} (limit 0 = unlimited).
     */
    void stats(com.fasterxml.jackson.databind.node.ObjectNode data) {
        var cpu = data.putObject("cpu").putObject("usage");
        var mem = data.putObject("memory");
        var usage = mem.putObject("usage");
        var raw = mem.putObject("raw");
        var pids = data.putObject("pids");
        if (v2) {
            Map<String, Long> c = keyed(read("cpu", "cpu.stat"));
            cpu.put("total", c.getOrDefault("usage_usec", 0L) * 1000).putArray("percpu");
            cpu.put("kernel", c.getOrDefault("system_usec", 0L) * 1000).put("user", c.getOrDefault("user_usec", 0L) * 1000);
            usage.put("usage", number(read("memory", "memory.current"))).put("max", number(read("memory", "memory.peak")))
                    .put("limit", number(read("memory", "memory.max")));
        } else {
            cpu.put("total", number(read("cpuacct", "cpuacct.usage")));
            var percpu = cpu.putArray("percpu");
            for (String n : read("cpuacct", "cpuacct.usage_percpu").trim().split("\\s+")) {
                if (!n.isEmpty()) {
                    percpu.add(Long.parseLong(n));
                }
            }
            Map<String, Long> t = keyed(read("cpuacct", "cpuacct.stat")); // USER_HZ (100) ticks
            cpu.put("kernel", t.getOrDefault("system", 0L) * 10_000_000L).put("user", t.getOrDefault("user", 0L) * 10_000_000L);
            usage.put("usage", number(read("memory", "memory.usage_in_bytes")))
                    .put("max", number(read("memory", "memory.max_usage_in_bytes")))
                    .put("limit", number(read("memory", "memory.limit_in_bytes")));
        }
        keyed(read("memory", "memory.stat")).forEach(raw::put);
        pids.put("current", number(read("pids", "pids.current"))).put("limit", number(read("pids", "pids.max")));
    }

    private String read(String controller, String file) {
        Path d = dir(controller);
        try {
            return d == null ? "" : Files.readString(d.resolve(file));
        } catch (IOException e) {
            return "";
        }
    }

    /** A number, 0 for "max", a missing file or anything else. */
    private static long number(String s) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static Map<String, Long> keyed(String text) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            String[] kv = line.trim().split("\\s+");
            if (kv.length == 2) {
                m.put(kv[0], number(kv[1]));
            }
        }
        return m;
    }

    /** Moves this process back to each hierarchy's root and removes the directories it created (when empty). */
    @Override
    public void close() {
        String pid = Long.toString(ProcessHandle.current().pid());
        for (var e : dirs.entrySet()) {
            Path d = e.getValue();
            Path root = d.getRoot().resolve(d.subpath(0, d.getNameCount() - depth));
            try {
                Files.writeString(root.resolve("cgroup.procs"), pid);
            } catch (IOException ex) {
                LOG.log(Level.WARNING, "cannot leave the cgroup " + e.getValue() + ": " + ex.getMessage());
            }
        }
        for (Path p : created.reversed()) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ex) {
                LOG.log(Level.WARNING, "cannot remove the cgroup " + p + " (processes left in it?): " + ex.getMessage());
            }
        }
        if (stateDir != null) {
            CgroupRecord.clear(stateDir);
        }
    }
}
