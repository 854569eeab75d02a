/* jvmvisor guest agent: the seams between its parts.
 *
 *   main.c       PID 1 duties (mounts, reaping, power-off), channel choice, ready line
 *   loop.c       epoll event loop (fd watchers, SIGCHLD through signalfd)
 *   server.c     HTTP/2 (nghttp2) + gRPC framing; one connection at a time;
 *                dispatch of calls to handlers by method path
 *   rpc_system.c Ping, Stats, SetTime, Resume (after a template restore), Shutdown
 *   container.c  CreateContainer, StartContainer, RemoveContainer (namespaces,
 *                pivot_root, mounts, devices)
 *   process.c    ExecProcess, SignalProcess, WaitProcess, ListProcesses, exit tracking
 *   stdio.c      WriteStdin, CloseStdin, ReadOutput, ResizeTty (pipes, ptys)
 *   dns_relay.c  DnsQueries, DnsAnswer (docker's 127.0.0.11 relayed to the host); dns_tcp.c its TCP side
 *   network.c    ConfigureNetwork (rtnetlink: NIC names, MACs, MTUs, addresses, routes)
 *
 * Style: every function that can fail returns a negative errno and, where a
 * person can act on it, fills an error message (err_set). Resources are
 * released with __attribute__((cleanup)).
 */
#ifndef JVMVISOR_AGENT_H
#define JVMVISOR_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <protobuf-c/protobuf-c.h>

#include "agent.pb-c.h"

#define AGENT_VERSION "0.1.0"

/* ---- cleanup helpers ---------------------------------------------------- */
void close_fdp(int *fd);
void free_p(void *p); /* takes a pointer to a pointer */
#define _cleanup_close_ __attribute__((cleanup(close_fdp)))
#define _cleanup_free_ __attribute__((cleanup(free_p)))

/* ---- errors: one message per failing call -------------------------------- */
/* gRPC status codes used by the agent. */
enum grpc_code {
    GRPC_OK = 0,
    GRPC_CANCELLED = 1,
    GRPC_UNKNOWN = 2,
    GRPC_INVALID_ARGUMENT = 3,
    GRPC_NOT_FOUND = 5,
    GRPC_ALREADY_EXISTS = 6,
    GRPC_FAILED_PRECONDITION = 9,
    GRPC_OUT_OF_RANGE = 11,
    GRPC_UNIMPLEMENTED = 12,
    GRPC_INTERNAL = 13,
    GRPC_UNAVAILABLE = 14,
    GRPC_RESOURCE_EXHAUSTED = 8,
};

/* ---- event loop (loop.c) ------------------------------------------------- */
typedef void (*watch_fn)(int fd, uint32_t events, void *arg);
/* Watches fd for EPOLL* events; replaces an existing watch of the same fd. */
int loop_watch(int fd, uint32_t events, watch_fn fn, void *arg);
int loop_unwatch(int fd);
/* Called by the loop for every reaped child (SIGCHLD, waitpid(-1) loop).
 * status is the raw wait status. Implemented in process.c. */
void process_reaped(pid_t pid, int status);
/* Runs the loop until loop_stop(). */
int loop_run(void);
void loop_stop(void);

/* ---- calls (server.c) ---------------------------------------------------- */
/* One gRPC call: one HTTP/2 stream. A handler either answers at once or
 * keeps the call and answers later (deferred) from another event. A call is
 * valid until it is finished or cancelled; a handler that keeps a call must
 * register an on_cancel hook to forget it. */
struct call;

typedef void (*cancel_fn)(struct call *c, void *arg);

