/* jvmvisor-ctl: bin/jvmvisor's fast paths of `start`, `kill`, `exec --detach` and `delete` (no JVM).
 *
 *   jvmvisor-ctl STATE_DIR REQUEST
 *   jvmvisor-ctl --exec STATE_DIR PROCESS_FILE PID_FILE
 *   jvmvisor-ctl --delete STATE_DIR SHIM_PID SHIM_START_TIME
 *
 * The first sends REQUEST, one control line as the Java CLI writes it ({"op":"start"},
 * {"op":"kill","signal":15,"all":true}), to the shim of the container whose state directory is
 * STATE_DIR, on STATE_DIR/shim.sock (reached relative to the directory: a state dir's absolute
 * path may exceed a socket address's 107 bytes), and reads the start of its answer line.
 *
 * The second is what the Java CLI's `exec --process FILE --detach --pid-file FILE ID` sends
 * (DetachedExec): {"op":"exec","execId":...,"process":<FILE's JSON, newlines made spaces>,
 * "stdioPid":<this PID>,"standIn":true} with this process's stdin, stdout and stderr passed
 * along (SCM_RIGHTS); the shim answers once the process runs, with the PID of its stand-in on
 * the host, which goes to PID_FILE (as the Java CLI writes it: write_pid_file). A process
 * that asks for a terminal is left to the Java CLI (it needs a console socket).
 *
 * The third is the Java CLI's delete (Containers.delete): while the shim (SHIM_PID, started at
 * SHIM_START_TIME as /proc/PID/stat's field 22 says) lives, the request
 * {"op":"delete","force":true} and a wait of at most 10 s for it to exit; then the state dir is removed,
 * entry by entry (never following a link, never crossing a mount), and the socket alias that
 * points at it, if any. Whatever else is left (the VMM still running, host cgroups the shim did
 * not remove, a shim that does not exit, something it cannot remove) is the Java CLI's to finish:
 * delete can be asked again at any point.
 *
 *   exit 0   the shim answered ok (for exec, the pid file is written; for delete, all is gone)
 *   exit 3   the Java CLI is to answer: no state dir, no shim listening, a file that cannot be
 *            read, or an error answer (the shim refuses a request it cannot carry out before it
 *            leaves anything running, so nothing was done; a delete may have done part of its
 *            work, which the Java CLI's delete finishes); nothing is printed, and the caller runs
 *            the Java CLI, whose own checks and request give the error runc would
 *   exit 1   exec only: the process runs but its stand-in's PID is missing from the answer or its
 *            pid file could not be written (one line on stderr; the Java CLI fails the same way
 *            there, leaving the process to its stand-in)
 * The shim checks the caller's credentials (root or the socket's owner) as for any client. What
 * the Java CLI does besides the request (poststart hooks, create's window) is for the caller to
 * rule out before it takes this path.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define FALL_BACK 3
#define MAX_REQUEST (1 << 20) /* ControlServer.MAX_REQUEST */

static int connect_shim(const char *state_dir)
{
    if (chdir(state_dir) < 0)
        return -1;
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    struct sockaddr_un a = { .sun_family = AF_UNIX, .sun_path = "shim.sock" };
    if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
        close(s);
        return -1;
    }
    return s;
}

