package io.jvmvisor.shim.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jvmvisor.oci.Spec;
import io.jvmvisor.oci.SpecLoader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The iproute2 argv and the NIC-count rules. */
class NetCommandsTest {
    @Test
    void tapOwnedByRootAndRedirectsBothWays() {
        assertEquals(List.of("ip", "tuntap", "add", "dev", "jvtap0", "mode", "tap", "user", "0"),
                NetCommands.tapAdd("ip", NetCommands.tapName(0)));
        assertEquals(List.of("ip", "link", "set", "dev", "jvtap1", "mtu", "1450", "up"), NetCommands.tapUp("ip", "jvtap1", 1450));
        assertEquals(List.of("ip", "link", "del", "dev", "jvtap0"), NetCommands.linkDelete("ip", "jvtap0"));
        assertEquals(List.of("ip", "link", "set", "dev", "jvtap0", "alias", "jvmvisor-shim:77"), NetCommands.tapOwner("ip", "jvtap0", 77));
        assertEquals(List.of("qdisc add dev eth0 ingress",
                "filter add dev eth0 parent ffff: protocol all u32 match u8 0 0 action mirred egress redirect dev jvtap0",
                "qdisc add dev jvtap0 ingress",
                "filter add dev jvtap0 parent ffff: protocol all u32 match u8 0 0 action mirred egress redirect dev eth0"),
                NetCommands.redirectBoth("eth0", "jvtap0"));
        assertEquals(List.of("tc", "qdisc", "del", "dev", "eth0", "ingress"), NetCommands.removeRedirect("tc", "eth0"));
        assertEquals("02:4a:56:00:00:0a", NetCommands.bootMac(10));
    }

    private static Spec spec(String namespaces, String hooks, String annotations) throws Exception {
        String json = "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"},\"root\":{\"path\":\"rootfs\"},"
                + "\"linux\":{\"namespaces\":[" + namespaces + "]}" + (hooks == null ? "" : ",\"hooks\":" + hooks)
                + (annotations == null ? "" : ",\"annotations\":" + annotations) + "}";
        return SpecLoader.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void nicCountForANewNamespace() throws Exception {
        String dockerHook = "{\"prestart\":[{\"path\":\"/proc/1/exe\",\"args\":[\"libnetwork-setkey\",\"id\",\"ctl\"]}]}";
        assertEquals(NicPlan.Namespace.NEW, NicPlan.namespace(spec("{\"type\":\"network\"}", null, null)));
        assertEquals(0, NicPlan.nicsForNewNamespace(spec("{\"type\":\"network\"}", null, null)), "nothing can configure it");
        assertEquals(1, NicPlan.nicsForNewNamespace(spec("{\"type\":\"network\"}", dockerHook, null)), "docker's setkey hook");
        assertEquals(3, NicPlan.nicsForNewNamespace(spec("{\"type\":\"network\"}", null, "{\"io.jvmvisor.nics\":\"3\"}")));
        assertEquals(0, NicPlan.nicsForNewNamespace(spec("{\"type\":\"network\"}", dockerHook,
                "{\"io.kubernetes.cri.container-type\":\"sandbox\"}")), "CRI's pause container");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NicPlan.nicsForNewNamespace(spec("{\"type\":\"network\"}", null, "{\"io.jvmvisor.nics\":\"many\"}")));
        assertEquals("config.json: annotation io.jvmvisor.nics \"many\" is not a number of NICs in 0..8", e.getMessage());
        assertEquals(NicPlan.Namespace.BY_PATH, NicPlan.namespace(spec("{\"type\":\"network\",\"path\":\"/run/netns/x\"}", null, null)));
    }

    @Test
    void hostNetworkingIsRefused() throws Exception {
        String noNetns = NicPlan.hostNetworkRefusal(spec("{\"type\":\"pid\"}", null, null));
        assertNotNull(noNetns);
        assertEquals(true, noNetns.startsWith("host networking (docker --network=host) is not possible: a VM cannot share"));
        assertNotNull(NicPlan.hostNetworkRefusal(spec("{\"type\":\"network\",\"path\":\"/proc/self/ns/net\"}", null, null)),
                "docker --network=host: the path of the caller's own namespace");
        assertNull(NicPlan.hostNetworkRefusal(spec("{\"type\":\"network\"}", null, null)));
    }
}
