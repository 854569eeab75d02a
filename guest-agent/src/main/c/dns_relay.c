/* DnsQueries, DnsAnswer: docker's embedded DNS relayed from the guest.
 *
 * On a user-defined network docker writes "nameserver 127.0.0.11" into the
 * container's resolv.conf and answers on 127.0.0.11:53 inside the container's
 * network namespace on the host. In the guest that address is the guest's own
 * loopback, so the agent listens there (UDP and TCP, in the network namespace
 * of the container's init) and hands every query to the host over the
 * DnsQueries stream; the host asks docker's resolver and sends the answer back
 * with DnsAnswer, which the agent returns to the client that asked.
 *
 * Everything the guest can feed is bounded: a query is at most DNS_MAX bytes
 * (the DNS limit: TCP's length prefix is 16 bits), at most MAX_INFLIGHT per
 * relay wait for an answer (then UDP queries are dropped and TCP connections
 * stop being read), a TCP connection has at most MAX_CONN_INFLIGHT, there are
 * at most MAX_TCP_CONNS connections, a query waits QUERY_TIMEOUT_MS and an
 * idle connection lives TCP_IDLE_MS. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "dns_relay.h"
#include "rootfs.h"

struct relay *dns_relays;
static int nrelays;
static struct pending *pendings;
static int timer_fd = -1;
static uint64_t next_id = 1;
static uint8_t udp_buf[DNS_MAX + 1];

uint64_t dns_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- queries in flight ------------------------------------------------------ */

static void pending_remove(struct pending *p)
{
    for (struct pending **pp = &pendings; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    }
    p->relay->inflight--;
    if (p->conn)
        p->conn->inflight--;
    free(p);
    loop_defer(dns_tcp_resume_all, NULL); /* a cap may have been lifted */
}

void dns_forget_conn(struct tcp_conn *c)
{
    for (struct pending *p = pendings, *next; p; p = next) {
        next = p->next;
        if (p->conn == c)
            pending_remove(p);
    }
}

static struct pending *pending_find(uint64_t id)
{
    for (struct pending *p = pendings; p; p = p->next)
        if (p->id == id)
            return p;
    return NULL;
}

int dns_forward(struct relay *r, struct tcp_conn *conn, const struct sockaddr_in *peer, const uint8_t *data,
                   size_t len)
{
    if (!r->call || r->inflight >= MAX_INFLIGHT || call_pending_bytes(r->call) >= STREAM_HIGH_WATER)
        return -EAGAIN;
    struct pending *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    p->id = next_id++;
    p->relay = r;
    p->conn = conn;
    if (peer)
        p->peer = *peer;
    p->deadline_ms = dns_now_ms() + QUERY_TIMEOUT_MS;
    char client[48];
    if (conn)
        snprintf(client, sizeof client, "tcp:%u", conn->serial);
    else
        snprintf(client, sizeof client, "udp:%s:%u", inet_ntoa(peer->sin_addr), ntohs(peer->sin_port));
    DnsQuery q = DNS_QUERY__INIT;
    q.id = p->id;
    q.tcp = conn != NULL;
    q.client = client;
    q.data.data = (uint8_t *)data;
    q.data.len = len;
    int e = call_send(r->call, &q.base);
    if (e < 0) {
        free(p);
        return e;
    }
    p->next = pendings;
    pendings = p;
    r->inflight++;
    if (conn)
        conn->inflight++;
    return 0;
}

/* ---- UDP ---------------------------------------------------------------------- */

static void on_udp(int fd, uint32_t events, void *arg)
{
    (void)events;
    struct relay *r = arg;
    for (int i = 0; i < UDP_BATCH; i++) {
        struct sockaddr_in peer;
        socklen_t plen = sizeof peer;
        ssize_t n = recvfrom(fd, udp_buf, sizeof udp_buf, MSG_TRUNC, (struct sockaddr *)&peer, &plen);
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR)
                agent_dbg("dns relay %s: udp receive: %s", r->where, strerror(errno));
            return;
        }
        if ((size_t)n > DNS_MAX || (size_t)n < DNS_HEADER) {
            agent_dbg("dns relay %s: dropped a udp datagram of %zd bytes", r->where, n);
            continue;
        }
        int e = dns_forward(r, NULL, &peer, udp_buf, (size_t)n);
        if (e < 0)
            agent_dbg("dns relay %s: dropped a udp query: %s", r->where,
                      e == -EAGAIN ? "too many queries in flight" : strerror(-e));
    }
}

/* ---- timeouts ----------------------------------------------------------------- */

