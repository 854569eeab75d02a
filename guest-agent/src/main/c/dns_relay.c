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

#include "container.h"
#include "rootfs.h"

#define DNS_MAX 65535u
#define DNS_HEADER 12u
#define MAX_INFLIGHT 128
#define MAX_CONN_INFLIGHT 8
#define MAX_TCP_CONNS 32
#define MAX_RELAYS 8
#define QUERY_TIMEOUT_MS 5000
#define TCP_IDLE_MS 10000
#define STREAM_HIGH_WATER (1u << 20)
#define UDP_BATCH 32

typedef Jvmvisor__Agent__V1__DnsQueriesRequest DnsQueriesRequest;
typedef Jvmvisor__Agent__V1__DnsQuery DnsQuery;
typedef Jvmvisor__Agent__V1__DnsAnswerRequest DnsAnswerRequest;
#define DNS_QUERY__INIT JVMVISOR__AGENT__V1__DNS_QUERY__INIT

struct relay;

struct tcp_conn {
    struct relay *relay;
    int fd;
    uint8_t in[2 + DNS_MAX]; /* one length-prefixed query at most */
    size_t in_len;
    uint8_t *out;            /* answers not written yet (bounded by MAX_CONN_INFLIGHT) */
    size_t out_off, out_len, out_cap;
    int inflight;
    bool paused;             /* a cap is reached: not read until answers come */
    bool eof;                /* the client closed its side: close once answered */
    bool watched;
    uint64_t active_ms;
    unsigned serial;         /* names the client in DnsQuery.client */
    struct tcp_conn *next;
};

struct pending {
    uint64_t id;
    struct relay *relay;
    struct tcp_conn *conn;   /* NULL: UDP, answered to peer */
    struct sockaddr_in peer;
    uint64_t deadline_ms;
    struct pending *next;
};

struct relay {
    struct call *call;
    dev_t ns_dev;
    ino_t ns_ino;
    struct sockaddr_in addr;
    char where[96];          /* "127.0.0.11:53 in the network namespace of container \"x\"" */
    int udp_fd, tcp_fd;
    struct tcp_conn *conns;
    int nconns;
    int inflight;
    struct relay *next;
};

static struct relay *relays;
static int nrelays;
static struct pending *pendings;
static int timer_fd = -1;
static uint64_t next_id = 1;
static unsigned next_conn = 1;
static uint8_t udp_buf[DNS_MAX + 1];

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void resume_all(void *arg);

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
    loop_defer(resume_all, NULL); /* a cap may have been lifted */
}

static struct pending *pending_find(uint64_t id)
{
    for (struct pending *p = pendings; p; p = p->next)
        if (p->id == id)
            return p;
    return NULL;
}

/* Sends one query to the host. -EAGAIN when a cap is reached (the caller
 * drops a UDP query, pauses a TCP connection). */
static int forward(struct relay *r, struct tcp_conn *conn, const struct sockaddr_in *peer, const uint8_t *data,
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
    p->deadline_ms = now_ms() + QUERY_TIMEOUT_MS;
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
        int e = forward(r, NULL, &peer, udp_buf, (size_t)n);
        if (e < 0)
            agent_dbg("dns relay %s: dropped a udp query: %s", r->where,
                      e == -EAGAIN ? "too many queries in flight" : strerror(-e));
    }
}

/* ---- TCP ---------------------------------------------------------------------- */

static void conn_event(int fd, uint32_t events, void *arg);

static void conn_close(struct tcp_conn *c)
{
    struct relay *r = c->relay;
    for (struct pending *p = pendings, *next; p; p = next) {
        next = p->next;
        if (p->conn == c)
            pending_remove(p);
    }
    for (struct tcp_conn **pp = &r->conns; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    r->nconns--;
    if (c->watched)
        loop_unwatch(c->fd);
    close(c->fd);
    free(c->out);
    free(c);
}

/* Watches for what the connection can do now: read (unless paused or at
 * EOF), write (when answers wait). Closes it at EOF once all is answered. */
static void conn_update(struct tcp_conn *c)
{
    bool want_out = c->out_len > c->out_off;
    if (c->eof && !c->inflight && !want_out) {
        conn_close(c);
        return;
    }
    uint32_t ev = (c->paused || c->eof ? 0 : EPOLLIN) | (want_out ? EPOLLOUT : 0);
    if (!ev) {
        if (c->watched)
            loop_unwatch(c->fd);
        c->watched = false;
        return;
    }
    if (loop_watch(c->fd, ev, conn_event, c) == 0)
        c->watched = true;
}

/* Whether the connection must not be read now: as many of its queries wait
 * as allowed, or the client does not read its answers. */
static bool conn_capped(const struct tcp_conn *c)
{
    return c->inflight >= MAX_CONN_INFLIGHT || c->relay->inflight >= MAX_INFLIGHT ||
           c->out_len - c->out_off >= MAX_CONN_INFLIGHT * (2 + DNS_MAX);
}

/* Forwards every whole query in the input buffer, as far as the caps allow.
 * Returns -1 once the connection was closed. */
static int conn_parse(struct tcp_conn *c)
{
    while (c->in_len >= 2) {
        size_t len = (size_t)c->in[0] << 8 | c->in[1];
        if (len < DNS_HEADER) {
            agent_dbg("dns relay %s: tcp query of %zu bytes: closing", c->relay->where, len);
            conn_close(c);
            return -1;
        }
        if (c->in_len < 2 + len)
            return 0;
        if (conn_capped(c)) {
            c->paused = true;
            return 0;
        }
        int e = forward(c->relay, c, NULL, c->in + 2, len);
        if (e == -EAGAIN) {
            c->paused = true;
            return 0;
        }
        if (e < 0) {
            conn_close(c);
            return -1;
        }
        c->in_len -= 2 + len;
        memmove(c->in, c->in + 2 + len, c->in_len);
    }
    return 0;
}

static int conn_write(struct tcp_conn *c)
{
    while (c->out_len > c->out_off) {
        ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return 0;
        if (n < 0) {
            conn_close(c);
            return -1;
        }
        c->out_off += (size_t)n;
        c->active_ms = now_ms();
    }
    c->out_off = c->out_len = 0;
    if (c->paused)
        loop_defer(resume_all, NULL);
    return 0;
}

static void conn_event(int fd, uint32_t events, void *arg)
{
    struct tcp_conn *c = arg;
    if ((events & EPOLLOUT) && conn_write(c) < 0)
        return;
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !c->paused && !c->eof) {
        ssize_t n = read(fd, c->in + c->in_len, sizeof c->in - c->in_len);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n < 0) {
            conn_close(c);
            return;
        }
        if (n == 0) {
            c->eof = true;
        } else {
            c->in_len += (size_t)n;
            c->active_ms = now_ms();
            if (conn_parse(c) < 0)
                return;
        }
    }
    conn_update(c);
}

