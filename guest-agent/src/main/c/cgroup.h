/* The container's cgroup (v2) in the guest (cgroup.c). */
#ifndef JVMVISOR_CGROUP_H
#define JVMVISOR_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "agent.h"

#define PATH_MAX_CG 256

/* Creates /sys/fs/cgroup/<id> with memory.max = memory_limit (0: none) and
 * returns its path in *path (malloc'd), or *path = NULL where the agent
 * keeps no cgroups (host mode, no cgroup2). 0 or -errno with msg. */
int cgroup_create(const char *id, uint64_t memory_limit, char **path, char *msg, size_t msglen);
/* In a forked child: moves the calling process into the cgroup (NULL: nothing). */
int cgroup_join(const char *path);
/* Whether the cgroup's memory.events counts an OOM kill. */
bool cgroup_oom_killed(const char *path);
/* Kills every process of the cgroup (cgroup.kill), the ones that left the
 * container's tracking too (daemons of a container without a pid namespace),
 * as runc delete does. NULL: nothing. */
int cgroup_kill(const char *path);
/* Removes the (emptied) cgroup and frees *path. */
void cgroup_remove(char **path);

#endif
