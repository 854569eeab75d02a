/* ConfigureNetwork: the guest side of a container's network.
 *
 * The host (shim) reads the container's network namespace and sends what
 * each interface holds; here every virtio NIC, found by the MAC it booted
 * with, is renamed, given the container's MAC, MTU and addresses and brought
 * up, then the routes are added, all over rtnetlink (NETLINK_ROUTE). The
 * VM's root network namespace is the container's: the VM is the boundary.
 * NICs the request does not name are detached from their driver, so the
 * guest shows exactly the interfaces of the container's namespace. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core.h"

#define MSG_LEN 256
#define NL_BUF 1024

typedef Jvmvisor__Agent__V1__ConfigureNetworkRequest ConfigureNetworkRequest;
typedef Jvmvisor__Agent__V1__NetworkInterface NetworkInterface;
typedef Jvmvisor__Agent__V1__Route Route;

struct nl_req {
    struct nlmsghdr h;
    char buf[NL_BUF];
};

static int nl_open(void)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return -errno;
    struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

static void *nl_init(struct nl_req *r, int type, int flags, size_t hdr_len)
{
    memset(r, 0, sizeof *r);
    r->h.nlmsg_len = (uint32_t)NLMSG_LENGTH(hdr_len);
    r->h.nlmsg_type = (uint16_t)type;
    r->h.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
    return NLMSG_DATA(&r->h);
}

static int nl_attr(struct nl_req *r, int type, const void *data, size_t len)
{
    size_t at = NLMSG_ALIGN(r->h.nlmsg_len);
    if (at + RTA_SPACE(len) > sizeof *r)
        return -ENOBUFS;
    struct rtattr *a = (struct rtattr *)((char *)r + at);
    a->rta_type = (unsigned short)type;
    a->rta_len = (unsigned short)RTA_LENGTH(len);
    memcpy(RTA_DATA(a), data, len);
    r->h.nlmsg_len = (uint32_t)(at + RTA_SPACE(len));
    return 0;
}

/* Sends one request and waits for its ack: 0 or the kernel's -errno. */
static int nl_talk(int fd, struct nl_req *r)
{
    static uint32_t seq;
    r->h.nlmsg_seq = ++seq;
    if (send(fd, r, r->h.nlmsg_len, 0) < 0)
        return -errno;
    char buf[4096];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_seq != r->h.nlmsg_seq)
                continue;
            if (h->nlmsg_type == NLMSG_ERROR)
                return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
        }
    }
}

/* Name, MAC and MTU (any may be absent), then the up/down flag when change is set. */
static int link_set(int fd, int ifindex, const char *name, const unsigned char *mac, unsigned mtu, bool change_up,
                    bool up)
{
    struct nl_req r;
    struct ifinfomsg *ifi = nl_init(&r, RTM_NEWLINK, 0, sizeof *ifi);
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = ifindex;
    if (change_up) {
        ifi->ifi_change = IFF_UP;
        ifi->ifi_flags = up ? IFF_UP : 0;
    }
    int e = 0;
    if (name)
        e = nl_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
    if (!e && mac)
        e = nl_attr(&r, IFLA_ADDRESS, mac, 6);
    if (!e && mtu)
        e = nl_attr(&r, IFLA_MTU, &mtu, sizeof mtu);
    return e ? e : nl_talk(fd, &r);
}

/* "172.17.0.2" or "fd00::2" into bytes; returns the family or -EINVAL. */
static int parse_ip(const char *s, unsigned char out[16])
{
    if (inet_pton(AF_INET, s, out) == 1)
        return AF_INET;
    if (inet_pton(AF_INET6, s, out) == 1)
        return AF_INET6;
    return -EINVAL;
}