static void on_tcp_listen(int fd, uint32_t events, void *arg)
{
    (void)events;
    struct relay *r = arg;
    int s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (s < 0)
        return;
    if (r->nconns >= MAX_TCP_CONNS) {
        agent_dbg("dns relay %s: %d tcp connections open, refusing one more", r->where, r->nconns);
        close(s);
        return;
    }
    struct tcp_conn *c = calloc(1, sizeof *c);
    if (!c) {
        close(s);
        return;
    }
    c->relay = r;
    c->fd = s;
    c->active_ms = now_ms();
    c->serial = next_conn++;
    c->next = r->conns;
    r->conns = c;
    r->nconns++;
    conn_update(c);
}

/* Answers waiting and caps lifted: read paused connections again. */
static void resume_all(void *arg)
{
    (void)arg;
    for (struct relay *r = relays; r; r = r->next) {
        for (struct tcp_conn *c = r->conns, *next; c; c = next) {
            next = c->next;
            if (!c->paused || conn_capped(c))
                continue;
            c->paused = false;
            if (conn_parse(c) == 0)
                conn_update(c);
        }
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
    uint64_t now = now_ms();
    for (struct pending *p = pendings, *next; p; p = next) {
        next = p->next;
        if (p->deadline_ms <= now) {
            agent_dbg("dns relay %s: query %llu got no answer in time", p->relay->where, (unsigned long long)p->id);
            pending_remove(p);
        }
    }
    for (struct relay *r = relays; r; r = r->next) {
        for (struct tcp_conn *c = r->conns, *next; c; c = next) {
            next = c->next;
            if (!c->inflight && c->out_len == c->out_off && now - c->active_ms >= TCP_IDLE_MS)
                conn_close(c);
        }
    }
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

/* ---- relays ------------------------------------------------------------------- */

static void relay_free(struct relay *r)
{
    while (r->conns)
        conn_close(r->conns);
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
    for (struct relay **pp = &relays; *pp; pp = &(*pp)->next) {
        if (*pp == r) {
            *pp = r->next;
            nrelays--;
            break;
        }
    }
    if (!relays && timer_fd >= 0) {
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
    for (struct relay *r = relays; r; r = r->next) {
        if (r->ns_dev == r0.ns_dev && r->ns_ino == r0.ns_ino && r->addr.sin_addr.s_addr == r0.addr.sin_addr.s_addr &&
            r->addr.sin_port == r0.addr.sin_port) {
            call_fail(c, GRPC_ALREADY_EXISTS, "a dns relay on %s is already open", r0.where);
            return;
        }
    }
    if (nrelays >= MAX_RELAYS) {
        call_fail(c, GRPC_RESOURCE_EXHAUSTED, "dns relay: %d relays are open already", nrelays);
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
    r->next = relays;
    relays = r;
    nrelays++;
    if (loop_watch(r->udp_fd, EPOLLIN, on_udp, r) < 0 || loop_watch(r->tcp_fd, EPOLLIN, on_tcp_listen, r) < 0) {
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
        conn_close(conn); /* removes p */
    } else {
        if (conn->out_off) {
            memmove(conn->out, conn->out + conn->out_off, conn->out_len - conn->out_off);
            conn->out_len -= conn->out_off;
            conn->out_off = 0;
        }
        size_t need = conn->out_len + 2 + a->data.len;
        if (need > conn->out_cap) {
            uint8_t *o = realloc(conn->out, need);
            if (!o) {
                conn_close(conn);
                call_fail(c, GRPC_RESOURCE_EXHAUSTED, "dns relay: out of memory");
                return;
            }
            conn->out = o;
            conn->out_cap = need;
        }
        conn->out[conn->out_len] = (uint8_t)(a->data.len >> 8);
        conn->out[conn->out_len + 1] = (uint8_t)a->data.len;
        memcpy(conn->out + conn->out_len + 2, a->data.data, a->data.len);
        conn->out_len = need;
        pending_remove(p);
        if (conn_write(conn) == 0)
            conn_update(conn);
    }
    Empty resp = EMPTY__INIT;
    call_reply(c, &resp.base);
}
