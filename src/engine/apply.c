/*
 * The apply loop: each call to engine_apply is one transaction. Each event is checked against
 * its idempotency record first, then dispatched to its handler; its parsing runs ahead on a
 * second thread (engine/parse_ahead.h). A failing event of an each-on-its-own batch is undone
 * alone (see apply_pass for how, without a savepoint per event).
 */
#include "engine/engine_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/parse_ahead.h"
#include "util/jsonread.h"
#include "util/jsonwrite.h"

static enum fid_status dispatch(struct apply_context *ctx, struct fid_error *err)
{
    switch (ctx->event->type) {
    case EVENT_ORDER:
        return apply_order(ctx, err);
    case EVENT_REFUND:
        return apply_refund(ctx, err);
    case EVENT_ENROL:
        return apply_enrol(ctx, err);
    case EVENT_REDEEM:
        return apply_redeem(ctx, err);
    case EVENT_VOUCHER_USE:
        return apply_voucher_use(ctx, err);
    case EVENT_VIP_PAYMENT:
        return apply_vip_payment(ctx, err);
    case EVENT_ADJUSTMENT:
        return apply_adjustment(ctx, err);
    case EVENT_SURVEY_ANSWER:
        return apply_survey_answer(ctx, err);
    case EVENT_VIP_REFUND:
        return apply_vip_refund(ctx, err);
    }
    return fid_fail(err, FID_ERR_INTERNAL, "/type", "unhandled event type");
}

/* Writes the stored result of an event applied before, with status "replayed". */
static enum fid_status write_replayed(struct results_writer *out, const char *stored,
                                      struct fid_error *err)
{
    json_error_t jerr;
    json_t *result = json_loads(stored, 0, &jerr);
    if (result == NULL)
        return fid_fail(err, FID_ERR_INTERNAL, "", "stored result is not JSON");
    json_object_set_new(result, "status", json_string("replayed"));
    result_begin(out);
    jsonw_value(&out->text, result);
    result_end(out, ENGINE_REPLAYED);
    json_decref(result);
    return FID_OK;
}

/* Applies event i of the batch and writes its result onto out (a failed event writes nothing
 * that stays: the caller cuts out back to where it was). */
/* An event dated ahead of the clock would run the member's scheduled work up to its date
 * (confirming points still pending, expiring others early): a till's clock may be a little fast,
 * a date in the future is a mistake. */
static enum fid_status not_ahead_of_the_clock(const struct engine *e, const struct event *ev,
                                              int64_t now, struct fid_error *err)
{
    if (ev->at <= now + EVENT_AHEAD_MAX_SECONDS)
        return FID_OK;
    char at[FID_TIME_LOCAL_MAX], clock[FID_TIME_LOCAL_MAX];
    fid_time_format_local(ev->at, e->tz, at);
    fid_time_format_local(now, e->tz, clock);
    return fid_fail(err, FID_ERR_INPUT, "/at",
                    "%s is ahead of the clock (%s): an event may be dated at most %d minutes "
                    "ahead",
                    at, clock, EVENT_AHEAD_MAX_SECONDS / 60);
}

static enum fid_status apply_one(struct engine *e, struct parse_ahead *ahead, size_t i, int64_t now,
                                 struct results_writer *out, struct fid_error *err)
{
    struct event *ev = NULL;
    char *previous = NULL;
    enum fid_status st = parse_ahead_take(ahead, i, &ev, err);
    if (st != FID_OK)
        return st;
    char digest[FID_DIGEST_HEX];
    st = event_record_find(&e->store, ev->key, digest, &previous, err);
    if (st == FID_OK) {
        if (strcmp(digest, ev->digest) != 0)
            st = fid_fail(err, FID_ERR_CONFLICT, "/key",
                          "idempotency key \"%.100s\" was already used for a different event",
                          ev->key);
        else
            st = write_replayed(out, previous, err);
        goto done;
    }
    if (st != FID_ERR_NOT_FOUND)
        goto done;
    fid_error_clear(err);
    if ((st = not_ahead_of_the_clock(e, ev, now, err)) != FID_OK)
        goto done;
    e->apply_now = now;
    /* With --seed, the codes an event draws depend on the seed and its key only: a batch draws
     * the same codes as the events posted one by one, in one process or many. */
    fid_rng_rekey(e->rng, ev->key, strlen(ev->key));
    result_begin(out);
    struct jsonw *res = &out->text;
    size_t start = res->len;
    jsonw_text(res, "{\"key\":");
    jsonw_cstring(res, ev->key);
    jsonw_text(res, ",\"type\":");
    jsonw_cstring(res, event_type_name(ev->type));
    jsonw_text(res, ",\"status\":\"applied\",\"at\":\"");
    char at[FID_TIME_ISO_MAX];
    fid_time_format(ev->at, at);
    jsonw_text(res, at);
    jsonw_text(res, "\"");
    struct apply_context ctx = {.engine = e, .event = ev, .result = res};
    st = dispatch(&ctx, err);
    if (st == FID_OK) /* nothing of an event stays in memory only (store/stamp_store.c) */
        st = store_flush_stamps(&e->store, err);
    if (st == FID_OK) {
        jsonw_text(res, "}");
        st = event_record_insert(&e->store, ev, now, res->data + start, res->len - start, err);
    }
    if (st == FID_OK)
        result_end(out, ENGINE_APPLIED);
done:
    free(previous);
    event_free(ev);
    return st;
}

