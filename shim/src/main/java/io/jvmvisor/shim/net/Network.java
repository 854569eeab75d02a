package io.jvmvisor.shim.net;

import io.jvmvisor.oci.Spec;
import io.jvmvisor.shim.agent.AgentClient;
import io.jvmvisor.shim.engine.VmConfig;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A container's network, seen from the shim, which runs in the container's network namespace.
 * At create: the VM's NICs (count fixed at boot, see {@link NicPlan}) and one persistent tap
 * per NIC, made before QEMU starts (QEMU only attaches). At start ({@link #configure}): the
 * interfaces, addresses and routes the namespace holds by then (docker's prestart hook has run,
 * CNI's namespace was ready before create), tc redirects both ways between each interface and
 * its tap, the taps up, and the guest configured through the agent. The host-side addresses
 * stay on the interfaces (docker/CNI own them). {@link #close} removes taps and redirects.
 */
public final class Network implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("shim.net");

    private final List<VmConfig.Nic> nics;
    private final String ip = NetCommands.ip();
    private final String tc = NetCommands.tc();
    private final List<String> taps = new ArrayList<>();
    private final List<String> redirected = new ArrayList<>();

    private Network(List<VmConfig.Nic> nics) {
        this.nics = List.copyOf(nics);
    }

    /**
     * The network of {@code spec}: no NIC without a network namespace or for a new one that nothing
     * configures; for a namespace by path, one NIC per interface it holds now. Refuses a namespace
     * that a tap shows another VM is using.
     */
    public static Network plan(Spec spec) throws IOException {
        NicPlan.Namespace ns = NicPlan.namespace(spec);
        int count;
        if (ns == NicPlan.Namespace.BY_PATH && !NicPlan.isSandbox(spec)) {
            List<NetInterface> now = new Network(List.of()).sweepStaleTaps();
            String path = NicPlan.path(spec);
            for (NetInterface i : now) {
                if (i.isTap()) {
                    throw new IllegalArgumentException("the network namespace " + path + " is already used by another VM"
                            + " (tap " + i.name() + "): a second jvmvisor container cannot share its interfaces (docker"
                            + " --network=container:X, or a second container of a pod)");
                }
            }
            count = (int) now.stream().filter(NetInterface::isContainerInterface).count();
        } else {
            count = NicPlan.nicsForNewNamespace(spec);
        }
        List<VmConfig.Nic> nics = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            nics.add(new VmConfig.Nic("net" + i, NetCommands.tapName(i), NetCommands.bootMac(i)));
        }
        return new Network(nics);
    }

    public List<VmConfig.Nic> nics() {
        return nics;
    }

    /** With NICs the container shares the VM's root network namespace (the VM is the boundary). */
    public boolean vmIsTheNamespace() {
        return !nics.isEmpty();
    }

    /** Makes the taps QEMU attaches to (in this process's namespace, the container's). */
    public synchronized void createTaps() throws IOException {
        for (VmConfig.Nic n : nics) {
            run(NetCommands.tapAdd(ip, n.tap()), null);
            taps.add(n.tap());
            run(NetCommands.tapOwner(ip, n.tap(), ProcessHandle.current().pid()), null);
        }
    }

    /**
     * Wires each container interface to its NIC's tap and configures the guest. Interfaces beyond
     * the NICs booted are left out (logged); NICs without an interface disappear from the guest.
     */
    public void configure(AgentClient agent) throws IOException, AgentClient.AgentException {
        if (nics.isEmpty()) {
            return;
        }
        List<NetInterface> ifaces = new ArrayList<>();
        for (NetInterface i : interfaces()) {
            if (i.isContainerInterface()) {
                ifaces.add(i.withIpv6Disabled(ipv6Disabled(i.name())));
            }
        }
        if (ifaces.size() > nics.size()) {
            LOG.log(Level.WARNING, "the network namespace has " + ifaces.size() + " interfaces, the VM booted with "
                    + nics.size() + " NIC(s): " + ifaces.subList(nics.size(), ifaces.size()).stream().map(NetInterface::name).toList()
                    + " stay(s) out of the guest (set the annotation " + NicPlan.NICS_ANNOTATION + ")");
        }
        List<GuestNetwork.Pair> pairs = new ArrayList<>();
        for (int k = 0; k < Math.min(ifaces.size(), nics.size()); k++) {
            NetInterface i = ifaces.get(k);
            VmConfig.Nic n = nics.get(k);
            synchronized (this) {
                redirected.add(i.name());
            }
            run(List.of(tc, "-batch", "-"), String.join("\n", NetCommands.redirectBoth(i.name(), n.tap())) + "\n");
            run(NetCommands.tapUp(ip, n.tap(), i.mtu()), null);
            pairs.add(new GuestNetwork.Pair(i, n));
        }
        // no interface came (docker --network=none): no route can use one; the request only detaches the NICs
        List<NetRoute> routes = new ArrayList<>();
        if (!pairs.isEmpty()) {
            routes.addAll(IpJson.routes(run(List.of(ip, "-j", "route", "show", "table", "main"), null), false));
            if (Files.exists(Path.of("/proc/sys/net/ipv6"))) {
                routes.addAll(IpJson.routes(run(List.of(ip, "-j", "-6", "route", "show", "table", "main"), null), true));
            }
        }
        var request = GuestNetwork.request(pairs, routes).toBuilder();
        for (String dev : List.of("all", "default", "lo")) {
            Path p = Path.of("/proc/sys/net/ipv6/conf", dev, "disable_ipv6");
            if (Files.exists(p)) {
                request.addSysctls(io.jvmvisor.agent.v1.Sysctl.newBuilder().setKey("net.ipv6.conf." + dev + ".disable_ipv6")
                        .setValue(Files.readString(p).strip()));
            }
        }
        LOG.log(Level.INFO, "network: " + pairs.size() + " interface(s) " + pairs.stream().map(p -> p.iface().name()
                + "=" + p.nic().tap()).toList() + ", " + request.getRoutesCount() + " route(s)");
        agent.configureNetwork(request.build());
    }

    /** Removes the redirects and taps this shim made (best effort: the namespace may be gone). */
    @Override
    public synchronized void close() {
        for (String veth : redirected) {
            quietly(NetCommands.removeRedirect(tc, veth));
        }
        redirected.clear();
        for (String tap : taps) {
            quietly(NetCommands.linkDelete(ip, tap));
        }
        taps.clear();
    }

    private void quietly(List<String> argv) {
        try {
            run(argv, null);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, e.getMessage());
        }
    }

    /**
     * Removes the taps (and the container interfaces' ingress qdiscs) that a shim which is gone left
     * in this namespace (SIGKILLed: a namespace by path outlives it); returns the interfaces left.
     */
    private List<NetInterface> sweepStaleTaps() throws IOException {
        List<NetInterface> now = interfaces();
        boolean swept = false;
        for (NetInterface i : now) {
            long owner = i.tapOwner();
            if (owner > 0 && ProcessHandle.of(owner).map(h -> !h.isAlive()).orElse(true)) {
                LOG.log(Level.WARNING, "removing the tap " + i.name() + " of shim " + owner + ", which is gone");
                quietly(NetCommands.linkDelete(ip, i.name()));
                swept = true;
            }
        }
        if (!swept) {
            return now;
        }
        for (NetInterface i : now) {
            if (i.isContainerInterface()) {
                quietly(NetCommands.removeRedirect(tc, i.name()));
            }
        }
        return interfaces();
    }

    List<NetInterface> interfaces() throws IOException {
        return IpJson.interfaces(run(List.of(ip, "-d", "-j", "addr", "show"), null));
    }

    private static boolean ipv6Disabled(String name) {
        try {
            return Files.readString(Path.of("/proc/sys/net/ipv6/conf", name, "disable_ipv6")).strip().equals("1");
        } catch (IOException e) {
            return true; // no IPv6 in this kernel
        }
    }

    /** Runs an iproute2 command; returns stdout, or throws with its stderr. */
    private static String run(List<String> argv, String stdin) throws IOException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(false).start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", argv) + ": no answer within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(String.join(" ", argv) + ": interrupted");
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", argv) + (stdin != null ? " <<< " + stdin.strip().replace('\n', ';') : "")
                    + " failed (" + p.exitValue() + "): " + err);
        }
        return out;
    }
}
