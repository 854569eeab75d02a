/* jvmvisor guest agent: the HTTP/2 server's internals shared by server.c
 * (connections, sessions, output) and call.c (gRPC calls and framing). */
#ifndef JVMVISOR_SERVER_H
#define JVMVISOR_SERVER_H

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

/* buffers (call.c) */
size_t buf_unread(const struct buf *b);
uint8_t *buf_reserve(struct buf *b, size_t n);
void buf_free(struct buf *b);

/* output (server.c): writes what the session has to send; not inside nghttp2 */
void conn_flush(struct conn *cn);

/* calls (call.c) */
void call_free(struct call *c);
void call_unlink(struct call *c);
void call_cancel(struct call *c);
int on_begin_headers(nghttp2_session *s, const nghttp2_frame *frame, void *user);
int on_header(nghttp2_session *s, const nghttp2_frame *frame, const uint8_t *name, size_t namelen,
              const uint8_t *value, size_t valuelen, uint8_t flags, void *user);
int on_data_chunk(nghttp2_session *s, uint8_t flags, int32_t stream_id, const uint8_t *data, size_t len,
                  void *user);
int on_frame_recv(nghttp2_session *s, const nghttp2_frame *frame, void *user);
int on_stream_close(nghttp2_session *s, int32_t stream_id, uint32_t error_code, void *user);

#endif
