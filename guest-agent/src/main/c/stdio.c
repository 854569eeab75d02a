/* WriteStdin, CloseStdin, ReadOutput, ResizeTty: a process's pipes or pty.
 *
 * Output stays in its pipe until a ReadOutput attaches (nothing is lost
 * before). A reader is fed in chunks of at most 64 KiB; above HIGH_WATER
 * bytes queued on the call the pipe is not read until the call drains. The
 * stream ends at EOF, or once the process has exited and the pipe has
 * nothing more right now (a daemonized grandchild may keep it open). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "container.h"

#define CHUNK (64 * 1024)
#define HIGH_WATER (256 * 1024)

static uint8_t chunk[CHUNK];

static void out_unwatch(struct output *o)
{
    if (o->watched) {
        loop_unwatch(o->fd);
        o->watched = false;
    }
}

static void out_end_stream(struct output *o)
{
    out_unwatch(o);
    if (o->reader) {
        struct call *c = o->reader;
        o->reader = NULL;
        call_finish(c);
    }
}

static void out_close(struct output *o)
{
    out_end_stream(o);
    close_fdp(&o->fd);
}

static void out_pump(struct output *o);

static void on_readable(int fd, uint32_t events, void *arg)
{
    (void)fd;
    (void)events;
    out_pump(arg);
}

static void on_drained(struct call *c, void *arg)
{
    struct output *o = arg;
    if (o->reader == c)
        out_pump(o);
}

static void on_reader_cancelled(struct call *c, void *arg)
{
    struct output *o = arg;
    if (o->reader == c) {
        o->reader = NULL;
        out_unwatch(o);
    }
}

static void out_pump(struct output *o)
{
    while (o->reader) {
        if (call_pending_bytes(o->reader) >= HIGH_WATER) {
            out_unwatch(o); /* level-triggered: resume on drain */
            return;
        }
        ssize_t n = read(o->fd, chunk, sizeof chunk);
        if (n > 0) {
            OutputChunk msg = OUTPUT_CHUNK__INIT;
            msg.data.data = chunk;
            msg.data.len = (size_t)n;
            if (call_send(o->reader, &msg.base) < 0) {
                out_end_stream(o);
                return;
            }
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            if (o->proc->exited) {
                out_end_stream(o); /* what is left belongs to someone else */
                return;
            }
            if (!o->watched && loop_watch(o->fd, EPOLLIN, on_readable, o) == 0)
                o->watched = true;
            return;
        }
        /* EOF, or EIO from a pty master whose slave side is gone */
        out_close(o);
        return;
    }
}

void stdio_process_exited(struct proc *p)
{
    for (int i = 0; i < 2; i++)
        out_pump(&p->out[i]);
}

void rpc_read_output(struct call *c, const ProtobufCMessage *req)
{
    const ReadOutputRequest *r = (const ReadOutputRequest *)req;
    struct proc *p = proc_lookup_or_fail(c, r->container_id, r->exec_id);
    if (!p)
        return;
    if (r->stream != OUTPUT_STREAM__STDOUT && r->stream != OUTPUT_STREAM__STDERR) {
        call_fail(c, GRPC_INVALID_ARGUMENT, "unknown output stream %d", (int)r->stream);
        return;
    }
    struct output *o = &p->out[r->stream == OUTPUT_STREAM__STDERR ? 1 : 0];
    if (o->fd < 0) {
        call_finish(c); /* EOF was reached, or a tty has no separate stderr */
        return;
    }
    if (o->reader) /* a newer reader (the host reconnected) takes over */
        out_end_stream(o);
    o->reader = c;
    call_on_cancel(c, on_reader_cancelled, o);
    call_on_drain(c, on_drained, o);
    out_pump(o);
}

/* ---- stdin ------------------------------------------------------------------ */

static void stdin_flush(struct proc *p);

static void on_writable(int fd, uint32_t events, void *arg)
{
    (void)fd;
    (void)events;
    stdin_flush(arg);
}

static void stdin_close_now(struct proc *p)
{
    loop_unwatch(p->stdin_fd);
    close_fdp(&p->stdin_fd);
    p->stdin_close_pending = false;
}

