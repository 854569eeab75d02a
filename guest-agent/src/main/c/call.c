/* gRPC calls on HTTP/2 streams: request framing and decoding, dispatch to
 * the handlers, answers now or later (deferred), server streaming with
 * back-pressure. Protocol: https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

/* ---- buffers ------------------------------------------------------------- */

size_t buf_unread(const struct buf *b)
{
    return b->len - b->off;
}

uint8_t *buf_reserve(struct buf *b, size_t n)
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

void buf_free(struct buf *b)
{
    free(b->data);
    *b = (struct buf){ 0 };
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

void call_free(struct call *c)
{
    buf_free(&c->req);
    buf_free(&c->out);
    free(c->message);
    free(c);
}

void call_unlink(struct call *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        c->conn->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
}

/* The peer went away before the handler answered: tell the handler once. */
void call_cancel(struct call *c)
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

int on_begin_headers(nghttp2_session *s, const nghttp2_frame *frame, void *user)
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

int on_header(nghttp2_session *s, const nghttp2_frame *frame, const uint8_t *name, size_t namelen,
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

int on_data_chunk(nghttp2_session *s, uint8_t flags, int32_t stream_id, const uint8_t *data,
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

int on_frame_recv(nghttp2_session *s, const nghttp2_frame *frame, void *user)
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

int on_stream_close(nghttp2_session *s, int32_t stream_id, uint32_t error_code, void *user)
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
