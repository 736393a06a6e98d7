/*
 * Exact integer arithmetic for points and money: a fraction num/den rounded by the programme's
 * rule, computed in 128 bits so that amount x rate never overflows before the division.
 */
#ifndef FIDELE_CORE_ARITH_H
#define FIDELE_CORE_ARITH_H

#include <stdint.h>

#include "core/program.h"

/* Rounds num / den (den > 0) by rule; the result is clamped to the int64 range. */
int64_t arith_round(__int128 num, __int128 den, enum rounding rule);

/* floor(value * part / whole) for 0 <= part <= whole: proportional shares; 0 when whole is 0. */
int64_t arith_share(int64_t value, int64_t part, int64_t whole);

#endif
