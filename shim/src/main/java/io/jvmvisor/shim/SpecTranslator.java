package io.jvmvisor.shim;

import io.jvmvisor.agent.v1.Capabilities;
import io.jvmvisor.agent.v1.ContainerSpec;
import io.jvmvisor.agent.v1.Device;
import io.jvmvisor.agent.v1.IdMapping;
import io.jvmvisor.agent.v1.Mount;
import io.jvmvisor.agent.v1.Rlimit;
import io.jvmvisor.agent.v1.Share;
import io.jvmvisor.agent.v1.Sysctl;
import io.jvmvisor.agent.v1.User;
import io.jvmvisor.oci.Linux;
import io.jvmvisor.oci.Process;
import io.jvmvisor.oci.Spec;
import io.jvmvisor.shim.engine.VmConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Translates config.json into the agent's ContainerSpec. Bind-mount sources
 * on the host become entries of one 9p share, {@link #BINDS_TAG}: each source
 * (a file or a directory) is bound into the share's tree on the host by the
 * VMM jail, read-only where the mount asks for it, so the VM reaches exactly
 * the sources and nothing beside them. The agent mounts the share under
 * {@link #SHARES_DIR} and binds each entry onto its destination.
 */
public final class SpecTranslator {
    public static final String ROOT_PATH = "/run/jvmvisor/rootfs";
    public static final String SHARES_DIR = "/run/jvmvisor/shares";
    /** The 9p tag of the share holding every bind source. */
    public static final String BINDS_TAG = "binds";

    /** The agent's spec and the host directories the VM must share for it. */
    public record Translated(ContainerSpec spec, List<VmConfig.HostShare> shares) {
    }

    private SpecTranslator() {
    }

    public static Translated translate(Spec spec, Path bundle) {
        ContainerSpec.Builder b = ContainerSpec.newBuilder()
                .setProcess(process(spec.process()))
                .setRootPath(ROOT_PATH)
                .setRootReadonly(spec.root() != null && Boolean.TRUE.equals(spec.root().readonly()));
        if (spec.hostname() != null) {
            b.setHostname(spec.hostname());
        }
        Map<VmConfig.Entry, VmConfig.Entry> entries = new LinkedHashMap<>();
        if (spec.mounts() != null) {
            for (io.jvmvisor.oci.Mount m : spec.mounts()) {
                b.addMounts(mount(m, bundle, entries));
            }
        }
        List<VmConfig.HostShare> shares = new ArrayList<>();
        if (!entries.isEmpty()) {
            boolean allRo = entries.values().stream().allMatch(VmConfig.Entry::readonly);
            shares.add(new VmConfig.HostShare(BINDS_TAG, List.copyOf(entries.values()), allRo));
        }
        if (spec.linux() != null) {
            var l = spec.linux();
            if (l.maskedPaths() != null) {
                b.addAllMaskedPaths(l.maskedPaths());
            }
            if (l.readonlyPaths() != null) {
                b.addAllReadonlyPaths(l.readonlyPaths());
            }
            if (l.sysctl() != null) {
                l.sysctl().forEach((k, v) -> b.addSysctl(Sysctl.newBuilder().setKey(k).setValue(v)));
            }
            for (var ns : l.namespaceList()) {
                b.addNamespaces(ns.type());
            }
            devicesMapsAndMemory(l, b);
        }
        for (VmConfig.HostShare s : shares) {
            b.addShares(Share.newBuilder().setTag(s.tag()).setMountPoint(SHARES_DIR + "/" + s.tag()).setReadonly(s.readonly()));
        }
        return new Translated(b.build(), List.copyOf(shares));
    }

    /** linux.devices, the user namespace's ID maps and the memory limit (the guest's cgroup). */
    static void devicesMapsAndMemory(Linux l, ContainerSpec.Builder b) {
        if (l.devices() != null) {
            for (Linux.Device d : l.devices()) {
                Device.Builder db = Device.newBuilder().setPath(d.path() == null ? "" : d.path())
                        .setType(d.type() == null ? "" : d.type())
                        .setMajor(d.major() == null ? 0 : d.major()).setMinor(d.minor() == null ? 0 : d.minor())
                        .setUid(d.uid() == null ? 0 : d.uid().intValue()).setGid(d.gid() == null ? 0 : d.gid().intValue());
                if (d.fileMode() != null) {
                    db.setHasFileMode(true).setFileMode(d.fileMode());
                }
                b.addDevices(db);
            }
        }
        if (l.uidMappings() != null) {
            l.uidMappings().forEach(m -> b.addUidMappings(idMapping(m)));
        }
        if (l.gidMappings() != null) {
            l.gidMappings().forEach(m -> b.addGidMappings(idMapping(m)));
        }
        if (l.resources() != null && l.resources().memory() != null && l.resources().memory().limit() != null
                && l.resources().memory().limit() > 0) {
            b.setMemoryLimitBytes(l.resources().memory().limit());
        }
    }

    private static IdMapping idMapping(Linux.IdMapping m) {
        return IdMapping.newBuilder().setContainerId((int) m.containerID()).setHostId((int) m.hostID())
                .setSize((int) m.size()).build();
    }

    /**
     * The spec without a {@code network} namespace: a container whose VM has NICs shares the
     * guest's root network namespace, where the NICs are (the VM is the namespace boundary).
     */
    public static ContainerSpec withoutNetworkNamespace(ContainerSpec spec) {
        List<String> keep = spec.getNamespacesList().stream().filter(n -> !n.equals("network")).toList();
        return spec.toBuilder().clearNamespaces().addAllNamespaces(keep).build();
    }

    static boolean isBind(io.jvmvisor.oci.Mount m) {
        return "bind".equals(m.type()) || (m.options() != null && (m.options().contains("bind") || m.options().contains("rbind")));
    }

    static boolean isReadonly(io.jvmvisor.oci.Mount m) {
        return m.options() != null && m.options().contains("ro");
    }

    private static Mount mount(io.jvmvisor.oci.Mount m, Path bundle, Map<VmConfig.Entry, VmConfig.Entry> entries) {
        Mount.Builder b = Mount.newBuilder().setDestination(m.destination())
                .setType(m.type() == null ? (isBind(m) ? "bind" : "") : m.type());
        if (m.options() != null) {
            b.addAllOptions(m.options());
        }
        if (!isBind(m)) {
            if (m.source() != null) {
                b.setSource(m.source());
            }
            return b.build();
        }
        Path source = bundle.resolve(m.source()).toAbsolutePath().normalize();
        if (!Files.exists(source)) {
            throw new IllegalArgumentException("config.json: the source \"" + m.source() + "\" of the bind mount on "
                    + m.destination() + " does not exist on the host");
        }
        // one entry per (source, read-only): the same source bound twice read-write and read-only is two entries
        boolean ro = isReadonly(m);
        VmConfig.Entry key = new VmConfig.Entry(source, "", ro);
        VmConfig.Entry entry = entries.computeIfAbsent(key, k -> new VmConfig.Entry(source, Integer.toString(entries.size()), ro));
        return b.setSource(SHARES_DIR + "/" + BINDS_TAG + "/" + entry.name()).build();
    }

    static io.jvmvisor.agent.v1.Process process(Process p) {
        io.jvmvisor.agent.v1.Process.Builder b = io.jvmvisor.agent.v1.Process.newBuilder();
        if (p == null) {
            return b.build();
        }
        if (p.args() != null) {
            b.addAllArgs(p.args());
        }
        if (p.env() != null) {
            b.addAllEnv(p.env());
        }
        b.setCwd(p.cwd() == null || p.cwd().isEmpty() ? "/" : p.cwd());
        b.setTerminal(Boolean.TRUE.equals(p.terminal()));
        if (p.consoleSize() != null) {
            b.setConsoleRows(p.consoleSize().height()).setConsoleCols(p.consoleSize().width());
        }
        if (p.user() != null) {
            User.Builder u = User.newBuilder().setUid((int) p.user().uid()).setGid((int) p.user().gid());
            if (p.user().additionalGids() != null) {
                p.user().additionalGids().forEach(g -> u.addAdditionalGids(g.intValue()));
            }
            if (p.user().umask() != null) {
                u.setHasUmask(true).setUmask(p.user().umask());
            }
            b.setUser(u);
        }
        if (p.capabilities() != null) {
            var c = p.capabilities();
            b.setCapabilities(Capabilities.newBuilder()
                    .addAllBounding(orEmpty(c.bounding())).addAllEffective(orEmpty(c.effective()))
                    .addAllInheritable(orEmpty(c.inheritable())).addAllPermitted(orEmpty(c.permitted()))
                    .addAllAmbient(orEmpty(c.ambient())));
        }
        if (p.rlimits() != null) {
            for (Process.Rlimit r : p.rlimits()) {
                b.addRlimits(Rlimit.newBuilder().setType(r.type()).setSoft(r.soft()).setHard(r.hard()));
            }
        }
        b.setNoNewPrivileges(Boolean.TRUE.equals(p.noNewPrivileges()));
        if (p.oomScoreAdj() != null) {
            b.setHasOomScoreAdj(true).setOomScoreAdj(p.oomScoreAdj());
        }
        if (p.apparmorProfile() != null) {
            b.setApparmorProfile(p.apparmorProfile());
        }
        return b.build();
    }

    private static List<String> orEmpty(List<String> l) {
        return l == null ? new ArrayList<>() : l;
    }
}
