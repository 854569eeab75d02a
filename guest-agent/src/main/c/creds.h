/* Credentials of a container process (creds.c): rlimits, user and groups,
 * capabilities. Run in the forked child, in this order: set_rlimits,
 * drop_bounding, set_user, apply_caps. Each returns 0 or -errno with msg
 * (ERR_MSG_LEN bytes) filled. */
#ifndef JVMVISOR_CREDS_H
#define JVMVISOR_CREDS_H

#include "container.h"

int set_rlimits(const Process *p, char *msg);
/* Drops from the bounding set every capability not listed. */
int drop_bounding(const Capabilities *caps, char *msg);
/* setgroups/setgid/setuid (user name looked up in the container's
 * /etc/passwd and /etc/group), keeping capabilities for apply_caps. Fills
 * home with the user's passwd home directory ("/" without an entry). */
int set_user(const Process *p, char *home, size_t homelen, char *msg);
/* capset of effective/permitted/inheritable, then the ambient set. */
int apply_caps(const Capabilities *caps, char *msg);

#endif
