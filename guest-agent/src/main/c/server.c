/* The agent's HTTP/2 server (nghttp2): one connection at a time over a
 * socket or a virtio-serial port, non-blocking output with back-pressure,
 * and the port's session recovery. gRPC calls are in call.c. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "server.h"

static const uint8_t CLIENT_MAGIC[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
#define CLIENT_MAGIC_LEN (sizeof CLIENT_MAGIC - 1)

static struct conn *current;
static void (*flushed_hook)(void);

/* ---- output -------------------------------------------------------------- */

static void conn_close(struct conn *cn);

static void conn_close_deferred(void *arg)
{
    struct conn *cn = arg;
    if (cn == current && !cn->dead)
        conn_close(cn);
}

static void schedule_close(struct conn *cn)
{
    if (!cn->close_scheduled) {
        cn->close_scheduled = true;
        if (loop_defer(conn_close_deferred, cn) < 0)
            agent_log("cannot schedule the end of a connection");
    }
}

static void run_flushed_hook(void *arg)
{
    (void)arg;
    void (*fn)(void) = flushed_hook;
    flushed_hook = NULL;
    if (fn)
        fn();
}

/* Writes what it can; the rest stays in wbuf and EPOLLOUT is watched. */
static int write_out(struct conn *cn, const uint8_t *data, size_t len)
{
    while (len) {
        ssize_t w = write(cn->fd, data, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                break;
            return -errno;
        }
        data += w;
        len -= (size_t)w;
    }
    if (len) {
        uint8_t *p = buf_reserve(&cn->wbuf, len);
        if (!p)
            return -ENOMEM;
        memcpy(p, data, len);
    }
    return 0;
}

static void conn_event(int fd, uint32_t events, void *arg);

static bool port_host_gone(struct conn *cn)
{
    struct pollfd p = { .fd = cn->fd, .events = POLLIN };
    return poll(&p, 1, 0) > 0 && (p.revents & POLLHUP);
}

static void watch_out(struct conn *cn, bool out)
{
    if (out == cn->want_out)
        return;
    cn->want_out = out;
    uint32_t ev = EPOLLIN | EPOLLRDHUP | (out ? EPOLLOUT : 0);
    if (loop_watch(cn->fd, ev, conn_event, cn) < 0)
        schedule_close(cn);
}

void conn_flush(struct conn *cn)
{
    if (cn->depth || cn->dead || !cn->bytes_in)
        return;
    if (cn->port && (cn->paused || port_host_gone(cn)))
        return; /* QEMU would hand it to the next host client: keep it queued */
    cn->depth++;
    int r = 0;
    for (;;) {
        if (!cn->hold && buf_unread(&cn->wbuf)) {
            struct buf *b = &cn->wbuf;
            size_t pending = buf_unread(b);
            uint8_t *copy = malloc(pending);
            if (!copy) {
                r = -ENOMEM;
                break;
            }
            memcpy(copy, b->data + b->off, pending);
            b->off = b->len = 0;
            r = write_out(cn, copy, pending);
            free(copy);
            if (r < 0 || buf_unread(b))
                break;
        }
        const uint8_t *data;
        ssize_t n = nghttp2_session_mem_send(cn->session, &data);
        if (n < 0 && cn->failed)
            break; /* conn_feed replaces the session */
        if (n < 0) {
            agent_log("HTTP/2 send failed: %s", nghttp2_strerror((int)n));
            r = -EPROTO;
            break;
        }
        if (n > 0 && cn->hold) {
            uint8_t *p = buf_reserve(&cn->wbuf, (size_t)n);
            if (!p) {
                r = -ENOMEM;
                break;
            }
            memcpy(p, data, (size_t)n);
            continue;
        }
        if (n > 0) {
            r = write_out(cn, data, (size_t)n);
            if (r < 0)
                break;
            continue;
        }
        /* nothing more to send: give drained streams a chance to refill */
        bool refilled = false;
        for (struct call *c = cn->calls; c; c = c->next) {
            if (c->drain_pending) {
                c->drain_pending = false;
                if (!c->done && c->on_drain) {
                    c->on_drain(c, c->drain_arg);
                    refilled = true;
                }
            }
        }
        if (!refilled)
            break;
    }
    cn->depth--;
    if (cn->hold && r == 0)
        return;
    if (r < 0) {
        agent_dbg("connection write failed: %s", strerror(-r));
        schedule_close(cn);
        return;
    }
    bool pending = buf_unread(&cn->wbuf) > 0;
    watch_out(cn, pending);
    if (!pending && !nghttp2_session_want_read(cn->session) && !nghttp2_session_want_write(cn->session))
        schedule_close(cn); /* GOAWAY exchanged */
    if (!pending && flushed_hook)
        loop_defer(run_flushed_hook, NULL);
}

