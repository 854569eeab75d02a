/* HTTP/2 (nghttp2) and gRPC framing: one connection at a time, one struct
 * call per stream, answers now or later (deferred), server streaming with
 * back-pressure. Protocol: https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "core.h"

#define MAX_MESSAGE (4u << 20)      /* request and response messages */
#define RECV_WINDOW (8 << 20)       /* our receive window, stream and connection */
#define MAX_STREAMS 256
#define PREFIX 5                    /* compressed flag + big-endian length */

struct buf {
    uint8_t *data;
    size_t off, len, cap; /* unread bytes: data[off..len) */
};

static const uint8_t CLIENT_MAGIC[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
#define CLIENT_MAGIC_LEN (sizeof CLIENT_MAGIC - 1)

struct call {
    struct conn *conn;
    int32_t stream_id;
    char path[128];
    const struct rpc_method *method;
    struct buf req;
    bool too_big, dispatched, headers_sent, done, deferred, drain_pending;
    int status;
    char *message;
    struct buf out;
    cancel_fn on_cancel;
    void *cancel_arg;
    void (*on_drain)(struct call *c, void *arg);
    void *drain_arg;
    struct call *next, *prev;
};

struct conn {
    int fd;
    nghttp2_session *session;
    struct buf wbuf;      /* bytes nghttp2 produced that the fd did not take yet */
    struct call *calls;
    int depth;            /* > 0 while inside nghttp2: no mem_send then */
    bool dead, close_scheduled, want_out;
    bool port;            /* a virtio-serial port: no connection boundaries */
    bool hunting;         /* port: dropping bytes until a client preface */
    uint8_t tail[23];     /* port: last bytes dropped, a preface may start there */
    size_t tail_len;
    bool paused;          /* port: the host went away, the fd is not watched */
    bool failed;          /* port: the session wanted to send a GOAWAY */
    bool hold;            /* port: conn_flush collects output in wbuf, writes nothing */
    bool maybe_new;       /* port: after a pause, a preface starts a new session */
    size_t bytes_in;      /* fed to the current session */
    conn_closed_fn on_closed;
    void *arg;
};

static struct conn *current;
static void (*flushed_hook)(void);

/* ---- buffers ------------------------------------------------------------- */

static size_t buf_unread(const struct buf *b)
{
    return b->len - b->off;
}

static uint8_t *buf_reserve(struct buf *b, size_t n)
{
    if (b->off && b->off == b->len)
        b->off = b->len = 0;
    if (b->len + n > b->cap || !b->data) {
        if (b->off) { /* compact first */
            memmove(b->data, b->data + b->off, b->len - b->off);
            b->len -= b->off;
            b->off = 0;
        }
        if (b->len + n > b->cap || !b->data) {
            size_t cap = b->cap ? b->cap : 256;
            while (cap < b->len + n)
                cap *= 2;
            uint8_t *d = realloc(b->data, cap);
            if (!d)
                return NULL;
            b->data = d;
            b->cap = cap;
        }
    }
    uint8_t *p = b->data + b->len;
    b->len += n;
    return p;
}

static void buf_free(struct buf *b)
{
    free(b->data);
    *b = (struct buf){ 0 };
}

/* ---- output -------------------------------------------------------------- */

static void conn_flush(struct conn *cn);
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

static void conn_flush(struct conn *cn)
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

/* ---- calls --------------------------------------------------------------- */

static bool call_usable(struct call *c, const char *what)
{
    if (c->done || c->conn->dead) {
        agent_dbg("%s on an ended call %s", what, c->path);
        return false;
    }
    return true;
}

static void call_kick(struct call *c)
{
    if (c->deferred && !c->conn->dead) {
        c->deferred = false;
        nghttp2_session_resume_data(c->conn->session, c->stream_id);
    }
    conn_flush(c->conn);
}

#define NV(n, v) { (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1, NGHTTP2_NV_FLAG_NONE }
#define NVS(n, v, vlen) { (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, (vlen), NGHTTP2_NV_FLAG_NONE }

/* grpc-message is percent-encoded: bytes outside 0x20..0x7e and '%'. */
static size_t percent_encode(const char *in, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && n + 4 < cap; p++) {
        if (*p < 0x20 || *p > 0x7e || *p == '%') {
            out[n++] = '%';
            out[n++] = hex[*p >> 4];
            out[n++] = hex[*p & 15];
        } else {
            out[n++] = (char)*p;
        }
    }
    out[n] = 0;
    return n;
}

