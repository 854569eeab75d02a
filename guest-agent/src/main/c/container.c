/* CreateContainer, StartContainer, RemoveContainer and the container table.
 *
 * Create forks the init with the requested namespaces (always a mount
 * namespace of its own); the child builds the rootfs and the process
 * (spawn.c, rootfs.c), reports "ready" on a socketpair and blocks on the
 * start pipe. Errors found by the child fail the RPC with FAILED_PRECONDITION
 * and the child's message; nothing of the container remains. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "container.h"

/* A slow guest (TCG) needs time to build a rootfs over 9p. */
#define READY_TIMEOUT_MS 30000
#define EXEC_TIMEOUT_MS 10000

static struct container *containers;

struct container *container_first(void)
{
    return containers;
}

struct container *container_find(const char *id)
{
    for (struct container *c = containers; c; c = c->next)
        if (strcmp(c->id, id) == 0)
            return c;
    return NULL;
}

struct proc *proc_find(struct container *ctr, const char *exec_id)
{
    for (struct proc *p = ctr->procs; p; p = p->next)
        if (strcmp(p->exec_id, exec_id ? exec_id : "") == 0)
            return p;
    return NULL;
}

struct proc *proc_lookup_or_fail(struct call *c, const char *container_id, const char *exec_id)
{
    struct container *ctr = container_find(container_id);
    if (!ctr) {
        call_fail(c, GRPC_NOT_FOUND, "container \"%s\" does not exist", container_id);
        return NULL;
    }
    struct proc *p = proc_find(ctr, exec_id);
    if (!p)
        call_fail(c, GRPC_NOT_FOUND, "container \"%s\" has no process \"%s\"", container_id, exec_id);
    return p;
}

static int read_link(const char *path, char *buf, size_t len)
{
    ssize_t n = readlink(path, buf, len - 1);
    if (n < 0)
        return -errno;
    buf[n] = 0;
    return 0;
}

int container_for_each_pid(struct container *ctr, void (*fn)(pid_t pid, void *arg), void *arg)
{
    struct proc *init = ctr->procs;
    int count = 0;
    char path[64], ns[64], other[64];
    snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)init->pid);
    if (ctr->pid_ns && !init->exited && read_link(path, ns, sizeof ns) == 0) {
        DIR *d = opendir("/proc");
        if (!d)
            return -errno;
        struct dirent *e;
        while ((e = readdir(d))) {
            char *end;
            long pid = strtol(e->d_name, &end, 10);
            if (*end || pid <= 0)
                continue;
            snprintf(path, sizeof path, "/proc/%ld/ns/pid", pid);
            if (read_link(path, other, sizeof other) == 0 && strcmp(ns, other) == 0) {
                count++;
                if (fn)
                    fn((pid_t)pid, arg);
            }
        }
        closedir(d);
        return count;
    }
    for (struct proc *p = ctr->procs; p; p = p->next) {
        if (!p->exited) {
            count++;
            if (fn)
                fn(p->pid, arg);
        }
    }
    return count;
}

int container_count_pids(const char *container_id)
{
    struct container *ctr = container_find(container_id);
    return ctr ? container_for_each_pid(ctr, NULL, NULL) : -ENOENT;
}

struct ns_name {
    const char *name;
    int flag;
};

static const struct ns_name ns_names[] = {
    { "pid", CLONE_NEWPID }, { "mount", CLONE_NEWNS },   { "ipc", CLONE_NEWIPC },
    { "uts", CLONE_NEWUTS }, { "network", CLONE_NEWNET }, { "cgroup", CLONE_NEWCGROUP },
};

