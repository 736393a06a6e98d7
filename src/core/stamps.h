/*
 * Stamp cards: adding stamps fills the current card; every full card completes (its reward is
 * issued) and a new card starts with the stamps left over.
 */
#ifndef FIDELE_CORE_STAMPS_H
#define FIDELE_CORE_STAMPS_H

#include <stdint.h>

/* From count stamps, adds added (>= 0) on cards of required stamps. *new_count < required;
 * *completed is the number of cards filled. */
void stamps_add(int64_t count, int64_t added, int64_t required, int64_t *new_count,
                int64_t *completed);

#endif
