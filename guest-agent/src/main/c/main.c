/* jvmvisor guest agent entry point: PID 1 duties in a VM (mounts, rootfs
 * from 9p, reaping, power-off), the channel to the host (vsock, a
 * virtio-serial port, or a Unix socket in host mode) and the ready line. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "container.h"
#include "core.h"
#include "rootfs.h"

#define VSOCK_PORT 1024
#define PORT_NAME "jvmvisor.agent"

struct agent_config agent_cfg;

static const char *listen_path;  /* host mode */
static int listen_fd = -1;       /* unix or vsock */
static int port_fd = -1;         /* virtio-serial */
static int port_timer = -1;
static char port_dev[300];

static uint64_t boottime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void power_off(void) __attribute__((noreturn));
static void power_off(void)
{
    sync();
    /* microvm without ACPI cannot power off; the kernel's reboot=t ends in a
     * triple fault, and QEMU runs with -no-reboot: QEMU exits. */
    reboot(RB_AUTOBOOT);
    agent_log("reboot failed: %s", strerror(errno));
    for (;;)
        pause();
}

static void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fatal(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    agent_log("fatal: %s", msg);
    if (getpid() == 1) {
        agent_log("powering off");
        power_off();
    }
    exit(1);
}

void agent_shutdown(void)
{
    if (agent_cfg.host_mode) {
        loop_stop();
        return;
    }
    /* give the virtio-serial/vsock device time to hand the answer over */
    usleep(20000);
    agent_log("powering off");
    power_off();
}

/* ---- PID 1 --------------------------------------------------------------- */

static int mkdir_p(const char *path, mode_t mode)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, mode) < 0 && errno != EEXIST)
                return -errno;
            *p = '/';
        }
    }
    if (mkdir(buf, mode) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

struct mount_entry {
    const char *source, *target, *type;
    unsigned long flags;
    const char *data;
    bool optional;
};

static const struct mount_entry base_mounts[] = {
    { "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, false },
    { "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, false },
    { "devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755", false },
    { "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5", false },
    { "shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", false },
    { "tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", false },
    { "tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", false },
    { "cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, true },
};

static void open_console(void)
{
    if (fcntl(0, F_GETFD) >= 0 && fcntl(1, F_GETFD) >= 0 && fcntl(2, F_GETFD) >= 0)
        return;
    mkdir("/dev", 0755);
    if (mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755") < 0 && errno != EBUSY)
        power_off(); /* nowhere to say why */
    int fd = open("/dev/console", O_RDWR | O_NOCTTY);
    if (fd < 0)
        power_off();
    for (int i = 0; i < 3; i++)
        if (fcntl(i, F_GETFD) < 0)
            dup2(fd, i);
    if (fd > 2)
        close(fd);
}

/* Value of key=... on the kernel command line, or NULL. */
static const char *cmdline_get(const char *cmdline, const char *key, char *out, size_t cap)
{
    size_t kl = strlen(key);
    for (const char *p = cmdline; *p;) {
        while (*p == ' ' || *p == '\n')
            p++;
        const char *end = p + strcspn(p, " \n");
        if ((size_t)(end - p) > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
            size_t n = (size_t)(end - p) - kl - 1;
            if (n >= cap)
                n = cap - 1;
            memcpy(out, p + kl + 1, n);
            out[n] = 0;
            return out;
        }
        p = end;
    }
    return NULL;
}

/* The rootfs named on the kernel command line (a cold boot). A template's
 * guest has none: the host mounts it with the Resume RPC after the restore. */
static void mount_rootfs(const char *cmdline)
{
    char tag[64], cache[32] = "mmap", ro[8] = "0", msg[400];
    if (!cmdline_get(cmdline, "jvmvisor.rootfs", tag, sizeof tag))
        return;
    cmdline_get(cmdline, "jvmvisor.cache", cache, sizeof cache);
    cmdline_get(cmdline, "jvmvisor.rootfs_ro", ro, sizeof ro);
    if (rootfs_share_mount(tag, cache, strcmp(ro, "1") == 0, msg, sizeof msg) < 0)
        fatal("%s", msg);
}

static void pid1_setup(void)
{
    open_console();
    for (size_t i = 0; i < sizeof base_mounts / sizeof base_mounts[0]; i++) {
        const struct mount_entry *m = &base_mounts[i];
        int e = mkdir_p(m->target, 0755);
        if (e == 0 && mount(m->source, m->target, m->type, m->flags, m->data) < 0)
            e = -errno;
        if (e == -EBUSY)
            continue; /* /dev from open_console() */
        if (e < 0 && m->optional)
            agent_log("warning: cannot mount %s on %s: %s", m->type, m->target, strerror(-e));
        else if (e < 0)
            fatal("cannot mount %s on %s: %s", m->type, m->target, strerror(-e));
    }
    static const char *const links[][2] = {
        { "/proc/self/fd", "/dev/fd" }, { "/proc/self/fd/0", "/dev/stdin" },
        { "/proc/self/fd/1", "/dev/stdout" }, { "/proc/self/fd/2", "/dev/stderr" },
    };
    for (size_t i = 0; i < 4; i++)
        if (symlink(links[i][0], links[i][1]) < 0 && errno != EEXIST)
            agent_log("warning: cannot link %s: %s", links[i][1], strerror(errno));

    char cmdline[4096] = "", val[16];
    int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, cmdline, sizeof cmdline - 1);
        cmdline[n > 0 ? n : 0] = 0;
        close(fd);
    }
    if (cmdline_get(cmdline, "jvmvisor.debug", val, sizeof val) && strcmp(val, "1") == 0)
        agent_debug = true;
    /* the VM's loopback, up before a template is taken: a container with NICs shares the VM's
     * network namespace, and bringing lo up at its start cost a guest under TCG ~20 ms */
    char lo_msg[ERR_MSG_LEN] = "";
    if (loopback_up(lo_msg) < 0)
        agent_log("warning: %s", lo_msg);
    mount_rootfs(cmdline);
}

/* ---- channels ------------------------------------------------------------ */

static void on_listen(int fd, uint32_t events, void *arg);

static void on_socket_closed(int fd, void *arg)
{
    (void)arg;
    close(fd);
    if (loop_watch(listen_fd, EPOLLIN, on_listen, NULL) < 0)
        fatal("cannot watch the listening socket again");
}

static void on_listen(int fd, uint32_t events, void *arg)
{
    (void)events;
    (void)arg;
    int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0) {
        if (errno != EAGAIN && errno != EINTR)
            agent_log("accept failed: %s", strerror(errno));
        return;
    }
    int e = server_open(c, 0, on_socket_closed, NULL);
    if (e < 0) {
        agent_log("cannot serve the connection: %s", strerror(-e));
        close(c);
        return;
    }
    loop_unwatch(fd); /* one connection at a time: the next waits in the backlog */
}

static int listen_unix(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sa.sun_path)
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, path);
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path); /* left by an agent that was killed */
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 8) < 0)
        return -errno;
    int r = fd;
    fd = -1;
    return r;
}

