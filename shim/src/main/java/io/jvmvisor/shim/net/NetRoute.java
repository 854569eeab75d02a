package io.jvmvisor.shim.net;

/**
 * A route of the container's namespace that the guest must have too (kernel-made routes, the
 * prefix routes of addresses, are made by the guest's kernel itself).
 *
 * @param destination {@code default}, a CIDR, or a bare address (a host route)
 * @param gateway     "" for an on-link route
 * @param device      the interface name
 * @param metric      0 for none
 * @param ipv6        the family (needed for {@code default})
 */
public record NetRoute(String destination, String gateway, String device, int metric, boolean ipv6) {
}
