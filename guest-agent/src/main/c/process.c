/* ExecProcess, SignalProcess, WaitProcess, ListProcesses and exit tracking
 * (process_reaped, called by the loop for every reaped child). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "container.h"

#define EXEC_TIMEOUT_MS 30000

struct proc *proc_new(struct container *ctr, const char *exec_id)
{
    struct proc *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->exec_id = strdup(exec_id);
    if (!p->exec_id) {
        free(p);
        return NULL;
    }
    p->ctr = ctr;
    p->stdin_fd = -1;
    p->pty_master = -1;
    for (int i = 0; i < 2; i++)
        p->out[i] = (struct output){ .proc = p, .fd = -1 };
    return p;
}

static void wait_cancelled(struct call *c, void *arg)
{
    struct proc *p = arg;
    for (size_t i = 0; i < p->nwaiters; i++) {
        if (p->waiters[i] == c) {
            p->waiters[i] = p->waiters[--p->nwaiters];
            return;
        }
    }
}

int proc_exit_status(const struct proc *p)
{
    if (WIFSIGNALED(p->status))
        return 128 + WTERMSIG(p->status);
    return WEXITSTATUS(p->status);
}

static void reply_wait(struct call *c, const struct proc *p)
{
    WaitProcessResponse resp = WAIT_PROCESS_RESPONSE__INIT;
    resp.exit_status = proc_exit_status(p);
    resp.signaled = WIFSIGNALED(p->status);
    resp.signal = resp.signaled ? WTERMSIG(p->status) : 0;
    resp.oom_killed = p->oom_killed;
    call_reply(c, &resp.base);
}

void proc_free(struct proc *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nwaiters; i++)
        call_fail(p->waiters[i], GRPC_UNAVAILABLE, "the container was removed before process \"%s\" ended",
                  p->exec_id);
    free(p->waiters);
    stdio_release(p);
    free(p->exec_id);
    free(p);
}

void process_reaped(pid_t pid, int status)
{
    /* a RemoveContainer can have consumed the status already: only live processes match */
    for (struct container *ctr = container_first(); ctr; ctr = ctr->next) {
        for (struct proc *p = ctr->procs; p; p = p->next) {
            if (p->pid != pid || p->exited)
                continue;
            p->exited = true;
            p->status = status;
            p->oom_killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && cgroup_oom_killed(ctr->cgroup);
            if (p == ctr->procs)
                ctr->state = CTR_STOPPED;
            agent_dbg("container %s process \"%s\" (pid %d) exited: %d", ctr->id, p->exec_id, (int)pid,
                      proc_exit_status(p));
            if (p->oom_killed)
                agent_log("container %s process \"%s\" (pid %d) was OOM-killed: its memory limit was reached",
                          ctr->id, p->exec_id, (int)pid);
            for (size_t i = 0; i < p->nwaiters; i++)
                reply_wait(p->waiters[i], p);
            p->nwaiters = 0;
            stdio_process_exited(p);
            return;
        }
    }
}

