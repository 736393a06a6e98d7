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

/* Grows *items (of item_size bytes each) so that it holds at least need items; doubles. */
void xgrow(void **items, size_t *capacity, size_t need, size_t item_size);

#endif