/* Sends len bytes; the first send carries fds (SCM_RIGHTS) when nfds > 0. */
static int send_all(int s, const char *p, size_t len, const int *fds, int nfds)
{
    while (len > 0) {
        struct iovec iov = { .iov_base = (void *)p, .iov_len = len };
        union {
            char buf[CMSG_SPACE(3 * sizeof(int))];
            struct cmsghdr align;
        } c;
        struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
        if (nfds > 0) {
            memset(&c, 0, sizeof c);
            m.msg_control = c.buf;
            m.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
            struct cmsghdr *h = CMSG_FIRSTHDR(&m);
            h->cmsg_level = SOL_SOCKET;
            h->cmsg_type = SCM_RIGHTS;
            h->cmsg_len = CMSG_LEN(nfds * sizeof(int));
            memcpy(CMSG_DATA(h), fds, nfds * sizeof(int));
        }
        ssize_t n = sendmsg(s, &m, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        nfds = 0;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads the answer line (up to cap-1 bytes of it, NUL-terminated); -1 on a hang-up before any '\n'. */
static int read_line(int s, char *line, size_t cap)
{
    size_t got = 0;
    while (got < cap - 1) {
        ssize_t n = read(s, line + got, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        if (line[got] == '\n')
            break;
        got++;
    }
    line[got] = 0;
    return 0;
}

/* The answer's first member is "ok" (ControlCodec.writeResponse). */
static int answered_ok(const char *line)
{
    static const char ok[] = "{\"ok\":true";
    return strncmp(line, ok, sizeof ok - 1) == 0 && (line[sizeof ok - 1] == ',' || line[sizeof ok - 1] == '}');
}

/* True if the JSON text has "terminal" : true (anywhere: a false alarm only sends it to the Java CLI). */
static int asks_for_terminal(const char *json)
{
    for (const char *p = strstr(json, "\"terminal\""); p; p = strstr(p + 1, "\"terminal\"")) {
        const char *q = p + strlen("\"terminal\"");
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q++ != ':')
            continue;
        while (*q == ' ' || *q == '\t')
            q++;
        if (strncmp(q, "true", 4) == 0)
            return 1;
    }
    return 0;
}

static int request(const char *state_dir, const char *req)
{
    if (req[0] != '{' || strchr(req, '\n'))
        return FALL_BACK;
    int s = connect_shim(state_dir);
    if (s < 0 || send_all(s, req, strlen(req), NULL, 0) < 0 || send_all(s, "\n", 1, NULL, 0) < 0)
        return FALL_BACK;
    char line[256];
    if (read_line(s, line, sizeof line) < 0)
        return FALL_BACK;
    close(s);
    return answered_ok(line) ? 0 : FALL_BACK;
}

/*
 * As the Java CLI's StateStore.writeAtomically: a fresh temporary file beside the target
 * (".NAME.tmp-PID", O_CREAT|O_EXCL: a file or symlink planted there is neither followed nor
 * reused; mode 0600), renamed over it (rename replaces a symlink at the target, it does not
 * follow it); the temporary file is removed if anything fails.
 */
static int write_pid_file(const char *path, long pid)
{
    char tmp[4096];
    const char *slash = strrchr(path, '/');
    int dir_len = slash ? (int)(slash - path + 1) : 0;
    if (snprintf(tmp, sizeof tmp, "%.*s.%s.tmp-%ld", dir_len, path, slash ? slash + 1 : path, (long)getpid()) >= (int)sizeof tmp)
        return -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%ld", pid);
    if (write(fd, buf, (size_t)n) != n || close(fd) < 0 || rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return -1;
    }
    return 0;
}

static int exec_detached(const char *state_dir, const char *process_file, const char *pid_file)
{
    /* the pid file's path as given, from the caller's directory (connect_shim changes it) */
    char pid_path[4096];
    if (pid_file[0] == '/') {
        if (snprintf(pid_path, sizeof pid_path, "%s", pid_file) >= (int)sizeof pid_path)
            return FALL_BACK;
    } else {
        char cwd[2048];
        if (!getcwd(cwd, sizeof cwd) || snprintf(pid_path, sizeof pid_path, "%s/%s", cwd, pid_file) >= (int)sizeof pid_path)
            return FALL_BACK;
    }
    int f = open(process_file, O_RDONLY | O_CLOEXEC);
    if (f < 0)
        return FALL_BACK;
    static char json[MAX_REQUEST];
    size_t len = 0;
    for (;;) {
        ssize_t n = read(f, json + len, sizeof json - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || (n == 0 && len == 0))
            return FALL_BACK;
        if (n == 0)
            break;
        len += (size_t)n;
        if (len == sizeof json - 1)
            return FALL_BACK;
    }
    close(f);
    json[len] = 0;
    for (size_t i = 0; i < len; i++) {
        if (json[i] == '\n' || json[i] == '\r')
            json[i] = ' ';
        else if (json[i] == 0)
            return FALL_BACK;
    }
    if (asks_for_terminal(json))
        return FALL_BACK;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    static char req[MAX_REQUEST + 256];
    int n = snprintf(req, sizeof req, "{\"op\":\"exec\",\"execId\":\"exec-%ld-%lld\",\"process\":%s,\"stdioPid\":%ld,\"standIn\":true}\n",
                     (long)getpid(), (long long)t.tv_sec * 1000000000LL + t.tv_nsec, json, (long)getpid());
    if (n < 0 || n >= (int)sizeof req)
        return FALL_BACK;
    int s = connect_shim(state_dir);
    static const int stdio[3] = { 0, 1, 2 };
    if (s < 0 || send_all(s, req, (size_t)n, stdio, 3) < 0)
        return FALL_BACK;
    char line[512];
    if (read_line(s, line, sizeof line) < 0 || !answered_ok(line))
        return FALL_BACK;
    const char *p = strstr(line, "\"pid\":");
    char *end;
    long pid = p ? strtol(p + 6, &end, 10) : 0;
    if (pid <= 0) { /* the process runs: no second try by the Java CLI (DetachedExec says the same) */
        fprintf(stderr, "jvmvisor: exec: the shim did not name the process's stand-in\n");
        return 1;
    }
    if (write_pid_file(pid_path, pid) < 0) {
        fprintf(stderr, "jvmvisor: exec: cannot write the pid file %s: %s\n", pid_path, strerror(errno));
        return 1;
    }
    /* the connection closes as this process exits: the shim lets the stand-in exit only after that */
    return 0;
}

/* The start time (field 22 of /proc/PID/stat) of a live, non-zombie PID; -1 if there is none. */
static long long start_time(long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
    if (!p || p[1] != ' ' || p[2] == 'Z')
        return -1;
    p += 2; /* field 3 */
    for (int field = 3; field < 22; field++) {
        p = strchr(p, ' ');
        if (!p)
            return -1;
        p++;
    }
    return strtoll(p, NULL, 10);
}

/* Waits until PID (started at START) is gone, at most timeout_ms; 0 once gone. */
static int await_exit(long pid, long long start, int timeout_ms)
{
    int pfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
    if (pfd < 0)
        return errno == ESRCH ? 0 : -1;
    if (start_time(pid) != start) { /* gone, or the PID is another process's already */
        close(pfd);
        return 0;
    }
    struct pollfd w = { .fd = pfd, .events = POLLIN };
    int r;
    do {
        r = poll(&w, 1, timeout_ms);
    } while (r < 0 && errno == EINTR);
    close(pfd);
    return r == 1 ? 0 : -1;
}

/* Removes the entries of the directory at dfd (then closed), depth first: no link followed, no mount crossed. */
static int remove_entries(int dfd, dev_t dev)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return -1;
    }
    int rc = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            rc = -1;
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            int sub = st.st_dev == dev ? openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
            if (sub < 0 || remove_entries(sub, dev) < 0 || unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) < 0)
                rc = -1;
        } else if (unlinkat(dirfd(d), e->d_name, 0) < 0) {
            rc = -1;
        }
    }
    closedir(d);
    return rc;
}