void engine_result_error_write(struct jsonw *w, const char *key, const struct fid_error *err)
{
    jsonw_text(w, "{\"key\":");
    if (key)
        jsonw_cstring(w, key);
    else
        jsonw_text(w, "null");
    jsonw_text(w, ",\"status\":\"error\",\"error\":{\"type\":");
    jsonw_cstring(w, fid_status_name(err->status));
    jsonw_text(w, ",\"field\":");
    jsonw_cstring(w, err->field);
    jsonw_text(w, ",\"message\":");
    jsonw_cstring(w, err->message);
    jsonw_text(w, "}}");
}

static void write_error(struct results_writer *out, const char *key, const struct fid_error *err)
{
    result_begin(out);
    engine_result_error_write(&out->text, key, err);
    result_end(out, ENGINE_FAILED);
}

/* One pass over a batch inside the open transaction, appending a result per event to out. With
 * savepoints, each event of ENGINE_EACH_ON_ITS_OWN runs in its own and a failing one is rolled
 * back alone. Without, the pass is optimistic: a failing event that wrote nothing (most fail
 * their checks before any write) is reported as usual, but one that had written sets *retry and
 * ends the pass, and the caller runs the batch again with savepoints. A savepoint per event costs
 * about a twentieth of a purchase: SQLite keeps a copy of every page the event first changes. */
static enum fid_status apply_pass(struct engine *e, const struct engine_batch *batch, int64_t now,
                                  enum engine_mode mode, bool savepoints,
                                  struct results_writer *out, bool *retry, struct fid_error *err)
{
    enum fid_status st = FID_OK;
    bool each = mode != ENGINE_ALL_OR_NOTHING;
    *retry = false;
    struct parse_ahead *ahead = batch->text ? parse_ahead_start_text(batch->text, batch->len, now)
                                            : parse_ahead_start(batch->events, batch->parsed, now);
    size_t i;
    for (i = 0; parse_ahead_has(ahead, i); i++) {
        struct fid_error event_err;
        fid_error_clear(&event_err);
        if (each && savepoints && (st = store_savepoint(&e->store, err)) != FID_OK)
            break;
        int64_t changes = store_total_changes(&e->store);
        size_t text_len = out->text.len;
        enum fid_status est = apply_one(e, ahead, i, now, out, &event_err);
        if (est == FID_OK) {
            if (each && savepoints)
                store_savepoint_release(&e->store);
            continue;
        }
        out->text.len = text_len; /* the failed event's partial result */
        if (!each || est == FID_ERR_DB || est == FID_ERR_INTERNAL) {
            char prefix[32];
            snprintf(prefix, sizeof prefix, "/%zu", i);
            *err = event_err;
            fid_error_prefix_field(err, prefix);
            st = est;
            break;
        }
        if (savepoints)
            store_savepoint_rollback(&e->store);
        else if (store_total_changes(&e->store) != changes) {
            *retry = true;
            break;
        }
        /* The failed event may have drawn row ids (due work runs before most checks): count
         * them again, so that a batch numbers rows exactly as one event per call does. */
        store_forget(&e->store);
        write_error(out, parse_ahead_key(ahead, i), &event_err);
    }
    /* A text that turns out malformed fails the whole batch, whatever was applied of it. */
    if (st == FID_OK && !*retry && !parse_ahead_has(ahead, i))
        st = parse_ahead_failure(ahead, err);
    parse_ahead_end(ahead);
    return st;
}

enum fid_status engine_apply_batch(struct engine *e, const struct engine_batch *batch, int64_t now,
                                   enum engine_mode mode, struct engine_results *results,
                                   struct fid_error *err)
{
    engine_results_free(results);
    enum fid_status st = FID_OK;
    if (batch->text == NULL && (st = jsonr_expect_array(batch->events, "", err)) != FID_OK)
        return st;
    struct results_writer out;
    results_writer_init(&out);
    bool retry = false;
    for (int pass = 0; pass < 2; pass++) {
        if ((st = store_begin(&e->store, err)) != FID_OK)
            goto fail;
        if (pass > 0)
            results_writer_reset(&out);
        st = apply_pass(e, batch, now, mode, pass == 1, &out, &retry, err);
        if (st == FID_OK && !retry)
            break;
        store_rollback(&e->store);
        if (st != FID_OK)
            goto fail;
    }
    if (mode == ENGINE_EACH_ON_TRIAL) {
        store_rollback(&e->store);
    } else if ((st = store_commit(&e->store, err)) != FID_OK) {
        store_rollback(&e->store);
        goto fail;
    }
    results_writer_finish(&out, results);
    return FID_OK;
fail:
    results_writer_free(&out);
    return st;
}

/* The batch applied, its results as a tree. */
static enum fid_status apply_as_tree(struct engine *e, const struct engine_batch *batch,
                                     int64_t now, enum engine_mode mode, json_t **results,
                                     struct fid_error *err)
{
    struct engine_results out = {0};
    enum fid_status st = engine_apply_batch(e, batch, now, mode, &out, err);
    *results = st == FID_OK ? engine_results_json(&out) : NULL;
    engine_results_free(&out);
    return st;
}

enum fid_status engine_apply(struct engine *e, const json_t *events, int64_t now,
                             enum engine_mode mode, json_t **results, struct fid_error *err)
{
    struct engine_batch batch = {.events = events};
    return apply_as_tree(e, &batch, now, mode, results, err);
}

enum fid_status engine_apply_text(struct engine *e, const char *text, size_t len, int64_t now,
                                  enum engine_mode mode, json_t **results, struct fid_error *err)
{
    struct engine_batch batch = {.text = text, .len = len};
    return apply_as_tree(e, &batch, now, mode, results, err);
}
