package io.jvmvisor.shim.net;

import java.util.List;

/**
 * One interface of the container's network namespace, as {@code ip -d -j addr} shows it.
 *
 * @param ifindex      its index in the namespace
 * @param name         e.g. {@code eth0}
 * @param mac          {@code xx:xx:xx:xx:xx:xx}
 * @param mtu          bytes
 * @param linkType     {@code ether}, {@code loopback}, ...
 * @param kind         {@code veth}, {@code tun}, ... ("" when the kernel gives none)
 * @param addresses    global/site addresses (link-local ones are left to the guest's kernel)
 * @param ipv6Disabled net.ipv6.conf.NAME.disable_ipv6 is 1 (docker sets it on networks without IPv6)
 * @param alias        the interface's alias ("" for none): a tap's names the shim that made it
 */
public record NetInterface(int ifindex, String name, String mac, int mtu, String linkType, String kind,
                           List<Address> addresses, boolean ipv6Disabled, String alias) {

    /** An address with its prefix length. */
    public record Address(String address, int prefixLen) {
        public boolean ipv6() {
            return address.indexOf(':') >= 0;
        }
    }

    public NetInterface {
        addresses = List.copyOf(addresses);
    }

    /** A tap: a VM's NIC end, not a container interface. */
    public boolean isTap() {
        return "tun".equals(kind);
    }

    /** The PID of the shim that made this tap (its alias, see {@link NetCommands#tapOwner}), or 0. */
    public long tapOwner() {
        return isTap() && alias.startsWith(NetCommands.TAP_ALIAS) ? parse(alias.substring(NetCommands.TAP_ALIAS.length())) : 0;
    }

    private static long parse(String pid) {
        try {
            return Long.parseLong(pid);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** An Ethernet interface that a VM NIC can stand for (not lo, not a tap). */
    public boolean isContainerInterface() {
        return "ether".equals(linkType) && !isTap();
    }

    public NetInterface withIpv6Disabled(boolean disabled) {
        return new NetInterface(ifindex, name, mac, mtu, linkType, kind, addresses, disabled, alias);
    }
}