static ssize_t data_read(nghttp2_session *s, int32_t stream_id, uint8_t *dst, size_t length,
                         uint32_t *flags, nghttp2_data_source *source, void *user)
{
    (void)user;
    struct call *c = source->ptr;
    size_t n = buf_unread(&c->out);
    if (n > length)
        n = length;
    if (n) {
        memcpy(dst, c->out.data + c->out.off, n);
        c->out.off += n;
    }
    if (n && !buf_unread(&c->out)) {
        c->out.off = c->out.len = 0;
        if (c->on_drain)
            c->drain_pending = true;
    }
    if (buf_unread(&c->out))
        return (ssize_t)n;
    if (c->done) {
        char code[16], msg[512];
        int clen = snprintf(code, sizeof code, "%d", c->status);
        size_t mlen = percent_encode(c->message ? c->message : "", msg, sizeof msg);
        nghttp2_nv trailers[] = { NVS("grpc-status", code, (size_t)clen), NVS("grpc-message", msg, mlen) };
        *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
        if (nghttp2_submit_trailer(s, stream_id, trailers, mlen ? 2 : 1) != 0)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        return (ssize_t)n;
    }
    if (n == 0) {
        c->deferred = true;
        return NGHTTP2_ERR_DEFERRED;
    }
    return (ssize_t)n;
}

static int start_response(struct call *c)
{
    if (c->headers_sent)
        return 0;
    static const nghttp2_nv hdrs[] = { NV(":status", "200"), NV("content-type", "application/grpc") };
    nghttp2_data_provider prd = { .source.ptr = c, .read_callback = data_read };
    int r = nghttp2_submit_response(c->conn->session, c->stream_id, hdrs, 2, &prd);
    if (r != 0) {
        agent_log("cannot answer %s: %s", c->path, nghttp2_strerror(r));
        return -EIO;
    }
    c->headers_sent = true;
    return 0;
}

/* Trailers-only answer: headers with the status, END_STREAM, no body. */
static void answer_trailers_only(struct call *c, int code, const char *message)
{
    char codes[16], msg[512];
    int clen = snprintf(codes, sizeof codes, "%d", code);
    size_t mlen = percent_encode(message, msg, sizeof msg);
    nghttp2_nv hdrs[] = { NV(":status", "200"), NV("content-type", "application/grpc"),
                          NVS("grpc-status", codes, (size_t)clen), NVS("grpc-message", msg, mlen) };
    int r = nghttp2_submit_response(c->conn->session, c->stream_id, hdrs, mlen ? 4 : 3, NULL);
    if (r != 0)
        agent_log("cannot answer %s: %s", c->path, nghttp2_strerror(r));
    c->headers_sent = true;
}

int call_send(struct call *c, const ProtobufCMessage *msg)
{
    if (!call_usable(c, "call_send"))
        return -EPIPE;
    size_t size = protobuf_c_message_get_packed_size(msg);
    if (size > MAX_MESSAGE)
        return -EMSGSIZE;
    uint8_t *p = buf_reserve(&c->out, PREFIX + size);
    if (!p)
        return -ENOMEM;
    p[0] = 0;
    p[1] = (uint8_t)(size >> 24);
    p[2] = (uint8_t)(size >> 16);
    p[3] = (uint8_t)(size >> 8);
    p[4] = (uint8_t)size;
    protobuf_c_message_pack(msg, p + PREFIX);
    int r = start_response(c);
    if (r < 0)
        return r;
    call_kick(c);
    return 0;
}

void call_finish(struct call *c)
{
    if (!call_usable(c, "call_finish"))
        return;
    c->done = true;
    c->status = GRPC_OK;
    if (!c->headers_sent)
        answer_trailers_only(c, GRPC_OK, "");
    call_kick(c);
}

void call_reply(struct call *c, const ProtobufCMessage *resp)
{
    int r = call_send(c, resp);
    if (r < 0) {
        if (!c->done && !c->conn->dead)
            call_fail(c, GRPC_INTERNAL, "cannot send the answer to %s: %s", c->path, strerror(-r));
        return;
    }
    call_finish(c);
}

void call_fail(struct call *c, enum grpc_code code, const char *fmt, ...)
{
    if (!call_usable(c, "call_fail"))
        return;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    agent_dbg("%s failed with status %d: %s", c->path, (int)code, msg);
    c->done = true;
    c->status = (int)code;
    if (!c->headers_sent) {
        answer_trailers_only(c, (int)code, msg);
    } else {
        free(c->message);
        c->message = strdup(msg);
    }
    call_kick(c);
}

size_t call_pending_bytes(struct call *c)
{
    return buf_unread(&c->out);
}

void call_on_drain(struct call *c, void (*fn)(struct call *c, void *arg), void *arg)
{
    c->on_drain = fn;
    c->drain_arg = arg;
}

void call_on_cancel(struct call *c, cancel_fn fn, void *arg)
{
    c->on_cancel = fn;
    c->cancel_arg = arg;
}

static void call_free(struct call *c)
{
    buf_free(&c->req);
    buf_free(&c->out);
    free(c->message);
    free(c);
}

static void call_unlink(struct call *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        c->conn->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
}

/* The peer went away before the handler answered: tell the handler once. */
static void call_cancel(struct call *c)
{
    if (c->dispatched && !c->done) {
        c->done = true;
        if (c->on_cancel) {
            agent_dbg("%s cancelled", c->path);
            c->on_cancel(c, c->cancel_arg);
        }
    }
}

