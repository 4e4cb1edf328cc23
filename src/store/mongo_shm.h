/* mongo_shm.h - keep libmongoc's shared-memory counters from outliving the process.
 *
 * Debian's libmongoc initialises itself when the program loads (before main) and
 * keeps its performance counters in a POSIX shared-memory object "/mongoc-<pid>"
 * (/dev/shm/mongoc-<pid>, 4 KB), which it removes at a normal exit. A process killed
 * with SIGKILL leaves the file behind, and a later process with the same pid then
 * warns "Falling back to malloc for counters." Calling this first thing in main
 * removes the name at once: the counters stay mapped and work for this process, only
 * an outside reader (mongoc-stat) can no longer open them, and nothing is left for
 * a kill to leak. */
#ifndef FC_STORE_MONGO_SHM_H
#define FC_STORE_MONGO_SHM_H

/* Removes "/mongoc-<getpid()>" if it exists; harmless when it does not. */
void fc_mongo_unlink_counters(void);

#endif