static void on_tick(int fd, uint32_t events, void *arg)
{
    (void)events;
    (void)arg;
    uint64_t ticks;
    if (read(fd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
        agent_dbg("dns relay: timer: %s", strerror(errno));
    uint64_t now = dns_now_ms();
    for (struct pending *p = pendings, *next; p; p = next) {
        next = p->next;
        if (p->deadline_ms <= now) {
            agent_dbg("dns relay %s: query %llu got no answer in time", p->relay->where, (unsigned long long)p->id);
            pending_remove(p);
        }
    }
    for (struct relay *r = dns_relays; r; r = r->next)
        dns_tcp_expire(r, now);
}

static int timer_start(void)
{
    if (timer_fd >= 0)
        return 0;
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct itimerspec its = { .it_interval = { 0, 500000000 }, .it_value = { 0, 500000000 } };
    int e = timerfd_settime(fd, 0, &its, NULL) < 0 ? -errno : loop_watch(fd, EPOLLIN, on_tick, NULL);
    if (e < 0) {
        close(fd);
        return e;
    }
    timer_fd = fd;
    return 0;
}

/* ---- dns_relays ------------------------------------------------------------------- */

static void relay_free(struct relay *r)
{
    while (r->conns)
        dns_tcp_close(r->conns);
    for (struct pending *p = pendings, *next; p; p = next) {
        next = p->next;
        if (p->relay == r)
            pending_remove(p);
    }
    int *fds[] = { &r->udp_fd, &r->tcp_fd };
    for (size_t i = 0; i < 2; i++) {
        if (*fds[i] >= 0) {
            loop_unwatch(*fds[i]);
            close_fdp(fds[i]);
        }
    }
    for (struct relay **pp = &dns_relays; *pp; pp = &(*pp)->next) {
        if (*pp == r) {
            *pp = r->next;
            nrelays--;
            break;
        }
    }
    if (!dns_relays && timer_fd >= 0) {
        loop_unwatch(timer_fd);
        close_fdp(&timer_fd);
    }
    agent_log("dns relay: stopped listening on %s", r->where);
    free(r);
}

static void on_stream_cancelled(struct call *c, void *arg)
{
    (void)c;
    struct relay *r = arg;
    r->call = NULL;
    relay_free(r);
}

/* Binds the UDP and TCP sockets of r->addr in the network namespace ns_fd
 * (-1: the agent's own), bringing its loopback up first. */
static int relay_bind(struct relay *r, int ns_fd, char *msg, size_t cap)
{
    _cleanup_close_ int self = -1;
    if (ns_fd >= 0) {
        self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (self < 0 || setns(ns_fd, CLONE_NEWNET) < 0) {
            snprintf(msg, cap, "cannot enter the network namespace: %s", strerror(errno));
            return -errno;
        }
    }
    char lo_msg[ERR_MSG_LEN];
    if (loopback_up(lo_msg) < 0)
        agent_dbg("dns relay: %s", lo_msg);
    int e = 0;
    const char *what = "udp";
    r->udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (r->udp_fd < 0 || bind(r->udp_fd, (struct sockaddr *)&r->addr, sizeof r->addr) < 0) {
        e = -errno;
    } else {
        what = "tcp";
        int one = 1;
        r->tcp_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (r->tcp_fd < 0 || setsockopt(r->tcp_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
            bind(r->tcp_fd, (struct sockaddr *)&r->addr, sizeof r->addr) < 0 || listen(r->tcp_fd, 16) < 0)
            e = -errno;
    }
    if (e < 0)
        snprintf(msg, cap, "cannot listen on %s (%s): %s", r->where, what, strerror(-e));
    if (self >= 0 && setns(self, CLONE_NEWNET) < 0) {
        /* the agent would stay in the container's namespace: say so loudly */
        agent_log("dns relay: cannot return to the agent's network namespace: %s", strerror(errno));
        if (e == 0) {
            snprintf(msg, cap, "cannot return to the agent's network namespace: %s", strerror(errno));
            e = -EIO;
        }
    }
    return e;
}

void rpc_dns_queries(struct call *c, const ProtobufCMessage *req)
{
    const DnsQueriesRequest *q = (const DnsQueriesRequest *)req;
    struct relay r0 = { .udp_fd = -1, .tcp_fd = -1, .addr.sin_family = AF_INET };
    const char *address = q->address && *q->address ? q->address : "127.0.0.11";
    if (inet_pton(AF_INET, address, &r0.addr.sin_addr) != 1) {
        call_fail(c, GRPC_INVALID_ARGUMENT, "dns relay: \"%s\" is not an IPv4 address", address);
        return;
    }
    if (q->port > 65535) {
        call_fail(c, GRPC_INVALID_ARGUMENT, "dns relay: port %u is out of range", q->port);
        return;
    }
    r0.addr.sin_port = htons(q->port ? (uint16_t)q->port : 53);
    const char *id = q->container_id ? q->container_id : "";
    if (*id)
        snprintf(r0.where, sizeof r0.where, "%s:%u in the network namespace of container \"%.32s\"", address,
                 ntohs(r0.addr.sin_port), id);
    else
        snprintf(r0.where, sizeof r0.where, "%s:%u", address, ntohs(r0.addr.sin_port));

    _cleanup_close_ int ns_fd = -1;
    if (*id) {
        struct container *ctr = container_find(id);
        if (!ctr || !ctr->procs) {
            call_fail(c, GRPC_NOT_FOUND, "container \"%s\" does not exist", id);
            return;
        }
        if (ctr->procs->exited) {
            call_fail(c, GRPC_FAILED_PRECONDITION, "container \"%s\" is not running", id);
            return;
        }
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/ns/net", (int)ctr->procs->pid);
        ns_fd = open(path, O_RDONLY | O_CLOEXEC);
    } else {
        ns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    }
    struct stat st, self_st;
    if (ns_fd < 0 || fstat(ns_fd, &st) < 0 || stat("/proc/self/ns/net", &self_st) < 0) {
        call_fail(c, GRPC_INTERNAL, "dns relay %s: cannot open the network namespace: %s", r0.where, strerror(errno));
        return;
    }
    r0.ns_dev = st.st_dev;
    r0.ns_ino = st.st_ino;
    for (struct relay *r = dns_relays; r; r = r->next) {
        if (r->ns_dev == r0.ns_dev && r->ns_ino == r0.ns_ino && r->addr.sin_addr.s_addr == r0.addr.sin_addr.s_addr &&
            r->addr.sin_port == r0.addr.sin_port) {
            call_fail(c, GRPC_ALREADY_EXISTS, "a dns relay on %s is already open", r0.where);
            return;
        }
    }
    if (nrelays >= MAX_RELAYS) {
        call_fail(c, GRPC_RESOURCE_EXHAUSTED, "dns relay: %d dns_relays are open already", nrelays);
        return;
    }
    bool same = st.st_dev == self_st.st_dev && st.st_ino == self_st.st_ino;
    char msg[ERR_MSG_LEN];
    int e = relay_bind(&r0, same ? -1 : ns_fd, msg, sizeof msg);
    if (e < 0) {
        close_fdp(&r0.udp_fd);
        close_fdp(&r0.tcp_fd);
        call_fail(c, GRPC_FAILED_PRECONDITION, "dns relay: %s", msg);
        return;
    }
    struct relay *r = malloc(sizeof *r);
    if (!r || timer_start() < 0) {
        free(r);
        close_fdp(&r0.udp_fd);
        close_fdp(&r0.tcp_fd);
        call_fail(c, GRPC_RESOURCE_EXHAUSTED, "dns relay: out of memory or timers");
        return;
    }
    *r = r0;
    r->call = c;
    r->next = dns_relays;
    dns_relays = r;
    nrelays++;
    if (loop_watch(r->udp_fd, EPOLLIN, on_udp, r) < 0 || loop_watch(r->tcp_fd, EPOLLIN, dns_tcp_on_listen, r) < 0) {
        relay_free(r);
        call_fail(c, GRPC_INTERNAL, "dns relay: cannot watch its sockets");
        return;
    }
    call_on_cancel(c, on_stream_cancelled, r);
    char listening[32];
    snprintf(listening, sizeof listening, "%s:%u", address, ntohs(r->addr.sin_port));
    DnsQuery first = DNS_QUERY__INIT;
    first.listening = listening;
    if (call_send(c, &first.base) < 0) {
        relay_free(r);
        call_fail(c, GRPC_INTERNAL, "dns relay: cannot answer");
        return;
    }
    agent_log("dns relay: listening on %s (udp, tcp)", r->where);
}

void rpc_dns_answer(struct call *c, const ProtobufCMessage *req)
{
    const DnsAnswerRequest *a = (const DnsAnswerRequest *)req;
    if (a->data.len > DNS_MAX) {
        call_fail(c, GRPC_INVALID_ARGUMENT, "dns answer of %zu bytes: at most %u", a->data.len, DNS_MAX);
        return;
    }
    struct pending *p = pending_find(a->id);
    if (!p) {
        call_fail(c, GRPC_NOT_FOUND, "dns query %llu is not waiting for an answer", (unsigned long long)a->id);
        return;
    }
    struct tcp_conn *conn = p->conn;
    if (!conn) {
        if (a->data.len && sendto(p->relay->udp_fd, a->data.data, a->data.len, 0, (struct sockaddr *)&p->peer,
                                  sizeof p->peer) < 0)
            agent_dbg("dns relay %s: udp answer: %s", p->relay->where, strerror(errno));
        pending_remove(p);
    } else if (!a->data.len) {
        dns_tcp_close(conn); /* removes p */
    } else {
        pending_remove(p);
        if (dns_tcp_answer(conn, a->data.data, a->data.len) < 0) {
            call_fail(c, GRPC_RESOURCE_EXHAUSTED, "dns relay: out of memory");
            return;
        }
    }
    Empty resp = EMPTY__INIT;
    call_reply(c, &resp.base);
}
