/*
 * A customer's orders summed by period (order_periods.h): counting, folding the oldest periods,
 * and the compact form the customer's row stores (varints; signed values zigzag-coded).
 */
#include "store/order_periods.h"

#include <string.h>

#define PERIODS_FORMAT 1

int64_t order_period_key(int64_t at)
{
    /* Floor division, so that instants before 1970 fall in the period that holds them. */
    const int64_t span = INT64_C(1) << ORDER_PERIOD_SHIFT;
    return at >= 0 ? at / span : -((-at + span - 1) / span);
}

struct order_share order_share_of(int64_t paid_minor, int64_t refunded_minor, bool refunded_in_full,
                                  int64_t points_earned, int64_t points_clawed)
{
    return (struct order_share){
        .spend_minor = paid_minor - refunded_minor,
        .points = points_earned - points_clawed,
        .counted = !refunded_in_full && (refunded_minor < paid_minor || paid_minor == 0),
    };
}

void order_share_add(struct order_share *sum, struct order_share share, int sign)
{
    sum->spend_minor += sign * share.spend_minor;
    sum->points += sign * share.points;
    sum->counted += sign * share.counted;
}

/* Counts orders (with their ids and instants' bounds) of `from` into `into`. */
static void period_merge(struct order_period *into, const struct order_period *from)
{
    if (from->orders == 0)
        return;
    order_share_add(&into->sum, from->sum, 1);
    /* Orders join in id order: dated before the latest already in, they break time order. */
    into->out_of_order |=
        from->out_of_order || (into->orders > 0 && from->first_at < into->last_at);
    if (into->orders == 0) {
        into->newest_id = from->newest_id;
        into->oldest_id = from->oldest_id;
        into->first_at = from->first_at;
        into->last_at = from->last_at;
    } else {
        if (from->newest_id > into->newest_id)
            into->newest_id = from->newest_id;
        if (from->oldest_id < into->oldest_id)
            into->oldest_id = from->oldest_id;
        if (from->first_at < into->first_at)
            into->first_at = from->first_at;
        if (from->last_at > into->last_at)
            into->last_at = from->last_at;
    }
    into->orders += from->orders;
}

static bool in_folded(const struct order_periods *p, int64_t key)
{
    return p->folded.orders > 0 && key < p->folded_until;
}

/* The kept period for key, or NULL; *slot is where it is or would go. */
static struct order_period *find(struct order_periods *p, int64_t key, size_t *slot)
{
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->periods[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    *slot = lo;
    return lo < p->n && p->periods[lo].key == key ? &p->periods[lo] : NULL;
}

/* Folds the oldest kept period into the summary of everything before. */
static void fold_oldest(struct order_periods *p)
{
    p->folded_until = p->periods[0].key + 1;
    period_merge(&p->folded, &p->periods[0]);
    p->n--;
    memmove(&p->periods[0], &p->periods[1], p->n * sizeof p->periods[0]);
}

void order_periods_add(struct order_periods *p, int64_t order_id, int64_t at,
                       struct order_share share)
{
    int64_t key = order_period_key(at);
    struct order_period one = {
        .key = key,
        .sum = share,
        .orders = 1,
        .newest_id = order_id,
        .oldest_id = order_id,
        .first_at = at,
        .last_at = at,
    };
    p->last_order_id = order_id;
    size_t slot;
    struct order_period *period = in_folded(p, key) ? &p->folded : find(p, key, &slot);
    if (period != NULL) {
        period_merge(period, &one);
        return;
    }
    if (p->n == ORDER_PERIODS_MAX) {
        if (slot == 0) { /* older than every kept period: straight into the summary */
            p->folded_until = p->periods[0].key; /* never below what it was: kept keys are not */
            period_merge(&p->folded, &one);
            return;
        }
        fold_oldest(p);
        slot--;
    }
    memmove(&p->periods[slot + 1], &p->periods[slot], (p->n - slot) * sizeof p->periods[0]);
    p->periods[slot] = one;
    p->n++;
}

bool order_periods_change(struct order_periods *p, int64_t at, struct order_share before,
                          struct order_share after)
{
    int64_t key = order_period_key(at);
    size_t slot;
    struct order_period *period = in_folded(p, key) ? &p->folded : find(p, key, &slot);
    if (period == NULL || period->orders == 0)
        return false;
    order_share_add(&period->sum, before, -1);
    order_share_add(&period->sum, after, 1);
    return true;
}

bool order_period_holds(const struct order_periods *p, const struct order_period *period,
                        int64_t at)
{
    int64_t key = order_period_key(at);
    return period == &p->folded ? in_folded(p, key) : !in_folded(p, key) && key == period->key;
}

void order_window_bounds(const struct order_periods *p, int64_t from, int64_t to,
                         struct order_share *low, struct order_share *high)
{
    *low = *high = (struct order_share){0};
    for (size_t i = 0; i <= p->n; i++) {
        const struct order_period *period = i < p->n ? &p->periods[i] : &p->folded;
        switch (order_period_overlap(period, from, to)) {
        case PERIOD_INSIDE:
            order_share_add(low, period->sum, 1);
            order_share_add(high, period->sum, 1);
            break;
        case PERIOD_PARTLY:
            order_share_add(high, period->sum, 1);
            break;
        case PERIOD_OUTSIDE:
            break;
        }
    }
}

enum order_period_overlap order_period_overlap(const struct order_period *period, int64_t from,
                                               int64_t to)
{
    if (period->orders == 0 || period->last_at < from || period->first_at >= to)
        return PERIOD_OUTSIDE;
    if (from <= period->first_at && period->last_at < to)
        return PERIOD_INSIDE;
    return PERIOD_PARTLY;
}

/* Keys of instants within 2^62 s of 1970: far beyond any date the engine accepts. */
#define PERIOD_KEY_MAX (INT64_C(1) << (62 - ORDER_PERIOD_SHIFT))

static int64_t period_start(int64_t key)
{
    return key * (INT64_C(1) << ORDER_PERIOD_SHIFT);
}

/* Varints, least significant group first; signed values zigzag-coded. */

static size_t put_uv(unsigned char *out, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (unsigned char)v;
    return n;
}

static size_t put_sv(unsigned char *out, int64_t v)
{
    return put_uv(out, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

struct reader {
    const unsigned char *at, *end;
    bool bad;
};

static uint64_t get_uv(struct reader *r)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->at == r->end) {
            r->bad = true;
            return 0;
        }
        unsigned char byte = *r->at++;
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80))
            return v;
    }
    r->bad = true;
    return 0;
}

