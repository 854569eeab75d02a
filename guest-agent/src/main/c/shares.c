/* AddMount and RemoveMount: live shares (jvmvisor mount/umount).
 *
 * The host binds a file or directory into the live 9p share (tag "live",
 * exported empty and read-only at boot) and asks for it here by name. The
 * agent mounts the live share in its own namespace once, clones the entry's
 * mount (open_tree), makes the clone read-only if asked, and a forked child
 * enters the container's mount namespace and root and moves the clone onto
 * the destination (move_mount). Removal unmounts it there (busy: refused). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container.h"
#include "rootfs.h"

#define LIVE_TAG "live"
#define LIVE_DIR "/run/jvmvisor/live"

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
struct mount_attr {
    __u64 attr_set, attr_clr, propagation, userns_fd;
};
#endif

static bool live_mounted;

static int mount_live(char *msg)
{
    if (live_mounted)
        return 0;
    int r = mkdir_all(LIVE_DIR, 0755);
    if (r < 0) {
        snprintf(msg, ERR_MSG_LEN, "cannot create %s: %s", LIVE_DIR, strerror(-r));
        return r;
    }
    /* cache=none: entries appear and go while the guest runs */
    if (mount(LIVE_TAG, LIVE_DIR, "9p", MS_NOSUID | MS_NODEV, "trans=virtio,version=9p2000.L,msize=262144,cache=none") < 0) {
        int e = errno;
        snprintf(msg, ERR_MSG_LEN, "cannot mount the live share: %s", strerror(e));
        return -e;
    }
    live_mounted = true;
    return 0;
}

/* The init of a container that can take a mount, or NULL with the call failed. */
static struct proc *live_init(struct call *c, const char *id)
{
    struct container *ctr = container_find(id ? id : "");
    if (!ctr) {
        call_fail(c, GRPC_NOT_FOUND, "container \"%s\" does not exist", id ? id : "");
        return NULL;
    }
    struct proc *init = proc_find(ctr, "");
    if (!init || init->exited || ctr->state == CTR_STOPPED) {
        call_fail(c, GRPC_FAILED_PRECONDITION, "container \"%s\" is not running", id);
        return NULL;
    }
    return init;
}