static int clone_flags(const ContainerSpec *spec, struct call *c)
{
    int flags = CLONE_NEWNS; /* the agent's own mounts must never change */
    for (size_t i = 0; i < spec->n_namespaces; i++) {
        size_t k = 0;
        while (k < sizeof ns_names / sizeof ns_names[0] && strcmp(ns_names[k].name, spec->namespaces[i]) != 0)
            k++;
        if (k == sizeof ns_names / sizeof ns_names[0] && strcmp(spec->namespaces[i], "user") == 0 &&
            spec_user_ns(spec))
            continue; /* entered by the init after its rootfs is built (spawn.c) */
        if (k == sizeof ns_names / sizeof ns_names[0] &&
            (strcmp(spec->namespaces[i], "user") == 0 || strcmp(spec->namespaces[i], "time") == 0)) {
            /* the VM is the boundary: clock offsets (and a user namespace without maps) are not applied */
            agent_log("container: the %s namespace is not applied", spec->namespaces[i]);
            continue;
        }
        if (k == sizeof ns_names / sizeof ns_names[0]) {
            call_fail(c, GRPC_INVALID_ARGUMENT, "namespace \"%s\" is not supported", spec->namespaces[i]);
            return -EINVAL;
        }
        /* cgroup: unshared by the init once in its cgroup, so that it sees itself at "/" (spawn.c) */
        if (ns_names[k].flag != CLONE_NEWCGROUP)
            flags |= ns_names[k].flag;
    }
    return flags;
}

bool spec_user_ns(const ContainerSpec *spec)
{
    bool user = false;
    for (size_t i = 0; i < spec->n_namespaces; i++)
        user = user || strcmp(spec->namespaces[i], "user") == 0;
    return user && spec->n_uid_mappings > 0 && spec->n_gid_mappings > 0;
}

static int write_map(pid_t pid, const char *file, IdMapping **maps, size_t n, char *msg, size_t msglen)
{
    char path[64], text[1024];
    size_t len = 0;
    for (size_t i = 0; i < n && len < sizeof text; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%u %u %u\n", maps[i]->container_id,
                                maps[i]->host_id, maps[i]->size);
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    ssize_t w = fd < 0 ? -1 : write(fd, text, len);
    int e = errno;
    if (fd >= 0)
        close(fd);
    if (w < 0) {
        snprintf(msg, msglen, "cannot write %s (linux.%s): %s", path,
                 strcmp(file, "uid_map") == 0 ? "uidMappings" : "gidMappings", strerror(e));
        return -e;
    }
    return 0;
}

int userns_write_maps(pid_t pid, const ContainerSpec *spec, char *msg, size_t msglen)
{
    int r = write_map(pid, "uid_map", spec->uid_mappings, spec->n_uid_mappings, msg, msglen);
    return r < 0 ? r : write_map(pid, "gid_map", spec->gid_mappings, spec->n_gid_mappings, msg, msglen);
}

void close_pair(int p[2])
{
    close_fdp(&p[0]);
    close_fdp(&p[1]);
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -errno : 0;
}

/* Stdio of a new process: pipes (agent ends CLOEXEC + non-blocking), none with a tty. */
int stdio_pipes(bool terminal, int in[2], int out[2], int err[2])
{
    in[0] = in[1] = out[0] = out[1] = err[0] = err[1] = -1;
    if (terminal)
        return 0;
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
        return -errno;
    set_nonblock(in[1]);
    set_nonblock(out[0]);
    set_nonblock(err[0]);
    return 0;
}

/* Hands the agent's ends (or the pty master) to the process record. */
void stdio_attach(struct proc *p, bool terminal, int in[2], int out[2], int err[2], int master)
{
    p->terminal = terminal;
    if (terminal) {
        set_nonblock(master);
        p->pty_master = master;
        p->stdin_fd = fcntl(master, F_DUPFD_CLOEXEC, 3);
        p->out[0].fd = fcntl(master, F_DUPFD_CLOEXEC, 3);
        p->out[1].fd = -1;
    } else {
        p->stdin_fd = in[1];
        p->out[0].fd = out[0];
        p->out[1].fd = err[0];
        in[1] = out[0] = err[0] = -1;
    }
    close_pair(in);
    close_pair(out);
    close_pair(err);
}

