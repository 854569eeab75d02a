package io.jvmvisor.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvmvisor.testbundles.CommandResult;
import io.jvmvisor.testbundles.TestBundles;
import io.jvmvisor.testbundles.TestNetns;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A network namespace by path, as CRI/CNI hands it over (configured before create): two namespaces
 * made here, {@code pod} (eth0 10.99.0.2/24, MTU 1400, default via .1) and its {@code peer} at the
 * other end of the veth (10.99.0.1); no packet leaves them. The VM gets the pod's eth0, reaches the
 * peer, and leaves no tap or qdisc behind, also after a shim was SIGKILLed.
 */
class CliNetworkIT {
    @TempDir
    static Path work;
    static CliFixture cli;
    static TestNetns pod;
    static TestNetns peer;
    static final Duration T = Duration.ofSeconds(20);

    @BeforeAll
    static void namespaces() {
        cli = new CliFixture(work);
        cli.vmUnavailable().ifPresent(why -> Assumptions.abort("no micro-VM can boot here: " + why));
        String why = TestNetns.unavailableReason();
        Assumptions.assumeTrue(why == null, () -> "skipped: " + why);
        peer = TestNetns.create("jvv-net-peer");
        pod = TestNetns.create("jvv-net-pod");
        ok(peer.run(T, "ip", "link", "add", "veth-p", "type", "veth", "peer", "name", "eth0", "netns", pod.path().toString()));
        ok(peer.run(T, "sh", "-c", "ip addr add 10.99.0.1/24 dev veth-p && ip link set veth-p up"));
        ok(pod.run(T, "sh", "-c", "ip addr add 10.99.0.2/24 dev eth0 && ip link set eth0 mtu 1400 up"
                + " && ip route add default via 10.99.0.1"));
    }

    @AfterAll
    static void removeNamespaces() {
        if (pod != null) {
            pod.close();
        }
        if (peer != null) {
            peer.close();
        }
    }

    private static void ok(CommandResult r) {
        assertEquals(0, r.exitCode(), r.toString());
    }

    /** The hello bundle running {@code script}, in the pod's namespace. */
    private static Path bundle(String name, String... args) {
        return TestBundles.create("hello", work.resolve(name), c -> {
            TestBundles.args(c, args);
            for (JsonNode ns : c.path("linux").path("namespaces")) {
                if ("network".equals(ns.path("type").asText())) {
                    ((ObjectNode) ns).put("path", pod.path().toString());
                }
            }
        });
    }

    private static String podLinksAndQdiscs() {
        return pod.run(T, "sh", "-c", "ip -o link | cut -d: -f2; tc qdisc show | grep ingress || true").stdout();
    }

    @Test
    void theGuestGetsThePodsInterfaceAndReachesThePeer() throws Exception {
        // (not /sys/class/net: nsenter --net keeps the caller's /sys)
        String mac = pod.run(T, "ip", "-o", "link", "show", "eth0").stdout().replaceAll("(?s).*link/ether (\\S+).*", "$1").strip();
        Process listener = new ProcessBuilder(peer.inside(List.of("sh", "-c", "echo hello-peer | busybox nc -l -p 9000")))
                .redirectErrorStream(true).start();
        try {
            String id = CliFixture.id("netns");
            CliFixture.Result r = cli.run("run", "--bundle", bundle("bypath", "sh", "-c",
                    "ip -o link show eth0; ip -4 -o addr show eth0; ip route; nc 10.99.0.1 9000 </dev/null").toString(), id);
            assertEquals(0, r.code(), r.out() + r.err());
            assertTrue(r.out().contains("mtu 1400") && r.out().contains("link/ether " + mac), r.out());
            assertTrue(r.out().contains("inet 10.99.0.2/24"), r.out());
            assertTrue(r.out().contains("default via 10.99.0.1 dev eth0"), r.out());
            assertTrue(r.out().contains("hello-peer"), r.out());
            cli.assertNothingLeft(id);
        } finally {
            listener.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String left = podLinksAndQdiscs();
        assertFalse(left.contains("jvtap") || left.contains("ingress"), left);
    }

    @Test
    void aTapLeftByASigkilledShimIsSwept() throws Exception {
        String killed = CliFixture.id("killed");
        CliFixture.Result c = cli.run("create", "--bundle", bundle("killed", "sleep", "1000").toString(), killed);
        assertEquals(0, c.code(), c.err());
        try {
            long shim = Json.mapper().readTree(cli.run("state", killed).out()).get("pid").asLong();
            ProcessHandle h = ProcessHandle.of(shim).orElseThrow();
            h.destroyForcibly();
            h.onExit().get(10, TimeUnit.SECONDS);
            assertTrue(podLinksAndQdiscs().contains("jvtap0"), "the killed shim's tap stays in the pod's namespace");

            String id = CliFixture.id("after");
            CliFixture.Result r = cli.run("run", "--bundle", bundle("after", "ip", "-4", "-o", "addr", "show", "eth0").toString(), id);
            assertEquals(0, r.code(), r.out() + r.err());
            assertTrue(r.out().contains("inet 10.99.0.2/24"), r.out());
            String left = podLinksAndQdiscs();
            assertFalse(left.contains("jvtap") || left.contains("ingress"), left);
        } finally {
            cli.run("delete", "--force", killed);
        }
    }
}
