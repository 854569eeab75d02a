/* Credentials of a container process, as runc's libcontainer sets them:
 * rlimits, user and groups (names resolved in the container's own files),
 * capability sets (OCI names). */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "creds.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The home directory of uid in the container's /etc/passwd ("/" without an entry, as runc). */
static void home_of(uid_t uid, char *home, size_t homelen)
{
    snprintf(home, homelen, "/");
    FILE *f = fopen("/etc/passwd", "re");
    if (!f)
        return;
    struct passwd *pw;
    while ((pw = fgetpwent(f))) {
        if (pw->pw_uid == uid) {
            if (pw->pw_dir && *pw->pw_dir)
                snprintf(home, homelen, "%s", pw->pw_dir);
            break;
        }
    }
    fclose(f);
}

/* Resolves user->username in the container's /etc/passwd and /etc/group. */
static int resolve_username(const User *u, uid_t *uid, gid_t *gid, gid_t *groups, size_t *ngroups, char *home,
                            size_t homelen, char *msg)
{
    FILE *f = fopen("/etc/passwd", "re");
    if (!f) {
        snprintf(msg, ERR_MSG_LEN, "user \"%s\": cannot open /etc/passwd: %s", u->username, strerror(errno));
        return -ENOENT;
    }
    struct passwd *pw;
    bool found = false;
    while ((pw = fgetpwent(f))) {
        if (strcmp(pw->pw_name, u->username) == 0) {
            *uid = pw->pw_uid;
            *gid = pw->pw_gid;
            snprintf(home, homelen, "%s", pw->pw_dir && *pw->pw_dir ? pw->pw_dir : "/");
            found = true;
            break;
        }
    }
    fclose(f);
    if (!found) {
        snprintf(msg, ERR_MSG_LEN, "unable to find user %s: no matching entries in passwd file", u->username);
        return -ENOENT;
    }
    f = fopen("/etc/group", "re");
    if (!f)
        return 0;
    struct group *gr;
    while ((gr = fgetgrent(f)) && *ngroups < 64)
        for (char **m = gr->gr_mem; *m; m++)
            if (strcmp(*m, u->username) == 0)
                groups[(*ngroups)++] = gr->gr_gid;
    fclose(f);
    return 0;
}

struct rlimit_name {
    const char *name;
    int resource;
};

static const struct rlimit_name rlimit_names[] = {
    { "RLIMIT_CPU", RLIMIT_CPU },         { "RLIMIT_FSIZE", RLIMIT_FSIZE },
    { "RLIMIT_DATA", RLIMIT_DATA },       { "RLIMIT_STACK", RLIMIT_STACK },
    { "RLIMIT_CORE", RLIMIT_CORE },       { "RLIMIT_RSS", RLIMIT_RSS },
    { "RLIMIT_NPROC", RLIMIT_NPROC },     { "RLIMIT_NOFILE", RLIMIT_NOFILE },
    { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_AS", RLIMIT_AS },
    { "RLIMIT_LOCKS", RLIMIT_LOCKS },     { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
    { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE },
    { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },   { "RLIMIT_RTTIME", RLIMIT_RTTIME },
};

int set_rlimits(const Process *p, char *msg)
{
    for (size_t i = 0; i < p->n_rlimits; i++) {
        const Rlimit *rl = p->rlimits[i];
        int res = -1;
        for (size_t k = 0; k < N(rlimit_names); k++)
            if (strcmp(rl->type, rlimit_names[k].name) == 0)
                res = rlimit_names[k].resource;
        if (res < 0) {
            snprintf(msg, ERR_MSG_LEN, "unknown rlimit type \"%s\"", rl->type);
            return -EINVAL;
        }
        struct rlimit lim = { .rlim_cur = rl->soft, .rlim_max = rl->hard };
        if (setrlimit(res, &lim) < 0) {
            snprintf(msg, ERR_MSG_LEN, "setrlimit %s (soft %llu, hard %llu): %s", rl->type,
                     (unsigned long long)rl->soft, (unsigned long long)rl->hard, strerror(errno));
            return -errno;
        }
    }
    return 0;
}

static const char *const cap_names[] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
    "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
    "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

/* Names -> a 64-bit mask; unknown names are an error (as runc). */
static int cap_mask(char **names, size_t n, uint64_t *mask, char *msg)
{
    *mask = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < N(cap_names) && strcmp(cap_names[k], names[i]) != 0)
            k++;
        if (k == N(cap_names)) {
            snprintf(msg, ERR_MSG_LEN, "unknown capability \"%s\"", names[i]);
            return -EINVAL;
        }
        *mask |= 1ull << k;
    }
    return 0;
}

