package io.jvmvisor.integration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvmvisor.testbundles.TestNetns;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's containernetworking-plugins called as a CNI runtime calls them (CNI_COMMAND, CNI_NETNS,
 * CNI_IFNAME, CNI_PATH in the environment, the network config on stdin): {@code loopback}, and
 * {@code bridge} with {@code host-local} addresses. The plugins run inside {@code side}, a test's
 * own namespace, so the bridge they make exists only there; the pod namespace gets the veth's
 * other end.
 */
final class CniPlugins {
    static final Path PLUGINS = Path.of("/usr/lib/cni");

    private final TestNetns side;
    private final Path dataDir;
    private final String bridge;
    private final String subnet;

    /** {@code bridge}: the bridge's name in {@code side}; {@code subnet}: a private /24 for host-local. */
    CniPlugins(TestNetns side, Path dataDir, String bridge, String subnet) {
        this.side = side;
        this.dataDir = dataDir;
        this.bridge = bridge;
        this.subnet = subnet;
    }

    static String unavailableReason() {
        for (String p : List.of("bridge", "host-local", "loopback")) {
            if (!Files.isExecutable(PLUGINS.resolve(p))) {
                return PLUGINS.resolve(p) + " is missing (apt-get install containernetworking-plugins; setup.sh has it)";
            }
        }
        return null;
    }

    String bridgeConfig() {
        return """
                {"cniVersion": "1.0.0", "name": "%s", "type": "bridge", "bridge": "%s", "isGateway": true,
                 "ipMasq": false, "ipam": {"type": "host-local", "subnet": "%s", "dataDir": "%s"}}
                """.formatted(bridge, bridge, subnet, dataDir);
    }

    static String loopbackConfig() {
        return "{\"cniVersion\": \"1.0.0\", \"name\": \"lo\", \"type\": \"loopback\"}";
    }

    /** ADD of lo and eth0 for the pod namespace; returns eth0's address with its prefix, e.g. 10.213.7.2/24. */
    String addPod(String containerId, Path podNetns) throws IOException, InterruptedException {
        call("ADD", "loopback", containerId, podNetns, "lo", loopbackConfig());
        JsonNode r = new ObjectMapper().readTree(call("ADD", "bridge", containerId, podNetns, "eth0", bridgeConfig()));
        JsonNode ips = r.path("ips");
        if (!ips.isArray() || ips.isEmpty()) {
            throw new IOException("the bridge plugin gave no address: " + r);
        }
        return ips.get(0).path("address").asText();
    }

    /** DEL of eth0 and lo (errors ignored: the namespace may be gone already). */
    void delPod(String containerId, Path podNetns) {
        try {
            call("DEL", "bridge", containerId, podNetns, "eth0", bridgeConfig());
            call("DEL", "loopback", containerId, podNetns, "lo", loopbackConfig());
        } catch (IOException | InterruptedException e) {
            // best effort: the namespaces are deleted next
        }
    }

    /** Runs one plugin; returns its stdout (the result JSON) or throws with its error. */
    String call(String command, String plugin, String containerId, Path netns, String ifname, String config)
            throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(side.inside(List.of(PLUGINS.resolve(plugin).toString())));
        ProcessBuilder pb = new ProcessBuilder(argv);
        var env = pb.environment();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", containerId);
        env.put("CNI_NETNS", netns.toString());
        env.put("CNI_IFNAME", ifname);
        env.put("CNI_PATH", PLUGINS.toString());
        Process p = pb.start();
        p.getOutputStream().write(config.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(Duration.ofSeconds(30).toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(plugin + " " + command + " did not finish in 30 s");
        }
        String stdout = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException(plugin + " " + command + " failed (exit " + p.exitValue() + "): " + stdout + err);
        }
        return stdout;
    }
}