void rpc_create_container(struct call *c, const ProtobufCMessage *req)
{
    const CreateContainerRequest *r = (const CreateContainerRequest *)req;
    const ContainerSpec *spec = r->spec;
    if (!r->container_id || !*r->container_id) {
        call_fail(c, GRPC_INVALID_ARGUMENT, "container_id is empty");
        return;
    }
    if (container_find(r->container_id)) {
        call_fail(c, GRPC_ALREADY_EXISTS, "container \"%s\" already exists", r->container_id);
        return;
    }
    if (!spec || !spec->process || spec->process->n_args == 0) {
        call_fail(c, GRPC_INVALID_ARGUMENT, "container \"%s\": the spec has no process args", r->container_id);
        return;
    }
    int flags = clone_flags(spec, c);
    if (flags < 0)
        return;
    bool terminal = spec->process->terminal;
    int sv[2] = { -1, -1 }, start[2] = { -1, -1 }, in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
    char *cgroup = NULL;
    char msg[ERR_MSG_LEN];
    if (cgroup_create(r->container_id, spec->memory_limit_bytes, &cgroup, msg, sizeof msg) < 0) {
        call_fail(c, GRPC_FAILED_PRECONDITION, "container \"%s\": %s", r->container_id, msg);
        return;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 || pipe2(start, O_CLOEXEC) < 0 ||
        stdio_pipes(terminal, in, out, err) < 0) {
        call_fail(c, GRPC_INTERNAL, "container \"%s\": cannot create pipes: %s", r->container_id, strerror(errno));
        goto fail;
    }
    pid_t pid = (pid_t)syscall(SYS_clone, (unsigned long)flags | SIGCHLD, NULL, NULL, NULL, NULL);
    if (pid == 0) {
        close(sv[0]);
        close(start[1]);
        struct spawn_io io = { in[0], out[1], err[1] };
        spawn_init_child(spec, cgroup, sv[1], start[0], &io);
    }
    int e = errno;
    close_fdp(&sv[1]);
    close_fdp(&start[0]);
    close_fdp(&in[0]);
    close_fdp(&out[1]);
    close_fdp(&err[1]);
    if (pid < 0) {
        call_fail(c, GRPC_INTERNAL, "container \"%s\": clone: %s", r->container_id, strerror(e));
        goto fail;
    }
    int master = -1;
    int rc;
    while ((rc = sync_recv(sv[0], READY_TIMEOUT_MS, &master, msg, sizeof msg)) == 2) {
        /* the init entered its user namespace: map it, then let it go on */
        if (userns_write_maps(pid, spec, msg, sizeof msg) < 0) {
            rc = -EIO;
            break;
        }
        if (send(sv[0], "m", 1, MSG_NOSIGNAL) != 1) {
            rc = -errno;
            break;
        }
    }
    if (rc != 1) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        if (rc == -EIO)
            call_fail(c, GRPC_FAILED_PRECONDITION, "container \"%s\": %s", r->container_id, msg);
        else if (rc == 0)
            call_fail(c, GRPC_INTERNAL, "container \"%s\": its init ended during setup", r->container_id);
        else
            call_fail(c, GRPC_INTERNAL, "container \"%s\": no answer from its init: %s", r->container_id,
                      strerror(-rc));
        goto fail;
    }
    struct container *ctr = calloc(1, sizeof *ctr);
    struct proc *p = ctr ? proc_new(ctr, "") : NULL;
    if (!p || !(ctr->id = strdup(r->container_id))) {
        kill(pid, SIGKILL);
        if (ctr)
            free(ctr->id);
        free(ctr);
        proc_free(p);
        if (master >= 0)
            close(master);
        call_fail(c, GRPC_RESOURCE_EXHAUSTED, "out of memory");
        goto fail;
    }
    ctr->state = CTR_CREATED;
    ctr->pid_ns = (flags & CLONE_NEWPID) != 0;
    ctr->start_fd = start[1];
    ctr->sync_fd = sv[0];
    ctr->cgroup = cgroup;
    cgroup = NULL;
    ctr->procs = p;
    p->pid = pid;
    stdio_attach(p, terminal, in, out, err, master);
    ctr->next = containers;
    containers = ctr;
    agent_dbg("container %s created, init pid %d", ctr->id, (int)pid);
    CreateContainerResponse resp = CREATE_CONTAINER_RESPONSE__INIT;
    resp.pid = (uint32_t)pid;
    call_reply(c, &resp.base);
    return;