void server_on_flushed(void (*fn)(void))
{
    flushed_hook = fn;
    if (!current || (!current->depth && !buf_unread(&current->wbuf)))
        loop_defer(run_flushed_hook, NULL);
}

static int before_frame_send(nghttp2_session *s, const nghttp2_frame *frame, void *user)
{
    (void)s;
    struct conn *cn = user;
    if (cn->port && frame->hd.type == NGHTTP2_GOAWAY) {
        cn->failed = true;
        agent_dbg("HTTP/2 session on the port failed (GOAWAY code %u)", frame->goaway.error_code);
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    return 0;
}

static int on_error(nghttp2_session *s, int code, const char *msg, size_t len, void *user)
{
    (void)s;
    (void)code;
    (void)user;
    agent_dbg("HTTP/2: %.*s", (int)len, msg);
    return 0;
}

/* ---- connection ---------------------------------------------------------- */


static int session_create(struct conn *cn)
{
    nghttp2_session_callbacks *cbs;
    if (nghttp2_session_callbacks_new(&cbs) != 0)
        return -ENOMEM;
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
    nghttp2_session_callbacks_set_error_callback2(cbs, on_error);
    nghttp2_session_callbacks_set_before_frame_send_callback(cbs, before_frame_send);
    int r = nghttp2_session_server_new(&cn->session, cbs, cn);
    nghttp2_session_callbacks_del(cbs);
    if (r != 0)
        return -ENOMEM;
    nghttp2_settings_entry settings[] = {
        { NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, MAX_STREAMS },
        { NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, RECV_WINDOW },
        { NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, 65536 },
    };
    if (nghttp2_submit_settings(cn->session, NGHTTP2_FLAG_NONE, settings, 3) != 0 ||
        nghttp2_session_set_local_window_size(cn->session, NGHTTP2_FLAG_NONE, 0, RECV_WINDOW) != 0) {
        nghttp2_session_del(cn->session);
        cn->session = NULL;
        return -EIO;
    }
    cn->bytes_in = 0;
    cn->failed = false;
    return 0;
}

/* Ends the HTTP/2 session: calls still running are cancelled. */
static void session_drop(struct conn *cn)
{
    cn->dead = true;
    nghttp2_session_del(cn->session);
    cn->session = NULL;
    struct call *calls = cn->calls;
    cn->calls = NULL;
    for (struct call *c = calls; c; c = c->next)
        call_cancel(c);
    while (calls) {
        struct call *next = calls->next;
        call_free(calls);
        calls = next;
    }
    buf_free(&cn->wbuf);
}

static void conn_close(struct conn *cn)
{
    agent_dbg("connection on fd %d ended", cn->fd);
    loop_unwatch(cn->fd);
    session_drop(cn);
    if (current == cn)
        current = NULL;
    conn_closed_fn fn = cn->on_closed;
    void *arg = cn->arg;
    int fd = cn->fd;
    free(cn);
    if (fn)
        fn(fd, arg);
    if (flushed_hook)
        loop_defer(run_flushed_hook, NULL); /* nobody left to answer */
}

/* Hands bytes to the session. Returns 0, 1 when a port's session ended
 * (its GOAWAY is never sent: the host may be another client by now), or
 * -EPROTO when a socket connection must end. */
static int session_feed(struct conn *cn, const uint8_t *data, size_t len)
{
    cn->depth++;
    ssize_t r = nghttp2_session_mem_recv(cn->session, data, len);
    cn->depth--;
    cn->bytes_in += len;
    if (!cn->port) {
        if (r < 0) {
            agent_log("closing the connection: HTTP/2 error: %s", nghttp2_strerror((int)r));
            return -EPROTO;
        }
        return 0; /* after a GOAWAY, conn_flush sends it and ends the connection */
    }
    /* a protocol error shows as a GOAWAY to send: find out now, before the
     * next bytes, which may be the next client's, reach this session */
    cn->hold = true;
    conn_flush(cn);
    cn->hold = false;
    if (r >= 0 && !cn->failed && nghttp2_session_want_read(cn->session)) {
        conn_flush(cn);
        return 0;
    }
    buf_free(&cn->wbuf); /* not even its SETTINGS: the client would ACK them to the next session */
    agent_dbg("HTTP/2 session on the port ended (%s) after %zu bytes", r < 0 ? nghttp2_strerror((int)r) : "GOAWAY",
              cn->bytes_in);
    return 1;
}

/* Whether the previous read ended with the first h bytes of a client
 * preface and this one starts with the rest. */
static bool preface_straddles(const struct conn *cn, const uint8_t *data, size_t len, size_t *h)
{
    for (size_t n = cn->tail_len; n > 0; n--) {
        if (memcmp(cn->tail + cn->tail_len - n, CLIENT_MAGIC, n) == 0 && len >= CLIENT_MAGIC_LEN - n &&
            memcmp(data, CLIENT_MAGIC + n, CLIENT_MAGIC_LEN - n) == 0) {
            *h = n;
            return true;
        }
    }
    return false;
}

/* Feeds bytes read from the channel. A virtio-serial port is one byte
 * stream for every host connection, and its data and its connect and
 * disconnect events travel on different virtqueues: bytes of a previous
 * host connection may arrive after the next one began. So on a port a
 * session starts at a client preface (bytes before it are dropped), and a
 * session that fails is replaced by a new one at the next preface. */
static int conn_feed(struct conn *cn, const uint8_t *data, size_t len)
{
    if (cn->maybe_new) {
        /* the host went away and is back: the same client (its disconnect
         * event was stale) or a new one, which starts with a preface */
        cn->maybe_new = false;
        size_t n = len < CLIENT_MAGIC_LEN ? len : CLIENT_MAGIC_LEN;
        if (memcmp(data, CLIENT_MAGIC, n) == 0 && cn->bytes_in > 0) {
            agent_dbg("port: a new host client");
            session_drop(cn);
            cn->dead = false;
            int e = session_create(cn);
            if (e < 0)
                return e;
        }
    }
    while (len) {
        if (cn->hunting) {
            size_t h;
            if (preface_straddles(cn, data, len, &h)) {
                cn->hunting = false;
                cn->tail_len = 0;
                if (session_feed(cn, CLIENT_MAGIC, h) != 0)
                    return -EPROTO;
            } else {
                const uint8_t *m = memmem(data, len, CLIENT_MAGIC, CLIENT_MAGIC_LEN);
                if (!m) {
                    size_t keep = len < sizeof cn->tail ? len : sizeof cn->tail;
                    memcpy(cn->tail, data + len - keep, keep);
                    cn->tail_len = keep;
                    agent_dbg("port: %zu bytes before a client preface dropped", len);
                    return 0;
                }
                if (m > data)
                    agent_dbg("port: %zu bytes before a client preface dropped", (size_t)(m - data));
                len -= (size_t)(m - data);
                data = m;
                cn->hunting = false;
                cn->tail_len = 0;
            }
        }
        int r = session_feed(cn, data, len);
        if (r <= 0)
            return r;
        session_drop(cn);
        cn->dead = false;
        int e = session_create(cn);
        if (e < 0)
            return e;
        cn->hunting = true;
        data++; /* look for the next preface, not the one that started this session */
        len--;
    }
    return 0;
}

static void conn_event(int fd, uint32_t events, void *arg)
{
    struct conn *cn = arg;
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
        uint8_t buf[16384];
        for (int rounds = 0; rounds < 8; rounds++) {
            ssize_t n = read(fd, buf, sizeof buf);
            if (n > 0) {
                if (conn_feed(cn, buf, (size_t)n) < 0) {
                    conn_close(cn);
                    return;
                }
                continue;
            }
            if (n == 0 && cn->port) {
                /* no data and no host: wait for one (main.c polls), but keep
                 * the session: the disconnect may be older than the data */
                agent_dbg("port: host side gone");
                loop_unwatch(fd);
                cn->paused = true;
                cn->maybe_new = true;
                if (cn->on_closed)
                    cn->on_closed(fd, cn->arg);
                return;
            }
            if (n == 0) {
                conn_close(cn);
                return;
            }
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                break;
            agent_dbg("connection read failed: %s", strerror(errno));
            conn_close(cn);
            return;
        }
    }
    conn_flush(cn);
}

