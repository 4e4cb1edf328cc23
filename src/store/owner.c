/* owner.c - see owner.h. Linux: the boot id from /proc/sys/kernel/random/boot_id,
 * the start time and state of a process from field 22 and 3 of /proc/{pid}/stat. */
#include "store/owner.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void boot_id(char *out, size_t size)
{
    snprintf(out, size, "noboot");
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    if (!f)
        return;
    char line[64];
    if (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        size_t len = strlen(line);
        if (len > 0 && len < size && !strchr(line, ':'))
            memcpy(out, line, len + 1);
    }
    fclose(f);
}

/* The start time (clock ticks after boot) of pid; 0 when it is gone or a zombie;
 * 1 when /proc cannot tell but kill(2) says it exists. */
static unsigned long long start_ticks(long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        return kill((pid_t)pid, 0) == 0 || errno == EPERM ? 1 : 0;
    }
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* "pid (comm) S ppid ...": comm may hold spaces and ')', so parse after the
       last ')' */
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ')
        return 0;
    char state = p[2];
    if (state == 'Z' || state == 'X' || state == 'x')
        return 0;
    p += 2; /* field 3 */
    for (int field = 3; field < 22; field++) {
        p = strchr(p, ' ');
        if (!p)
            return 0;
        p++;
    }
    char *end;
    unsigned long long t = strtoull(p, &end, 10);
    return end == p ? 0 : t ? t : 1;
}

void fc_owner_self(char *out, size_t size)
{
    char boot[48];
    boot_id(boot, sizeof boot);
    long pid = (long)getpid();
    snprintf(out, size, "%s:%ld:%llu", boot, pid, start_ticks(pid));
}

int fc_owner_alive(const char *owner)
{
    char boot[48], mine[48];
    long pid;
    unsigned long long start;
    if (!owner || sscanf(owner, "%47[^:]:%ld:%llu", boot, &pid, &start) != 3 || pid <= 0)
        return 0;
    boot_id(mine, sizeof mine);
    if (strcmp(boot, mine) != 0)
        return 0; /* written before a reboot */
    unsigned long long now = start_ticks(pid);
    return now != 0 && (now == start || now == 1 || start == 1);
}
