/* The DNS relay's TCP side: one connection per client, queries framed with a
 * 16-bit length (RFC 7766), several in flight per connection (at most
 * MAX_CONN_INFLIGHT); a connection is not read while a cap is reached or its
 * client does not read its answers, and is closed after TCP_IDLE_MS idle. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns_relay.h"

static unsigned next_conn = 1;

static void conn_event(int fd, uint32_t events, void *arg);

void dns_tcp_close(struct tcp_conn *c)
{
    struct relay *r = c->relay;
    dns_forget_conn(c);
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
        dns_tcp_close(c);
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
            dns_tcp_close(c);
            return -1;
        }
        if (c->in_len < 2 + len)
            return 0;
        if (conn_capped(c)) {
            c->paused = true;
            return 0;
        }
        int e = dns_forward(c->relay, c, NULL, c->in + 2, len);
        if (e == -EAGAIN) {
            c->paused = true;
            return 0;
        }
        if (e < 0) {
            dns_tcp_close(c);
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
            dns_tcp_close(c);
            return -1;
        }
        c->out_off += (size_t)n;
        c->active_ms = dns_now_ms();
    }
    c->out_off = c->out_len = 0;
    if (c->paused)
        loop_defer(dns_tcp_resume_all, NULL);
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
            dns_tcp_close(c);
            return;
        }
        if (n == 0) {
            c->eof = true;
        } else {
            c->in_len += (size_t)n;
            c->active_ms = dns_now_ms();
            if (conn_parse(c) < 0)
                return;
        }
    }
    conn_update(c);
}

void dns_tcp_on_listen(int fd, uint32_t events, void *arg)
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
    c->active_ms = dns_now_ms();
    c->serial = next_conn++;
    c->next = r->conns;
    r->conns = c;
    r->nconns++;
    conn_update(c);
}

void dns_tcp_resume_all(void *arg)
{
    (void)arg;
    for (struct relay *r = dns_relays; r; r = r->next) {
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


int dns_tcp_answer(struct tcp_conn *c, const uint8_t *data, size_t len)
{
    if (c->out_off) {
        memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
        c->out_len -= c->out_off;
        c->out_off = 0;
    }
    size_t need = c->out_len + 2 + len;
    if (need > c->out_cap) {
        uint8_t *o = realloc(c->out, need);
        if (!o) {
            dns_tcp_close(c);
            return -ENOMEM;
        }
        c->out = o;
        c->out_cap = need;
    }
    c->out[c->out_len] = (uint8_t)(len >> 8);
    c->out[c->out_len + 1] = (uint8_t)len;
    memcpy(c->out + c->out_len + 2, data, len);
    c->out_len = need;
    if (conn_write(c) == 0)
        conn_update(c);
    return 0;
}

void dns_tcp_expire(struct relay *r, uint64_t now)
{
    for (struct tcp_conn *c = r->conns, *next; c; c = next) {
        next = c->next;
        if (!c->inflight && c->out_len == c->out_off && now - c->active_ms >= TCP_IDLE_MS)
            dns_tcp_close(c);
    }
}
