/* jvmvisor-vmm-jail: starts the VMM (QEMU) confined to what one container may reach.
 *
 *   jvmvisor-vmm-jail --exports DIR [--bind SRC NAME ro|rw]... [--live NAME]
 *                     [--keep-caps cap,cap,...] [--parent PID] -- VMM ARGS...
 *
 * In a mount namespace of its own (a slave of the host's, so nothing it mounts is
 * seen outside, and everything it mounts goes when the VMM exits):
 *   - a small tmpfs on DIR: the only tree the VMM exports over 9p;
 *   - each --bind SRC is bind-mounted (recursively) onto DIR/NAME, a directory
 *     or an empty file as SRC is, with nosuid and nodev, and read-only for "ro":
 *     enforced by the host kernel, whatever the guest or the VMM asks;
 *   - each --live NAME is a read-only tmpfs where the shim adds binds while the
 *     container runs (nsenter into this namespace);
 *   - then DIR itself is remounted read-only: a guest cannot add siblings to a
 *     bound file.
 * While the VMM runs, the shim changes its live share with
 *   jvmvisor-vmm-jail --in VMMPID --exports DIR --add NAME SRC ro|rw
 *   jvmvisor-vmm-jail --in VMMPID --exports DIR --remove NAME
 * (enters the VMM's mount namespace, opens DIR/live for writing for the
 * moment of the change, binds or unbinds DIR/live/NAME, seals it again).
 * Then: the parent-death signal (the VMM dies with the shim), the capability
 * bounding set cut to --keep-caps, no_new_privs, a seccomp filter that refuses
 * set-user-ID and set-group-ID mode bits (chmod, create, mknod) and block or
 * character device nodes, transparent huge pages off (PR_SET_THP_DISABLE, kept across exec)
 * and exec of the VMM. Errors: one line on stderr, exit 125.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/mount.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif

#define EXIT_JAIL 125

static void die(const char *fmt, const char *a, const char *b)
{
    int e = errno;
    fprintf(stderr, "jvmvisor-vmm-jail: ");
    fprintf(stderr, fmt, a, b);
    if (e)
        fprintf(stderr, ": %s", strerror(e));
    fputc('\n', stderr);
    exit(EXIT_JAIL);
}

static void mkdir_all(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        die("path too long: %s%s", path, "");
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            die("mkdir %s%s", buf, "");
        *p = '/';
    }
    if (mkdir(buf, 0755) < 0 && errno != EEXIST)
        die("mkdir %s%s", buf, "");
    errno = 0;
}

static void set_attr(const char *path, unsigned long long attrs, const char *what)
{
    struct mount_attr a = { .attr_set = attrs };
    if (syscall(SYS_mount_setattr, AT_FDCWD, path, AT_RECURSIVE | AT_SYMLINK_NOFOLLOW, &a, sizeof a) < 0)
        die("cannot make %s %s", path, what);
}

/* SRC onto EXPORTS/NAME: nosuid, nodev, and read-only when asked, on every mount below it too. */
static void bind_one(const char *exports, const char *src, const char *name, const char *mode)
{
    if (strstr(name, "..") || name[0] == '/')
        die("bad export name %s%s", name, "");
    bool ro = strcmp(mode, "ro") == 0;
    if (!ro && strcmp(mode, "rw") != 0)
        die("bind %s: mode must be ro or rw, not %s", src, mode);
    char dst[4096];
    snprintf(dst, sizeof dst, "%s/%s", exports, name);
    struct stat st;
    if (stat(src, &st) < 0)
        die("bind source %s%s", src, "");
    if (S_ISDIR(st.st_mode)) {
        mkdir_all(dst);
    } else {
        char parent[4096];
        snprintf(parent, sizeof parent, "%s", dst);
        char *slash = strrchr(parent, '/');
        *slash = 0;
        mkdir_all(parent);
        int fd = open(dst, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
            die("cannot create the mount point %s%s", dst, "");
        close(fd);
    }
    if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
        die("cannot bind %s on %s", src, dst);
    set_attr(dst, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (ro ? MOUNT_ATTR_RDONLY : 0), ro ? "nosuid,nodev,ro" : "nosuid,nodev");
}

static const struct { const char *name; int cap; } cap_names[] = {
    { "chown", CAP_CHOWN },     { "dac_override", CAP_DAC_OVERRIDE }, { "dac_read_search", CAP_DAC_READ_SEARCH },
    { "fowner", CAP_FOWNER },   { "fsetid", CAP_FSETID },             { "kill", CAP_KILL },
    { "setgid", CAP_SETGID },   { "setuid", CAP_SETUID },             { "mknod", CAP_MKNOD },
    { "net_admin", CAP_NET_ADMIN }, { "sys_resource", CAP_SYS_RESOURCE }, { "ipc_lock", CAP_IPC_LOCK },
};

static unsigned long long parse_caps(const char *list)
{
    unsigned long long keep = 0;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        bool found = false;
        for (size_t i = 0; i < sizeof cap_names / sizeof cap_names[0]; i++)
            if (strcmp(t, cap_names[i].name) == 0) {
                keep |= 1ULL << cap_names[i].cap;
                found = true;
            }
        if (!found) {
            errno = 0;
            die("unknown capability %s%s", t, "");
        }
    }
    return keep;
}

