package io.jvmvisor.shim.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmvisor.agent.v1.ConfigureNetworkRequest;
import io.jvmvisor.shim.engine.VmConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** iproute2 JSON (as docker's container namespace shows it) into the agent's ConfigureNetwork request. */
class IpJsonTest {
    /** {@code ip -d -j addr show} in a docker bridge container's namespace, with the VM's tap (trimmed). */
    static final String ADDR = """
            [{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"link_type":"loopback",
              "address":"00:00:00:00:00:00","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host"}]},
             {"ifindex":9,"link_index":10,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1450,
              "link_type":"ether","address":"02:42:ac:11:00:02","linkinfo":{"info_kind":"veth"},
              "addr_info":[{"family":"inet","local":"172.17.0.2","prefixlen":16,"broadcast":"172.17.255.255","scope":"global","label":"eth0"},
                           {"family":"inet6","local":"fd00::2","prefixlen":64,"scope":"global"},
                           {"family":"inet6","local":"fe80::42:acff:fe11:2","prefixlen":64,"scope":"link"}]},
             {"ifindex":3,"ifname":"jvtap0","ifalias":"jvmvisor-shim:4242","mtu":1500,"link_type":"ether","address":"da:eb:57:bb:6a:fb",
              "linkinfo":{"info_kind":"tun","info_data":{"type":"tap"}},"addr_info":[]}]
            """;
    static final String ROUTE4 = """
            [{"dst":"default","gateway":"172.17.0.1","dev":"eth0","flags":[]},
             {"dst":"172.17.0.0/16","dev":"eth0","protocol":"kernel","scope":"link","prefsrc":"172.17.0.2","flags":[]},
             {"dst":"10.9.0.0/16","gateway":"172.17.0.254","dev":"eth0","metric":5,"flags":[]},
             {"type":"blackhole","dst":"10.10.0.0/16","flags":[]}]
            """;
    static final String ROUTE6 = """
            [{"dst":"fd00::/64","dev":"eth0","protocol":"kernel","metric":256,"flags":[],"pref":"medium"},
             {"dst":"fe80::/64","dev":"eth0","protocol":"kernel","metric":256,"flags":[],"pref":"medium"},
             {"dst":"default","gateway":"fd00::1","dev":"eth0","metric":1024,"flags":[],"pref":"medium"}]
            """;

    @Test
    void interfacesInIfindexOrderWithGlobalAddressesOnly() throws Exception {
        List<NetInterface> all = IpJson.interfaces(ADDR);
        assertEquals(List.of("lo", "jvtap0", "eth0"), all.stream().map(NetInterface::name).toList());
        NetInterface eth0 = all.get(2);
        assertTrue(eth0.isContainerInterface());
        assertFalse(all.get(0).isContainerInterface(), "lo");
        assertTrue(all.get(1).isTap());
        assertEquals(4242, all.get(1).tapOwner(), "the shim that made the tap");
        assertEquals(0, eth0.tapOwner());
        assertFalse(all.get(1).isContainerInterface(), "a tap is a VM's end");
        assertEquals("02:42:ac:11:00:02", eth0.mac());
        assertEquals(1450, eth0.mtu());
        assertEquals(List.of(new NetInterface.Address("172.17.0.2", 16), new NetInterface.Address("fd00::2", 64)),
                eth0.addresses());
    }

    @Test
    void routesWithoutKernelMadeOnes() throws Exception {
        assertEquals(List.of(new NetRoute("default", "172.17.0.1", "eth0", 0, false),
                new NetRoute("10.9.0.0/16", "172.17.0.254", "eth0", 5, false)), IpJson.routes(ROUTE4, false));
        assertEquals(List.of(new NetRoute("default", "fd00::1", "eth0", 1024, true)), IpJson.routes(ROUTE6, true));
        assertEquals(List.of(), IpJson.routes("", false));
    }

    @Test
    void requestNamesEachNicByItsBootMac() throws Exception {
        NetInterface eth0 = IpJson.interfaces(ADDR).get(2).withIpv6Disabled(true);
        VmConfig.Nic nic = new VmConfig.Nic("net0", "jvtap0", NetCommands.bootMac(0));
        List<NetRoute> routes = new java.util.ArrayList<>(IpJson.routes(ROUTE4, false));
        routes.add(new NetRoute("default", "", "eth1", 0, false)); // not a NIC's: left out
        ConfigureNetworkRequest r = GuestNetwork.request(List.of(new GuestNetwork.Pair(eth0, nic)), routes);
        assertEquals(1, r.getInterfacesCount());
        var i = r.getInterfaces(0);
        assertEquals("02:4a:56:00:00:00", i.getDeviceMac());
        assertEquals("eth0", i.getName());
        assertEquals("02:42:ac:11:00:02", i.getMac());
        assertEquals(1450, i.getMtu());
        assertTrue(i.getIpv6Disabled());
        assertEquals(1, i.getAddressesCount(), "no IPv6 address where IPv6 is disabled");
        assertEquals("172.17.0.2", i.getAddresses(0).getAddress());
        assertEquals(16, i.getAddresses(0).getPrefixLen());
        assertEquals(2, r.getRoutesCount());
        assertEquals("default", r.getRoutes(0).getDestination());
        assertEquals("172.17.0.1", r.getRoutes(0).getGateway());
        assertEquals(5, r.getRoutes(1).getMetric());
    }
}