/* vsock only where a guest-to-host transport (virtio-vsock) is present. */
static int listen_vsock(void)
{
    _cleanup_close_ int dev = open("/dev/vsock", O_RDONLY | O_CLOEXEC);
    if (dev < 0)
        return -errno;
    unsigned int cid = VMADDR_CID_ANY;
    if (ioctl(dev, IOCTL_VM_SOCKETS_GET_LOCAL_CID, &cid) < 0)
        return -errno;
    if (cid == VMADDR_CID_ANY || cid <= VMADDR_CID_HOST)
        return -ENODEV;
    _cleanup_close_ int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = VSOCK_PORT };
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 8) < 0)
        return -errno;
    agent_log("vsock: listening on cid %u port %d", cid, VSOCK_PORT);
    int r = fd;
    fd = -1;
    return r;
}

/* /dev/vportNpM of the port named jvmvisor.agent; ports appear shortly
 * after boot (the host announces them on the control queue). */
static int find_port(char *dev, size_t cap, int wait_ms)
{
    for (int waited = 0;; waited += 10) {
        DIR *d = opendir("/sys/class/virtio-ports");
        struct dirent *de;
        while (d && (de = readdir(d))) {
            if (de->d_name[0] == '.')
                continue;
            char path[300], name[64] = "";
            snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", de->d_name);
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd < 0)
                continue;
            ssize_t n = read(fd, name, sizeof name - 1);
            close(fd);
            name[n > 0 ? n : 0] = 0;
            name[strcspn(name, "\n")] = 0;
            if (strcmp(name, PORT_NAME) == 0) {
                snprintf(dev, cap, "/dev/%s", de->d_name);
                closedir(d);
                return 0;
            }
        }
        if (d)
            closedir(d);
        if (waited >= wait_ms)
            return -ENOENT;
        usleep(10000);
    }
}

static void arm_port_timer(bool on)
{
    struct itimerspec its = { 0 };
    if (on)
        its.it_value.tv_nsec = its.it_interval.tv_nsec = 20 * 1000000;
    timerfd_settime(port_timer, 0, &its, NULL);
}