void rpc_wait_process(struct call *c, const ProtobufCMessage *req)
{
    const WaitProcessRequest *r = (const WaitProcessRequest *)req;
    struct proc *p = proc_lookup_or_fail(c, r->container_id, r->exec_id);
    if (!p)
        return;
    if (p->exited) {
        reply_wait(c, p);
        return;
    }
    struct call **w = realloc(p->waiters, (p->nwaiters + 1) * sizeof *w);
    if (!w) {
        call_fail(c, GRPC_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    p->waiters = w;
    p->waiters[p->nwaiters++] = c;
    call_on_cancel(c, wait_cancelled, p);
}

static void signal_pid(pid_t pid, void *arg)
{
    int *sig = arg;
    kill(pid, *sig);
}

void rpc_signal_process(struct call *c, const ProtobufCMessage *req)
{
    const SignalProcessRequest *r = (const SignalProcessRequest *)req;
    if (r->signal < 1 || r->signal > 64) {
        call_fail(c, GRPC_INVALID_ARGUMENT, "invalid signal %d (valid: 1..64)", r->signal);
        return;
    }
    if (r->all) {
        struct container *ctr = container_find(r->container_id);
        if (!ctr) {
            call_fail(c, GRPC_NOT_FOUND, "container \"%s\" does not exist", r->container_id);
            return;
        }
        int sig = r->signal;
        if (container_for_each_pid(ctr, signal_pid, &sig) <= 0) {
            call_fail(c, GRPC_FAILED_PRECONDITION, "container \"%s\" is not running", ctr->id);
            return;
        }
    } else {
        struct proc *p = proc_lookup_or_fail(c, r->container_id, r->exec_id);
        if (!p)
            return;
        if (p->exited || kill(p->pid, r->signal) < 0) {
            call_fail(c, GRPC_FAILED_PRECONDITION, "process \"%s\" of container \"%s\" already finished",
                      p->exec_id, p->ctr->id);
            return;
        }
    }
    Empty resp = EMPTY__INIT;
    call_reply(c, &resp.base);
}

/* Forks a child in the pid namespace of init (setns for children, then back). */
static pid_t fork_in_pidns(pid_t init_pid, char *msg, size_t len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)init_pid);
    _cleanup_close_ int target = open(path, O_RDONLY | O_CLOEXEC);
    _cleanup_close_ int self = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
    if (target < 0 || self < 0) {
        snprintf(msg, len, "cannot open the pid namespaces: %s", strerror(errno));
        return -1;
    }
    if (setns(target, CLONE_NEWPID) < 0) {
        snprintf(msg, len, "cannot join the container's pid namespace: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0)
        return 0;
    int e = errno;
    if (setns(self, CLONE_NEWPID) < 0)
        agent_log("cannot return to the agent's pid namespace: %s", strerror(errno));
    if (pid < 0)
        snprintf(msg, len, "fork: %s", strerror(e));
    return pid;
}

void rpc_exec_process(struct call *c, const ProtobufCMessage *req)
{
    const ExecProcessRequest *r = (const ExecProcessRequest *)req;
    struct container *ctr = container_find(r->container_id);
    if (!ctr) {
        call_fail(c, GRPC_NOT_FOUND, "container \"%s\" does not exist", r->container_id);
        return;
    }
    if (!r->exec_id || !*r->exec_id) {
        call_fail(c, GRPC_INVALID_ARGUMENT, "exec_id is empty");
        return;
    }
    if (!r->process || r->process->n_args == 0) {
        call_fail(c, GRPC_INVALID_ARGUMENT, "exec \"%s\": the process has no args", r->exec_id);
        return;
    }
    struct proc *init = ctr->procs;
    if (init->exited || ctr->state == CTR_STOPPED) {
        call_fail(c, GRPC_FAILED_PRECONDITION, "cannot exec in a stopped container");
        return;
    }
    if (proc_find(ctr, r->exec_id)) {
        call_fail(c, GRPC_ALREADY_EXISTS, "exec \"%s\" already exists in container \"%s\"", r->exec_id, ctr->id);
        return;
    }
    struct proc *p = proc_new(ctr, r->exec_id);
    if (!p) {
        call_fail(c, GRPC_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    char msg[ERR_MSG_LEN] = "";
    char root[64];
    snprintf(root, sizeof root, "/proc/%d/root", (int)init->pid);
    bool terminal = r->process->terminal;
    int sv[2] = { -1, -1 }, in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
    _cleanup_close_ int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
        stdio_pipes(terminal, in, out, err) < 0) {
        call_fail(c, GRPC_INTERNAL, "exec \"%s\": cannot prepare it: %s", r->exec_id, strerror(errno));
        goto fail;
    }
    pid_t pid = fork_in_pidns(init->pid, msg, sizeof msg);
    if (pid == 0) {
        close(sv[0]);
        struct spawn_io io = { in[0], out[1], err[1] };
        spawn_exec_child(r->process, ctr->cgroup, init->pid, root_fd, sv[1], &io);
    }
    close_fdp(&sv[1]);
    close_fdp(&in[0]);
    close_fdp(&out[1]);
    close_fdp(&err[1]);
    if (pid < 0) {
        call_fail(c, GRPC_INTERNAL, "exec \"%s\": %s", r->exec_id, msg);
        goto fail;
    }
    p->pid = pid;
    int master = -1, fd = -1;
    int rc;
    while ((rc = sync_recv(sv[0], EXEC_TIMEOUT_MS, &fd, msg, sizeof msg)) == 1)
        master = fd;
    if (rc < 0) {
        kill(pid, SIGKILL);
        if (master >= 0)
            close(master);
        if (rc == -EIO)
            call_fail(c, GRPC_FAILED_PRECONDITION, "exec \"%s\": %s", r->exec_id, msg);
        else
            call_fail(c, GRPC_INTERNAL, "exec \"%s\": no answer from the process: %s", r->exec_id, strerror(-rc));
        goto fail;
    }
    close_fdp(&sv[0]);
    stdio_attach(p, terminal, in, out, err, master);
    /* after the init: the init stays first */
    p->next = init->next;
    init->next = p;
    agent_dbg("container %s exec \"%s\" pid %d", ctr->id, p->exec_id, (int)pid);
    ExecProcessResponse resp = EXEC_PROCESS_RESPONSE__INIT;
    resp.pid = (uint32_t)pid;
    call_reply(c, &resp.base);
    return;
fail:
    close_pair(sv);
    close_pair(in);
    close_pair(out);
    close_pair(err);
    proc_free(p);
}

/* ---- ListProcesses ---------------------------------------------------------- */

struct proc_list {
    ProcessInfo *infos;
    ProcessInfo **ptrs;
    size_t n, cap;
    char **strings;
};

static void read_small(const char *path, char *buf, size_t len, size_t *out)
{
    *out = 0;
    buf[0] = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n > 0) {
        buf[n] = 0;
        *out = (size_t)n;
    }
}

static void add_pid(pid_t pid, void *arg)
{
    struct proc_list *l = arg;
    if (l->n == l->cap)
        return;
    ProcessInfo *pi = &l->infos[l->n];
    process_info__init(pi);
    pi->pid = (uint32_t)pid;
    char path[64], buf[4096];
    size_t len;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    read_small(path, buf, sizeof buf, &len);
    char *rp = strrchr(buf, ')');
    char state = '?';
    int ppid = 0;
    long rss = 0;
    if (rp) {
        unsigned long ign;
        long lign;
        /* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
         * cutime cstime priority nice threads itrealvalue starttime vsize rss */
        sscanf(rp + 2, "%c %d %lu %lu %lu %ld %lu %lu %lu %lu %lu %lu %lu %ld %ld %ld %ld %ld %ld %lu %lu %ld", &state,
               &ppid, &ign, &ign, &ign, &lign, &ign, &ign, &ign, &ign, &ign, &ign, &ign, &lign, &lign, &lign,
               &lign, &lign, &lign, &ign, &ign, &rss);
    }
    pi->ppid = (uint32_t)ppid;
    pi->rss_bytes = (uint64_t)rss * (uint64_t)sysconf(_SC_PAGESIZE);
    char st[2] = { state, 0 };
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    read_small(path, buf, sizeof buf, &len);
    char *uid = strstr(buf, "\nUid:");
    if (uid)
        pi->uid = (uint32_t)strtoul(uid + 5, NULL, 10);
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    read_small(path, buf, sizeof buf, &len);
    for (size_t i = 0; len && i < len - 1; i++)
        if (!buf[i])
            buf[i] = ' ';
    pi->state = strdup(st);
    pi->command = strdup(buf);
    if (!pi->state || !pi->command) {
        free(pi->state);
        free(pi->command);
        return;
    }
    l->ptrs[l->n++] = pi;
}

void rpc_list_processes(struct call *c, const ProtobufCMessage *req)
{
    const ListProcessesRequest *r = (const ListProcessesRequest *)req;
    struct container *ctr = container_find(r->container_id);
    if (!ctr) {
        call_fail(c, GRPC_NOT_FOUND, "container \"%s\" does not exist", r->container_id);
        return;
    }
    int count = container_for_each_pid(ctr, NULL, NULL);
    struct proc_list l = { .cap = count > 0 ? (size_t)count + 16 : 16 };
    l.infos = calloc(l.cap, sizeof *l.infos);
    l.ptrs = calloc(l.cap, sizeof *l.ptrs);
    if (!l.infos || !l.ptrs) {
        free(l.infos);
        free(l.ptrs);
        call_fail(c, GRPC_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    container_for_each_pid(ctr, add_pid, &l);
    ListProcessesResponse resp = LIST_PROCESSES_RESPONSE__INIT;
    resp.n_processes = l.n;
    resp.processes = l.ptrs;
    call_reply(c, &resp.base);
    for (size_t i = 0; i < l.n; i++) {
        free(l.infos[i].state);
        free(l.infos[i].command);
    }
    free(l.infos);
    free(l.ptrs);
}
