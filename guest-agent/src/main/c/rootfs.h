/* The container's root file system, built by its forked init (rootfs.c). */
#ifndef JVMVISOR_ROOTFS_H
#define JVMVISOR_ROOTFS_H

#include <sys/types.h>

#include "agent.h"
#include "pb_names.h"

/* In the child, in its new mount namespace: shares, mounts, devices,
 * pivot_root, sysctls, masked/readonly paths, read-only root, hostname.
 * Returns 0 or -errno with msg (ERR_MSG_LEN bytes) filled. */
int rootfs_build(const ContainerSpec *spec, char *msg);
/* Brings "lo" up in the caller's network namespace (a container's fresh one; the VM's at boot). */
int loopback_up(char *msg);
int mkdir_all(const char *path, mode_t mode);

#endif
