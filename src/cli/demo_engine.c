/*
 * The demo's side of the engine: the day loop that hands the queue's items to demo_events.c,
 * sends the events in all-or-nothing batches, and learns from each result what only the engine
 * knows (balances, vouchers and their codes, tier upgrades); run-due at month starts and the end.
 */
#include <stdio.h>
#include <string.h>

#include "cli/demo.h"
#include "store/store.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

/* How many of each reward's vouchers their owners get round to using, in percent. */
static const int REWARD_USE_PCT[N_REWARDS] = {90, 85, 88, 100};

/* ---- talking to the engine ----------------------------------------------------------------- */

static void add_voucher(struct demo *d, int ci, enum demo_reward reward, const char *code,
                        int64_t issued_at, int64_t valid_until)
{
    if (d->n_vouchers == d->cap_vouchers) {
        d->cap_vouchers = d->cap_vouchers ? d->cap_vouchers * 2 : 256;
        d->vouchers = xrealloc(d->vouchers, d->cap_vouchers * sizeof *d->vouchers);
    }
    int vi = (int)d->n_vouchers++;
    struct demo_voucher *v = &d->vouchers[vi];
    memset(v, 0, sizeof *v);
    snprintf(v->code, sizeof v->code, "%s", code);
    v->customer = ci;
    v->reward = reward;
    v->issued_at = issued_at;
    v->valid_until = valid_until;
    v->will_use = demo_chance(d, REWARD_USE_PCT[reward]);
    int64_t life = valid_until - issued_at;
    /* Most are used at the next visit; the others some weeks later, some of them too late. */
    v->use_after =
        issued_at + (demo_chance(d, 60) ? 0 : (int64_t)demo_below(d, (int)(life / DAY)) * DAY);
    v->next = d->customers[ci].first_voucher;
    d->customers[ci].first_voucher = vi;
    if (reward == LATTE_ART && v->will_use) { /* the workshop: a late afternoon in a few weeks */
        int day = demo_day_of(d, issued_at) + 7 + demo_below(d, 28);
        if (day <= d->day) /* the batch that issued it may have spanned some days */
            day = d->day + 1;
        if (day < d->n_days) {
            int64_t at = demo_local_time(d, day, 16 * 60 + 30);
            if (at > issued_at && at < valid_until)
                demo_push(d, (struct item){
                                 .at = at, .kind = ITEM_WORKSHOP, .customer = ci, .voucher = vi});
        }
    }
}

/* Takes in what one event's result says about its customer. */
static enum fid_status learn(struct demo *d, const json_t *result, struct fid_error *err)
{
    int ci = demo_customer_index(d, json_string_value(json_object_get(result, "customer")));
    if (ci < 0)
        return FID_OK;
    struct demo_customer *c = &d->customers[ci];
    const json_t *balance = json_object_get(result, "balance");
    if (balance)
        c->known_points = json_integer_value(json_object_get(balance, "available"));
    const char *tier =
        json_string_value(json_object_get(json_object_get(result, "tier_upgrade"), "tier"));
    if (tier && strcmp(tier, "family") == 0)
        c->family = true;
    size_t i;
    const json_t *v;
    json_array_foreach(json_object_get(result, "vouchers"), i, v)
    {
        const char *reward = json_string_value(json_object_get(v, "reward"));
        const char *code = json_string_value(json_object_get(v, "code"));
        int r = -1;
        for (int k = 0; reward && k < N_REWARDS; k++)
            if (strcmp(reward, DEMO_REWARD_IDS[k]) == 0)
                r = k;
        int64_t issued = 0, until = 0;
        enum fid_status st;
        if (r < 0 || code == NULL)
            return fid_fail(err, FID_ERR_INTERNAL, "vouchers", "unexpected voucher in a result");
        if ((st = fid_time_parse(json_string_value(json_object_get(result, "at")), NULL, &issued,
                                 "at", err)) != FID_OK ||
            (st = fid_time_parse(json_string_value(json_object_get(v, "valid_until")), NULL, &until,
                                 "valid_until", err)) != FID_OK)
            return st;
        add_voucher(d, ci, (enum demo_reward)r, code, issued, until);
    }
    return FID_OK;
}

static enum fid_status flush(struct demo *d, struct fid_error *err)
{
    size_t n = json_array_size(d->batch);
    if (n == 0)
        return FID_OK;
    json_t *results = NULL;
    struct fid_error apply_err;
    fid_error_clear(&apply_err);
    enum fid_status st =
        engine_apply(d->engine, d->batch, d->batch_at, ENGINE_ALL_OR_NOTHING, &results, &apply_err);
    json_decref(d->batch);
    d->batch = json_array();
    if (st != FID_OK)
        return fid_fail(err, FID_ERR_INTERNAL, apply_err.field,
                        "the engine refused a generated event (%s): %s",
                        fid_status_name(apply_err.status), apply_err.message);
    d->events += (int64_t)n;
    d->batches++;
    for (int i = 0; i < d->n_customers; i++)
        d->customers[i].reserved = 0; /* applied: the results hold the balances after them */
    size_t i;
    const json_t *r;
    json_array_foreach(results, i, r)
    {
        if ((st = learn(d, r, err)) != FID_OK)
            break;
    }
    json_decref(results);
    return st;
}

static enum fid_status run_due(struct demo *d, int64_t t, struct fid_error *err)
{
    json_t *summary = NULL;
    enum fid_status st = engine_run_due(d->engine, t, &summary, err);
    json_decref(summary);
    d->due_runs++;
    return st;
}

/* Gathers the planner's statistics. Without them SQLite reads every lot of the merchant to find
 * one member's open lots, and verify's lot checks go quadratic. Statistics of a near-empty file
 * mislead it just as much: a full month of data gives the right plans, and the final statistics
 * stay in the file for later commands. */
static enum fid_status analyze(struct demo *d, struct fid_error *err)
{
    return db_exec(engine_store(d->engine)->db, "ANALYZE", err);
}

enum fid_status demo_simulate(struct demo *d, struct fid_error *err)
{
    enum fid_status st = FID_OK;
    bool analyzed = false;
    for (int di = 0; di < d->n_days && st == FID_OK; di++) {
        d->day = di;
        d->tickets_today = 0;
        if (di > 0 && d->days[di].day == 1 &&
            (st = flush(d, err)) == FID_OK) /* a new month: its due work first */
            st = run_due(d, d->days[di].start, err);
        if (st == FID_OK && di >= 28 && d->days[di].day == 1 && !analyzed) {
            st = analyze(d, err);
            analyzed = true;
        }
        demo_schedule_day(d, di);
        while (st == FID_OK && d->n_heap > 0 && d->heap[0].at < d->days[di].end) {
            struct item it = demo_pop(d);
            demo_handle(d, &it);
            if (json_array_size(d->batch) >= DEMO_BATCH)
                st = flush(d, err);
        }
    }
    if (st == FID_OK)
        st = flush(d, err);
    if (st == FID_OK)
        st = run_due(d, d->now, err);
    if (st == FID_OK)
        st = analyze(d, err);
    return st;
}
