/* owner.h - who is writing a run: a process identity that outlives pid reuse and
 * reboots, so a store can tell a run still being written from one whose process
 * died (and mark it failed). */
#ifndef FC_STORE_OWNER_H
#define FC_STORE_OWNER_H

#include <stddef.h>

#define FC_OWNER_MAX 96

/* This process as "{boot_id}:{pid}:{start_ticks}" into out (FC_OWNER_MAX bytes). */
void fc_owner_self(char *out, size_t size);

/* 1 if the process an owner string names is still running (not a zombie) on this
 * boot, 0 if it is gone. A string that is not an owner (NULL, "", junk) is gone. */
int fc_owner_alive(const char *owner);

#endif
