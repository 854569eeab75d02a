/* jvmvisor guest agent: containers and their processes, shared by
 * container.c, process.c, stdio.c and spawn.c (the forked child's setup). */
#ifndef JVMVISOR_CONTAINER_H
#define JVMVISOR_CONTAINER_H

#include "core.h" /* agent_dbg */
#include "pb_names.h"

#define ERR_MSG_LEN 512

/* One output of a process (stdout, stderr or the pty master) and the
 * ReadOutput call that streams it, if any. */
struct output {
    struct proc *proc;
    int fd;                 /* -1 once EOF was seen */
    struct call *reader;
    bool watched;
};

/* A WriteStdin call waiting for its bytes to be written. */
struct stdin_write {
    struct call *call;
    uint8_t *data;
    size_t len, off;
    struct stdin_write *next;
};

struct proc {
    struct container *ctr;
    char *exec_id;          /* "" for the container's init */
    pid_t pid;
    bool terminal;
    bool exited;
    int status;             /* raw wait status, once exited */
    bool oom_killed;        /* SIGKILLed while the container's cgroup counted an OOM kill */
    int stdin_fd;           /* write end (or a dup of the pty master); -1 once closed */
    bool stdin_close_pending;
    struct stdin_write *writes;
    int pty_master;         /* -1 without a terminal */
    struct output out[2];   /* STDOUT (or the pty), STDERR */
    struct call **waiters;
    size_t nwaiters;
    struct proc *next;
};

enum ctr_state { CTR_CREATED, CTR_RUNNING, CTR_STOPPED };

struct container {
    char *id;
    enum ctr_state state;
    bool pid_ns;            /* its processes live in their own pid namespace */
    int start_fd;           /* created: the child's start barrier; -1 after */
    int sync_fd;            /* created: the child's status socket; -1 after */
    char *cgroup;           /* its cgroup in the guest (cgroup.c), or NULL */
    struct proc *procs;     /* the init first, then execs */
    struct container *next;
};

/* ---- container.c --------------------------------------------------------- */
struct container *container_find(const char *id);
/* The head of the list of containers (process_reaped walks it). */
struct container *container_first(void);
struct proc *proc_find(struct container *ctr, const char *exec_id);
/* Finds container and process, or fails the call (NOT_FOUND) and returns NULL. */
struct proc *proc_lookup_or_fail(struct call *c, const char *container_id, const char *exec_id);
/* Calls fn for every live process of the container (its pid namespace, or
 * its tracked processes without one). Returns the count. */
int container_for_each_pid(struct container *ctr, void (*fn)(pid_t pid, void *arg), void *arg);

void close_pair(int p[2]);
/* Stdio of a new process: pipes (agent ends CLOEXEC + non-blocking), none with a tty. */
int stdio_pipes(bool terminal, int in[2], int out[2], int err[2]);
/* Hands the agent's ends (or the pty master) to the process and closes the rest. */
void stdio_attach(struct proc *p, bool terminal, int in[2], int out[2], int err[2], int master);

/* ---- process.c ----------------------------------------------------------- */
struct proc *proc_new(struct container *ctr, const char *exec_id);
void proc_free(struct proc *p);
/* Wait status as WaitProcess reports it: code, or 128+signal. */
int proc_exit_status(const struct proc *p);

/* ---- stdio.c ------------------------------------------------------------- */
/* After the process exited: ends output streams that have nothing more to read. */
void stdio_process_exited(struct proc *p);
/* Ends every call attached to the process's stdio and closes its fds. */
void stdio_release(struct proc *p);

/* ---- spawn.c: the forked child ------------------------------------------- */
struct spawn_io {
    int stdin_r, stdout_w, stderr_w;   /* -1 with a terminal */
};

/* Child side of CreateContainer: joins cgroup (NULL: none), builds the
 * rootfs, sets up the process, reports on sync_fd (a byte 0, with the pty
 * master as SCM_RIGHTS when terminal, or an error text; before that a
 * byte SYNC_USERNS when it entered its user namespace and waits for its
 * maps: the agent writes them and answers a byte), waits on start_fd,
 * execs. Never returns. */
__attribute__((noreturn)) void spawn_init_child(const ContainerSpec *spec, const char *cgroup, int sync_fd,
                                                int start_fd, const struct spawn_io *io);
/* Child side of ExecProcess: joins cgroup and the namespaces of init_pid
 * (already done for pid by the parent; the user namespace last), sets up
 * the process, execs. Reports errors (and the pty master) on sync_fd.
 * Never returns. */
__attribute__((noreturn)) void spawn_exec_child(const Process *proc, const char *cgroup, pid_t init_pid, int root_fd,
                                                int sync_fd, const struct spawn_io *io);

#define SYNC_USERNS 'U'
/* Sends a 0 byte and optionally an fd (pty master) on a unix socket. */
int sync_send_ready(int sync_fd, int fd);
/* Reads the child's report: returns 1 and *fd (or -1) for ready, 2 for
 * SYNC_USERNS, 0 for EOF, or -EIO with the child's message in msg.
 * -ETIMEDOUT after timeout_ms. */
int sync_recv(int sync_fd, int timeout_ms, int *fd, char *msg, size_t msglen);
/* Writes /proc/<pid>/uid_map and gid_map from the spec. 0 or -errno with msg. */
int userns_write_maps(pid_t pid, const ContainerSpec *spec, char *msg, size_t msglen);
/* Whether the spec asks for a user namespace the agent applies (with maps). */
bool spec_user_ns(const ContainerSpec *spec);

#endif