fail:
    cgroup_remove(&cgroup);
    close_pair(sv);
    close_pair(start);
    close_pair(in);
    close_pair(out);
    close_pair(err);
}

void rpc_start_container(struct call *c, const ProtobufCMessage *req)
{
    const StartContainerRequest *r = (const StartContainerRequest *)req;
    struct container *ctr = container_find(r->container_id);
    if (!ctr) {
        call_fail(c, GRPC_NOT_FOUND, "container \"%s\" does not exist", r->container_id);
        return;
    }
    if (ctr->state != CTR_CREATED || ctr->procs->exited) {
        call_fail(c, GRPC_FAILED_PRECONDITION, "container \"%s\" is not in created state", ctr->id);
        return;
    }
    ssize_t w = write(ctr->start_fd, "s", 1);
    close_fdp(&ctr->start_fd);
    int master = -1;
    char msg[ERR_MSG_LEN];
    int rc = w == 1 ? sync_recv(ctr->sync_fd, EXEC_TIMEOUT_MS, &master, msg, sizeof msg) : -EPIPE;
    close_fdp(&ctr->sync_fd);
    ctr->state = CTR_RUNNING;
    if (rc == -EIO) {
        call_fail(c, GRPC_FAILED_PRECONDITION, "container \"%s\": %s", ctr->id, msg);
        return;
    }
    if (rc < 0 && rc != -ETIMEDOUT) {
        call_fail(c, GRPC_INTERNAL, "container \"%s\": cannot start its init: %s", ctr->id, strerror(-rc));
        return;
    }
    Empty resp = EMPTY__INIT;
    call_reply(c, &resp.base);
}

static void kill_pid(pid_t pid, void *arg)
{
    kill(pid, *(int *)arg);
}

void rpc_remove_container(struct call *c, const ProtobufCMessage *req)
{
    const RemoveContainerRequest *r = (const RemoveContainerRequest *)req;
    struct container **pp = &containers;
    while (*pp && strcmp((*pp)->id, r->container_id) != 0)
        pp = &(*pp)->next;
    struct container *ctr = *pp;
    if (!ctr) {
        call_fail(c, GRPC_NOT_FOUND, "container \"%s\" does not exist", r->container_id);
        return;
    }
    int sig = SIGKILL;
    cgroup_kill(ctr->cgroup);
    container_for_each_pid(ctr, kill_pid, &sig);
    for (struct proc *p = ctr->procs; p; p = p->next)
        if (!p->exited)
            kill(p->pid, SIGKILL);
    /* Reap in any order: a dying pid-namespace init only becomes waitable
     * once the agent has reaped the execs it started in that namespace. */
    for (;;) {
        bool alive = false;
        for (struct proc *p = ctr->procs; p; p = p->next)
            alive = alive || !p->exited;
        if (!alive)
            break;
        int status;
        pid_t w = waitpid(-1, &status, 0);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            break;
        process_reaped(w, status);
    }
    *pp = ctr->next;
    close_fdp(&ctr->start_fd);
    close_fdp(&ctr->sync_fd);
    while (ctr->procs) {
        struct proc *p = ctr->procs;
        ctr->procs = p->next;
        proc_free(p);
    }
    cgroup_remove(&ctr->cgroup);
    agent_dbg("container %s removed", ctr->id);
    free(ctr->id);
    free(ctr);
    Empty resp = EMPTY__INIT;
    call_reply(c, &resp.base);
}