static void drop_caps(unsigned long long keep)
{
    for (int cap = 0; cap <= 63; cap++) {
        if (keep & (1ULL << cap))
            continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            die("cannot drop a capability from the bounding set%s%s", "", "");
    }
    struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    d[0].effective = d[0].permitted = (unsigned int)keep;
    d[1].effective = d[1].permitted = (unsigned int)(keep >> 32);
    if (syscall(SYS_capset, &h, d) < 0)
        die("capset%s%s", "", "");
    errno = 0;
}

/* args[i] of struct seccomp_data, low 32 bits (x86_64 is little-endian) */
#define ARG(i) (offsetof(struct seccomp_data, args) + (i) * 8)
#define LOAD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define DENY BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM)
#define ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
/* a mode argument with S_ISUID/S_ISGID, or (for mknod) a device type, is refused */
#define MODE_CHECK(nr, arg)                                                        \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 3), LOAD(ARG(arg)),            \
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, S_ISUID | S_ISGID, 0, 1), DENY
#define MKNOD_CHECK(nr, arg)                                                       \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 7), LOAD(ARG(arg)),            \
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, S_ISUID | S_ISGID, 0, 1), DENY,      \
        BPF_STMT(BPF_ALU | BPF_AND | BPF_K, S_IFMT),                              \
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, S_IFCHR, 1, 0),                       \
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, S_IFBLK, 0, 1), DENY
/* open(at) with O_CREAT or O_TMPFILE and S_ISUID/S_ISGID in the mode */
#define CREATE_CHECK(nr, flags, mode)                                              \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 5), LOAD(ARG(flags)),          \
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, O_CREAT | __O_TMPFILE, 0, 3), LOAD(ARG(mode)), \
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, S_ISUID | S_ISGID, 0, 1), DENY

static void install_filter(void)
{
    struct sock_filter f[] = {
        LOAD(offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        LOAD(offsetof(struct seccomp_data, nr)),
        /* x32 system calls are not for a VMM */
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1), DENY,
        MODE_CHECK(__NR_chmod, 1),
        LOAD(offsetof(struct seccomp_data, nr)),
        MODE_CHECK(__NR_fchmod, 1),
        LOAD(offsetof(struct seccomp_data, nr)),
        MODE_CHECK(__NR_fchmodat, 2),
        LOAD(offsetof(struct seccomp_data, nr)),
        MODE_CHECK(__NR_fchmodat2, 2),
        LOAD(offsetof(struct seccomp_data, nr)),
        MODE_CHECK(__NR_creat, 1),
        LOAD(offsetof(struct seccomp_data, nr)),
        MKNOD_CHECK(__NR_mknod, 1),
        LOAD(offsetof(struct seccomp_data, nr)),
        MKNOD_CHECK(__NR_mknodat, 2),
        LOAD(offsetof(struct seccomp_data, nr)),
        CREATE_CHECK(__NR_open, 1, 2),
        LOAD(offsetof(struct seccomp_data, nr)),
        CREATE_CHECK(__NR_openat, 2, 3),
        LOAD(offsetof(struct seccomp_data, nr)),
        /* openat2's mode sits in a struct the filter cannot read: callers fall back to openat */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat2, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        ALLOW,
    };
    struct sock_fprog prog = { .len = sizeof f / sizeof f[0], .filter = f };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        die("no_new_privs%s%s", "", "");
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
        die("cannot install the seccomp filter%s%s", "", "");
}

#define LIVE_OPTS "size=64k,nr_inodes=1024,mode=0755"

