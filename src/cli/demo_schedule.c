/*
 * When things happen in the demo: the calendar of local days it simulates, the visits each
 * customer's habits give on a day (and the manager's occasional adjustment), and the queue of
 * scheduled items, a binary heap ordered by instant and then by order of scheduling, so that ties
 * replay the same way on every run.
 */
#include "cli/demo.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

/* ---- calendar ------------------------------------------------------------------------------ */

/* The local days from the one twelve months before now to the day of now. */
void demo_build_calendar(struct demo *d)
{
    struct fid_local first, last;
    fid_tz_local(d->tz, fid_tz_add_months(d->tz, d->now, -12), &first);
    fid_tz_local(d->tz, d->now, &last);
    d->n_days = (int)(fid_days_from_civil(last.year, last.month, last.day) -
                      fid_days_from_civil(first.year, first.month, first.day) + 1);
    d->days = xcalloc((size_t)d->n_days, sizeof *d->days);
    int64_t midnight = fid_tz_midnight(d->tz, first.year, first.month, first.day);
    for (int i = 0; i < d->n_days; i++) {
        struct demo_day *day = &d->days[i];
        struct fid_local noon, next;
        fid_tz_local(d->tz, midnight + 12 * HOUR, &noon);
        day->year = noon.year;
        day->month = noon.month;
        day->day = noon.day;
        day->weekday = noon.weekday;
        day->start = midnight;
        day->base = midnight + 12 * HOUR - (noon.hour * HOUR + noon.minute * 60 + noon.second);
        day->closed = (noon.month == 1 && noon.day == 1) || (noon.month == 5 && noon.day == 1) ||
                      (noon.month == 12 && noon.day == 25);
        fid_tz_local(d->tz, midnight + 36 * HOUR, &next);
        day->end = fid_tz_midnight(d->tz, next.year, next.month, next.day);
        midnight = day->end;
    }
}

/* UTC instant of a local minute (after 03:00) of a day. */
int64_t demo_local_time(const struct demo *d, int day, int minute)
{
    return d->days[day].base + (int64_t)minute * 60;
}

/* Index of the day holding instant t (clamped to the calendar). */
int demo_day_of(const struct demo *d, int64_t t)
{
    int lo = 0, hi = d->n_days - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (d->days[mid].start <= t)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* ---- a day --------------------------------------------------------------------------------- */

static int visit_minute(struct demo *d, const struct demo_customer *c, const struct demo_day *day,
                        int di)
{
    bool weekday = day->weekday < 5;
    bool habitual = weekday && (c->weekdays >> day->weekday & 1u);
    bool away = di >= c->holiday_from && di < c->holiday_to;
    switch (c->persona) {
    case MORNING_REGULAR:
        if (away || !habitual || !demo_chance(d, c->visit_pct))
            return -1;
        return demo_clamp(c->habit_minute - 12 + demo_below(d, 25), 7 * 60, 9 * 60 - 1);
    case AFTERNOON_WORKER:
        if (away || !habitual || !demo_chance(d, c->visit_pct))
            return -1;
        return demo_clamp(c->habit_minute - 20 + demo_below(d, 41), 14 * 60, 15 * 60 + 55);
    case WEEKEND_VISITOR:
        if (!weekday && demo_chance(d, c->visit_pct))
            return 10 * 60 + 30 + demo_below(d, 150);
        if (weekday && demo_chance_pm(d, 8))
            return 12 * 60 + demo_below(d, 120);
        return -1;
    case LAPSED_REGULAR:
        if (!habitual || !demo_chance(d, c->visit_pct))
            return -1;
        return c->habit_minute - 10 + demo_below(d, 21);
    case ONE_OFF_BUYER:
        return di == c->first_day ? c->habit_minute : -1;
    case N_PERSONAS:
        break;
    }
    return -1;
}

void demo_schedule_day(struct demo *d, int di)
{
    const struct demo_day *day = &d->days[di];
    if (day->closed)
        return;
    for (int ci = 0; ci < d->n_customers; ci++) {
        const struct demo_customer *c = &d->customers[ci];
        if (di < c->first_day || di > c->last_day)
            continue;
        int minute = visit_minute(d, c, day, di);
        if (minute < 0)
            continue;
        int64_t at = demo_local_time(d, di, minute) + demo_below(d, 60);
        if (at + 600 <= d->now)
            demo_push(
                d, (struct item){.at = at, .kind = ITEM_VISIT, .customer = ci, .minute = minute});
    }
    /* Now and then the manager makes up for something to a member seen lately. */
    if (!demo_chance(d, 7))
        return;
    for (int tries = 0; tries < 40; tries++) {
        int ci = demo_below(d, d->n_customers);
        const struct demo_customer *c = &d->customers[ci];
        if (c->enrol_at == 0 || c->enrol_at >= day->start || c->last_visit_day < di - 21)
            continue;
        static const int64_t POINTS[] = {50, 100, 100, 150, 200};
        demo_push(d, (struct item){.at = demo_local_time(d, di, 10 * 60 + demo_below(d, 480)),
                                   .kind = ITEM_ADJUST,
                                   .customer = ci,
                                   .amount = PICK(d->rng, POINTS)});
        return;
    }
}

/* ---- the queue ----------------------------------------------------------------------------- */

static bool item_before(const struct item *a, const struct item *b)
{
    return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

/* Schedules it unless it falls after --now. */
void demo_push(struct demo *d, struct item it)
{
    if (it.at > d->now)
        return;
    if (d->n_heap == d->cap_heap) {
        d->cap_heap = d->cap_heap ? d->cap_heap * 2 : 256;
        d->heap = xrealloc(d->heap, d->cap_heap * sizeof *d->heap);
    }
    it.seq = d->next_seq++;
    size_t i = d->n_heap++;
    while (i > 0 && item_before(&it, &d->heap[(i - 1) / 2])) {
        d->heap[i] = d->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    d->heap[i] = it;
}

struct item demo_pop(struct demo *d)
{
    struct item top = d->heap[0];
    struct item last = d->heap[--d->n_heap];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= d->n_heap)
            break;
        if (child + 1 < d->n_heap && item_before(&d->heap[child + 1], &d->heap[child]))
            child++;
        if (!item_before(&d->heap[child], &last))
            break;
        d->heap[i] = d->heap[child];
        i = child;
    }
    if (d->n_heap > 0)
        d->heap[i] = last;
    return top;
}
