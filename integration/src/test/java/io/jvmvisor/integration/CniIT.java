package io.jvmvisor.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jvmvisor.testbundles.CommandResult;
import io.jvmvisor.testbundles.PrivateContainerd;
import io.jvmvisor.testbundles.TestNetns;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pod network made by CNI (Debian's bridge + host-local + loopback plugins, called here as a CNI
 * runtime calls them) on a pod namespace, then containers joining it through containerd
 * ({@code ctr run --with-ns network:PATH --runc-binary bin/jvmvisor}). The bridge lives in a test
 * namespace of its own: no packet leaves it. Under jvmvisor CRI's sandbox container takes no NIC,
 * the app container's VM gets the pod's interface and address, and a second app container in the
 * same pod is refused with one line (until a pod shares one VM); under runc
 * ({@code -Djvmvisor.it.runtime=runc}) every container shares the pod's namespace.
 */
class CniIT {
    static final String RUNTIME = System.getProperty("jvmvisor.it.runtime", "jvmvisor");
    static final String SUBNET = "10.213.7.0/24";
    static final String CRI_TYPE = "io.kubernetes.cri.container-type";

    @TempDir
    Path tmp;

    private static String runcBinary() {
        return RUNTIME.equals("jvmvisor") ? Jvmvisor.launcher().toString() : "/usr/sbin/runc";
    }

    @Test
    void podNetworkFromCniIsTheAppContainersAndTheSandboxTakesNoNic() throws Exception {
        for (String why : new String[] {PrivateContainerd.unavailableReason(), TestNetns.unavailableReason(),
                CniPlugins.unavailableReason(), RUNTIME.equals("jvmvisor") ? Jvmvisor.unavailableReason() : null}) {
            assumeTrue(why == null, () -> "skipped: " + why);
        }
        String pod = "jvcni-pod-" + ProcessHandle.current().pid();
        try (TestNetns side = TestNetns.create("jvcni");
             TestNetns podNs = TestNetns.create("jvpod");
             PrivateContainerd c = PrivateContainerd.start(tmp.resolve("c"))) {
            CniPlugins cni = new CniPlugins(side, tmp.resolve("cni-ipam"), "jvcni" + (ProcessHandle.current().pid() % 100000), SUBNET);
            String cidr = cni.addPod(pod, podNs.path());
            String ip = cidr.substring(0, cidr.indexOf('/'));
            try {
                String ns = "network:" + podNs.path();
                // CRI's sandbox (pause) container: no NIC, only lo (under runc it sees the pod's eth0)
                CommandResult sandbox = c.ctr("run", "--rm", "--runc-binary", runcBinary(), "--with-ns", ns,
                        "--annotation", CRI_TYPE + "=sandbox", PrivateContainerd.IMAGE, pod + "-sandbox", "ip", "-4", "-o", "addr");
                assertEquals(0, sandbox.exitCode(), sandbox.toString());
                assertEquals(RUNTIME.equals("runc"), sandbox.stdout().contains(cidr), sandbox.stdout());
                assertTrue(sandbox.stdout().contains("127.0.0.1/8"), sandbox.stdout());

                // the app container takes the pod's interface: eth0 with the CNI-assigned address, and serves on it
                CommandResult app = c.ctr("run", "-d", "--runc-binary", runcBinary(), "--with-ns", ns,
                        "--annotation", CRI_TYPE + "=container", PrivateContainerd.IMAGE, pod + "-app",
                        "sh", "-c", "mkdir -p /www && echo pod-ok > /www/index.html && exec httpd -f -p 8080 -h /www");
                assertEquals(0, app.exitCode(), app.toString());
                CommandResult addr = c.ctr("task", "exec", "--exec-id", "addr", pod + "-app", "ip", "-4", "-o", "addr", "show", "eth0");
                assertEquals(0, addr.exitCode(), addr.toString());
                assertTrue(addr.stdout().contains("inet " + cidr), "the VM got the pod's address: " + addr.stdout());
                CommandResult route = c.ctr("task", "exec", "--exec-id", "route", pod + "-app", "ip", "route");
                assertTrue(route.stdout().contains("10.213.7.0/24 dev eth0"), route.stdout());
                CommandResult get = fetch(side, "http://" + ip + ":8080/index.html");
                assertEquals("pod-ok\n", get.stdout(), "served from the container, fetched on the bridge side: " + get);

                // a second app container in the same pod namespace
                CommandResult second = c.ctr("run", "--rm", "--runc-binary", runcBinary(), "--with-ns", ns,
                        "--annotation", CRI_TYPE + "=container", PrivateContainerd.IMAGE, pod + "-app2", "true");
                if (RUNTIME.equals("jvmvisor")) {
                    assertNotEquals(0, second.exitCode(), second.toString());
                    String line = second.stderr().lines().filter(l -> l.contains("network namespace")).findFirst().orElse("");
                    assertFalse(line.isEmpty(), "one clear line on the refusal: " + second.stderr());
                } else {
                    assertEquals(0, second.exitCode(), second.toString());
                }
            } finally {
                c.ctr("task", "kill", "-s", "KILL", pod + "-app");
                waitStopped(c, pod + "-app");
                c.ctr("task", "rm", "-f", pod + "-app");
                c.ctr("containers", "rm", pod + "-app");
                cni.delPod(pod, podNs.path());
            }
            CommandResult links = podNs.run(Duration.ofSeconds(10), "ip", "-o", "link");
            assertFalse(links.stdout().contains("tap"), "a tap left in the pod namespace: " + links.stdout());
            CommandResult qdisc = podNs.run(Duration.ofSeconds(10), "tc", "qdisc", "show");
            assertFalse(qdisc.stdout().contains("ingress"), "an ingress qdisc left in the pod namespace: " + qdisc.stdout());
        }
    }

    /** curl inside the bridge's namespace, retried while the server in the VM comes up. */
    private static CommandResult fetch(TestNetns side, String url) throws InterruptedException {
        CommandResult r = null;
        for (int i = 0; i < 30; i++) {
            r = side.run(Duration.ofSeconds(20), "curl", "-sS", "-m", "5", url);
            if (r.exitCode() == 0) {
                return r;
            }
            Thread.sleep(1000);
        }
        return r;
    }

    private static void waitStopped(PrivateContainerd c, String id) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            CommandResult r = c.ctr("task", "ls");
            if (!r.stdout().contains(id) || r.stdout().lines().anyMatch(l -> l.startsWith(id) && l.contains("STOPPED"))) {
                return;
            }
            Thread.sleep(100);
        }
    }
}
