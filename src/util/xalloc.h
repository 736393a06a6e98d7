/*
 * Allocation wrappers: running out of memory aborts with a message, so callers never handle NULL
 * from allocation. Untrusted sizes must be bounded by the caller before they get here.
 */
#ifndef FIDELE_UTIL_XALLOC_H
#define FIDELE_UTIL_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
/* The first n bytes of s (no terminator needed), terminated. */
char *xstrndup(const char *s, size_t n);

/* Zeroed memory for a large table read at random places: on 2 MiB pages where the kernel
 * allows it (one TLB entry then covers what took 512). Freed with free(). */
void *xcalloc_table(size_t count, size_t size);
/* Grows *items (of item_size bytes each) so that it holds at least need items; doubles. */
void xgrow(void **items, size_t *capacity, size_t need, size_t item_size);

/* Tunes the process's allocator for the engine's pattern; call once at start, before threads.
 * JSON trees free thousands of small chunks into glibc's fast bins, and the next large request
 * then merges them all (malloc_consolidate, ~5% of a purchase): without fast bins, small chunks
 * go through the per-thread caches and the small bins, and nothing is merged in bulk. One arena
 * for every thread: a writer and its helper threads (parsing ahead, checkpoints, the log's
 * sync) rarely allocate at once, and each thread's own arena kept what it freed (4 MB of the
 * ingest benchmark's 64). */
void xalloc_tune(void);
/* For a process whose many threads allocate at once (a server's request threads): an arena per
 * thread again, up to glibc's default. Call before those threads start. */
void xalloc_tune_for_threads(void);

#endif