static int64_t get_sv(struct reader *r)
{
    uint64_t v = get_uv(r);
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* A period's figures; instants relative to base (the period's start, 0 for the summary). */
static size_t put_period(unsigned char *out, const struct order_period *period, int64_t base)
{
    size_t n = 0;
    n += put_sv(out + n, period->sum.spend_minor);
    n += put_sv(out + n, period->sum.points);
    n += put_uv(out + n, (uint64_t)period->sum.counted);
    n += put_uv(out + n, (uint64_t)period->orders << 1 | period->out_of_order);
    n += put_uv(out + n, (uint64_t)period->newest_id);
    n += put_uv(out + n, (uint64_t)(period->newest_id - period->oldest_id));
    n += put_sv(out + n, period->first_at - base);
    n += put_uv(out + n, (uint64_t)(period->last_at - period->first_at));
    return n;
}

/* A count read back: it fits in 63 bits, or the blob is bad. */
static int64_t get_count(struct reader *r)
{
    uint64_t v = get_uv(r);
    if (v > INT64_MAX)
        r->bad = true;
    return r->bad ? 0 : (int64_t)v;
}

static void get_period(struct reader *r, struct order_period *period, int64_t base)
{
    period->sum.spend_minor = get_sv(r);
    period->sum.points = get_sv(r);
    period->sum.counted = get_count(r);
    int64_t orders = get_count(r);
    period->orders = orders >> 1;
    period->out_of_order = orders & 1;
    period->newest_id = get_count(r);
    int64_t ids = get_count(r), first = get_sv(r), span = get_count(r);
    if (r->bad || period->orders <= 0 || ids >= period->newest_id ||
        __builtin_add_overflow(base, first, &period->first_at) ||
        __builtin_add_overflow(period->first_at, span, &period->last_at))
        r->bad = true;
    else
        period->oldest_id = period->newest_id - ids;
}

size_t order_periods_encode(const struct order_periods *p, unsigned char *out)
{
    if (p->last_order_id == 0)
        return 0;
    size_t n = 0;
    out[n++] = PERIODS_FORMAT;
    n += put_uv(out + n, (uint64_t)p->last_order_id);
    n += put_uv(out + n, p->n);
    out[n++] = p->folded.orders > 0;
    if (p->folded.orders > 0) {
        n += put_sv(out + n, p->folded_until);
        n += put_period(out + n, &p->folded, 0);
    }
    int64_t key = 0;
    for (size_t i = 0; i < p->n; i++) {
        n += put_sv(out + n, p->periods[i].key - key);
        key = p->periods[i].key;
        n += put_period(out + n, &p->periods[i], period_start(key));
    }
    return n;
}

bool order_periods_stored_as(const struct order_periods *p, const void *blob, size_t size)
{
    unsigned char mine[ORDER_PERIODS_BLOB_MAX];
    if (order_periods_encode(p, mine) != size)
        return false;
    const unsigned char *theirs = blob;
    for (size_t i = 0; i < size; i++)
        if (mine[i] != theirs[i])
            return false;
    return true;
}

bool order_periods_decode(const void *blob, size_t size, struct order_periods *out)
{
    memset(out, 0, sizeof *out);
    if (size == 0)
        return true;
    struct reader r = {blob, (const unsigned char *)blob + size, false};
    if (*r.at++ != PERIODS_FORMAT)
        return false;
    out->last_order_id = (int64_t)get_uv(&r);
    uint64_t n = get_uv(&r);
    if (r.bad || n > ORDER_PERIODS_MAX || r.at == r.end || *r.at > 1)
        return false;
    out->n = (size_t)n;
    if (*r.at++) {
        out->folded_until = get_sv(&r);
        get_period(&r, &out->folded, 0);
    }
    int64_t key = 0;
    for (size_t i = 0; i < out->n && !r.bad; i++) {
        int64_t step = get_sv(&r);
        if ((i > 0 && step <= 0) || step > 2 * PERIOD_KEY_MAX || step < -2 * PERIOD_KEY_MAX)
            r.bad = true;
        key += r.bad ? 0 : step;
        out->periods[i].key = key;
        if (key > PERIOD_KEY_MAX || key < -PERIOD_KEY_MAX)
            r.bad = true;
        else
            get_period(&r, &out->periods[i], period_start(key));
    }
    /* The summary holds what comes before every kept period, and only that. */
    if (out->folded.orders > 0 && out->n > 0 && out->periods[0].key < out->folded_until)
        r.bad = true;
    if (r.bad || r.at != r.end || out->last_order_id <= 0) {
        memset(out, 0, sizeof *out);
        return false;
    }
    return true;
}
