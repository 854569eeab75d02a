package io.jvmvisor.shim.net;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Parses iproute2's JSON output ({@code ip -d -j addr show}, {@code ip -j route show}): pure functions. */
public final class IpJson {

    private IpJson() {
    }

    /** The interfaces of {@code ip -d -j addr show}, in ifindex order; ipv6Disabled is false (read apart). */
    public static List<NetInterface> interfaces(String json) throws IOException {
        List<NetInterface> out = new ArrayList<>();
        for (JsonNode n : array(json)) {
            List<NetInterface.Address> addrs = new ArrayList<>();
            for (JsonNode a : n.path("addr_info")) {
                String family = a.path("family").asText();
                String scope = a.path("scope").asText();
                if ((family.equals("inet") || family.equals("inet6")) && (scope.equals("global") || scope.equals("site"))
                        && a.hasNonNull("local")) {
                    addrs.add(new NetInterface.Address(a.path("local").asText(), a.path("prefixlen").asInt()));
                }
            }
            out.add(new NetInterface(n.path("ifindex").asInt(), n.path("ifname").asText(), n.path("address").asText(""),
                    n.path("mtu").asInt(), n.path("link_type").asText(""), n.path("linkinfo").path("info_kind").asText(""),
                    addrs, false, n.path("ifalias").asText("")));
        }
        out.sort((a, b) -> Integer.compare(a.ifindex(), b.ifindex()));
        return out;
    }

    /**
     * The routes of {@code ip -j [-6] route show table main} that the guest must be given: unicast,
     * not made by the kernel (address prefix routes, IPv6 link-local and multicast).
     */
    public static List<NetRoute> routes(String json, boolean ipv6) throws IOException {
        List<NetRoute> out = new ArrayList<>();
        for (JsonNode r : array(json)) {
            String type = r.path("type").asText("unicast");
            String dst = r.path("dst").asText("");
            if (!type.equals("unicast") || "kernel".equals(r.path("protocol").asText()) || dst.isEmpty()
                    || dst.startsWith("fe80:") || dst.startsWith("ff00:") || !r.hasNonNull("dev")) {
                continue;
            }
            out.add(new NetRoute(dst, r.path("gateway").asText(""), r.path("dev").asText(), r.path("metric").asInt(0), ipv6));
        }
        return out;
    }

    private static JsonNode array(String json) throws IOException {
        JsonNode n = io.jvmvisor.oci.JsonTree.read(json.isBlank() ? "[]" : json); // no ObjectMapper at start
        if (!n.isArray()) {
            throw new IOException("iproute2 gave no JSON array: " + json.substring(0, Math.min(200, json.length())));
        }
        return n;
    }
}
