package io.jvmvisor.shim.net;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The iproute2 command lines that wire a VM NIC to a container interface: pure functions.
 * A persistent tap owned by root (QEMU attaches to it without CAP_NET_ADMIN), and tc both
 * ways between the container's interface and the tap: an ingress qdisc on each and a u32
 * match-all filter whose action is a mirred redirect to the other's egress (Kata's default;
 * this host kernel has no matchall classifier, u32 {@code match u8 0 0} matches every frame).
 */
public final class NetCommands {
    /** Taps are named {@code jvtapN}; any tap in a namespace marks it as a VM's. */
    public static final String TAP_PREFIX = "jvtap";
    /** A tap's alias names the shim that made it: {@code jvmvisor-shim:PID}. */
    public static final String TAP_ALIAS = "jvmvisor-shim:";

    private NetCommands() {
    }

    public static String ip() {
        return tool("ip");
    }

    public static String tc() {
        return tool("tc");
    }

    private static String tool(String name) {
        for (String dir : new String[] {"/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"}) {
            if (Files.isExecutable(Path.of(dir + name))) {
                return dir + name;
            }
        }
        return name;
    }

    public static String tapName(int index) {
        return TAP_PREFIX + index;
    }

    public static List<String> tapAdd(String ip, String tap) {
        return List.of(ip, "tuntap", "add", "dev", tap, "mode", "tap", "user", "0");
    }

    /** Marks the tap as made by the shim {@code pid}, so that one a SIGKILLed shim left can be told apart. */
    public static List<String> tapOwner(String ip, String tap, long pid) {
        return List.of(ip, "link", "set", "dev", tap, "alias", TAP_ALIAS + pid);
    }

    public static List<String> tapUp(String ip, String tap, int mtu) {
        return mtu > 0 ? List.of(ip, "link", "set", "dev", tap, "mtu", Integer.toString(mtu), "up")
                : List.of(ip, "link", "set", "dev", tap, "up");
    }

    public static List<String> linkDelete(String ip, String dev) {
        return List.of(ip, "link", "del", "dev", dev);
    }

    /** {@code tc -batch -} lines redirecting every frame from {@code veth} to {@code tap} and back. */
    public static List<String> redirectBoth(String veth, String tap) {
        return List.of("qdisc add dev " + veth + " ingress",
                "filter add dev " + veth + " parent ffff: protocol all u32 match u8 0 0 action mirred egress redirect dev " + tap,
                "qdisc add dev " + tap + " ingress",
                "filter add dev " + tap + " parent ffff: protocol all u32 match u8 0 0 action mirred egress redirect dev " + veth);
    }

    /** Removes the ingress qdisc (and so its filter) added on the container's interface. */
    public static List<String> removeRedirect(String tc, String veth) {
        return List.of(tc, "qdisc", "del", "dev", veth, "ingress");
    }

    /** The MAC a VM's NIC boots with (locally administered); the agent sets the container's MAC. */
    public static String bootMac(int index) {
        return String.format("02:4a:56:00:00:%02x", index);
    }
}
