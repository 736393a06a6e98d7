/*
 * Allocation that cannot fail from the caller's point of view: failure aborts the process.
 */
#include "util/xalloc.h"

#include <malloc.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void out_of_memory(size_t size)
{
    fprintf(stderr, "fidele: out of memory allocating %zu bytes\n", size);
    abort();
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p == NULL)
        out_of_memory(size);
    return p;
}

void *xcalloc_table(size_t count, size_t size)
{
    enum { HUGE_PAGE = 2 * 1024 * 1024 };
    if (size != 0 && count > SIZE_MAX / size)
        return xcalloc(count, size); /* reports the overflow */
    size_t bytes = count * size;
    if (bytes < HUGE_PAGE)
        return xcalloc(count, size);
    size_t rounded = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    void *p = NULL;
    if (posix_memalign(&p, HUGE_PAGE, rounded) != 0)
        return xcalloc(count, size);
    madvise(p, rounded, MADV_HUGEPAGE); /* advice: without it, ordinary pages */
    memset(p, 0, rounded);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (p == NULL)
        out_of_memory(count * size);
    return p;
}

void *xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (p == NULL)
        out_of_memory(size);
    return p;
}

char *xstrndup(const char *s, size_t n)
{
    char *copy = xmalloc(n + 1);
    memcpy(copy, s, n);
    copy[n] = '\0';
    return copy;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = xmalloc(n);
    memcpy(p, s, n);
    return p;
}

void xgrow(void **items, size_t *capacity, size_t need, size_t item_size)
{
    if (need <= *capacity)
        return;
    size_t cap = *capacity ? *capacity : 8;
    while (cap < need)
        cap *= 2;
    *items = xrealloc(*items, cap * item_size);
    *capacity = cap;
}

void xalloc_tune(void)
{
    mallopt(M_MXFAST, 0);
    mallopt(M_ARENA_MAX, 1);
}

void xalloc_tune_for_threads(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    mallopt(M_ARENA_MAX, (int)(8 * (cores > 0 ? cores : 1))); /* glibc's own default */
}