static int addr_add(int fd, int ifindex, const char *address, unsigned prefix, char *msg)
{
    unsigned char a[16];
    int family = parse_ip(address, a);
    size_t len = family == AF_INET ? 4 : 16;
    if (family < 0 || prefix > len * 8) {
        snprintf(msg, MSG_LEN, "address \"%s/%u\" is not an IPv4 or IPv6 address with a prefix", address, prefix);
        return -EINVAL;
    }
    struct nl_req r;
    struct ifaddrmsg *ifa = nl_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof *ifa);
    ifa->ifa_family = (unsigned char)family;
    ifa->ifa_prefixlen = (unsigned char)prefix;
    ifa->ifa_index = (unsigned)ifindex;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    int e = nl_attr(&r, IFA_LOCAL, a, len);
    if (!e)
        e = nl_attr(&r, IFA_ADDRESS, a, len);
    if (!e && family == AF_INET && prefix < 31) {
        uint32_t v4;
        memcpy(&v4, a, 4);
        uint32_t brd = htonl(ntohl(v4) | (prefix == 0 ? 0xffffffffu : (1u << (32 - prefix)) - 1));
        e = nl_attr(&r, IFA_BROADCAST, &brd, 4);
    }
    if (!e && family == AF_INET6) {
        /* the address is the container's already: no duplicate detection delay */
        uint32_t flags = IFA_F_NODAD;
        e = nl_attr(&r, IFA_FLAGS, &flags, sizeof flags);
    }
    if (!e)
        e = nl_talk(fd, &r);
    if (e < 0)
        snprintf(msg, MSG_LEN, "cannot add the address %s/%u: %s", address, prefix, strerror(-e));
    return e;
}

static int route_add(int fd, const Route *rt, char *msg)
{
    unsigned char dst[16] = { 0 }, gw[16];
    int family = rt->ipv6 ? AF_INET6 : AF_INET;
    unsigned dst_len = 0;
    const char *d = rt->destination ? rt->destination : "";
    if (strcmp(d, "default") != 0) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s", d);
        char *slash = strchr(buf, '/');
        if (slash)
            *slash = 0;
        family = parse_ip(buf, dst);
        dst_len = slash ? (unsigned)strtoul(slash + 1, NULL, 10) : (family == AF_INET ? 32u : 128u);
        if (family < 0 || dst_len > (family == AF_INET ? 32u : 128u)) {
            snprintf(msg, MSG_LEN, "route destination \"%s\" is not an address or a CIDR", d);
            return -EINVAL;
        }
    }
    bool via = rt->gateway && rt->gateway[0];
    if (via && parse_ip(rt->gateway, gw) != family) {
        snprintf(msg, MSG_LEN, "route to %s: gateway \"%s\" is not an address of the same family", d, rt->gateway);
        return -EINVAL;
    }
    int oif = rt->device && rt->device[0] ? (int)if_nametoindex(rt->device) : 0;
    if (rt->device && rt->device[0] && !oif) {
        snprintf(msg, MSG_LEN, "route to %s: no interface \"%s\"", d, rt->device);
        return -ENODEV;
    }
    struct nl_req r;
    struct rtmsg *m = nl_init(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof *m);
    m->rtm_family = (unsigned char)family;
    m->rtm_dst_len = (unsigned char)dst_len;
    m->rtm_table = RT_TABLE_MAIN;
    m->rtm_protocol = RTPROT_BOOT;
    m->rtm_scope = via ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
    m->rtm_type = RTN_UNICAST;
    size_t alen = family == AF_INET ? 4 : 16;
    int e = dst_len ? nl_attr(&r, RTA_DST, dst, alen) : 0;
    if (!e && via)
        e = nl_attr(&r, RTA_GATEWAY, gw, alen);
    if (!e && oif)
        e = nl_attr(&r, RTA_OIF, &oif, sizeof oif);
    if (!e && rt->metric)
        e = nl_attr(&r, RTA_PRIORITY, &rt->metric, sizeof rt->metric);
    if (!e)
        e = nl_talk(fd, &r);
    if (e < 0 && e != -EEXIST)
        snprintf(msg, MSG_LEN, "cannot add the route to %s%s%s: %s", d, via ? " via " : "", via ? rt->gateway : "",
                 strerror(-e));
    return e == -EEXIST ? 0 : e;
}

static int read_line(const char *path, char *buf, size_t len)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, len - 1);
    if (n < 0)
        return -errno;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        n--;
    buf[n] = 0;
    return 0;
}

static int write_file(const char *path, const char *value)
{
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    return write(fd, value, strlen(value)) < 0 ? -errno : 0;
}

/* The virtio NICs of the guest: name and MAC from /sys/class/net. */
struct nic {
    char name[IFNAMSIZ];
    char mac[18];
    int ifindex;
    bool used;
};

