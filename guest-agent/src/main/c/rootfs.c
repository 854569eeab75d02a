/* The container's root file system, built in the forked child inside its
 * own mount namespace: shares, OCI mounts, default devices, pivot_root,
 * read-only root, masked and read-only paths, sysctls, loopback. As runc's
 * rootfs_linux.go does it. Every function returns 0 or -errno and fills msg. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <linux/magic.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "container.h"
#include "rootfs.h"

static int fail(char *msg, int err, const char *fmt, const char *a, const char *b)
{
    char what[ERR_MSG_LEN / 2];
    snprintf(what, sizeof what, fmt, a, b);
    snprintf(msg, ERR_MSG_LEN, "%s: %s", what, strerror(err));
    return -err;
}

int mkdir_all(const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return -ENAMETOOLONG;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(buf, mode) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

/* Creates an empty file (and its parents) as a mount point for a file. An
 * existing one is left alone: on a read-only root (docker --read-only binds
 * /etc/resolv.conf over the image's file) opening it for writing fails. */
static int touch_all(const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0)
        return 0;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = 0;
        int r = mkdir_all(dir, 0755);
        if (r < 0)
            return r;
    }
    int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno == EISDIR ? 0 : -errno;
    close(fd);
    return 0;
}

struct mount_flag {
    const char *name;
    bool clear;
    unsigned long flag;
};

static const struct mount_flag mount_flags[] = {
    { "ro", false, MS_RDONLY },         { "rw", true, MS_RDONLY },
    { "nosuid", false, MS_NOSUID },     { "suid", true, MS_NOSUID },
    { "nodev", false, MS_NODEV },       { "dev", true, MS_NODEV },
    { "noexec", false, MS_NOEXEC },     { "exec", true, MS_NOEXEC },
    { "sync", false, MS_SYNCHRONOUS },  { "async", true, MS_SYNCHRONOUS },
    { "dirsync", false, MS_DIRSYNC },   { "remount", false, MS_REMOUNT },
    { "mand", false, MS_MANDLOCK },     { "nomand", true, MS_MANDLOCK },
    { "atime", true, MS_NOATIME },      { "noatime", false, MS_NOATIME },
    { "diratime", true, MS_NODIRATIME }, { "nodiratime", false, MS_NODIRATIME },
    { "relatime", false, MS_RELATIME }, { "norelatime", true, MS_RELATIME },
    { "strictatime", false, MS_STRICTATIME }, { "nostrictatime", true, MS_STRICTATIME },
    { "bind", false, MS_BIND },         { "rbind", false, MS_BIND | MS_REC },
    { "defaults", false, 0 },
};

