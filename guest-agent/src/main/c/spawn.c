/* The forked child of CreateContainer/ExecProcess: from the agent's fork to
 * execve. Rootfs work is in rootfs.c; this file sets up the OCI process
 * (cwd, executable lookup, user, rlimits, capabilities, stdio, tty) and
 * talks to the agent over the sync socket. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "cgroup.h"
#include "container.h"
#include "creds.h"
#include "rootfs.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- sync socket ---------------------------------------------------------- */

int sync_send_ready(int sync_fd, int fd)
{
    char byte = 0;
    struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (fd >= 0) {
        memset(&u, 0, sizeof u);
        mh.msg_control = u.buf;
        mh.msg_controllen = sizeof u.buf;
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd, sizeof fd);
    }
    return sendmsg(sync_fd, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int sync_recv(int sync_fd, int timeout_ms, int *fd, char *msg, size_t msglen)
{
    *fd = -1;
    struct pollfd pfd = { .fd = sync_fd, .events = POLLIN };
    int r;
    do
        r = poll(&pfd, 1, timeout_ms);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return -errno;
    if (r == 0)
        return -ETIMEDOUT;
    char buf[ERR_MSG_LEN];
    struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf - 1 };
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
    ssize_t n = recvmsg(sync_fd, &mh, MSG_CMSG_CLOEXEC);
    if (n < 0)
        return -errno;
    if (n == 0)
        return 0;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
            memcpy(fd, CMSG_DATA(cm), sizeof *fd);
    if (n == 1 && buf[0] == 0)
        return 1;
    if (n == 1 && buf[0] == SYNC_USERNS)
        return 2;
    buf[n] = 0;
    snprintf(msg, msglen, "%s", buf);
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
    return -EIO;
}

__attribute__((noreturn)) static void child_fail(int sync_fd, const char *msg)
{
    ssize_t w = send(sync_fd, msg, strlen(msg) ? strlen(msg) : 1, MSG_NOSIGNAL);
    (void)w;
    _exit(127);
}

/* ---- process setup --------------------------------------------------------- */

static const char *env_get(const Process *p, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i < p->n_env; i++)
        if (strncmp(p->env[i], key, kl) == 0 && p->env[i][kl] == '=')
            return p->env[i] + kl + 1;
    return NULL;
}

static bool is_executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* args[0] looked up in PATH (of the process env) as exec.LookPath does. */
static int find_executable(const Process *p, char *out, size_t outlen, char *msg)
{
    const char *name = p->args[0];
    if (strchr(name, '/')) {
        struct stat st;
        if (stat(name, &st) < 0) {
            snprintf(msg, ERR_MSG_LEN, "exec: \"%s\": stat %s: %s", name, name, strerror(errno));
            return -ENOENT;
        }
        snprintf(out, outlen, "%s", name);
        return 0;
    }
    const char *path = env_get(p, "PATH");
    if (!path)
        path = DEFAULT_PATH;
    char dirs[4096];
    snprintf(dirs, sizeof dirs, "%s", path);
    char *save = NULL;
    for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(out, outlen, "%s/%s", *d ? d : ".", name);
        if (is_executable(out))
            return 0;
    }
    snprintf(msg, ERR_MSG_LEN, "exec: \"%s\": executable file not found in $PATH", name);
    return -ENOENT;
}

/* How a process enters the container's user namespace, if it has one. */
struct userns_step {
    bool unshare;   /* the init: unshare, then ask the agent for the maps on sync_fd */
    int setns_fd;   /* an exec: the init's user namespace, or -1 */
    int sync_fd;
};

/* After the mounts (they stay owned by the agent's user namespace, as the
 * 9p shares cannot be mounted from a new one) and before the credentials,
 * which are then the container's IDs as its maps say. */
static int enter_userns(const struct userns_step *u, char *msg)
{
    if (u->setns_fd >= 0) {
        if (setns(u->setns_fd, CLONE_NEWUSER) < 0) {
            snprintf(msg, ERR_MSG_LEN, "cannot join the container's user namespace: %s", strerror(errno));
            return -errno;
        }
        return 0;
    }
    if (!u->unshare)
        return 0;
    if (unshare(CLONE_NEWUSER) < 0) {
        snprintf(msg, ERR_MSG_LEN, "cannot create the user namespace: %s", strerror(errno));
        return -errno;
    }
    char b = SYNC_USERNS;
    if (send(u->sync_fd, &b, 1, MSG_NOSIGNAL) != 1) {
        snprintf(msg, ERR_MSG_LEN, "user namespace: cannot ask for the maps: %s", strerror(errno));
        return -errno;
    }
    struct pollfd pfd = { .fd = u->sync_fd, .events = POLLIN };
    if (poll(&pfd, 1, 10000) != 1 || recv(u->sync_fd, &b, 1, 0) != 1) {
        snprintf(msg, ERR_MSG_LEN, "user namespace: the agent did not write the maps");
        return -EIO;
    }
    return 0;
}