/* Runs op(arg) in a child inside the container's mount namespace and root; its error comes back in msg. */
static int in_container(pid_t init, int (*op)(void *arg, char *msg), void *arg, char *msg)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)init);
    _cleanup_close_ int ns = open(path, O_RDONLY | O_CLOEXEC);
    snprintf(path, sizeof path, "/proc/%d/root", (int)init);
    _cleanup_close_ int root = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (ns < 0 || root < 0) {
        int e = errno;
        snprintf(msg, ERR_MSG_LEN, "cannot open the container's namespace: %s", strerror(e));
        return -e;
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close_pair(p);
        return -e;
    }
    if (pid == 0) {
        close(p[0]);
        char err[ERR_MSG_LEN] = "";
        int r = 0;
        if (setns(ns, CLONE_NEWNS) < 0 || fchdir(root) < 0 || chroot(".") < 0 || chdir("/") < 0) {
            r = -errno;
            snprintf(err, sizeof err, "cannot enter the container: %s", strerror(errno));
        } else {
            r = op(arg, err);
        }
        if (r < 0 && write(p[1], err, strlen(err)) < 0)
            _exit(2);
        _exit(r < 0 ? 1 : 0);
    }
    close(p[1]);
    ssize_t n = read(p[0], msg, ERR_MSG_LEN - 1);
    msg[n > 0 ? n : 0] = 0;
    close(p[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

struct attach {
    int tree;
    bool dir;
    const char *dest;
};

static bool is_mount_point_at(const char *path)
{
    char parent[PATH_MAX];
    struct stat st, pst;
    snprintf(parent, sizeof parent, "%s/..", path);
    return stat(path, &st) == 0 && stat(parent, &pst) == 0 && (st.st_dev != pst.st_dev || st.st_ino == pst.st_ino);
}

static int attach_op(void *arg, char *msg)
{
    struct attach *a = arg;
    struct stat st;
    if (lstat(a->dest, &st) == 0) {
        if (is_mount_point_at(a->dest)) {
            snprintf(msg, ERR_MSG_LEN, "%s is already a mount point in the container", a->dest);
            return -EBUSY;
        }
        if (S_ISDIR(st.st_mode) != a->dir) {
            snprintf(msg, ERR_MSG_LEN, "%s is %s in the container, the host path is %s", a->dest,
                     S_ISDIR(st.st_mode) ? "a directory" : "not a directory", a->dir ? "a directory" : "a file");
            return -ENOTDIR;
        }
    } else {
        char parent[PATH_MAX];
        snprintf(parent, sizeof parent, "%s", a->dest);
        char *slash = strrchr(parent, '/');
        if (slash && slash != parent) {
            *slash = 0;
            mkdir_all(parent, 0755);
        }
        int r = a->dir ? mkdir(a->dest, 0755) : mknod(a->dest, S_IFREG | 0644, 0);
        if (r < 0 && errno != EEXIST) {
            int e = errno;
            snprintf(msg, ERR_MSG_LEN, "cannot create the mount point %s: %s", a->dest, strerror(e));
            return -e;
        }
    }
    if (syscall(SYS_move_mount, a->tree, "", AT_FDCWD, a->dest, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
        int e = errno;
        snprintf(msg, ERR_MSG_LEN, "cannot mount on %s: %s", a->dest, strerror(e));
        return -e;
    }
    return 0;
}

static int detach_op(void *arg, char *msg)
{
    const char *dest = arg;
    if (umount2(dest, UMOUNT_NOFOLLOW) == 0)
        return 0;
    int e = errno;
    if (e == EBUSY)
        snprintf(msg, ERR_MSG_LEN, "%s is busy in the container (a process uses it)", dest);
    else if (e == EINVAL)
        snprintf(msg, ERR_MSG_LEN, "%s is not a mount point in the container", dest);
    else
        snprintf(msg, ERR_MSG_LEN, "cannot unmount %s: %s", dest, strerror(e));
    return -e;
}

static bool bad_destination(struct call *c, const char *dest)
{
    if (!dest || dest[0] != '/' || strstr(dest, "/../") || strcmp(dest, "/") == 0) {
        call_fail(c, GRPC_INVALID_ARGUMENT, "the destination \"%s\" must be an absolute path other than /", dest ? dest : "");
        return true;
    }
    return false;
}

void rpc_add_mount(struct call *c, const ProtobufCMessage *req)
{
    const Jvmvisor__Agent__V1__AddMountRequest *r = (const Jvmvisor__Agent__V1__AddMountRequest *)req;
    struct proc *init = live_init(c, r->container_id);
    if (!init || bad_destination(c, r->destination))
        return;
    if (!r->source || !r->source[0] || strchr(r->source, '/') || strcmp(r->source, "..") == 0) {
        call_fail(c, GRPC_INVALID_ARGUMENT, "bad live share entry \"%s\"", r->source ? r->source : "");
        return;
    }
    char msg[ERR_MSG_LEN] = "";
    if (mount_live(msg) < 0) {
        call_fail(c, GRPC_INTERNAL, "%s", msg);
        return;
    }
    char src[PATH_MAX];
    snprintf(src, sizeof src, "%s/%s", LIVE_DIR, r->source);
    struct stat st;
    if (stat(src, &st) < 0) {
        call_fail(c, GRPC_NOT_FOUND, "the live share has no entry %s: %s", r->source, strerror(errno));
        return;
    }
    _cleanup_close_ int tree = (int)syscall(SYS_open_tree, AT_FDCWD, src, OPEN_TREE_CLONE | O_CLOEXEC | AT_RECURSIVE);
    if (tree < 0) {
        call_fail(c, GRPC_INTERNAL, "cannot clone the mount of %s: %s", src, strerror(errno));
        return;
    }
    if (r->readonly) {
        struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };
        if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) < 0) {
            call_fail(c, GRPC_INTERNAL, "cannot make %s read-only: %s", src, strerror(errno));
            return;
        }
    }
    struct attach a = { .tree = tree, .dir = S_ISDIR(st.st_mode), .dest = r->destination };
    if (in_container(init->pid, attach_op, &a, msg) < 0) {
        call_fail(c, GRPC_FAILED_PRECONDITION, "%s", msg[0] ? msg : "the mount failed");
        return;
    }
    agent_log("live mount %s on %s in %s%s", src, r->destination, r->container_id, r->readonly ? " (ro)" : "");
    Jvmvisor__Agent__V1__Empty resp = JVMVISOR__AGENT__V1__EMPTY__INIT;
    call_reply(c, &resp.base);
}

void rpc_remove_mount(struct call *c, const ProtobufCMessage *req)
{
    const Jvmvisor__Agent__V1__RemoveMountRequest *r = (const Jvmvisor__Agent__V1__RemoveMountRequest *)req;
    struct proc *init = live_init(c, r->container_id);
    if (!init || bad_destination(c, r->destination))
        return;
    char msg[ERR_MSG_LEN] = "";
    if (in_container(init->pid, detach_op, (void *)r->destination, msg) < 0) {
        call_fail(c, GRPC_FAILED_PRECONDITION, "%s", msg[0] ? msg : "the unmount failed");
        return;
    }
    agent_log("live mount on %s removed from %s", r->destination, r->container_id);
    Jvmvisor__Agent__V1__Empty resp = JVMVISOR__AGENT__V1__EMPTY__INIT;
    call_reply(c, &resp.base);
}