static int live_change(int argc, char **argv)
{
    /* --in PID --exports DIR (--add NAME SRC MODE | --remove NAME) */
    errno = 0;
    if (argc < 7 || strcmp(argv[3], "--exports") != 0)
        die("usage: --in PID --exports DIR --add NAME SRC ro|rw | --remove NAME%s%s", "", "");
    char path[8300], live[4096];
    snprintf(path, sizeof path, "/proc/%s/ns/mnt", argv[2]);
    int ns = open(path, O_RDONLY | O_CLOEXEC);
    if (ns < 0 || setns(ns, CLONE_NEWNS) < 0)
        die("cannot enter the mount namespace of %s%s", path, "");
    close(ns);
    snprintf(live, sizeof live, "%s/live", argv[4]);
    const char *name = argv[6];
    if (strchr(name, '/') || strcmp(name, "..") == 0 || strcmp(name, ".") == 0) {
        errno = 0;
        die("bad live entry name %s%s", name, "");
    }
    if (mount(NULL, live, NULL, MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC, LIVE_OPTS) < 0)
        die("cannot open %s for the change%s", live, "");
    if (strcmp(argv[5], "--add") == 0 && argc == 9) {
        bind_one(live, argv[7], name, argv[8]);
    } else if (strcmp(argv[5], "--remove") == 0 && argc == 7) {
        snprintf(path, sizeof path, "%s/%s", live, name);
        if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
            die("cannot unbind %s%s", path, "");
        if (rmdir(path) < 0 && unlink(path) < 0 && errno != ENOENT)
            die("cannot remove %s%s", path, "");
    } else {
        errno = 0;
        die("usage: --in PID --exports DIR --add NAME SRC ro|rw | --remove NAME%s%s", "", "");
    }
    if (mount(NULL, live, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, LIVE_OPTS) < 0)
        die("cannot seal %s again%s", live, "");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "--in") == 0)
        return live_change(argc, argv);
    const char *exports = NULL;
    const char *caps = NULL;
    long parent = 0;
    int i = 1;
    int first_mount = 0;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--exports") == 0 && i + 1 < argc) {
            exports = argv[++i];
        } else if (strcmp(argv[i], "--bind") == 0 && i + 3 < argc) {
            if (!first_mount)
                first_mount = i;
            i += 3;
        } else if (strcmp(argv[i], "--live") == 0 && i + 1 < argc) {
            if (!first_mount)
                first_mount = i;
            i += 1;
        } else if (strcmp(argv[i], "--keep-caps") == 0 && i + 1 < argc) {
            caps = argv[++i];
        } else if (strcmp(argv[i], "--parent") == 0 && i + 1 < argc) {
            parent = strtol(argv[++i], NULL, 10);
        } else {
            errno = 0;
            die("unknown or incomplete option %s%s", argv[i], "");
        }
    }
    if (i >= argc - 1 || !exports) {
        errno = 0;
        die("usage: jvmvisor-vmm-jail --exports DIR [--bind SRC NAME ro|rw]... [--live NAME] [--keep-caps LIST] [--parent PID] -- VMM ARGS...%s%s", "", "");
    }
    char **vmm = argv + i + 1;

    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
        die("parent-death signal%s%s", "", "");
    if (parent > 0 && getppid() != parent) {
        errno = 0;
        die("the shim is gone%s%s", "", "");
    }
    if (unshare(CLONE_NEWNS) < 0)
        die("cannot create a mount namespace%s%s", "", "");
    if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
        die("cannot make the mounts slaves%s%s", "", "");
    if (mount("jvmvisor-exports", exports, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=256k,nr_inodes=4096,mode=0755") < 0)
        die("cannot mount the exports tmpfs on %s%s", exports, "");
    for (int k = first_mount; k && k < i; k++) {
        if (strcmp(argv[k], "--bind") == 0) {
            bind_one(exports, argv[k + 1], argv[k + 2], argv[k + 3]);
            k += 3;
        } else if (strcmp(argv[k], "--live") == 0) {
            char dst[4096];
            snprintf(dst, sizeof dst, "%s/%s", exports, argv[k + 1]);
            mkdir_all(dst);
            if (mount("jvmvisor-live", dst, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, LIVE_OPTS) < 0)
                die("cannot mount the live tmpfs on %s%s", dst, "");
            k += 1;
        } else if (strcmp(argv[k], "--keep-caps") == 0 || strcmp(argv[k], "--parent") == 0 || strcmp(argv[k], "--exports") == 0) {
            k += 1;
        }
    }
    if (mount(NULL, exports, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=256k,nr_inodes=4096,mode=0755") < 0)
        die("cannot seal %s read-only%s", exports, "");
    drop_caps(caps ? parse_caps(caps) : 0);
    /* QEMU asks for huge pages on its TCG translation buffer (madvise): an idle guest's 16 MiB of
     * translated code then costs the host 18 MiB (each 2 MiB page it starts, whole); without, what it
     * writes. Guest RAM is a memfd or a template file, which this does not touch. */
    if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) < 0)
        die("cannot turn transparent huge pages off%s%s", "", "");
    install_filter();
    execvp(vmm[0], vmm);
    die("cannot run %s%s", vmm[0], "");
}