void server_close(void)
{
    if (current)
        conn_close(current);
}

bool server_busy(void)
{
    return current != NULL && !current->paused;
}

int server_open(int fd, unsigned flags, conn_closed_fn on_closed, void *arg)
{
    if (current && current->paused && current->fd == fd) {
        int e = loop_watch(fd, EPOLLIN | EPOLLRDHUP, conn_event, current);
        if (e < 0)
            return e;
        current->paused = false;
        current->want_out = false;
        return 0;
    }
    if (current)
        return -EBUSY;
    struct conn *cn = calloc(1, sizeof *cn);
    if (!cn)
        return -ENOMEM;
    cn->fd = fd;
    cn->port = flags & SERVER_PORT;
    cn->hunting = cn->port;
    cn->on_closed = on_closed;
    cn->arg = arg;
    int r = session_create(cn);
    if (r < 0) {
        free(cn);
        return r;
    }
    r = loop_watch(fd, EPOLLIN | EPOLLRDHUP, conn_event, cn);
    if (r < 0) {
        nghttp2_session_del(cn->session);
        free(cn);
        return r;
    }
    current = cn;
    agent_dbg("connection on fd %d", fd);
    /* Nothing is written before the client's first bytes: on a port, our
     * SETTINGS would otherwise reach whichever client connects next. */
    return 0;
}