static void on_port_closed(int fd, void *arg)
{
    (void)fd;
    (void)arg;
    agent_dbg("virtio-serial: host side gone, waiting for it to reconnect");
    arm_port_timer(true);
}

/* While the host side is not connected the port reports POLLHUP: poll it
 * every 20 ms and start a connection once the host is there. */
static void on_port_tick(int fd, uint32_t events, void *arg)
{
    (void)events;
    (void)arg;
    uint64_t ticks;
    ssize_t n = read(fd, &ticks, sizeof ticks);
    (void)n;
    if (server_busy())
        return;
    struct pollfd p = { .fd = port_fd, .events = POLLIN };
    if (poll(&p, 1, 0) < 0 || (p.revents & POLLHUP))
        return;
    arm_port_timer(false);
    int e = server_open(port_fd, SERVER_PORT, on_port_closed, NULL);
    if (e < 0) {
        agent_log("cannot serve the virtio-serial port: %s", strerror(-e));
        arm_port_timer(true);
        return;
    }
    agent_dbg("virtio-serial: host connected");
}

static int open_port(void)
{
    int e = find_port(port_dev, sizeof port_dev, 5000);
    if (e < 0)
        return e;
    port_fd = open(port_dev, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (port_fd < 0)
        return -errno;
    port_timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (port_timer < 0)
        return -errno;
    e = loop_watch(port_timer, EPOLLIN, on_port_tick, NULL);
    if (e < 0)
        return e;
    arm_port_timer(true);
    agent_log("virtio-serial: port %s opened (%s)", PORT_NAME, port_dev);
    return 0;
}

static void on_term(int fd, uint32_t events, void *arg)
{
    (void)events;
    (void)arg;
    struct signalfd_siginfo si;
    if (read(fd, &si, sizeof si) == (ssize_t)sizeof si)
        agent_log("signal %u: exiting", si.ssi_signo);
    loop_stop();
}

static void usage(void)
{
    fprintf(stderr, "usage: jvmvisor-agent --listen SOCKET_PATH [--debug]   (host mode)\n"
                    "       as PID 1 in a jvmvisor VM: no arguments\n");
    exit(2);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    bool pid1 = getpid() == 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
            listen_path = argv[++i];
        else if (strcmp(argv[i], "--debug") == 0)
            agent_debug = true;
        else if (strcmp(argv[i], "--version") == 0) {
            printf("jvmvisor-agent %s\n", AGENT_VERSION);
            return 0;
        } else if (!pid1)
            usage();
    }
    if (pid1)
        pid1_setup();
    else if (!listen_path)
        usage();

    int e = loop_init();
    if (e < 0)
        fatal("cannot set up the event loop: %s", strerror(-e));

    if (listen_path) {
        agent_cfg.host_mode = true;
        agent_cfg.channel = "unix";
        listen_fd = listen_unix(listen_path);
        if (listen_fd < 0)
            fatal("cannot listen on %s: %s", listen_path, strerror(-listen_fd));
        /* orphans of the processes we start are ours to reap */
        prctl(PR_SET_CHILD_SUBREAPER, 1);
        sigset_t term;
        sigemptyset(&term);
        sigaddset(&term, SIGTERM);
        sigaddset(&term, SIGINT);
        sigprocmask(SIG_BLOCK, &term, NULL);
        int sfd = signalfd(-1, &term, SFD_NONBLOCK | SFD_CLOEXEC);
        if (sfd < 0 || loop_watch(sfd, EPOLLIN, on_term, NULL) < 0)
            fatal("cannot watch SIGTERM");
    } else if ((listen_fd = listen_vsock()) >= 0) {
        agent_cfg.channel = "vsock";
    } else {
        agent_dbg("no vsock (%s), looking for the virtio-serial port", strerror(-listen_fd));
        e = open_port();
        if (e < 0)
            fatal("no channel to the host: no vsock transport and no virtio-serial port named %s (%s)",
                  PORT_NAME, strerror(-e));
        agent_cfg.channel = "virtio-serial";
    }
    if (listen_fd >= 0 && loop_watch(listen_fd, EPOLLIN, on_listen, NULL) < 0)
        fatal("cannot watch the listening socket");

    agent_cfg.ready_boottime_ns = boottime_ns();
    agent_log("ready channel=%s boot_ms=%llu", agent_cfg.channel,
              (unsigned long long)(agent_cfg.ready_boottime_ns / 1000000));

    e = loop_run();
    if (pid1)
        fatal("event loop ended: %s", e < 0 ? strerror(-e) : "stopped");
    if (listen_path)
        unlink(listen_path);
    return e < 0 ? 1 : 0;
}
