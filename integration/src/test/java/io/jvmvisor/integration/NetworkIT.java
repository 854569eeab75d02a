package io.jvmvisor.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jvmvisor.testbundles.CommandResult;
import io.jvmvisor.testbundles.Commands;
import io.jvmvisor.testbundles.PrivateDocker;
import io.jvmvisor.testbundles.TestNetns;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Docker networking with {@code --runtime=jvmvisor}: a private dockerd runs inside a network
 * namespace made here ({@code jvv-net-PID}), with its default bridge and iptables there, so no
 * packet leaves that namespace; published ports are reached on 127.0.0.1 inside it. The same
 * tests run against runc with {@code -Djvmvisor.it.runtime=runc}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NetworkIT {
    static final String IMAGE = PrivateDocker.IMAGE;
    static final Duration LONG = Duration.ofSeconds(180);
    static final String RUNTIME = DockerIT.RUNTIME;
    /** Serves /tmp/www/index.html ("hello-NAME") with busybox httpd on port 80. */
    static final String HTTPD = "mkdir -p /tmp/www && echo hello-$HOSTNAME > /tmp/www/index.html && exec httpd -f -p 80 -h /tmp/www";

    TestNetns netns;
    PrivateDocker docker;
    Path dir;

    @BeforeAll
    void startDocker() throws Exception {
        String why = PrivateDocker.unavailableReason();
        assumeTrue(why == null, () -> "skipped: " + why);
        String ns = TestNetns.unavailableReason();
        assumeTrue(ns == null, () -> "skipped: " + ns);
        List<PrivateDocker.Runtime> runtimes = List.of();
        if (RUNTIME.equals("jvmvisor")) {
            String jv = Jvmvisor.unavailableReason();
            assumeTrue(jv == null, () -> "skipped: " + jv);
            runtimes = List.of(new PrivateDocker.Runtime("jvmvisor", Jvmvisor.launcher().toString(), List.of()));
        }
        dir = Files.createTempDirectory("jvmvisor-network-it");
        netns = TestNetns.create("jvv-net");
        docker = PrivateDocker.start(dir.resolve("d"), runtimes, netns);
    }

    @AfterAll
    void stopDocker() {
        if (docker != null) {
            docker.close();
        }
        if (netns != null) {
            netns.close();
        }
        if (dir != null) {
            Commands.run(Duration.ofSeconds(30), List.of("rm", "-rf", dir.toString()));
        }
    }

    CommandResult docker(String... args) {
        return docker.docker(LONG, null, args);
    }

    /** docker run --rm --runtime=RUNTIME ARGS... */
    CommandResult run(String... args) {
        List<String> a = new ArrayList<>(List.of("run", "--rm", "--runtime=" + RUNTIME));
        a.addAll(List.of(args));
        return docker(a.toArray(String[]::new));
    }

    /** Starts a detached container; returns its name. */
    String detached(String name, String... args) {
        List<String> a = new ArrayList<>(List.of("run", "-d", "--name", name, "--hostname", name, "--runtime=" + RUNTIME));
        a.addAll(List.of(args));
        CommandResult r = docker(a.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.toString());
        return name;
    }

    String inspect(String format, String name) {
        return docker("inspect", "-f", format, name).stdout().strip();
    }

    /** Polls {@code url} with curl from inside the test namespace until it answers (the VM boots meanwhile). */
    CommandResult fetchFromNamespace(String url) throws InterruptedException {
        long deadline = System.nanoTime() + LONG.toNanos();
        CommandResult r;
        do {
            r = netns.run(Duration.ofSeconds(30), "curl", "-sS", "-m", "10", url);
            if (r.exitCode() == 0) {
                return r;
            }
            Thread.sleep(500);
        } while (System.nanoTime() < deadline);
        return r;
    }

    @Test
    void publishedPortReachesHttpdInTheContainer() throws Exception {
        String c = detached("web", "-p", "127.0.0.1:18080:80", IMAGE, "sh", "-c", HTTPD);
        try {
            CommandResult r = fetchFromNamespace("http://127.0.0.1:18080/");
            assertEquals(0, r.exitCode(), r + "\n" + docker("logs", c));
            assertEquals("hello-web\n", r.stdout());
        } finally {
            docker("rm", "-f", c);
        }
    }

    /** wget from inside {@code from}, polling while the other VM boots (busybox wget -T crashes: no -T). */
    CommandResult wgetFrom(String from, String url) {
        return docker("exec", from, "sh", "-c",
                "for i in $(seq 120); do wget -q -O- " + url + " && exit 0; sleep 1; done; exit 1");
    }

    /** By IP both ways, then by name and by network alias. */
    @Test
    void containersOnAUserDefinedNetworkReachEachOther() {
        CommandResult net = docker("network", "create", "jvv-users");
        assertEquals(0, net.exitCode(), net.toString());
        String a = detached("alpha", "--network", "jvv-users", "--network-alias", "first", IMAGE, "sh", "-c", HTTPD);
        String b = detached("beta", "--network", "jvv-users", IMAGE, "sh", "-c", HTTPD);
        try {
            String ipA = inspect("{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", a);
            String ipB = inspect("{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", b);
            assertTrue(ipA.matches("172\\.\\d+\\.\\d+\\.\\d+") && !ipA.startsWith("172.17."), ipA);
            CommandResult ab = wgetFrom(a, "http://" + ipB + "/");
            assertEquals(0, ab.exitCode(), ab.toString());
            assertEquals("hello-beta\n", ab.stdout());
            CommandResult ba = wgetFrom(b, "http://" + ipA + "/");
            assertEquals(0, ba.exitCode(), ba.toString());
            assertEquals("hello-alpha\n", ba.stdout());
            // by name and by alias: docker's embedded DNS (127.0.0.11, relayed by the agent under jvmvisor)
            CommandResult byName = wgetFrom(a, "http://beta/");
            assertEquals(0, byName.exitCode(), byName.toString());
            assertEquals("hello-beta\n", byName.stdout());
            CommandResult byAlias = wgetFrom(b, "http://first/");
            assertEquals(0, byAlias.exitCode(), byAlias.toString());
            assertEquals("hello-alpha\n", byAlias.stdout());
            // what a runc container sees: 127.0.0.11 in resolv.conf, nslookup of the name and the alias, ping by name
            CommandResult dns = docker("exec", a, "sh", "-c", "grep nameserver /etc/resolv.conf; nslookup beta; nslookup first;"
                    + " ping -c1 -W5 beta");
            assertEquals(0, dns.exitCode(), dns.toString());
            assertTrue(dns.stdout().startsWith("nameserver 127.0.0.11\n"), dns.stdout());
            assertTrue(dns.stdout().contains("Name:\tbeta\nAddress: " + ipB + "\n"), dns.stdout());
            assertTrue(dns.stdout().contains("Name:\tfirst\nAddress: " + ipA + "\n"), dns.stdout());
            assertTrue(dns.stdout().contains("1 packets received"), dns.stdout());
        } finally {
            docker("rm", "-f", a, b);
            docker("network", "rm", "jvv-users");
        }
    }

    /** `ip -4 addr` and `ip route` with addresses, interface indexes and link details masked. */
    static String normalized(String out) {
        return out.lines().map(l -> {
            String m = l.replaceAll("\\d+\\.\\d+\\.\\d+\\.\\d+", "A");
            if (m.matches("^\\d+: .*")) {
                return m.replaceAll("^\\d+: ([^:@ ]+)(@[^:]+)?: .*", "$1:");
            }
            return m.startsWith("    inet ") || m.startsWith("    inet6 ") || !m.startsWith(" ") ? m.strip().replaceAll("\\s+", " ") : null;
        }).filter(l -> l != null && !l.isEmpty()).collect(Collectors.joining("\n"));
    }

    @Test
    void addressesAndRoutesAreRuncs() {
        String script = "ip -4 addr; echo ---; ip route; echo ---; ip -o link | cut -d: -f2 | cut -d@ -f1";
        CommandResult vm = run(IMAGE, "sh", "-c", script);
        CommandResult runc = docker("run", "--rm", "--runtime=runc", IMAGE, "sh", "-c", script);
        assertEquals(0, vm.exitCode(), vm.toString());
        assertEquals(0, runc.exitCode(), runc.toString());
        assertTrue(vm.stdout().contains("eth0"), vm.stdout());
        assertTrue(vm.stdout().contains("default via 172.17.0.1 dev eth0"), vm.stdout());
        assertEquals(normalized(runc.stdout()), normalized(vm.stdout()), "runc:\n" + runc.stdout() + "\n" + RUNTIME + ":\n" + vm.stdout());
        // --network=none: only lo, as under runc
        CommandResult none = run("--network=none", IMAGE, "sh", "-c", "ip -o link | cut -d: -f2 | cut -d@ -f1");
        assertEquals(0, none.exitCode(), none.toString());
        assertEquals("lo", none.stdout().strip(), none.toString());
    }

    /** An IPv6 network with its own MTU: the guest gets the v6 address, the MTU and the v6 default route. */
    @Test
    void ipv6AndMtuOfAUserDefinedNetwork() {
        CommandResult net = docker("network", "create", "--ipv6", "--subnet", "fd00:77::/64",
                "-o", "com.docker.network.driver.mtu=1400", "jvv-v6");
        assertEquals(0, net.exitCode(), net.toString());
        try {
            CommandResult r = run("--network", "jvv-v6", IMAGE, "sh", "-c",
                    "ip addr show eth0; ip -6 route; ping6 -c 1 -W 10 fd00:77::1 >/dev/null && echo v6-gateway-answers");
            assertEquals(0, r.exitCode(), r.toString());
            assertTrue(r.stdout().contains("mtu 1400"), r.stdout());
            assertTrue(r.stdout().contains("inet6 fd00:77::2/64 scope global"), r.stdout());
            assertTrue(r.stdout().contains("default via fd00:77::1 dev eth0"), r.stdout());
            assertTrue(r.stdout().contains("v6-gateway-answers"), r.stdout());
        } finally {
            docker("network", "rm", "jvv-v6");
        }
    }

    @Test
    void execSeesTheSameNetwork() {
        String c = detached("execnet", IMAGE, "sleep", "1000");
        try {
            String ip = inspect("{{.NetworkSettings.IPAddress}}", c);
            String mac = inspect("{{.NetworkSettings.MacAddress}}", c);
            CommandResult addr = docker("exec", c, "ip", "addr", "show", "eth0");
            assertEquals(0, addr.exitCode(), addr.toString());
            assertTrue(addr.stdout().contains("inet " + ip + "/16"), addr.toString());
            assertTrue(addr.stdout().contains("link/ether " + mac), addr.toString());
            CommandResult route = docker("exec", c, "ip", "route");
            assertTrue(route.stdout().contains("default via " + inspect("{{.NetworkSettings.Gateway}}", c) + " dev eth0"),
                    route.toString());
            // the gateway (the bridge in the test namespace) answers from the container
            CommandResult ping = docker("exec", c, "ping", "-c", "1", "-W", "10", inspect("{{.NetworkSettings.Gateway}}", c));
            assertEquals(0, ping.exitCode(), ping.toString());
        } finally {
            docker("rm", "-f", c);
        }
    }

    @Test
    void hostNetworkIsRefusedWithOneLine() {
        Path runtimeRoot = docker.dir().resolve("exec");
        long before = runtimeFiles(runtimeRoot);
        CommandResult r = run("--network=host", IMAGE, "ip", "-o", "link");
        if (RUNTIME.equals("runc")) {
            assertEquals(0, r.exitCode(), r.toString());
            assertTrue(r.stdout().contains("docker0"), "runc shares the namespace's network: " + r);
            return;
        }
        assertNotEquals(0, r.exitCode(), r.toString());
        List<String> lines = r.stderr().lines().filter(l -> l.contains("a VM cannot share the host's network stack")).toList();
        assertEquals(1, lines.size(), r.toString());
        assertEquals(before, runtimeFiles(runtimeRoot), "nothing left under the runtime roots");
    }

    @Test
    void twentyRunsOnTheBridgeLeaveNothingBehind() {
        Path execRoot = docker.dir().resolve("exec");
        run(IMAGE, "true"); // warm: the runtime root exists from here on
        HostLeftovers before = HostLeftovers.snapshot(docker.dir().toString(), execRoot);
        String links = links();
        String qdiscs = netns.run(Duration.ofSeconds(10), "tc", "qdisc", "show").stdout();
        for (int i = 0; i < 20; i++) {
            CommandResult r = run(IMAGE, "sh", "-c", "ip -4 -o addr show eth0 | grep -q 'inet 172.17.'");
            assertEquals(0, r.exitCode(), "run " + i + ": " + r);
        }
        assertEquals(before, HostLeftovers.snapshot(docker.dir().toString(), execRoot));
        assertEquals(links, links(), "interfaces in the test namespace");
        assertEquals(qdiscs, netns.run(Duration.ofSeconds(10), "tc", "qdisc", "show").stdout(), "qdiscs in the test namespace");
        // docker removes a container's namespace lazily (libnetwork's GC): those still there hold no tap or filter
        for (String ns : list(execRoot.resolve("netns"))) {
            CommandResult in = Commands.run(Duration.ofSeconds(10), List.of("nsenter", "--net=" + execRoot.resolve("netns/" + ns),
                    "sh", "-c", "ip -o link; tc qdisc show"));
            if (in.exitCode() == 0) {
                assertTrue(!in.stdout().contains("jvtap") && !in.stdout().contains("ingress"), ns + ": " + in.stdout());
            }
        }
        String marker = docker.dir().toString(); // other tests on this host have QEMUs on taps of their own
        assertTrue(ProcessHandle.allProcesses().map(h -> h.info().commandLine().orElse(""))
                .noneMatch(c -> c.contains("jvtap") && c.contains(marker)), "no QEMU on a tap is left");
    }

    private String links() {
        return netns.run(Duration.ofSeconds(10), "ip", "-o", "link").stdout().lines()
                .map(l -> l.replaceAll("^\\d+: ([^:]+):.*", "$1")).sorted().collect(Collectors.joining(" "));
    }

    private static List<String> list(Path d) {
        if (!Files.isDirectory(d)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long runtimeFiles(Path execRoot) {
        try (Stream<Path> s = Files.walk(execRoot)) {
            return s.filter(p -> execRoot.relativize(p).toString().startsWith("runtime-")).count();
        } catch (java.io.IOException e) {
            return -1;
        }
    }
}
