/* libFuzzer harness: bytes into the agent's HTTP/2 + gRPC request decoding.
 * A real server session (server.c) serves one end of a socketpair; the
 * input goes in at the other end, either raw after the client preface, or
 * (odd first byte) as the body of a well-formed request to one of the
 * agent's methods, so that the gRPC framing and protobuf decoding are
 * reached. Handlers are the core's (Ping, Stats, Shutdown), the test
 * handlers of src/test/c (ReadOutput streams, WaitProcess answers later;
 * both are cancelled when the connection ends) and the weak UNIMPLEMENTED
 * stand-ins. Build: make -C guest-agent/src/main/c fuzz */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "core.h"

struct agent_config agent_cfg = { .host_mode = true, .channel = "fuzz" };

void agent_shutdown(void)
{
}

static bool closed;

/* A socket connection ends; a port's session pauses at EOF (the fd stays). */
static void on_closed(int fd, void *arg)
{
    (void)fd;
    (void)arg;
    closed = true;
}

static const char MAGIC[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

struct out {
    uint8_t *data;
    size_t len, cap;
};

static void put(struct out *o, const void *p, size_t n)
{
    if (o->len + n > o->cap) {
        o->cap = (o->len + n) * 2;
        o->data = realloc(o->data, o->cap);
        if (!o->data)
            abort();
    }
    memcpy(o->data + o->len, p, n);
    o->len += n;
}

static void frame_header(struct out *o, size_t len, uint8_t type, uint8_t flags, uint32_t stream)
{
    uint8_t h[9] = { (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len, type, flags,
                     (uint8_t)(stream >> 24), (uint8_t)(stream >> 16), (uint8_t)(stream >> 8), (uint8_t)stream };
    put(o, h, 9);
}

#define NV(n, v) { (uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE }

/* HEADERS for a request to method m (or an unknown one), then the input as
 * DATA frames; flag bits choose END_STREAM placement, frame sizes, an unknown path
 * and a RST_STREAM. */
static void structured(struct out *o, const uint8_t *data, size_t size)
{
    if (size < 2)
        return;
    uint8_t sel = data[0], flags = data[1];
    data += 2;
    size -= 2;
    size_t nmethods = 0;
    while (rpc_methods[nmethods].path)
        nmethods++;
    const char *path = sel % (nmethods + 1) < nmethods ? rpc_methods[sel % (nmethods + 1)].path
                                                        : "/jvmvisor.agent.v1.Agent/Nope";
    if (flags & 2)
        path = "/"; /* a path the table does not know, but valid HTTP */
    nghttp2_nv nva[] = { NV(":method", "POST"), NV(":scheme", "http"), NV(":authority", "agent"),
                         NV(":path", path), NV("content-type", "application/grpc"), NV("te", "trailers") };
    size_t nvlen = 6;
    nghttp2_hd_deflater *d;
    if (nghttp2_hd_deflate_new(&d, 4096) != 0)
        abort();
    size_t bound = nghttp2_hd_deflate_bound(d, nva, nvlen);
    uint8_t *block = malloc(bound);
    ssize_t blen = nghttp2_hd_deflate_hd(d, block, bound, nva, nvlen);
    nghttp2_hd_deflate_del(d);
    if (blen < 0)
        abort();
    bool end_on_headers = (flags & 1) && size == 0;
    frame_header(o, (size_t)blen, NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS | (end_on_headers ? 1 : 0), 1);
    put(o, block, (size_t)blen);
    free(block);
    size_t chunk = (flags & 4) ? 7 : 16384; /* tiny frames split the gRPC prefix */
    for (size_t off = 0; off < size || (!end_on_headers && off == 0 && size == 0); off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        bool last = off + n >= size;
        frame_header(o, n, NGHTTP2_DATA, (last && !(flags & 8)) ? NGHTTP2_FLAG_END_STREAM : 0, 1);
        put(o, data + off, n);
        if (size == 0)
            break;
    }
    if (flags & 16) { /* the client gives up on the stream */
        static const uint8_t rst[4] = { 0, 0, 0, 8 };
        frame_header(o, 4, NGHTTP2_RST_STREAM, 0, 1);
        put(o, rst, 4);
    }
}

static void drain(int fd)
{
    uint8_t buf[65536];
    while (read(fd, buf, sizeof buf) > 0)
        ;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        agent_debug = getenv("FUZZ_DEBUG") != NULL;
        if (loop_init() < 0)
            abort();
        ready = true;
    }
    if (size > 65536)
        return 0;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
        abort();
    closed = false;
    if (server_open(sv[0], (size && (data[0] & 2)) ? SERVER_PORT : 0, on_closed, NULL) < 0)
        abort();

    struct out o = { 0 };
    put(&o, MAGIC, sizeof MAGIC - 1);
    if (size && (data[0] & 1)) {
        static const uint8_t settings[9] = { 0, 0, 0, NGHTTP2_SETTINGS, 0, 0, 0, 0, 0 };
        put(&o, settings, 9);
        structured(&o, data + 1, size - 1);
    } else if (size) {
        put(&o, data + 1, size - 1);
    }
    size_t off = 0;
    while (off < o.len && !closed) {
        ssize_t w = write(sv[1], o.data + off, o.len - off);
        if (w > 0)
            off += (size_t)w;
        else if (errno != EAGAIN)
            break;
        loop_run_once(0);
        drain(sv[1]);
    }
    free(o.data);
    shutdown(sv[1], SHUT_WR); /* EOF: the server ends the connection */
    for (int i = 0; i < 1000 && !closed; i++) {
        loop_run_once(10);
        drain(sv[1]);
    }
    if (!closed)
        abort(); /* the server must notice EOF */
    loop_run_once(0); /* deferred work (Shutdown's hook) */
    server_close();   /* a paused port session */
    close(sv[0]);
    close(sv[1]);
    return 0;
}
