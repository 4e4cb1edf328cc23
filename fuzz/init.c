/* init.c - linked into every fuzz target (scripts/fuzz): libFuzzer calls this once
 * before the first input. A target that finds a crash ends without a normal exit,
 * which would leave libmongoc's /dev/shm/mongoc-<pid> behind (the libraries link
 * libmongoc, which sets itself up before main): its name is removed at once, as
 * facecluster's main does (src/store/mongo_shm.h). */
#include "store/mongo_shm.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fc_mongo_unlink_counters();
    return 0;
}
