/*
 * Names the calling thread as top -H, perf and /proc/PID/task/TID/comm show it, so that an
 * operator (and bench/http) can tell the committer, the checkpointer and the parse thread apart.
 */
#ifndef FIDELE_UTIL_THREAD_NAME_H
#define FIDELE_UTIL_THREAD_NAME_H

/* name: at most 15 bytes (the kernel's limit; longer names are cut). */
void fid_thread_name(const char *name);

#endif