/* The pty slave bound on /dev/console, as runc does for a terminal init
 * (best effort: a read-only /dev without the file keeps none). */
static void bind_console(const char *slave)
{
    int fd = open("/dev/console", O_CREAT | O_WRONLY | O_NOCTTY | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
    if (mount(slave, "/dev/console", NULL, MS_BIND, NULL) < 0)
        agent_dbg("cannot bind %s on /dev/console: %s", slave, strerror(errno));
}

/* Opens a pty in the container's devpts, makes its slave the controlling
 * terminal and stdio. Returns the master fd. */
static int setup_tty(const Process *p, bool init, char *msg)
{
    int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) {
        snprintf(msg, ERR_MSG_LEN, "terminal: cannot open /dev/ptmx in the container: %s", strerror(errno));
        return -errno;
    }
    int unlock = 0;
    char name[64];
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ptsname_r(master, name, sizeof name) != 0) {
        snprintf(msg, ERR_MSG_LEN, "terminal: cannot unlock the pty: %s", strerror(errno));
        return -errno;
    }
    int slave = open(name, O_RDWR | O_NOCTTY);
    if (slave < 0) {
        snprintf(msg, ERR_MSG_LEN, "terminal: cannot open %s: %s", name, strerror(errno));
        return -errno;
    }
    /* as configured: a pty without consoleSize stays 0x0, as under runc */
    struct winsize ws = { .ws_row = p->console_rows, .ws_col = p->console_cols };
    ioctl(slave, TIOCSWINSZ, &ws);
    if (init)
        bind_console(name);
    if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0) {
        snprintf(msg, ERR_MSG_LEN, "terminal: cannot make %s the controlling terminal: %s", name, strerror(errno));
        return -errno;
    }
    for (int fd = 0; fd < 3; fd++)
        dup2(slave, fd);
    if (slave > 2)
        close(slave);
    return master;
}

static void setup_pipes(const struct spawn_io *io)
{
    dup2(io->stdin_r, 0);
    dup2(io->stdout_w, 1);
    dup2(io->stderr_w, 2);
    /* the originals are CLOEXEC: only 0, 1, 2 reach the process */
}

/* Everything after the rootfs: returns the pty master (or -1) and fills
 * exe and home (the user's passwd entry); on error a negative errno with msg. */
static int setup_process(const Process *p, const struct spawn_io *io, const struct userns_step *u, bool init,
                         char *exe, size_t exelen, char *home, size_t homelen, char *msg)
{
    if (!p || p->n_args == 0) {
        snprintf(msg, ERR_MSG_LEN, "the process has no args");
        return -EINVAL;
    }
    const char *cwd = p->cwd && *p->cwd ? p->cwd : "/";
    if (chdir(cwd) < 0) {
        if (errno == ENOENT)
            snprintf(msg, ERR_MSG_LEN, "cwd \"%s\" does not exist", cwd);
        else
            snprintf(msg, ERR_MSG_LEN, "cwd \"%s\": %s", cwd, strerror(errno));
        return -ENOENT;
    }
    int r = find_executable(p, exe, exelen, msg);
    if (r < 0)
        return r;
    r = set_rlimits(p, msg);
    if (r < 0)
        return r;
    int master = -1;
    if (p->terminal) {
        master = setup_tty(p, init, msg);
        if (master < 0)
            return master;
    } else {
        setup_pipes(io);
        /* a session leader, as runc's processes are (ps STAT "Ss") */
        setsid();
    }
    if ((r = enter_userns(u, msg)) < 0)
        return r;
    if (p->capabilities && (r = drop_bounding(p->capabilities, msg)) < 0)
        return r;
    if ((r = set_user(p, home, homelen, msg)) < 0)
        return r;
    if (p->user && p->user->has_umask)
        umask(p->user->umask);
    else
        umask(022);
    if (p->capabilities && (r = apply_caps(p->capabilities, msg)) < 0)
        return r;
    if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        snprintf(msg, ERR_MSG_LEN, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
        return -errno;
    }
    return master;
}

static void set_oom_score_adj(const Process *p)
{
    if (!p || !p->has_oom_score_adj)
        return;
    char v[16];
    int n = snprintf(v, sizeof v, "%d", p->oom_score_adj);
    int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t w = write(fd, v, n);
        (void)w;
        close(fd);
    }
}

static bool has_ns(const ContainerSpec *spec, const char *name)
{
    for (size_t i = 0; i < spec->n_namespaces; i++)
        if (strcmp(spec->namespaces[i], name) == 0)
            return true;
    return false;
}