static const struct mount_flag propagation_flags[] = {
    { "private", false, MS_PRIVATE },   { "rprivate", false, MS_PRIVATE | MS_REC },
    { "shared", false, MS_SHARED },     { "rshared", false, MS_SHARED | MS_REC },
    { "slave", false, MS_SLAVE },       { "rslave", false, MS_SLAVE | MS_REC },
    { "unbindable", false, MS_UNBINDABLE }, { "runbindable", false, MS_UNBINDABLE | MS_REC },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct parsed_opts {
    unsigned long flags;
    unsigned long propagation[8]; /* applied one by one, in order (as runc): mount(2) takes one at a time */
    size_t npropagation;
    char data[1024];
};

static void parse_options(char **opts, size_t n, struct parsed_opts *po)
{
    memset(po, 0, sizeof *po);
    for (size_t i = 0; i < n; i++) {
        const char *o = opts[i];
        bool known = false;
        for (size_t k = 0; k < N(mount_flags) && !known; k++) {
            if (strcmp(o, mount_flags[k].name) == 0) {
                known = true;
                if (mount_flags[k].clear)
                    po->flags &= ~mount_flags[k].flag;
                else
                    po->flags |= mount_flags[k].flag;
            }
        }
        for (size_t k = 0; k < N(propagation_flags) && !known; k++) {
            if (strcmp(o, propagation_flags[k].name) == 0) {
                known = true;
                if (po->npropagation < N(po->propagation))
                    po->propagation[po->npropagation++] = propagation_flags[k].flag;
            }
        }
        if (!known) {
            size_t len = strlen(po->data);
            snprintf(po->data + len, sizeof po->data - len, "%s%s", len ? "," : "", o);
        }
    }
}

static int mount_one(const char *root, const Mount *m, char *msg)
{
    char dest[PATH_MAX];
    snprintf(dest, sizeof dest, "%s%s", root, m->destination);
    struct parsed_opts po;
    parse_options(m->options, m->n_options, &po);
    bool bind = strcmp(m->type, "bind") == 0 || (po.flags & MS_BIND);
    const char *type = m->type;
    const char *source = m->source;
    char share_opts[sizeof po.data + 64];
    if (strcmp(type, "9p") == 0) {
        snprintf(share_opts, sizeof share_opts, "trans=virtio,version=9p2000.L%s%s", po.data[0] ? "," : "", po.data);
        memcpy(po.data, share_opts, sizeof po.data - 1);
        po.data[sizeof po.data - 1] = 0;
    }
    if (strcmp(type, "cgroup") == 0)
        type = "cgroup2"; /* a fresh guest has no v1 hierarchies to join */

    struct stat st;
    int r;
    if (bind && stat(source, &st) == 0 && !S_ISDIR(st.st_mode))
        r = touch_all(dest);
    else
        r = mkdir_all(dest, 0755);
    if (r < 0)
        return fail(msg, -r, "mount %s: cannot create the mount point %s", m->destination, dest);

    unsigned long flags = po.flags & ~MS_REMOUNT;
    if (bind) {
        if (mount(source, dest, NULL, MS_BIND | (flags & MS_REC), NULL) < 0)
            return fail(msg, errno, "mount %s: cannot bind %s", m->destination, source);
        unsigned long rest = flags & ~(MS_BIND | MS_REC);
        if (rest && mount(NULL, dest, NULL, MS_REMOUNT | MS_BIND | rest, NULL) < 0)
            return fail(msg, errno, "mount %s: cannot remount the bind of %s", m->destination, source);
    } else if (mount(source, dest, type, flags, po.data[0] ? po.data : NULL) < 0) {
        int e = errno;
        if (strcmp(type, "cgroup2") == 0 || strcmp(type, "mqueue") == 0) {
            agent_log("container: skipping %s mount on %s: %s", type, m->destination, strerror(e));
            return 0;
        }
        if (strcmp(type, "sysfs") == 0 && e == EPERM) {
            /* without a network namespace of its own sysfs cannot be mounted: bind it */
            if (mount("/sys", dest, NULL, MS_BIND | MS_REC, NULL) == 0)
                return 0;
        }
        return fail(msg, e, "mount %s (type %s)", m->destination, type);
    }
    for (size_t i = 0; i < po.npropagation; i++)
        if (mount(NULL, dest, NULL, po.propagation[i], NULL) < 0)
            return fail(msg, errno, "mount %s: cannot set propagation%s", m->destination, "");
    return 0;
}

static bool is_mount_point(const char *path)
{
    char parent[PATH_MAX];
    struct stat st, pst;
    snprintf(parent, sizeof parent, "%s/..", path);
    return stat(path, &st) == 0 && stat(parent, &pst) == 0 && (st.st_dev != pst.st_dev || st.st_ino == pst.st_ino);
}

static int mount_shares(const ContainerSpec *spec, char *msg)
{
    for (size_t i = 0; i < spec->n_shares; i++) {
        const Share *s = spec->shares[i];
        int r = mkdir_all(s->mount_point, 0755);
        if (r < 0)
            return fail(msg, -r, "share %s: cannot create %s", s->tag, s->mount_point);
        if (mount(s->tag, s->mount_point, "9p", s->readonly ? MS_RDONLY : 0,
                  "trans=virtio,version=9p2000.L,msize=262144") == 0)
            continue;
        /* a virtio-9p tag mounts once per guest: busy is fine if it is mounted there already */
        if (errno == EBUSY && is_mount_point(s->mount_point))
            continue;
        return fail(msg, errno, "share %s: cannot mount it on %s", s->tag, s->mount_point);
    }
    return 0;
}

/* The runtime-spec's default devices, bound from the agent's /dev (the
 * guest's devtmpfs in a VM); /dev/ptmx is a link into the container's
 * devpts, /dev/console the pty of a terminal init (spawn.c). */
static const char *const default_devices[] = { "null", "zero", "full", "random", "urandom", "tty" };

static int create_devices(const char *root, char *msg)
{
    char path[PATH_MAX], src[64];
    for (size_t i = 0; i < N(default_devices); i++) {
        snprintf(path, sizeof path, "%s/dev/%s", root, default_devices[i]);
        snprintf(src, sizeof src, "/dev/%s", default_devices[i]);
        int r = touch_all(path);
        if (r < 0)
            return fail(msg, -r, "device %s: cannot create %s", src, path);
        if (mount(src, path, NULL, MS_BIND, NULL) < 0)
            return fail(msg, errno, "device %s: cannot bind it on %s", src, path);
    }
    static const char *const links[][2] = {
        { "/proc/self/fd", "fd" },     { "/proc/self/fd/0", "stdin" },
        { "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
        { "pts/ptmx", "ptmx" },        { "/proc/kcore", "core" },
    };
    for (size_t i = 0; i < N(links); i++) {
        snprintf(path, sizeof path, "%s/dev/%s", root, links[i][1]);
        if (symlink(links[i][0], path) < 0 && errno != EEXIST)
            return fail(msg, errno, "cannot create the link %s -> %s", path, links[i][0]);
    }
    return 0;
}

/* The config's mount on dest, or NULL. */
static const Mount *mount_on(const ContainerSpec *spec, const char *dest)
{
    for (size_t i = 0; i < spec->n_mounts; i++) {
        const char *d = spec->mounts[i]->destination;
        size_t n = strlen(dest);
        if (strncmp(d, dest, n) == 0 && (d[n] == 0 || (d[n] == '/' && d[n + 1] == 0)))
            return spec->mounts[i];
    }
    return NULL;
}

/* Without a /dev mount in config.json the container still gets the
 * default devices (runtime-spec): on a tmpfs of the guest mounted on /dev,
 * so that no device node is ever created on the 9p rootfs, where it would
 * be a node on the host. devpts and /dev/shm come with it unless the
 * config mounts them. */
static int mount_dev_tmpfs(const char *root, char *msg)
{
    char dev[PATH_MAX];
    snprintf(dev, sizeof dev, "%s/dev", root);
    int r = mkdir_all(dev, 0755);
    if (r < 0)
        return fail(msg, -r, "cannot create %s (the container has no /dev mount)%s", dev, "");
    if (mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k") < 0)
        return fail(msg, errno, "cannot mount a tmpfs on %s%s", dev, "");
    return 0;
}

static int mount_dev_defaults(const ContainerSpec *spec, const char *root, char *msg)
{
    char path[PATH_MAX];
    if (!mount_on(spec, "/dev/pts")) {
        snprintf(path, sizeof path, "%s/dev/pts", root);
        if (mkdir_all(path, 0755) < 0 ||
            mount("devpts", path, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5") < 0)
            return fail(msg, errno, "cannot mount devpts on %s%s", path, "");
    }
    if (!mount_on(spec, "/dev/shm")) {
        snprintf(path, sizeof path, "%s/dev/shm", root);
        if (mkdir_all(path, 01777) < 0 ||
            mount("shm", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k") < 0)
            return fail(msg, errno, "cannot mount a tmpfs on %s%s", path, "");
    }
    return 0;
}

static int device_type(const char *t, mode_t *type)
{
    if (strcmp(t, "c") == 0 || strcmp(t, "u") == 0)
        *type = S_IFCHR;
    else if (strcmp(t, "b") == 0)
        *type = S_IFBLK;
    else if (strcmp(t, "p") == 0)
        *type = S_IFIFO;
    else
        return -EINVAL;
    return 0;
}

/* mknod + mode + owner of one node. */
static int make_node(const char *path, const Device *d, mode_t type)
{
    mode_t perm = d->has_file_mode ? (d->file_mode & 07777) : 0666;
    if (mknod(path, type | perm, makedev((unsigned)d->major, (unsigned)d->minor)) < 0 && errno != EEXIST)
        return -errno;
    if (chmod(path, perm) < 0 || chown(path, d->uid, d->gid) < 0)
        return -errno;
    return 0;
}

/* linux.devices: a node made where the path's directory is a tmpfs (the
 * container's /dev); anywhere else (the 9p rootfs) the node is made on a
 * guest tmpfs and bound onto an empty file at the path. */
static int create_spec_devices(const ContainerSpec *spec, const char *root, char *msg)
{
    char path[PATH_MAX], stage[] = "/tmp/jvmvisor-dev-XXXXXX";
    bool staged = false;
    int r = 0;
    for (size_t i = 0; i < spec->n_devices && r == 0; i++) {
        const Device *d = spec->devices[i];
        mode_t type;
        if (!d->path || d->path[0] != '/' || device_type(d->type ? d->type : "", &type) < 0) {
            snprintf(msg, ERR_MSG_LEN, "linux.devices: \"%s\" (type \"%s\") is not an absolute path with a type c, b, u or p",
                     d->path ? d->path : "", d->type ? d->type : "");
            r = -EINVAL;
            break;
        }
        snprintf(path, sizeof path, "%s%s", root, d->path);
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", path);
        *strrchr(dir, '/') = 0;
        if ((r = mkdir_all(dir, 0755)) < 0) {
            r = fail(msg, -r, "linux.devices %s: cannot create %s", d->path, dir);
            break;
        }
        struct statfs fs;
        if (statfs(dir, &fs) == 0 && fs.f_type == TMPFS_MAGIC) {
            if ((r = make_node(path, d, type)) < 0)
                r = fail(msg, -r, "linux.devices %s: cannot create the node %s", d->path, path);
            continue;
        }
        if (!staged && (!mkdtemp(stage) || mount("tmpfs", stage, "tmpfs", MS_NOSUID, "mode=700") < 0)) {
            r = fail(msg, errno, "linux.devices %s: cannot make a tmpfs for the node%s", d->path, "");
            break;
        }
        staged = true;
        char node[PATH_MAX];
        snprintf(node, sizeof node, "%s/%zu", stage, i);
        if ((r = make_node(node, d, type)) < 0 || (r = touch_all(path)) < 0) {
            r = fail(msg, -r, "linux.devices %s: cannot create the node for %s", d->path, path);
            break;
        }
        if (mount(node, path, NULL, MS_BIND, NULL) < 0)
            r = fail(msg, errno, "linux.devices %s: cannot bind the node on %s", d->path, path);
    }
    if (staged) {
        umount2(stage, MNT_DETACH); /* the binds keep their nodes */
        rmdir(stage);
    }
    return r;
}

static int enter_root(const char *root, char *msg)
{
    if (chdir(root) < 0)
        return fail(msg, errno, "cannot enter the rootfs %s%s", root, "");
    if (syscall(SYS_pivot_root, ".", ".") == 0) {
        /* the old root is stacked under the new one: detach it */
        if (umount2(".", MNT_DETACH) < 0)
            return fail(msg, errno, "cannot detach the old root%s%s", "", "");
    } else if (errno == EINVAL) {
        /* the agent's root is the initramfs (rootfs), which pivot_root cannot move: move the mount instead */
        if (mount(root, "/", NULL, MS_MOVE, NULL) < 0)
            return fail(msg, errno, "cannot move %s to /%s", root, "");
        if (chroot(".") < 0)
            return fail(msg, errno, "cannot chroot into %s%s", root, "");
    } else {
        return fail(msg, errno, "pivot_root into %s%s", root, "");
    }
    if (chdir("/") < 0)
        return fail(msg, errno, "chdir /%s%s", "", "");
    return 0;
}

static int mask_path(const char *path, char *msg)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return errno == ENOENT ? 0 : fail(msg, errno, "masked path %s%s", path, "");
    int r = S_ISDIR(st.st_mode) ? mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL)
                                : mount("/dev/null", path, NULL, MS_BIND, NULL);
    if (r < 0 && errno != ENOENT)
        return fail(msg, errno, "masked path %s%s", path, "");
    return 0;
}

static int readonly_path(const char *path, char *msg)
{
    if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
        return errno == ENOENT ? 0 : fail(msg, errno, "readonly path %s%s", path, "");
    if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_REC, NULL) < 0)
        return fail(msg, errno, "readonly path %s: cannot remount read-only%s", path, "");
    return 0;
}

static int write_sysctl(const Sysctl *s, char *msg)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "/proc/sys/");
    for (const char *k = s->key; *k && n < (int)sizeof path - 1; k++)
        path[n++] = *k == '.' ? '/' : *k;
    path[n] = 0;
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(msg, errno, "sysctl %s: cannot open %s", s->key, path);
    ssize_t w = write(fd, s->value, strlen(s->value));
    int e = errno;
    close(fd);
    if (w < 0)
        return fail(msg, e, "sysctl %s=%s", s->key, s->value);
    return 0;
}

int loopback_up(char *msg)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fail(msg, errno, "loopback: socket%s%s", "", "");
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    int r = ioctl(fd, SIOCGIFFLAGS, &ifr);
    if (r == 0) {
        ifr.ifr_flags |= IFF_UP;
        r = ioctl(fd, SIOCSIFFLAGS, &ifr);
    }
    int e = errno;
    close(fd);
    return r < 0 ? fail(msg, e, "cannot bring the loopback interface up%s%s", "", "") : 0;
}

