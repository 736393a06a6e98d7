/*
 * What the benchmarks measure with and clean up after themselves: clocks (wall, the calling
 * thread's CPU, the process's CPU) and a database's files.
 */
#ifndef FIDELE_BENCH_CLOCK_H
#define FIDELE_BENCH_CLOCK_H

/* CLOCK_MONOTONIC, in seconds. */
double bench_wall_seconds(void);
/* The calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID), in seconds. */
double bench_thread_cpu_seconds(void);
/* The process's user + system time, every thread's, in seconds. */
double bench_process_cpu_seconds(void);
/* Removes a database and its log, index and journal files; says on stderr what it cannot. */
void bench_remove_db(const char *path);

#endif