__attribute__((noreturn)) static void do_exec(const Process *p, const char *exe, const char *home, int sync_fd)
{
    char **env = calloc(p->n_env + 2, sizeof *env);
    char **argv = calloc(p->n_args + 1, sizeof *argv);
    if (!env || !argv)
        child_fail(sync_fd, "out of memory");
    memcpy(env, p->env, p->n_env * sizeof *env);
    /* HOME from the user's passwd entry when the env has none, as runc sets it */
    char home_env[PATH_MAX + 8];
    if (!env_get(p, "HOME")) {
        snprintf(home_env, sizeof home_env, "HOME=%s", home && *home ? home : "/");
        env[p->n_env] = home_env;
    }
    memcpy(argv, p->args, p->n_args * sizeof *argv);
    agent_child_reset_signals();
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0); /* a uid change cleared it */
    execve(exe, argv, env);
    char msg[ERR_MSG_LEN];
    snprintf(msg, sizeof msg, "exec: \"%s\": %s", p->args[0], strerror(errno));
    child_fail(sync_fd, msg);
}

void spawn_init_child(const ContainerSpec *spec, const char *cgroup, int sync_fd, int start_fd,
                      const struct spawn_io *io)
{
    char msg[ERR_MSG_LEN] = "";
    char exe[PATH_MAX], home[PATH_MAX] = "/";
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    int cr = cgroup_join(cgroup);
    if (cr < 0) {
        snprintf(msg, sizeof msg, "cannot join the cgroup %s: %s", cgroup, strerror(-cr));
        child_fail(sync_fd, msg);
    }
    if (has_ns(spec, "cgroup") && unshare(CLONE_NEWCGROUP) < 0) {
        snprintf(msg, sizeof msg, "cannot create the cgroup namespace: %s", strerror(errno));
        child_fail(sync_fd, msg);
    }
    set_oom_score_adj(spec->process);
    if (has_ns(spec, "network") && loopback_up(msg) < 0)
        child_fail(sync_fd, msg);
    if (rootfs_build(spec, msg) < 0)
        child_fail(sync_fd, msg);
    struct userns_step u = { .unshare = spec_user_ns(spec), .setns_fd = -1, .sync_fd = sync_fd };
    int master = setup_process(spec->process, io, &u, true, exe, sizeof exe, home, sizeof home, msg);
    if (master < -1 || (master == -1 && msg[0]))
        child_fail(sync_fd, msg);
    if (sync_send_ready(sync_fd, master) < 0)
        _exit(127);
    if (master >= 0)
        close(master);
    char go;
    ssize_t n;
    do
        n = read(start_fd, &go, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1)
        _exit(127); /* the agent went away or removed the container */
    do_exec(spec->process, exe, home, sync_fd);
}

/* The init's user namespace if it is not the agent's, else -1. */
static int open_userns(pid_t init_pid)
{
    char path[64], mine[64], theirs[64];
    snprintf(path, sizeof path, "/proc/%d/ns/user", (int)init_pid);
    ssize_t a = readlink("/proc/self/ns/user", mine, sizeof mine - 1);
    ssize_t b = readlink(path, theirs, sizeof theirs - 1);
    if (a <= 0 || b <= 0 || (a == b && memcmp(mine, theirs, (size_t)a) == 0))
        return -1;
    return open(path, O_RDONLY | O_CLOEXEC);
}

void spawn_exec_child(const Process *proc, const char *cgroup, pid_t init_pid, int root_fd, int sync_fd,
                      const struct spawn_io *io)
{
    char msg[ERR_MSG_LEN] = "";
    char exe[PATH_MAX], home[PATH_MAX] = "/";
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    int cr = cgroup_join(cgroup);
    if (cr < 0) {
        snprintf(msg, sizeof msg, "cannot join the cgroup %s: %s", cgroup, strerror(-cr));
        child_fail(sync_fd, msg);
    }
    struct userns_step u = { .unshare = false, .setns_fd = open_userns(init_pid), .sync_fd = sync_fd };
    set_oom_score_adj(proc);
    static const struct {
        const char *name;
        int type;
    } nss[] = { { "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS }, { "net", CLONE_NEWNET },
                { "cgroup", CLONE_NEWCGROUP }, { "mnt", CLONE_NEWNS } };
    for (size_t i = 0; i < N(nss); i++) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)init_pid, nss[i].name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue; /* that namespace type is not built into this kernel */
        int r = setns(fd, nss[i].type);
        int e = errno;
        close(fd);
        if (r < 0) {
            snprintf(msg, sizeof msg, "cannot join the container's %s namespace: %s", nss[i].name, strerror(e));
            child_fail(sync_fd, msg);
        }
    }
    if (fchdir(root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0) {
        snprintf(msg, sizeof msg, "cannot enter the container's root: %s", strerror(errno));
        child_fail(sync_fd, msg);
    }
    close(root_fd);
    int master = setup_process(proc, io, &u, false, exe, sizeof exe, home, sizeof home, msg);
    if (master < -1 || (master == -1 && msg[0]))
        child_fail(sync_fd, msg);
    if (master >= 0) {
        if (sync_send_ready(sync_fd, master) < 0)
            _exit(127);
        close(master);
    }
    do_exec(proc, exe, home, sync_fd);
}