static void stdin_fail_all(struct proc *p, enum grpc_code code, const char *why)
{
    while (p->writes) {
        struct stdin_write *w = p->writes;
        p->writes = w->next;
        call_fail(w->call, code, "stdin of process \"%s\": %s", p->exec_id, why);
        free(w->data);
        free(w);
    }
}

static void stdin_flush(struct proc *p)
{
    while (p->writes) {
        struct stdin_write *w = p->writes;
        ssize_t n = w->len > w->off ? write(p->stdin_fd, w->data + w->off, w->len - w->off) : 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            loop_watch(p->stdin_fd, EPOLLOUT, on_writable, p);
            return;
        }
        if (n < 0) {
            stdin_fail_all(p, GRPC_FAILED_PRECONDITION, strerror(errno));
            break;
        }
        w->off += (size_t)n;
        if (w->off < w->len)
            continue;
        p->writes = w->next;
        Empty resp = EMPTY__INIT;
        call_reply(w->call, &resp.base);
        free(w->data);
        free(w);
    }
    loop_unwatch(p->stdin_fd);
    if (p->stdin_close_pending)
        stdin_close_now(p);
}

static void on_write_cancelled(struct call *c, void *arg)
{
    struct proc *p = arg;
    for (struct stdin_write **pp = &p->writes; *pp; pp = &(*pp)->next) {
        if ((*pp)->call == c) {
            struct stdin_write *w = *pp;
            *pp = w->next;
            free(w->data);
            free(w);
            return;
        }
    }
}

void rpc_write_stdin(struct call *c, const ProtobufCMessage *req)
{
    const WriteStdinRequest *r = (const WriteStdinRequest *)req;
    struct proc *p = proc_lookup_or_fail(c, r->container_id, r->exec_id);
    if (!p)
        return;
    if (p->stdin_fd < 0 || p->stdin_close_pending) {
        call_fail(c, GRPC_FAILED_PRECONDITION, "stdin of process \"%s\" is closed", p->exec_id);
        return;
    }
    struct stdin_write *w = calloc(1, sizeof *w);
    if (!w || (r->data.len && !(w->data = malloc(r->data.len)))) {
        free(w);
        call_fail(c, GRPC_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    if (r->data.len)
        memcpy(w->data, r->data.data, r->data.len);
    w->len = r->data.len;
    w->call = c;
    call_on_cancel(c, on_write_cancelled, p);
    struct stdin_write **tail = &p->writes;
    while (*tail)
        tail = &(*tail)->next;
    *tail = w;
    if (p->writes == w)
        stdin_flush(p);
}

void rpc_close_stdin(struct call *c, const ProtobufCMessage *req)
{
    const ProcessRef *r = (const ProcessRef *)req;
    struct proc *p = proc_lookup_or_fail(c, r->container_id, r->exec_id);
    if (!p)
        return;
    /* with a tty, stdin is the terminal: leave it open */
    if (!p->terminal && p->stdin_fd >= 0) {
        if (p->writes)
            p->stdin_close_pending = true;
        else
            stdin_close_now(p);
    }
    Empty resp = EMPTY__INIT;
    call_reply(c, &resp.base);
}

void rpc_resize_tty(struct call *c, const ProtobufCMessage *req)
{
    const ResizeTtyRequest *r = (const ResizeTtyRequest *)req;
    struct proc *p = proc_lookup_or_fail(c, r->container_id, r->exec_id);
    if (!p)
        return;
    if (!p->terminal || p->pty_master < 0) {
        call_fail(c, GRPC_FAILED_PRECONDITION, "process \"%s\" has no terminal", p->exec_id);
        return;
    }
    struct winsize ws = { .ws_row = (unsigned short)r->rows, .ws_col = (unsigned short)r->cols };
    if (ioctl(p->pty_master, TIOCSWINSZ, &ws) < 0) {
        call_fail(c, GRPC_INTERNAL, "resize of the terminal of \"%s\": %s", p->exec_id, strerror(errno));
        return;
    }
    Empty resp = EMPTY__INIT;
    call_reply(c, &resp.base);
}

void stdio_release(struct proc *p)
{
    stdin_fail_all(p, GRPC_UNAVAILABLE, "the container was removed");
    if (p->stdin_fd >= 0)
        stdin_close_now(p);
    for (int i = 0; i < 2; i++)
        out_close(&p->out[i]);
    close_fdp(&p->pty_master);
}
