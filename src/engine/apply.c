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
    }
    return fid_fail(err, FID_ERR_INTERNAL, "/type", "unhandled event type");
}

/* Applies event i of the batch; *result is set (new reference) on success. */
static enum fid_status apply_one(struct engine *e, struct parse_ahead *ahead, size_t i, int64_t now,
                                 json_t **result, struct fid_error *err)
{
    struct event *ev = NULL;
    char *previous = NULL;
    enum fid_status st = parse_ahead_take(ahead, i, &ev, err);
    if (st != FID_OK)
        return st;
    char digest[FID_DIGEST_HEX];
    st = event_record_find(&e->store, ev->key, digest, &previous, err);
    if (st == FID_OK) {
        if (strcmp(digest, ev->digest) != 0) {
            st = fid_fail(err, FID_ERR_CONFLICT, "/key",
                          "idempotency key \"%.100s\" was already used for a different event",
                          ev->key);
        } else {
            json_error_t jerr;
            *result = json_loads(previous, 0, &jerr);
            st =
                *result ? FID_OK : fid_fail(err, FID_ERR_INTERNAL, "", "stored result is not JSON");
            if (*result)
                json_object_set_new(*result, "status", json_string("replayed"));
        }
        goto done;
    }
    if (st != FID_ERR_NOT_FOUND)
        goto done;
    fid_error_clear(err);
    /* With --seed, the codes an event draws depend on the seed and its key only: a batch draws
     * the same codes as the events posted one by one, in one process or many. */
    fid_rng_rekey(e->rng, ev->key, strlen(ev->key));
    json_t *res = json_pack("{s:s, s:s, s:s}", "key", ev->key, "type", event_type_name(ev->type),
                            "status", "applied");
    char at[FID_TIME_ISO_MAX];
    fid_time_format(ev->at, at);
    json_object_set_new(res, "at", json_string(at));
    struct apply_context ctx = {.engine = e, .event = ev, .result = res};
    st = dispatch(&ctx, err);
    if (st == FID_OK) /* nothing of an event stays in memory only (store/stamp_store.c) */
        st = store_flush_stamps(&e->store, err);
    if (st == FID_OK) {
        char *text = jsonw_dump(res);
        st = event_record_insert(&e->store, ev, now, text, err);
        free(text);
    }
    if (st == FID_OK)
        *result = res;
    else
        json_decref(res);
done:
    free(previous);
    event_free(ev);
    return st;
}

static json_t *error_json(const char *key, const struct fid_error *err)
{
    return json_pack("{s:s?, s:s, s:{s:s, s:s, s:s}}", "key", key, "status", "error", "error",
                     "type", fid_status_name(err->status), "field", err->field, "message",
                     err->message);
}

/* A batch as the caller gave it: a JSON array, or the text of one. */
struct batch {
    const json_t *events;
    const char *text;
    size_t len;
};

/* One pass over a batch inside the open transaction, appending a result per event to out. With
 * savepoints, each event of ENGINE_EACH_ON_ITS_OWN runs in its own and a failing one is rolled
 * back alone. Without, the pass is optimistic: a failing event that wrote nothing (most fail
 * their checks before any write) is reported as usual, but one that had written sets *retry and
 * ends the pass, and the caller runs the batch again with savepoints. A savepoint per event costs
 * about a twentieth of a purchase: SQLite keeps a copy of every page the event first changes. */
static enum fid_status apply_pass(struct engine *e, const struct batch *batch, int64_t now,
                                  enum engine_mode mode, bool savepoints, json_t *out, bool *retry,
                                  struct fid_error *err)
{
    enum fid_status st = FID_OK;
    bool each = mode == ENGINE_EACH_ON_ITS_OWN;
    *retry = false;
    struct parse_ahead *ahead = batch->text ? parse_ahead_start_text(batch->text, batch->len, now)
                                            : parse_ahead_start(batch->events, now);
    size_t i;
    for (i = 0; parse_ahead_has(ahead, i); i++) {
        json_t *result = NULL;
        struct fid_error event_err;
        fid_error_clear(&event_err);
        if (each && savepoints && (st = db_savepoint(e->db, err)) != FID_OK)
            break;
        int64_t changes = db_total_changes(e->db);
        enum fid_status est = apply_one(e, ahead, i, now, &result, &event_err);
        if (est == FID_OK) {
            json_array_append_new(out, result);
            if (each && savepoints)
                db_savepoint_release(e->db);
            continue;
        }
        if (!each || est == FID_ERR_DB || est == FID_ERR_INTERNAL) {
            char prefix[32];
            snprintf(prefix, sizeof prefix, "/%zu", i);
            *err = event_err;
            fid_error_prefix_field(err, prefix);
            st = est;
            break;
        }
        if (savepoints)
            db_savepoint_rollback(e->db);
        else if (db_total_changes(e->db) != changes) {
            *retry = true;
            break;
        }
        /* The failed event may have drawn row ids (due work runs before most checks): count
         * them again, so that a batch numbers rows exactly as one event per call does. */
        store_forget(&e->store);
        json_array_append_new(out, error_json(parse_ahead_key(ahead, i), &event_err));
    }
    /* A text that turns out malformed fails the whole batch, whatever was applied of it. */
    if (st == FID_OK && !*retry && !parse_ahead_has(ahead, i))
        st = parse_ahead_failure(ahead, err);
    parse_ahead_end(ahead);
    return st;
}

static enum fid_status apply_batch(struct engine *e, const struct batch *batch, int64_t now,
                                   enum engine_mode mode, json_t **results, struct fid_error *err)
{
    *results = NULL;
    json_t *out = NULL;
    bool retry = false;
    enum fid_status st = FID_OK;
    for (int pass = 0; pass < 2; pass++) {
        if ((st = store_begin(&e->store, err)) != FID_OK)
            return st;
        out = json_array();
        st = apply_pass(e, batch, now, mode, pass == 1, out, &retry, err);
        if (st == FID_OK && !retry)
            break;
        store_rollback(&e->store);
        json_decref(out);
        out = NULL;
        if (st != FID_OK)
            return st;
    }
    if ((st = store_commit(&e->store, err)) != FID_OK) {
        store_rollback(&e->store);
        json_decref(out);
        return st;
    }
    *results = out;
    return FID_OK;
}

enum fid_status engine_apply(struct engine *e, const json_t *events, int64_t now,
                             enum engine_mode mode, json_t **results, struct fid_error *err)
{
    *results = NULL;
    enum fid_status st = jsonr_expect_array(events, "", err);
    if (st != FID_OK)
        return st;
    struct batch batch = {.events = events};
    return apply_batch(e, &batch, now, mode, results, err);
}

enum fid_status engine_apply_text(struct engine *e, const char *text, size_t len, int64_t now,
                                  enum engine_mode mode, json_t **results, struct fid_error *err)
{
    struct batch batch = {.text = text, .len = len};
    return apply_batch(e, &batch, now, mode, results, err);
}
