/*
 * Rounding of exact fractions. Floor and ceil are true mathematical floor and ceil for negative
 * numerators too; nearest rounds halves away from zero.
 */
#include "core/arith.h"

static int64_t clamp(__int128 v)
{
    if (v > INT64_MAX)
        return INT64_MAX;
    if (v < INT64_MIN)
        return INT64_MIN;
    return (int64_t)v;
}

int64_t arith_round(__int128 num, __int128 den, enum rounding rule)
{
    __int128 q = num / den, r = num % den;
    switch (rule) {
    case ROUND_FLOOR:
        if (r != 0 && num < 0)
            q -= 1;
        break;
    case ROUND_CEIL:
        if (r != 0 && num > 0)
            q += 1;
        break;
    case ROUND_NEAREST: {
        __int128 twice = (r < 0 ? -r : r) * 2;
        if (twice >= den)
            q += num < 0 ? -1 : 1;
        break;
    }
    }
    return clamp(q);
}

int64_t arith_share(int64_t value, int64_t part, int64_t whole)
{
    /* a share of nothing is nothing: an order whose lines are free still has its shipping */
    if (whole == 0)
        return 0;
    return arith_round((__int128)value * part, whole, ROUND_FLOOR);
}
