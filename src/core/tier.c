/*
 * Tier windows and reviews in the merchant's calendar (a calendar year starts at local midnight
 * on 1 January).
 */
#include "core/tier.h"

int tier_rank_for(const struct program *p, int64_t value)
{
    int rank = -1;
    for (size_t i = 0; i < p->tiers.n_levels; i++)
        if (value >= p->tiers.levels[i].threshold)
            rank = (int)i;
    return rank;
}

int64_t tier_window_start(const struct program *p, const struct fid_tz *tz, int64_t t)
{
    switch (p->tiers.window) {
    case TIER_WINDOW_CALENDAR_YEAR:
        return fid_tz_year_start(tz, t);
    case TIER_WINDOW_ROLLING_12_MONTHS:
        return fid_tz_add_months(tz, t, -12);
    case TIER_WINDOW_LIFETIME:
        return FID_TIME_MIN;
    }
    return FID_TIME_MIN;
}

int64_t tier_next_review(const struct program *p, const struct fid_tz *tz, int64_t t)
{
    int grace = (int)p->tiers.grace_days;
    switch (p->tiers.window) {
    case TIER_WINDOW_CALENDAR_YEAR: {
        /* The tier reached in year Y is judged on year Y, at the start of Y+1 plus grace; a tier
         * confirmed at that review is judged again a year later. */
        int64_t year_end = fid_tz_next_year_start(tz, t);
        int64_t review = fid_tz_add_days(tz, year_end, grace);
        if (review <= t) /* t falls inside a grace period: the next year's review */
            review = fid_tz_add_days(tz, fid_tz_next_year_start(tz, year_end), grace);
        return review;
    }
    case TIER_WINDOW_ROLLING_12_MONTHS:
        return fid_tz_add_days(tz, fid_tz_add_months(tz, t, 12), grace);
    case TIER_WINDOW_LIFETIME:
        return 0;
    }
    return 0;
}

void tier_review_window(const struct program *p, const struct fid_tz *tz, int64_t review_at,
                        int64_t *from, int64_t *to)
{
    int64_t end = fid_tz_add_days(tz, review_at, -(int)p->tiers.grace_days);
    *to = end;
    /* A calendar-year review falls on 1 January + grace, so twelve months back is the year. */
    *from =
        p->tiers.window == TIER_WINDOW_LIFETIME ? FID_TIME_MIN : fid_tz_add_months(tz, end, -12);
}
