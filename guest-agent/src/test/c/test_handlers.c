/* Handlers for a test build of the agent (make test-agent) that exercise
 * the server core the way the container handlers do: a server-streaming
 * call with back-pressure (call_send, call_pending_bytes, call_on_drain),
 * a deferred unary answer from a timer, and cancel hooks. Requests are
 * encoded in container_id:
 *   ReadOutput  "stream:TOTAL:CHUNK"  TOTAL bytes, byte i = i % 251, CHUNK 1 KiB..1 MiB
 *   WaitProcess "sleep:MS"            answers exit_status 42 after MS ms
 * Each cancel hook logs "test: ... cancelled" with --debug (the Java test reads the log).
 * The fuzz harness links them too, so that fuzzed requests reach deferred
 * answers, streaming and cancellation. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "core.h"

#define HIGH_WATER (1u << 20)

struct stream {
    struct call *call;
    size_t total, chunk, sent;
    uint8_t *buf;
};

static void stream_free(struct stream *s)
{
    free(s->buf);
    free(s);
}

static void stream_pump(struct call *c, void *arg)
{
    struct stream *s = arg;
    while (s->sent < s->total && call_pending_bytes(c) < HIGH_WATER) {
        size_t n = s->total - s->sent < s->chunk ? s->total - s->sent : s->chunk;
        for (size_t i = 0; i < n; i++)
            s->buf[i] = (uint8_t)((s->sent + i) % 251);
        Jvmvisor__Agent__V1__OutputChunk out = JVMVISOR__AGENT__V1__OUTPUT_CHUNK__INIT;
        out.data.data = s->buf;
        out.data.len = n;
        int e = call_send(c, &out.base);
        if (e < 0) {
            call_fail(c, GRPC_INTERNAL, "send: %s", strerror(-e));
            stream_free(s);
            return;
        }
        s->sent += n;
    }
    if (s->sent == s->total) {
        agent_dbg("test: stream of %zu bytes queued", s->total);
        call_finish(c);
        stream_free(s);
    }
}

static void stream_cancelled(struct call *c, void *arg)
{
    (void)c;
    struct stream *s = arg;
    agent_dbg("test: stream cancelled after %zu bytes", s->sent);
    stream_free(s);
}

void rpc_read_output(struct call *c, const ProtobufCMessage *req)
{
    const Jvmvisor__Agent__V1__ReadOutputRequest *r = (const void *)req;
    struct stream *s = calloc(1, sizeof *s);
    if (!s || sscanf(r->container_id, "stream:%zu:%zu", &s->total, &s->chunk) != 2 || s->chunk < 1024 ||
        s->chunk > (1u << 20)) {
        free(s);
        call_fail(c, GRPC_INVALID_ARGUMENT, "want stream:TOTAL:CHUNK, got %s", r->container_id);
        return;
    }
    s->call = c;
    s->buf = malloc(s->chunk);
    if (!s->buf) {
        stream_free(s);
        call_fail(c, GRPC_RESOURCE_EXHAUSTED, "no memory");
        return;
    }
    call_on_cancel(c, stream_cancelled, s);
    call_on_drain(c, stream_pump, s);
    stream_pump(c, s);
}

struct sleeper {
    struct call *call;
    int timer;
};

static void sleeper_free(struct sleeper *s)
{
    loop_unwatch(s->timer);
    close(s->timer);
    free(s);
}

static void sleeper_fired(int fd, uint32_t events, void *arg)
{
    (void)fd;
    (void)events;
    struct sleeper *s = arg;
    Jvmvisor__Agent__V1__WaitProcessResponse resp = JVMVISOR__AGENT__V1__WAIT_PROCESS_RESPONSE__INIT;
    resp.exit_status = 42;
    struct call *c = s->call;
    sleeper_free(s);
    call_reply(c, &resp.base);
}

static void sleeper_cancelled(struct call *c, void *arg)
{
    (void)c;
    agent_dbg("test: wait cancelled");
    sleeper_free(arg);
}

void rpc_wait_process(struct call *c, const ProtobufCMessage *req)
{
    const Jvmvisor__Agent__V1__WaitProcessRequest *r = (const void *)req;
    long ms;
    if (sscanf(r->container_id, "sleep:%ld", &ms) != 1 || ms <= 0) {
        call_fail(c, GRPC_INVALID_ARGUMENT, "want sleep:MS, got %s", r->container_id);
        return;
    }
    struct sleeper *s = calloc(1, sizeof *s);
    if (!s) {
        call_fail(c, GRPC_RESOURCE_EXHAUSTED, "no memory");
        return;
    }
    s->call = c;
    s->timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    struct itimerspec its = { .it_value = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 } };
    if (s->timer < 0 || timerfd_settime(s->timer, 0, &its, NULL) < 0 ||
        loop_watch(s->timer, EPOLLIN, sleeper_fired, s) < 0) {
        int e = errno;
        if (s->timer >= 0)
            close(s->timer);
        free(s);
        call_fail(c, GRPC_INTERNAL, "timer: %s", strerror(e));
        return;
    }
    call_on_cancel(c, sleeper_cancelled, s);
}