int rootfs_build(const ContainerSpec *spec, char *msg)
{
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return fail(msg, errno, "cannot make the mounts private%s%s", "", "");
    int r = mount_shares(spec, msg);
    if (r < 0)
        return r;
    const char *root = spec->root_path;
    if (!root || !*root) {
        snprintf(msg, ERR_MSG_LEN, "the container has no root path");
        return -EINVAL;
    }
    if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0)
        return fail(msg, errno, "cannot bind the rootfs %s onto itself%s", root, "");
    const Mount *dev = mount_on(spec, "/dev");
    if (!dev && (r = mount_dev_tmpfs(root, msg)) < 0)
        return r;
    for (size_t i = 0; i < spec->n_mounts; i++) {
        r = mount_one(root, spec->mounts[i], msg);
        if (r < 0)
            return r;
    }
    if (!dev && (r = mount_dev_defaults(spec, root, msg)) < 0)
        return r;
    if (!dev || strcmp(dev->type, "tmpfs") == 0) {
        r = create_devices(root, msg);
        if (r < 0)
            return r;
    }
    if ((r = create_spec_devices(spec, root, msg)) < 0)
        return r;
    r = enter_root(root, msg);
    if (r < 0)
        return r;
    for (size_t i = 0; i < spec->n_sysctl; i++) {
        r = write_sysctl(spec->sysctl[i], msg);
        if (r < 0)
            return r;
    }
    for (size_t i = 0; i < spec->n_masked_paths; i++) {
        r = mask_path(spec->masked_paths[i], msg);
        if (r < 0)
            return r;
    }
    for (size_t i = 0; i < spec->n_readonly_paths; i++) {
        r = readonly_path(spec->readonly_paths[i], msg);
        if (r < 0)
            return r;
    }
    if (spec->root_readonly && mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
        return fail(msg, errno, "cannot remount the root read-only%s%s", "", "");
    bool uts = false;
    for (size_t i = 0; i < spec->n_namespaces; i++)
        uts = uts || strcmp(spec->namespaces[i], "uts") == 0;
    if (uts && spec->hostname && *spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)) < 0)
        return fail(msg, errno, "cannot set the hostname %s%s", spec->hostname, "");
    return 0;
}
