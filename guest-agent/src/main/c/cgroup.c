/* The container's cgroup in the guest: cgroup v2 at /sys/fs/cgroup (mounted
 * by PID 1), one directory per container with memory.max at the
 * container's memory limit, so that the guest kernel OOM-kills a process
 * of the container past it (exit 137), as the host kernel does under runc.
 * The children join it themselves (cgroup_join) before anything else; the
 * init unshares its cgroup namespace after joining, so that the container
 * sees itself at "/". Host mode creates none (the host's cgroups are not
 * the agent's to change). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

static int write_file(const char *dir, const char *name, const char *value)
{
    char path[PATH_MAX_CG];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t w = write(fd, value, strlen(value));
    int e = errno;
    close(fd);
    return w < 0 ? -e : 0;
}

int cgroup_create(const char *id, uint64_t memory_limit, char **path, char *msg, size_t msglen)
{
    *path = NULL;
    if (agent_cfg.host_mode) {
        if (memory_limit)
            agent_log("container %s: the memory limit is not applied in host mode", id);
        return 0;
    }
    if (access(CGROUP_ROOT "/cgroup.controllers", F_OK) < 0) {
        agent_log("container %s: no cgroup2 at " CGROUP_ROOT ": the memory limit is not applied", id);
        return 0;
    }
    int r = write_file(CGROUP_ROOT, "cgroup.subtree_control", "+memory");
    if (r < 0 && memory_limit) {
        snprintf(msg, msglen, "cannot enable the memory controller in " CGROUP_ROOT ": %s", strerror(-r));
        return r;
    }
    char dir[PATH_MAX_CG];
    snprintf(dir, sizeof dir, CGROUP_ROOT "/%s", id);
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        snprintf(msg, msglen, "cannot create the cgroup %s: %s", dir, strerror(errno));
        return -errno;
    }
    if (memory_limit) {
        char v[32];
        snprintf(v, sizeof v, "%llu", (unsigned long long)memory_limit);
        if ((r = write_file(dir, "memory.max", v)) < 0) {
            snprintf(msg, msglen, "cannot set memory.max of %s to %s: %s", dir, v, strerror(-r));
            rmdir(dir);
            return r;
        }
        /* the guest has no swap; where it has, the limit covers swap too (runc's memory-swap = memory) */
        write_file(dir, "memory.swap.max", "0");
    }
    *path = strdup(dir);
    if (!*path) {
        rmdir(dir);
        snprintf(msg, msglen, "out of memory");
        return -ENOMEM;
    }
    return 0;
}

int cgroup_join(const char *path)
{
    return path ? write_file(path, "cgroup.procs", "0") : 0;
}

bool cgroup_oom_killed(const char *path)
{
    if (!path)
        return false;
    char file[PATH_MAX_CG], buf[512];
    snprintf(file, sizeof file, "%s/memory.events", path);
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = 0;
    const char *k = strstr(buf, "oom_kill ");
    return k && strtoull(k + 9, NULL, 10) > 0;
}

int cgroup_kill(const char *path)
{
    return path ? write_file(path, "cgroup.kill", "1") : 0;
}

void cgroup_remove(char **path)
{
    if (!*path)
        return;
    /* processes killed by cgroup_kill leave it as they exit: give them a moment */
    int r, tries = 0;
    while ((r = rmdir(*path)) < 0 && errno == EBUSY && tries++ < 100)
        usleep(2000);
    if (r < 0)
        agent_log("cannot remove the cgroup %s: %s", *path, strerror(errno));
    free(*path);
    *path = NULL;
}
