package io.jvmvisor.shim.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvmvisor.oci.Hooks;
import io.jvmvisor.oci.Linux;
import io.jvmvisor.oci.Spec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * CRI's pod rule for NICs (containerd's runc v2 shim gives every container of a pod a VM of its own, all
 * joining the pod's namespace): the sandbox (pause) container's VM takes no NIC, whatever the namespace
 * holds; an app container takes the pod's interfaces (counted when its namespace is given by path) or,
 * in a new namespace, one NIC when a hook can fill it. The refusal of a second app container (the pod's
 * namespace already holds another VM's tap) is CniIT's: it needs a namespace with a tap in it.
 */
class NicPlanTest {
    private static final Hooks SETKEY = new Hooks(List.of(new Hooks.Hook("/usr/bin/dockerd", List.of("libnetwork-setkey"),
            null, null)), null, null, null, null, null);

    private static Spec spec(String netnsPath, Map<String, String> annotations, Hooks hooks) {
        List<Linux.Namespace> ns = netnsPath == null ? List.of(new Linux.Namespace("pid", null))
                : List.of(new Linux.Namespace("pid", null), new Linux.Namespace("network", netnsPath.isEmpty() ? null : netnsPath));
        Linux linux = new Linux(ns, null, null, null, null, null, null, null, null, null);
        return new Spec("1.0.2", null, null, null, null, hooks, annotations, linux);
    }

    private static Map<String, String> cri(String type) {
        Map<String, String> a = new HashMap<>();
        a.put(NicPlan.CRI_CONTAINER_TYPE, type);
        return a;
    }

    @Test
    void theSandboxContainerTakesNoNicInThePodsNamespace() throws Exception {
        Spec sandbox = spec("/run/netns/pod-1", cri("sandbox"), Hooks.NONE);
        assertTrue(NicPlan.isSandbox(sandbox));
        assertEquals(NicPlan.Namespace.BY_PATH, NicPlan.namespace(sandbox));
        // no interface is counted for the sandbox: plan() does not even look into the namespace
        assertTrue(Network.plan(sandbox).nics().isEmpty());
        assertFalse(Network.plan(sandbox).vmIsTheNamespace(), "the sandbox keeps a guest namespace with only lo");
    }

    @Test
    void theSandboxTakesNoNicEvenWhenAskedOrHooked() {
        Map<String, String> a = cri("sandbox");
        a.put(NicPlan.NICS_ANNOTATION, "2");
        assertEquals(0, NicPlan.nicsForNewNamespace(spec("", a, SETKEY)));
    }

    @Test
    void anAppContainerInANewNamespaceTakesOneNicWhenAHookFillsIt() {
        assertFalse(NicPlan.isSandbox(spec("", cri("container"), SETKEY)));
        assertEquals(1, NicPlan.nicsForNewNamespace(spec("", cri("container"), SETKEY)), "docker's libnetwork-setkey");
        assertEquals(0, NicPlan.nicsForNewNamespace(spec("", cri("container"), Hooks.NONE)), "nothing can fill it");
        Map<String, String> three = cri("container");
        three.put(NicPlan.NICS_ANNOTATION, "3");
        assertEquals(3, NicPlan.nicsForNewNamespace(spec("", three, Hooks.NONE)));
    }

    @Test
    void aBadNicCountIsOneClearError() {
        Map<String, String> a = new HashMap<>();
        a.put(NicPlan.NICS_ANNOTATION, "lots");
        var e = assertThrows(IllegalArgumentException.class, () -> NicPlan.nicsForNewNamespace(spec("", a, Hooks.NONE)));
        assertEquals("config.json: annotation io.jvmvisor.nics \"lots\" is not a number of NICs in 0..8", e.getMessage());
    }

    @Test
    void withoutANetworkNamespaceThereIsNoNicAndCreateRefusesIt() {
        Spec host = spec(null, Map.of(), SETKEY);
        assertEquals(NicPlan.Namespace.HOST, NicPlan.namespace(host));
        assertEquals(0, NicPlan.nicsForNewNamespace(host));
        String why = NicPlan.hostNetworkRefusal(host);
        assertNotNull(why);
        assertTrue(why.startsWith("host networking (docker --network=host) is not possible"), why);
        assertNull(NicPlan.hostNetworkRefusal(spec("", Map.of(), SETKEY)));
    }
}