/* Unary answer: the message, then trailers grpc-status: 0. Ends the call. */
void call_reply(struct call *c, const ProtobufCMessage *resp);
/* Error answer: trailers grpc-status: code, grpc-message: printf text. Ends the call. */
void call_fail(struct call *c, enum grpc_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Server streaming: queues one message (copied). Returns 0 or -errno. */
int call_send(struct call *c, const ProtobufCMessage *msg);
/* Number of bytes queued on this call and not yet written to the channel
 * (back-pressure for streaming: stop reading a pipe above a threshold). */
size_t call_pending_bytes(struct call *c);
/* Called when the queue of the call drops to 0 bytes (to resume reading). */
void call_on_drain(struct call *c, void (*fn)(struct call *c, void *arg), void *arg);
/* Server streaming: trailers with grpc-status 0. Ends the call. */
void call_finish(struct call *c);
/* Hook run once if the peer resets the stream or the connection goes away
 * before the call ended. After it, the call must not be used. */
void call_on_cancel(struct call *c, cancel_fn fn, void *arg);

/* A handler gets the decoded request (owned by the server, freed after the
 * handler returns: copy what a deferred answer needs). */
typedef void (*rpc_handler)(struct call *c, const ProtobufCMessage *req);

struct rpc_method {
    const char *path;                         /* "/jvmvisor.agent.v1.Agent/Ping" */
    const ProtobufCMessageDescriptor *request;
    rpc_handler handler;
};

/* ---- handlers ------------------------------------------------------------ */
/* network.c */
void rpc_configure_network(struct call *c, const ProtobufCMessage *req);
/* rpc_system.c */
void rpc_ping(struct call *c, const ProtobufCMessage *req);
void rpc_stats(struct call *c, const ProtobufCMessage *req);
void rpc_add_mount(struct call *c, const ProtobufCMessage *req);
void rpc_remove_mount(struct call *c, const ProtobufCMessage *req);
void rpc_set_time(struct call *c, const ProtobufCMessage *req);
void rpc_resume(struct call *c, const ProtobufCMessage *req);
/* Mounts the rootfs 9p share at AGENT_ROOTFS_DIR (once): at boot from the
 * kernel command line, or after a template restore from Resume. */
int rootfs_share_mount(const char *tag, const char *cache, bool readonly, char *msg, size_t cap);
void rpc_shutdown(struct call *c, const ProtobufCMessage *req);
/* container.c */
void rpc_create_container(struct call *c, const ProtobufCMessage *req);
void rpc_start_container(struct call *c, const ProtobufCMessage *req);
void rpc_remove_container(struct call *c, const ProtobufCMessage *req);
/* process.c */
void rpc_exec_process(struct call *c, const ProtobufCMessage *req);
void rpc_signal_process(struct call *c, const ProtobufCMessage *req);
void rpc_wait_process(struct call *c, const ProtobufCMessage *req);
void rpc_list_processes(struct call *c, const ProtobufCMessage *req);
/* stdio.c */
void rpc_write_stdin(struct call *c, const ProtobufCMessage *req);
void rpc_close_stdin(struct call *c, const ProtobufCMessage *req);
void rpc_read_output(struct call *c, const ProtobufCMessage *req);
void rpc_resize_tty(struct call *c, const ProtobufCMessage *req);
/* dns_relay.c */
void rpc_dns_queries(struct call *c, const ProtobufCMessage *req);
void rpc_dns_answer(struct call *c, const ProtobufCMessage *req);

/* process.c: number of live processes of a container, or -ENOENT when the
 * agent has no such container (Stats with a container_id). A weak default
 * in weak_handlers.c answers 0. */
int container_count_pids(const char *container_id);

/* util.c: call in a forked child before exec: the agent blocks SIGCHLD
 * (signalfd), SIGTERM/SIGINT (host mode) and ignores SIGPIPE; this restores
 * an empty signal mask and SIGPIPE's default action. */
void agent_child_reset_signals(void);

/* ---- global agent state (main.c) ---------------------------------------- */
struct agent_config {
    bool host_mode;          /* not PID 1: Unix socket, containers on the host */
    const char *channel;     /* "vsock", "virtio-serial", "unix" */
    uint64_t ready_boottime_ns;
};
extern struct agent_config agent_cfg;

/* Guest-side path of the container rootfs mounted from the kernel command
 * line's jvmvisor.rootfs=<tag> (VM mode). */
#define AGENT_ROOTFS_DIR "/run/jvmvisor/rootfs"
#define AGENT_SHARES_DIR "/run/jvmvisor/shares"

/* Console/diagnostic logging: to stderr (the serial console as PID 1). */
void agent_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