int drop_bounding(const Capabilities *caps, char *msg)
{
    uint64_t keep;
    int r = cap_mask(caps->bounding, caps->n_bounding, &keep, msg);
    if (r < 0)
        return r;
    for (int cap = 0; cap < 64; cap++) {
        if (keep & (1ull << cap))
            continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
            if (errno == EINVAL)
                break; /* past the kernel's last capability */
            snprintf(msg, ERR_MSG_LEN, "cannot drop capability %d from the bounding set: %s", cap, strerror(errno));
            return -errno;
        }
    }
    return 0;
}

int apply_caps(const Capabilities *caps, char *msg)
{
    uint64_t eff, perm, inh, amb;
    int r;
    if ((r = cap_mask(caps->effective, caps->n_effective, &eff, msg)) < 0 ||
        (r = cap_mask(caps->permitted, caps->n_permitted, &perm, msg)) < 0 ||
        (r = cap_mask(caps->inheritable, caps->n_inheritable, &inh, msg)) < 0 ||
        (r = cap_mask(caps->ambient, caps->n_ambient, &amb, msg)) < 0)
        return r;
    struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[2] = {
        { .effective = (uint32_t)eff, .permitted = (uint32_t)perm, .inheritable = (uint32_t)inh },
        { .effective = (uint32_t)(eff >> 32), .permitted = (uint32_t)(perm >> 32),
          .inheritable = (uint32_t)(inh >> 32) },
    };
    if (syscall(SYS_capset, &hdr, data) < 0) {
        snprintf(msg, ERR_MSG_LEN, "capset: %s", strerror(errno));
        return -errno;
    }
    for (int cap = 0; cap < 64; cap++)
        if ((amb & (1ull << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
            agent_dbg("cannot raise ambient capability %d: %s", cap, strerror(errno));
    return 0;
}

int set_user(const Process *p, char *home, size_t homelen, char *msg)
{
    const User *u = p->user;
    uid_t uid = u ? u->uid : 0;
    gid_t gid = u ? u->gid : 0;
    gid_t groups[128];
    size_t ngroups = 0;
    if (u && u->username && *u->username) {
        int r = resolve_username(u, &uid, &gid, groups, &ngroups, home, homelen, msg);
        if (r < 0)
            return r;
    } else {
        home_of(uid, home, homelen);
    }
    for (size_t i = 0; u && i < u->n_additional_gids && ngroups < N(groups); i++)
        groups[ngroups++] = u->additional_gids[i];
    if (setgroups(ngroups, groups) < 0) {
        snprintf(msg, ERR_MSG_LEN, "setgroups: %s", strerror(errno));
        return -errno;
    }
    if (p->capabilities && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) {
        snprintf(msg, ERR_MSG_LEN, "PR_SET_KEEPCAPS: %s", strerror(errno));
        return -errno;
    }
    if (setresgid(gid, gid, gid) < 0) {
        snprintf(msg, ERR_MSG_LEN, "setgid %u: %s", (unsigned)gid, strerror(errno));
        return -errno;
    }
    if (setresuid(uid, uid, uid) < 0) {
        snprintf(msg, ERR_MSG_LEN, "setuid %u: %s", (unsigned)uid, strerror(errno));
        return -errno;
    }
    return 0;
}

