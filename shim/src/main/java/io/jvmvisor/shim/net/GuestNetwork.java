package io.jvmvisor.shim.net;

import io.jvmvisor.agent.v1.ConfigureNetworkRequest;
import io.jvmvisor.agent.v1.IpAddress;
import io.jvmvisor.agent.v1.NetworkInterface;
import io.jvmvisor.agent.v1.Route;
import io.jvmvisor.shim.engine.VmConfig;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The agent's ConfigureNetwork request for container interfaces paired with VM NICs: a pure function. */
public final class GuestNetwork {
    private GuestNetwork() {
    }

    /** A container interface and the NIC that stands for it in the guest. */
    public record Pair(NetInterface iface, VmConfig.Nic nic) {
    }

    public static ConfigureNetworkRequest request(List<Pair> pairs, List<NetRoute> routes) {
        ConfigureNetworkRequest.Builder b = ConfigureNetworkRequest.newBuilder();
        Set<String> names = new HashSet<>();
        for (Pair p : pairs) {
            NetInterface i = p.iface();
            NetworkInterface.Builder n = NetworkInterface.newBuilder().setDeviceMac(p.nic().mac()).setName(i.name())
                    .setMac(i.mac()).setMtu(Math.max(0, i.mtu())).setIpv6Disabled(i.ipv6Disabled());
            for (NetInterface.Address a : i.addresses()) {
                if (!(a.ipv6() && i.ipv6Disabled())) {
                    n.addAddresses(IpAddress.newBuilder().setAddress(a.address()).setPrefixLen(a.prefixLen()));
                }
            }
            b.addInterfaces(n);
            names.add(i.name());
        }
        for (NetRoute r : routes) {
            if (names.contains(r.device())) {
                b.addRoutes(Route.newBuilder().setDestination(r.destination()).setGateway(r.gateway())
                        .setDevice(r.device()).setMetric(Math.max(0, r.metric())).setIpv6(r.ipv6()));
            }
        }
        return b.build();
    }
}