static int list_nics(struct nic *nics, size_t max, size_t *n)
{
    DIR *d = opendir("/sys/class/net");
    if (!d)
        return -errno;
    struct dirent *e;
    *n = 0;
    while ((e = readdir(d)) && *n < max) {
        char path[PATH_MAX], drv[PATH_MAX];
        snprintf(path, sizeof path, "/sys/class/net/%s/device/driver", e->d_name);
        ssize_t l = readlink(path, drv, sizeof drv - 1);
        if (l < 0)
            continue; /* lo, or not a device */
        drv[l] = 0;
        if (!strstr(drv, "virtio_net") || strlen(e->d_name) >= IFNAMSIZ)
            continue;
        struct nic *c = &nics[*n];
        memcpy(c->name, e->d_name, strlen(e->d_name) + 1);
        snprintf(path, sizeof path, "/sys/class/net/%s/address", e->d_name);
        if (read_line(path, c->mac, sizeof c->mac) < 0)
            continue;
        c->ifindex = (int)if_nametoindex(c->name);
        c->used = false;
        (*n)++;
    }
    closedir(d);
    return 0;
}

static int parse_mac(const char *s, unsigned char mac[6])
{
    unsigned v[6];
    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6 || strlen(s) != 17)
        return -EINVAL;
    for (int i = 0; i < 6; i++)
        mac[i] = (unsigned char)v[i];
    return 0;
}

/* A NIC nobody asked for: unbinding its driver removes the interface. */
static void detach_nic(const struct nic *c)
{
    char path[PATH_MAX], dev[PATH_MAX];
    snprintf(path, sizeof path, "/sys/class/net/%s/device", c->name);
    ssize_t l = readlink(path, dev, sizeof dev - 1);
    if (l < 0)
        return;
    dev[l] = 0;
    const char *base = strrchr(dev, '/');
    base = base ? base + 1 : dev;
    snprintf(path, sizeof path, "/sys/class/net/%s/device/driver/unbind", c->name);
    int e = write_file(path, base);
    if (e < 0)
        agent_log("network: cannot detach the unused NIC %s (%s): %s", c->name, base, strerror(-e));
}

/* Finds the NIC by its boot MAC, sets MAC and MTU and a temporary name (the
 * wanted name may be another NIC's boot name); *out is the NIC. */
static int configure_interface(int fd, struct nic *nics, size_t n, const NetworkInterface *want, int index,
                               struct nic **out, char *msg)
{
    struct nic *c = NULL;
    for (size_t i = 0; i < n && !c; i++)
        if (!nics[i].used && want->device_mac && strcasecmp(nics[i].mac, want->device_mac) == 0)
            c = &nics[i];
    if (!c) {
        snprintf(msg, MSG_LEN, "no NIC with the MAC %s in the guest", want->device_mac ? want->device_mac : "");
        return -ENOENT;
    }
    c->used = true;
    unsigned char mac[6];
    bool set_mac = want->mac && want->mac[0];
    if (set_mac && parse_mac(want->mac, mac) < 0) {
        snprintf(msg, MSG_LEN, "interface %s: MAC \"%s\" is not xx:xx:xx:xx:xx:xx", want->name, want->mac);
        return -EINVAL;
    }
    char tmp[IFNAMSIZ];
    snprintf(tmp, sizeof tmp, "jvnic%d", index);
    int e = link_set(fd, c->ifindex, tmp, set_mac ? mac : NULL, want->mtu, true, false);
    if (e < 0) {
        snprintf(msg, MSG_LEN, "interface %s (%s): cannot set its MAC %s and MTU %u: %s", want->name, c->name,
                 set_mac ? want->mac : "as booted", want->mtu, strerror(-e));
        return e;
    }
    snprintf(c->name, sizeof c->name, "%s", tmp);
    *out = c;
    return 0;
}

static int finish_interface(int fd, struct nic *c, const NetworkInterface *want, char *msg)
{
    int e = link_set(fd, c->ifindex, want->name, NULL, 0, false, false);
    if (e < 0) {
        snprintf(msg, MSG_LEN, "cannot name the NIC %s \"%s\": %s", c->mac, want->name, strerror(-e));
        return e;
    }
    /* always: net.ipv6.conf.all.disable_ipv6=1 (mirrored before) disables every NIC, and docker
     * leaves all=1 with eth0=0 on an IPv6 network */
    char path[PATH_MAX];
    snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/disable_ipv6", want->name);
    write_file(path, want->ipv6_disabled ? "1" : "0");
    e = link_set(fd, c->ifindex, NULL, NULL, 0, true, true);
    if (e < 0) {
        snprintf(msg, MSG_LEN, "cannot bring %s up: %s", want->name, strerror(-e));
        return e;
    }
    for (size_t i = 0; i < want->n_addresses; i++) {
        e = addr_add(fd, c->ifindex, want->addresses[i]->address ? want->addresses[i]->address : "",
                     want->addresses[i]->prefix_len, msg);
        if (e < 0)
            return e;
    }
    return 0;
}