/* Removes every link in /run/jvmvisor-sockets (SocketPaths.ALIAS_ROOT) that points at dir. */
static void remove_aliases(const char *dir)
{
    DIR *d = opendir("/run/jvmvisor-sockets");
    if (!d)
        return;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        char target[4096];
        ssize_t n = readlinkat(dirfd(d), e->d_name, target, sizeof target - 1);
        if (n <= 0)
            continue;
        target[n] = 0;
        if (strcmp(target, dir) == 0)
            unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
}

static int delete_container(const char *state_dir, const char *shim_pid, const char *shim_start)
{
    char *end;
    long pid = strtol(shim_pid, &end, 10);
    long long start = *end ? -1 : strtoll(shim_start, &end, 10);
    if (state_dir[0] != '/' || pid <= 0 || start <= 0 || *end)
        return FALL_BACK;
    if (start_time(pid) == start) {
        int s = connect_shim(state_dir);
        static const char req[] = "{\"op\":\"delete\",\"force\":true}\n";
        char line[256];
        if (s < 0 || send_all(s, req, sizeof req - 1, NULL, 0) < 0 || read_line(s, line, sizeof line) < 0)
            return FALL_BACK;
        close(s);
        if (await_exit(pid, start, 10000) < 0)
            return FALL_BACK;
    } else if (chdir(state_dir) < 0) {
        return FALL_BACK;
    }
    /* what the shim leaves only when it could not finish: the Java CLI's to clean up */
    struct stat st;
    if (lstat("cgroups", &st) == 0)
        return FALL_BACK;
    int vfd = open("vmm.pid", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (vfd >= 0) {
        char buf[32] = {0};
        ssize_t n = read(vfd, buf, sizeof buf - 1);
        close(vfd);
        long vmm = n > 0 ? strtol(buf, NULL, 10) : 0;
        if (vmm > 0 && start_time(vmm) >= 0)
            return FALL_BACK;
    }
    if (chdir("/") < 0 || lstat(state_dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return FALL_BACK;
    int dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0 || remove_entries(dfd, st.st_dev) < 0 || rmdir(state_dir) < 0)
        return FALL_BACK;
    remove_aliases(state_dir);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "--exec") == 0)
        return exec_detached(argv[2], argv[3], argv[4]);
    if (argc == 5 && strcmp(argv[1], "--delete") == 0)
        return delete_container(argv[2], argv[3], argv[4]);
    if (argc == 3 && argv[1][0] != '-')
        return request(argv[1], argv[2]);
    return FALL_BACK;
}
