/*
 * Tiers: which level a metric value reaches, the qualification window around an instant, and
 * when a member's tier is next reviewed. Upgrades happen at once (on the event that crosses a
 * threshold); downgrades only at a review, which falls at the end of the window plus the grace
 * period. At a review the member keeps the tier earned over the window that just closed.
 */
#ifndef FIDELE_CORE_TIER_H
#define FIDELE_CORE_TIER_H

#include <stdint.h>

#include "core/program.h"
#include "util/timeutil.h"

/* Highest level whose threshold value reaches; -1 when below every threshold. */
int tier_rank_for(const struct program *program, int64_t value);

/* The qualification window containing t: [*from, t]. Lifetime windows start at FID_TIME_MIN. */
int64_t tier_window_start(const struct program *program, const struct fid_tz *tz, int64_t t);

/* When the tier held at t is next reviewed; 0 for lifetime windows (never). */
int64_t tier_next_review(const struct program *program, const struct fid_tz *tz, int64_t t);

/* The window a review at review_at judges: [*from, *to). */
void tier_review_window(const struct program *program, const struct fid_tz *tz, int64_t review_at,
                        int64_t *from, int64_t *to);

#endif
