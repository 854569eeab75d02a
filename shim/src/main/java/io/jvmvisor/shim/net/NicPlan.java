package io.jvmvisor.shim.net;

import io.jvmvisor.oci.Hooks;
import io.jvmvisor.oci.Spec;

/**
 * How many NICs a container's VM boots with (microvm's virtio-mmio has no hotplug): pure rules
 * on config.json.
 * <ul>
 * <li>no {@code network} namespace: none (the CLI refuses host networking before this);</li>
 * <li>a namespace by path (CRI/CNI, {@code --network=container:X}): one per interface it holds
 *     at create (counted by {@link Network#plan});</li>
 * <li>a new namespace: {@value #NICS_ANNOTATION} if set, else one when a prestart or
 *     createRuntime hook can put an interface in it before start (docker's
 *     {@code libnetwork-setkey}), else none: nothing else can, and the container keeps a guest
 *     namespace with only {@code lo};</li>
 * <li>CRI's sandbox ({@code pause}) container: none.</li>
 * </ul>
 */
public final class NicPlan {
    /** NICs to boot for a new network namespace (0..8). */
    public static final String NICS_ANNOTATION = "io.jvmvisor.nics";
    static final String CRI_CONTAINER_TYPE = "io.kubernetes.cri.container-type";
    static final int MAX_NICS = 8;

    /** Where the container's network namespace comes from. */
    public enum Namespace { HOST, NEW, BY_PATH }

    private NicPlan() {
    }

    public static Namespace namespace(Spec spec) {
        String path = path(spec);
        return path == null ? Namespace.HOST : path.isEmpty() ? Namespace.NEW : Namespace.BY_PATH;
    }

    /** The network namespace's path, "" for a new one, null without a network namespace. */
    static String path(Spec spec) {
        if (spec.linux() == null || spec.linux().namespaces() == null) {
            return null;
        }
        for (var ns : spec.linux().namespaces()) {
            if ("network".equals(ns.type())) {
                return ns.path() == null ? "" : ns.path();
            }
        }
        return null;
    }

    /** Why create must refuse {@code spec}'s network, or null: host networking, which a VM cannot share. */
    public static String hostNetworkRefusal(Spec spec) {
        String path = path(spec);
        boolean host = path == null;
        if (path != null && !path.isEmpty()) {
            // docker --network=host gives the path of its own namespace (netns/default): the caller's
            try {
                host = java.nio.file.Files.isSameFile(java.nio.file.Path.of(path), java.nio.file.Path.of("/proc/self/ns/net"));
            } catch (java.io.IOException e) {
                return "config.json: the network namespace " + path + " cannot be opened: " + e.getMessage();
            }
        }
        return host ? "host networking (docker --network=host) is not possible: a VM cannot share the host's network stack;"
                + " give the container a network namespace of its own (docker's default bridge, a user-defined network,"
                + " or --network=none)" + (path == null ? " (config.json: linux.namespaces has no \"network\" entry)" : "")
                : null;
    }

    public static boolean isSandbox(Spec spec) {
        return "sandbox".equals(spec.annotationMap().get(CRI_CONTAINER_TYPE));
    }

    /** NICs for a new namespace (or none for HOST and the sandbox). */
    public static int nicsForNewNamespace(Spec spec) {
        if (namespace(spec) == Namespace.HOST || isSandbox(spec)) {
            return 0;
        }
        String n = spec.annotationMap().get(NICS_ANNOTATION);
        if (n != null) {
            try {
                int v = Integer.parseInt(n.strip());
                if (v >= 0 && v <= MAX_NICS) {
                    return v;
                }
            } catch (NumberFormatException e) {
                // below
            }
            throw new IllegalArgumentException("config.json: annotation " + NICS_ANNOTATION + " \"" + n
                    + "\" is not a number of NICs in 0.." + MAX_NICS);
        }
        Hooks h = spec.hookSet();
        return Hooks.orEmpty(h.prestart()).isEmpty() && Hooks.orEmpty(h.createRuntime()).isEmpty() ? 0 : 1;
    }
}