/* ---- requests ------------------------------------------------------------ */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void dispatch(struct call *c)
{
    c->dispatched = true;
    if (!c->method) {
        call_fail(c, GRPC_UNIMPLEMENTED, "unknown method %s", c->path[0] ? c->path : "(no :path)");
        return;
    }
    if (c->too_big) {
        call_fail(c, GRPC_RESOURCE_EXHAUSTED, "request to %s is larger than %u bytes", c->path, MAX_MESSAGE);
        return;
    }
    size_t have = buf_unread(&c->req);
    if (have < PREFIX) {
        call_fail(c, GRPC_INVALID_ARGUMENT, "request to %s has %zu bytes, less than a gRPC message prefix", c->path, have);
        return;
    }
    const uint8_t *p = c->req.data + c->req.off;
    if (p[0] != 0) {
        call_fail(c, GRPC_INVALID_ARGUMENT, "request to %s: compressed flag %u, compression is not supported", c->path, p[0]);
        return;
    }
    uint32_t len = be32(p + 1);
    if (len > MAX_MESSAGE) {
        call_fail(c, GRPC_RESOURCE_EXHAUSTED, "request to %s is larger than %u bytes", c->path, MAX_MESSAGE);
        return;
    }
    if (have != PREFIX + (size_t)len) {
        call_fail(c, GRPC_INVALID_ARGUMENT, "request to %s: body has %zu bytes, its prefix announces %u",
                  c->path, have - PREFIX, len);
        return;
    }
    ProtobufCMessage *req = protobuf_c_message_unpack(c->method->request, NULL, len, p + PREFIX);
    buf_free(&c->req);
    if (!req) {
        call_fail(c, GRPC_INVALID_ARGUMENT, "request to %s is not a valid %s", c->path, c->method->request->name);
        return;
    }
    agent_dbg("call %s (stream %d)", c->path, (int)c->stream_id);
    c->method->handler(c, req);
    protobuf_c_message_free_unpacked(req, NULL);
}

static int on_begin_headers(nghttp2_session *s, const nghttp2_frame *frame, void *user)
{
    struct conn *cn = user;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    struct call *c = calloc(1, sizeof *c);
    if (!c)
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    c->conn = cn;
    c->stream_id = frame->hd.stream_id;
    c->next = cn->calls;
    if (cn->calls)
        cn->calls->prev = c;
    cn->calls = c;
    nghttp2_session_set_stream_user_data(s, frame->hd.stream_id, c);
    return 0;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *frame, const uint8_t *name, size_t namelen,
                     const uint8_t *value, size_t valuelen, uint8_t flags, void *user)
{
    (void)flags;
    (void)user;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    struct call *c = nghttp2_session_get_stream_user_data(s, frame->hd.stream_id);
    if (!c || namelen != 5 || memcmp(name, ":path", 5) != 0)
        return 0;
    size_t n = valuelen < sizeof c->path - 1 ? valuelen : sizeof c->path - 1;
    memcpy(c->path, value, n);
    c->path[n] = 0;
    for (size_t i = 0; i < n; i++)
        if (c->path[i] < 0x20 || c->path[i] > 0x7e)
            c->path[i] = '?';
    c->method = rpc_method_find((const char *)value, valuelen);
    return 0;
}

static int on_data_chunk(nghttp2_session *s, uint8_t flags, int32_t stream_id, const uint8_t *data,
                         size_t len, void *user)
{
    (void)flags;
    (void)user;
    struct call *c = nghttp2_session_get_stream_user_data(s, stream_id);
    if (!c || c->too_big || c->dispatched)
        return 0;
    size_t have = buf_unread(&c->req);
    if (have + len > PREFIX + (size_t)MAX_MESSAGE) {
        c->too_big = true;
        buf_free(&c->req);
        return 0;
    }
    uint8_t *p = buf_reserve(&c->req, len);
    if (!p)
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    memcpy(p, data, len);
    if (have < PREFIX && have + len >= PREFIX && be32(c->req.data + c->req.off + 1) > MAX_MESSAGE) {
        c->too_big = true; /* do not buffer a message we will refuse */
        buf_free(&c->req);
    }
    return 0;
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *frame, void *user)
{
    (void)user;
    if ((frame->hd.type != NGHTTP2_DATA && frame->hd.type != NGHTTP2_HEADERS) ||
        !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
        return 0;
    struct call *c = nghttp2_session_get_stream_user_data(s, frame->hd.stream_id);
    if (c && !c->dispatched)
        dispatch(c);
    return 0;
}

static int on_stream_close(nghttp2_session *s, int32_t stream_id, uint32_t error_code, void *user)
{
    (void)error_code;
    struct conn *cn = user;
    struct call *c = nghttp2_session_get_stream_user_data(s, stream_id);
    if (!c || cn->dead)
        return 0;
    nghttp2_session_set_stream_user_data(s, stream_id, NULL);
    call_cancel(c);
    call_unlink(c);
    call_free(c);
    return 0;
}

/* On a port a failing session's GOAWAY could reach the next host client:
 * it is never sent; the session is dropped instead (see conn_flush). */
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