#define MAX_NICS 16

/* net.ipv6.conf.lo.disable_ipv6 -> /proc/sys/net/ipv6/conf/lo/disable_ipv6 */
static int sysctl_write(const Jvmvisor__Agent__V1__Sysctl *s, char *msg)
{
    if (!s->key || strncmp(s->key, "net.", 4) != 0 || strstr(s->key, "..") || strchr(s->key, '/')) {
        snprintf(msg, MSG_LEN, "sysctl \"%s\" is not a net.* key", s->key ? s->key : "");
        return -EINVAL;
    }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "/proc/sys/%s", s->key);
    for (char *p = path + strlen("/proc/sys/"); *p; p++)
        if (*p == '.')
            *p = '/';
    int e = write_file(path, s->value ? s->value : "");
    if (e < 0)
        snprintf(msg, MSG_LEN, "cannot set %s to \"%s\": %s", s->key, s->value ? s->value : "", strerror(-e));
    return e == -ENOENT ? 0 : e; /* a key this kernel lacks (no IPv6) */
}

void rpc_configure_network(struct call *call, const ProtobufCMessage *req)
{
    const ConfigureNetworkRequest *r = (const ConfigureNetworkRequest *)req;
    char msg[MSG_LEN] = "";
    if (agent_cfg.host_mode) {
        call_fail(call, GRPC_FAILED_PRECONDITION, "ConfigureNetwork changes the guest's network: not in host mode");
        return;
    }
    if (r->n_interfaces > MAX_NICS) {
        call_fail(call, GRPC_INVALID_ARGUMENT, "%zu interfaces: at most %d", r->n_interfaces, MAX_NICS);
        return;
    }
    _cleanup_close_ int fd = nl_open();
    if (fd < 0) {
        call_fail(call, GRPC_INTERNAL, "cannot open a netlink socket: %s", strerror(-fd));
        return;
    }
    int lo = (int)if_nametoindex("lo");
    int e = lo ? link_set(fd, lo, NULL, NULL, 0, true, true) : -ENODEV;
    if (e < 0) {
        call_fail(call, GRPC_INTERNAL, "cannot bring lo up: %s", strerror(-e));
        return;
    }
    for (size_t i = 0; i < r->n_sysctls; i++) {
        e = sysctl_write(r->sysctls[i], msg);
        if (e < 0) {
            call_fail(call, e == -EINVAL ? GRPC_INVALID_ARGUMENT : GRPC_INTERNAL, "%s", msg);
            return;
        }
    }
    struct nic nics[MAX_NICS];
    size_t n = 0;
    e = list_nics(nics, MAX_NICS, &n);
    if (e < 0) {
        call_fail(call, GRPC_INTERNAL, "cannot list the NICs in /sys/class/net: %s", strerror(-e));
        return;
    }
    struct nic *chosen[MAX_NICS];
    for (size_t i = 0; i < r->n_interfaces; i++) {
        e = configure_interface(fd, nics, n, r->interfaces[i], (int)i, &chosen[i], msg);
        if (e < 0) {
            call_fail(call, e == -ENOENT ? GRPC_NOT_FOUND : e == -EINVAL ? GRPC_INVALID_ARGUMENT : GRPC_INTERNAL,
                      "%s", msg);
            return;
        }
    }
    for (size_t k = 0; k < n; k++)
        if (!nics[k].used)
            detach_nic(&nics[k]);
    for (size_t i = 0; i < r->n_interfaces; i++) {
        e = finish_interface(fd, chosen[i], r->interfaces[i], msg);
        if (e < 0) {
            call_fail(call, e == -EINVAL ? GRPC_INVALID_ARGUMENT : GRPC_INTERNAL, "%s", msg);
            return;
        }
    }
    for (size_t i = 0; i < r->n_routes; i++) {
        e = route_add(fd, r->routes[i], msg);
        if (e < 0) {
            call_fail(call, e == -EINVAL || e == -ENODEV ? GRPC_INVALID_ARGUMENT : GRPC_INTERNAL, "%s", msg);
            return;
        }
    }
    agent_dbg("network: %zu interface(s), %zu route(s) configured", r->n_interfaces, r->n_routes);
    Jvmvisor__Agent__V1__Empty resp = JVMVISOR__AGENT__V1__EMPTY__INIT;
    call_reply(call, &resp.base);
}
