/*
 * Where finished orders go: the columnar history in runs of IMPORT_DRAFTS, or the engine in
 * batches of IMPORT_BATCH events; the history commits before the engine writes, since both use
 * the one connection.
 */
#include <string.h>

#include "cli/import.h"
#include "util/codes.h"

enum fid_status import_apply_batch(struct import *im)
{
    if (json_array_size(im->batch) == 0)
        return FID_OK;
    json_t *results = NULL;
    if (im->dry_run) {
        /* Validate every event as the engine would, without writing. */
        size_t i;
        json_t *ev;
        json_array_foreach(im->batch, i, ev)
        {
            struct event *parsed = NULL;
            struct fid_error e;
            if (event_parse(ev, 0, &parsed, &e) == FID_OK) {
                im->orders_applied++;
            } else {
                im->orders_failed++;
                import_report_bad(im,
                                  (size_t)json_integer_value(json_array_get(im->batch_lines, i)),
                                  -1, e.message);
            }
            event_free(parsed);
        }
    } else {
        /* The engine writes in its own transactions: what the columnar path holds goes first. */
        enum fid_status st = FID_OK;
        if (im->history && (st = history_import_flush(im->history, &im->err)) != FID_OK)
            return st;
        st = engine_apply(im->engine, im->batch, im->cli->now, ENGINE_EACH_ON_ITS_OWN, &results,
                          &im->err);
        if (st != FID_OK)
            return st;
        size_t i;
        json_t *r;
        json_array_foreach(results, i, r)
        {
            const char *status = json_string_value(json_object_get(r, "status"));
            if (strcmp(status, "applied") == 0) {
                im->orders_applied++;
                if (im->history)
                    history_import_remember(
                        im->history, json_string_value(json_object_get(json_array_get(im->batch, i),
                                                                       "order_id")));
            } else if (strcmp(status, "replayed") == 0) {
                im->orders_replayed++;
            } else {
                im->orders_failed++;
                json_t *e = json_object_get(r, "error");
                char reason[FID_ERROR_MESSAGE_MAX + FID_ERROR_FIELD_MAX + 4];
                snprintf(reason, sizeof reason, "%s: %s",
                         json_string_value(json_object_get(e, "field")),
                         json_string_value(json_object_get(e, "message")));
                import_report_bad(
                    im, (size_t)json_integer_value(json_array_get(im->batch_lines, i)), -1, reason);
            }
        }
        json_decref(results);
    }
    json_array_clear(im->batch);
    json_array_clear(im->batch_lines);
    return FID_OK;
}

static void queue_event(struct import *im, json_t *event, size_t line)
{
    json_array_append(im->batch, event);
    json_array_append_new(im->batch_lines, json_integer((json_int_t)line));
    if (json_array_size(im->batch) >= IMPORT_BATCH && im->status == FID_OK)
        im->status = import_apply_batch(im);
}

/* The idempotency key of an imported order: its id, or a digest of an id too long to fit. */
void import_key(const char *order_id, char key[EVENT_KEY_MAX])
{
    size_t len = strlen(order_id);
    if (len + sizeof "import:" <= EVENT_KEY_MAX) {
        snprintf(key, EVENT_KEY_MAX, "import:%s", order_id);
    } else {
        char digest[FID_DIGEST_HEX];
        fid_digest_hex(order_id, len, digest);
        snprintf(key, EVENT_KEY_MAX, "import:#%s", digest);
    }
}

/* A columnar draft as the engine's order event: for members, whose orders the engine keeps. */
static json_t *draft_event(const struct history_order *o)
{
    char at_text[FID_TIME_ISO_MAX], key[EVENT_KEY_MAX];
    fid_time_format(o->at, at_text);
    import_key(o->order, key);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:i, s:I}], s:b}", "type", "order", "key",
                     key, "customer", o->customer, "order_id", o->order, "at", at_text, "lines",
                     "sku", "IMPORT", "quantity", 1, "unit_price_minor", (json_int_t)o->paid_minor,
                     "history", true);
}

void import_record_drafts(struct import *im)
{
    size_t n = im->n_drafts;
    im->n_drafts = 0;
    if (n == 0 || im->status != FID_OK)
        return;
    enum fid_status st = history_import_add(im->history, im->drafts, n, &im->err);
    if (st != FID_OK) {
        im->status = st;
        return;
    }
    for (size_t i = 0; i < n && im->status == FID_OK; i++) {
        const struct history_order *o = &im->drafts[i];
        if (o->outcome == HISTORY_RECORDED) {
            im->orders_applied++;
        } else if (o->outcome == HISTORY_KNOWN) {
            im->orders_replayed++;
        } else {
            json_t *event = draft_event(o);
            queue_event(im, event, o->line);
            json_decref(event);
        }
    }
}

static void close_draft(struct import *im)
{
    if (!im->draft_open)
        return;
    im->draft_open = false;
    if (im->order_bad) {
        im->order_bad = false;
        return;
    }
    if (++im->n_drafts == IMPORT_DRAFTS)
        import_record_drafts(im);
}

void import_close_order(struct import *im)
{
    if (im->columnar) {
        close_draft(im);
        return;
    }
    if (im->order == NULL)
        return;
    if (!im->order_bad && im->history && history_import_known(im->history, im->order_id)) {
        im->orders_replayed++;
    } else if (!im->order_bad) {
        queue_event(im, im->order, im->order_line);
    }
    json_decref(im->order);
    im->order = NULL;
    im->order_bad = false;
}
