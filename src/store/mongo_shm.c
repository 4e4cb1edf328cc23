/* mongo_shm.c - see mongo_shm.h. The name's format is libmongoc's
 * (mongoc-counters.c: "/mongoc-%u" of getpid()). */
#include "store/mongo_shm.h"

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

void fc_mongo_unlink_counters(void)
{
    char name[32];
    snprintf(name, sizeof name, "/mongoc-%u", (unsigned)getpid());
    shm_unlink(name); /* ENOENT (shared memory off, or another name) is fine */
}
