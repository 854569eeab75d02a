/* jvmvisor guest agent: seams between the core parts (main.c, loop.c,
 * server.c, methods.c) that RPC handlers do not need. */
#ifndef JVMVISOR_CORE_H
#define JVMVISOR_CORE_H

#include "agent.h"

/* Verbose logs (jvmvisor.debug=1 on the kernel command line, or --debug). */
extern bool agent_debug;
void agent_dbg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- loop.c -------------------------------------------------------------- */
/* Creates the epoll set and the SIGCHLD signalfd (blocks SIGCHLD). */
int loop_init(void);
/* One round: waits up to timeout_ms (-1: forever), dispatches the events,
 * then runs deferred functions. Returns the number of events or -errno. */
int loop_run_once(int timeout_ms);
/* Runs fn(arg) after the current round of events, outside any callback. */
int loop_defer(void (*fn)(void *arg), void *arg);

/* ---- server.c ------------------------------------------------------------ */
/* Called once a connection has ended; the fd is no longer watched and the
 * owner decides whether to close it (a socket) or keep it (a serial port).
 * On a port it is also called when the host went away (read gives EOF):
 * the owner waits for the host and calls server_open() again, which
 * resumes the paused session. */
typedef void (*conn_closed_fn)(int fd, void *arg);
/* SERVER_PORT: the fd is a virtio-serial port, a byte stream without
 * connection boundaries (see conn_feed in server.c). */
#define SERVER_PORT 1u
/* Serves HTTP/2 + gRPC on a non-blocking, connected fd. One at a time. */
int server_open(int fd, unsigned flags, conn_closed_fn on_closed, void *arg);
/* Ends the current connection (paused or not); not from a callback. */
void server_close(void);
/* Whether a connection is being served (and not paused). */
bool server_busy(void);
/* Runs fn once every queued answer has been written to the channel (the
 * Shutdown RPC: reply first, power off after). */
void server_on_flushed(void (*fn)(void));

/* ---- methods.c ----------------------------------------------------------- */
/* Every RPC of agent.proto; ends with an entry whose path is NULL. */
extern const struct rpc_method rpc_methods[];
const struct rpc_method *rpc_method_find(const char *path, size_t len);

/* ---- main.c -------------------------------------------------------------- */
/* Ends the agent: in host mode leaves the loop (the process exits 0); as
 * PID 1 syncs and powers the VM off. Used by the Shutdown RPC. */
void agent_shutdown(void);

#endif
