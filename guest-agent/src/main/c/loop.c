/* The agent's event loop: epoll over fd watchers, SIGCHLD through a
 * signalfd (every child is reaped here and handed to process_reaped()). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core.h"

struct watch {
    watch_fn fn;
    void *arg;
    bool used;
};

struct deferred {
    void (*fn)(void *arg);
    void *arg;
};

#define MAX_DEFERRED 32

static int epoll_fd = -1;
static int sigchld_fd = -1;
static bool stopping;
static struct watch *watches;
static size_t watches_len;
static struct deferred deferred[MAX_DEFERRED];
static size_t deferred_len;

static void on_sigchld(int fd, uint32_t events, void *arg)
{
    (void)events;
    (void)arg;
    struct signalfd_siginfo si;
    while (read(fd, &si, sizeof si) == (ssize_t)sizeof si)
        ;
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0)
            break;
        agent_dbg("reaped pid %d status 0x%x", (int)pid, status);
        process_reaped(pid, status);
    }
}

int loop_init(void)
{
    epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd < 0)
        return -errno;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        return -errno;
    sigchld_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sigchld_fd < 0)
        return -errno;
    return loop_watch(sigchld_fd, EPOLLIN, on_sigchld, NULL);
}

int loop_watch(int fd, uint32_t events, watch_fn fn, void *arg)
{
    if (fd < 0)
        return -EBADF;
    if ((size_t)fd >= watches_len) {
        size_t len = watches_len ? watches_len : 64;
        while (len <= (size_t)fd)
            len *= 2;
        struct watch *w = realloc(watches, len * sizeof *w);
        if (!w)
            return -ENOMEM;
        memset(w + watches_len, 0, (len - watches_len) * sizeof *w);
        watches = w;
        watches_len = len;
    }
    struct epoll_event ev = { .events = events, .data.fd = fd };
    int op = watches[fd].used ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(epoll_fd, op, fd, &ev) < 0) {
        if (op == EPOLL_CTL_MOD && errno == ENOENT)
            op = EPOLL_CTL_ADD; /* the fd was closed and reused */
        else if (op == EPOLL_CTL_ADD && errno == EEXIST)
            op = EPOLL_CTL_MOD;
        else
            return -errno;
        if (epoll_ctl(epoll_fd, op, fd, &ev) < 0)
            return -errno;
    }
    watches[fd] = (struct watch){ .fn = fn, .arg = arg, .used = true };
    return 0;
}

int loop_unwatch(int fd)
{
    if (fd < 0 || (size_t)fd >= watches_len || !watches[fd].used)
        return -ENOENT;
    watches[fd].used = false;
    if (epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, NULL) < 0 && errno != EBADF && errno != ENOENT)
        return -errno;
    return 0;
}

int loop_defer(void (*fn)(void *arg), void *arg)
{
    for (size_t i = 0; i < deferred_len; i++)
        if (deferred[i].fn == fn && deferred[i].arg == arg)
            return 0;
    if (deferred_len == MAX_DEFERRED)
        return -ENOSPC;
    deferred[deferred_len++] = (struct deferred){ fn, arg };
    return 0;
}

int loop_run_once(int timeout_ms)
{
    struct epoll_event evs[32];
    int n = epoll_wait(epoll_fd, evs, 32, deferred_len ? 0 : timeout_ms);
    if (n < 0 && errno != EINTR)
        return -errno;
    for (int i = 0; i < n; i++) {
        int fd = evs[i].data.fd;
        if ((size_t)fd < watches_len && watches[fd].used)
            watches[fd].fn(fd, evs[i].events, watches[fd].arg);
    }
    while (deferred_len) {
        struct deferred d = deferred[0];
        memmove(deferred, deferred + 1, --deferred_len * sizeof *deferred);
        d.fn(d.arg);
    }
    return n < 0 ? 0 : n;
}

int loop_run(void)
{
    stopping = false;
    while (!stopping) {
        int r = loop_run_once(-1);
        if (r < 0)
            return r;
    }
    return 0;
}

void loop_stop(void)
{
    stopping = true;
}
