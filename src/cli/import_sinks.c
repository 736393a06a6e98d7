/*
 * Where finished orders go: the columnar history in runs of IMPORT_DRAFTS, or the engine in
 * batches of IMPORT_BATCH events; the history commits before the engine writes, since both use
 * the one connection. Commits leave the log's sync to the syncer: an engine batch's is waited for
 * after the next batch applied, and the import reports only once everything is synced.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cli/import.h"
#include "util/codes.h"
#include "util/money.h"
#include "util/thread_name.h"

enum fid_status import_apply_batch(struct import *im)
{
    if (json_array_size(im->batch) == 0)
        return FID_OK;
    /* The engine writes in its own transactions: what the columnar path holds goes first. A dry
     * run has the engine apply the batch and roll it back, which tells what would happen. */
    json_t *results = NULL;
    enum fid_status st = history_import_flush(im->history, &im->err);
    if (st != FID_OK)
        return st;
    st = engine_apply(im->engine, im->batch, im->cli->now,
                      im->dry_run ? ENGINE_EACH_ON_TRIAL : ENGINE_EACH_ON_ITS_OWN, &results,
                      &im->err);
    if (st == FID_OK && !im->dry_run) {
        /* this batch's log syncs while the next one is read and applied */
        uint64_t ticket = log_syncer_ask(im->syncer);
        st = im->behind ? log_syncer_wait(im->syncer, im->behind, &im->err) : FID_OK;
        im->behind = ticket;
        if (st != FID_OK) {
            json_decref(results);
            return st;
        }
    }
    if (st != FID_OK) { /* the batch is not applied (the database is busy...): its lines */
        if (im->err.field[0] == '\0')
            snprintf(im->err.field, sizeof im->err.field, "lines %lld to %lld",
                     (long long)json_integer_value(json_array_get(im->batch_lines, 0)),
                     (long long)json_integer_value(
                         json_array_get(im->batch_lines, json_array_size(im->batch_lines) - 1)));
        return st;
    }
    size_t i;
    json_t *r;
    bool order_failed = false; /* the order event before, which a refund follows */
    json_array_foreach(results, i, r)
    {
        const char *status = json_string_value(json_object_get(r, "status"));
        const char *type = json_string_value(json_object_get(json_array_get(im->batch, i), "type"));
        if (strcmp(type, "refund") == 0) {
            /* its order's failure was reported; a refund of its own is unlikely: it was checked */
            if (strcmp(status, "error") == 0 && !order_failed) {
                json_t *e = json_object_get(r, "error");
                char reason[FID_ERROR_MESSAGE_MAX + FID_ERROR_FIELD_MAX + 16];
                snprintf(reason, sizeof reason, "its refund: %s: %s",
                         json_string_value(json_object_get(e, "field")),
                         json_string_value(json_object_get(e, "message")));
                import_report_bad(
                    im, (size_t)json_integer_value(json_array_get(im->batch_lines, i)), -1, reason);
            }
            continue;
        }
        order_failed = strcmp(status, "error") == 0;
        json_t *contact = json_array_get(im->batch_contacts, i);
        if (strcmp(status, "error") != 0 && json_array_size(contact) == 2)
            history_import_keep_contact(
                im->history,
                json_string_value(json_object_get(json_array_get(im->batch, i), "customer")),
                json_string_value(json_array_get(contact, 0)),
                json_string_value(json_array_get(contact, 1)));
        if (strcmp(status, "applied") == 0) {
            im->orders_applied++;
        } else if (strcmp(status, "replayed") == 0) {
            im->orders_replayed++;
        } else {
            im->orders_failed++;
            json_t *e = json_object_get(r, "error");
            char reason[FID_ERROR_MESSAGE_MAX + FID_ERROR_FIELD_MAX + 4];
            snprintf(reason, sizeof reason, "%s: %s",
                     json_string_value(json_object_get(e, "field")),
                     json_string_value(json_object_get(e, "message")));
            import_report_bad(im, (size_t)json_integer_value(json_array_get(im->batch_lines, i)),
                              -1, reason);
        }
    }
    json_decref(results);
    json_array_clear(im->batch);
    json_array_clear(im->batch_lines);
    json_array_clear(im->batch_contacts);
    /* the e-mails and phones of the customers the engine has just created */
    return history_import_flush(im->history, &im->err);
}

/* Queues an event, with the e-mail and phone ("" for none) to keep on its customer once it is
 * applied (the engine may create the customer). */
static void queue_event(struct import *im, json_t *event, size_t line, const char *email,
                        const char *phone)
{
    json_array_append(im->batch, event);
    json_array_append_new(im->batch_lines, json_integer((json_int_t)line));
    json_array_append_new(im->batch_contacts,
                          email[0] || phone[0] ? json_pack("[s, s]", email, phone) : json_null());
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

/* Queues the refund of an order queued just before, dated at the order (exports do not say
 * when orders were refunded). */
static void queue_refund(struct import *im, const char *order_id, int64_t at, int64_t amount,
                         size_t line)
{
    char key[EVENT_KEY_MAX], at_text[FID_TIME_ISO_MAX];
    import_key(order_id, key);
    size_t len = strlen(key);
    if (len + sizeof ":refund" <= EVENT_KEY_MAX) {
        memcpy(key + len, ":refund", sizeof ":refund");
    } else { /* the key of a long id is a digest: one of the id and the word */
        char digest[FID_DIGEST_HEX], both[EVENT_KEY_MAX + 8];
        snprintf(both, sizeof both, "%s:refund", key);
        fid_digest_hex(both, strlen(both), digest);
        snprintf(key, EVENT_KEY_MAX, "import:#%s", digest);
    }
    fid_time_format(at, at_text);
    json_t *refund = json_pack("{s:s, s:s, s:s, s:s, s:I}", "type", "refund", "key", key, "at",
                               at_text, "order_id", order_id, "amount_minor", (json_int_t)amount);
    queue_event(im, refund, line, "", "");
    json_decref(refund);
}

/* The refund an order's status and refunded amount say (ORDER_REFUNDED_ALL: all it paid), or -1
 * when it is more than the order paid (reported, at line). */
static int64_t refund_of(struct import *im, int64_t refund, int64_t paid, size_t line)
{
    if (refund == ORDER_REFUNDED_ALL)
        return paid;
    if (refund <= paid)
        return refund;
    char refunded[FID_MONEY_TEXT_MAX], paid_text[FID_MONEY_TEXT_MAX], reason[160];
    fid_money_format(refund, im->digits, refunded);
    fid_money_format(paid, im->digits, paid_text);
    snprintf(reason, sizeof reason, "the refunded amount %s is more than the %s the order paid",
             refunded, paid_text);
    import_report_bad(im, line, F_REFUNDED, reason);
    return -1;
}

/* A columnar draft as the engine's order event: for members, whose orders the engine keeps. */
static json_t *draft_event(const struct history_order *o)
{
    char key[EVENT_KEY_MAX];
    import_key(o->order, key);
    return event_history_order(key, o->customer, o->order, o->at, o->paid_minor);
}

/* The columnar path in two threads: the reader parses the next run of orders while the worker
 * records the previous one (hashing, table look-ups, block and customer writes). The reader
 * touches the history only while the worker is idle. */
struct import_worker {
    pthread_t thread;
    pthread_mutex_t mutex;
    pthread_cond_t changed;
    struct history_import *history;
    struct history_order *job; /* the run to record; NULL when idle */
    size_t n;
    bool quit;
    enum fid_status status;
    struct fid_error err;
};

static void *worker_main(void *context)
{
    struct import_worker *w = context;
    fid_thread_name("import-writer");
    pthread_mutex_lock(&w->mutex);
    for (;;) {
        while (w->job == NULL && !w->quit)
            pthread_cond_wait(&w->changed, &w->mutex);
        if (w->job == NULL)
            break;
        struct history_order *job = w->job;
        size_t n = w->n;
        pthread_mutex_unlock(&w->mutex);
        struct fid_error err;
        fid_error_clear(&err);
        enum fid_status st = history_import_add(w->history, job, n, &err);
        pthread_mutex_lock(&w->mutex);
        if (st != FID_OK && w->status == FID_OK) {
            w->status = st;
            w->err = err;
        }
        w->job = NULL;
        pthread_cond_broadcast(&w->changed);
    }
    pthread_mutex_unlock(&w->mutex);
    return NULL;
}

void import_worker_start(struct import *im)
{
    struct import_worker *w = calloc(1, sizeof *w);
    if (w == NULL)
        return;
    w->history = im->history;
    pthread_mutex_init(&w->mutex, NULL);
    pthread_cond_init(&w->changed, NULL);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        pthread_mutex_destroy(&w->mutex);
        pthread_cond_destroy(&w->changed);
        free(w);
        return; /* records inline */
    }
    im->worker = w;
}

void import_worker_stop(struct import *im)
{
    struct import_worker *w = im->worker;
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->mutex);
    w->quit = true;
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->mutex);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->mutex);
    pthread_cond_destroy(&w->changed);
    free(w);
    im->worker = NULL;
}

/* Counts a recorded run and sends members' orders to the engine. */
static void take_results(struct import *im, const struct history_order *run, size_t n)
{
    for (size_t i = 0; i < n && im->status == FID_OK; i++) {
        const struct history_order *o = &run[i];
        if (o->outcome == HISTORY_RECORDED) {
            im->orders_applied++;
        } else if (o->outcome == HISTORY_KNOWN) {
            im->orders_replayed++;
        } else if (o->outcome == HISTORY_REFUSED) {
            continue; /* reported and counted when it was read */
        } else if (o->outcome == HISTORY_SHARED) {
            import_report_shared(im, o->email[0] ? o->email : o->phone,
                                 o->email[0] ? F_EMAIL : F_PHONE, o->line);
            im->orders_failed++;
        } else if (o->outcome == HISTORY_APART) {
            import_report_apart(im, o->order, o->line);
            im->orders_failed++;
        } else if (o->outcome == HISTORY_TOO_LARGE) {
            char reason[128];
            snprintf(reason, sizeof reason,
                     "the customer's spend would pass %lld minor units, the most Fidele counts",
                     HISTORY_SPEND_MAX);
            import_report_bad(im, o->line, F_AMOUNT, reason);
            im->orders_failed++;
        } else {
            json_t *event = draft_event(o);
            queue_event(im, event, o->line, "", ""); /* kept by the history */
            json_decref(event);
            if (o->refunded_minor > 0)
                queue_refund(im, o->order, o->at, o->refunded_minor, o->line);
        }
    }
}

void import_drain(struct import *im)
{
    if (im->recording == NULL)
        return;
    struct import_worker *w = im->worker;
    pthread_mutex_lock(&w->mutex);
    while (w->job != NULL)
        pthread_cond_wait(&w->changed, &w->mutex);
    enum fid_status st = w->status;
    struct fid_error err = w->err;
    pthread_mutex_unlock(&w->mutex);
    const struct history_order *run = im->recording;
    size_t n = im->n_recording;
    im->recording = NULL;
    if (st != FID_OK) {
        if (im->status == FID_OK) {
            im->status = st;
            im->err = err;
        }
        return;
    }
    take_results(im, run, n);
}

void import_record_drafts(struct import *im)
{
    size_t n = im->n_drafts;
    im->n_drafts = 0;
    import_drain(im);
    if (n == 0 || im->status != FID_OK)
        return;
    if (im->worker == NULL) {
        enum fid_status st = history_import_add(im->history, im->drafts, n, &im->err);
        if (st != FID_OK)
            im->status = st;
        else
            take_results(im, im->drafts, n);
        im->contact_len[im->drafts == im->buffers[1]] = 0;
        return;
    }
    pthread_mutex_lock(&im->worker->mutex);
    im->worker->job = im->drafts;
    im->worker->n = n;
    pthread_cond_broadcast(&im->worker->changed);
    pthread_mutex_unlock(&im->worker->mutex);
    im->recording = im->drafts;
    im->n_recording = n;
    im->drafts = im->drafts == im->buffers[0] ? im->buffers[1] : im->buffers[0];
    im->contact_len[im->drafts == im->buffers[1]] = 0; /* its drafts were recorded */
}

/* Refuses an order whose rows come to less than zero: negative rows only take off their
 * order's amount. */
static void refuse_below_zero(struct import *im, int64_t total)
{
    char amount[FID_MONEY_TEXT_MAX], reason[FID_MONEY_TEXT_MAX + 128];
    fid_money_format(total, im->digits, amount);
    snprintf(reason, sizeof reason,
             "the order's rows add up to %s, less than zero (a negative row is a discount or a "
             "returned line of its order)",
             amount);
    import_report_bad(im, im->order_line, im->order_money, reason);
    im->order_bad = true;
}

static void close_draft(struct import *im)
{
    if (!im->draft_open)
        return;
    im->draft_open = false;
    struct history_order *o = &im->drafts[im->n_drafts];
    if (!im->order_bad && o->paid_minor < 0)
        refuse_below_zero(im, o->paid_minor);
    if (!im->order_bad &&
        (o->refunded_minor = refund_of(im, o->refunded_minor, o->paid_minor, o->line)) < 0)
        im->order_bad = true;
    if (im->order_bad) { /* the history notes its id */
        im->order_bad = false;
        im->orders_failed++;
        o->refused = true;
    }
    if (++im->n_drafts == IMPORT_DRAFTS)
        import_record_drafts(im);
}

void import_refused_draft(struct import *im, const char *order_id, size_t line)
{
    struct history_order *o = &im->drafts[im->n_drafts];
    o->line = line;
    o->refused = true;
    o->customer[0] = o->order[0] = '\0';
    o->email = o->phone = "";
    if (order_id && strlen(order_id) < sizeof o->order)
        memcpy(o->order, order_id, strlen(order_id) + 1);
    if (++im->n_drafts == IMPORT_DRAFTS)
        import_record_drafts(im);
}

void import_report_shared(struct import *im, const char *contact, enum field field, size_t line)
{
    char reason[EVENT_TEXT_MAX + 160];
    snprintf(reason, sizeof reason,
             "several customers have %s as their %s or id: the row needs a customer id to say "
             "which",
             contact, field == F_EMAIL ? "e-mail address" : "phone");
    import_report_bad(im, line, field, reason);
}

void import_report_apart(struct import *im, const char *order_id, size_t line)
{
    char reason[EVENT_REF_MAX + 160];
    snprintf(reason, sizeof reason,
             "order %s has rows earlier in the file, not next to this one: an order's rows must "
             "follow each other (sort the file by order id)",
             order_id);
    import_report_bad(im, line, F_ORDER_ID, reason);
}

/* An order whose rows give what was paid: an order event's lines are prices, before its
 * discount and without its shipping, so the first line takes the discount back and the shipping
 * out, and the order's paid amount is then the file's. */
static void paid_lines_to_prices(struct import *im)
{
    json_t *first = json_array_get(json_object_get(im->order, "lines"), 0);
    json_int_t unit = json_integer_value(json_object_get(first, "unit_price_minor")) +
                      json_integer_value(json_object_get(im->order, "discount_minor")) -
                      json_integer_value(json_object_get(im->order, "shipping_minor"));
    if (unit < 0) {
        import_report_bad(im, im->order_line, F_SHIPPING,
                          "the shipping is above what the order's rows say was paid");
        im->order_bad = true;
        return;
    }
    json_object_set_new(first, "unit_price_minor", json_integer(unit));
}

/* What an order event's lines come to (quantity x price, summed). */
static int64_t order_gross(const json_t *order)
{
    json_int_t gross = 0;
    size_t i;
    json_t *line;
    json_array_foreach(json_object_get(order, "lines"), i, line)
    {
        gross += json_integer_value(json_object_get(line, "quantity")) *
                 json_integer_value(json_object_get(line, "unit_price_minor"));
    }
    return gross;
}

/* The order's negative rows as a discount: refused when they take off more than its lines. */
static void negative_rows_to_discount(struct import *im)
{
    json_int_t gross = order_gross(im->order),
               discount = json_integer_value(json_object_get(im->order, "discount_minor")),
               shipping = json_integer_value(json_object_get(im->order, "shipping_minor"));
    /* amounts of rows: the first line was made to take the discount back and the shipping out */
    int64_t total = gross - discount + shipping - im->order_negative_minor;
    if (total < 0) {
        refuse_below_zero(im, total);
        return;
    }
    if (discount + im->order_negative_minor > gross) {
        import_report_bad(im, im->order_line, im->order_money,
                          im->order_paid_lines
                              ? "the shipping is above what the order's rows say was paid"
                              : "the order's negative rows and discount take off more than its "
                                "lines");
        im->order_bad = true;
        return;
    }
    json_object_set_new(im->order, "discount_minor",
                        json_integer(discount + im->order_negative_minor));
}

/* An order of priced lines whose file gives its total too: recorded as paying the total, the
 * tax on top of the prices when that is what makes it (prices before tax); refused when nothing
 * does, rather than recorded as paying another amount. */
static void settle_total(struct import *im)
{
    json_int_t gross = order_gross(im->order);
    json_int_t discount = json_integer_value(json_object_get(im->order, "discount_minor")),
               shipping = json_integer_value(json_object_get(im->order, "shipping_minor")),
               tax = json_integer_value(json_object_get(im->order, "tax_minor"));
    int64_t made = gross - discount + shipping;
    if (im->order_total_minor == made)
        return;
    if (tax > 0 && im->order_total_minor == made + tax) {
        json_object_set_new(im->order, "tax_included", json_false());
        return;
    }
    char total[FID_MONEY_TEXT_MAX], lines_text[FID_MONEY_TEXT_MAX], paid[FID_MONEY_TEXT_MAX],
        with_tax[FID_MONEY_TEXT_MAX], reason[4 * FID_MONEY_TEXT_MAX + 200];
    fid_money_format(im->order_total_minor, im->digits, total);
    fid_money_format(gross, im->digits, lines_text);
    fid_money_format(made, im->digits, paid);
    fid_money_format(made + tax, im->digits, with_tax);
    snprintf(reason, sizeof reason,
             "the order's total %s is not what its lines (%s) less the discount plus the "
             "shipping make, %s, nor that with its tax on top, %s (--map amount= leaves the "
             "total out)",
             total, lines_text, paid, with_tax);
    import_report_bad(im, im->order_line, F_AMOUNT, reason);
    im->order_bad = true;
}

/* What an order event pays, as the engine counts it (event_order_paid). */
static int64_t order_paid(const json_t *order)
{
    json_int_t paid = order_gross(order) +
                      json_integer_value(json_object_get(order, "shipping_minor")) -
                      json_integer_value(json_object_get(order, "discount_minor"));
    if (json_is_false(json_object_get(order, "tax_included")))
        paid += json_integer_value(json_object_get(order, "tax_minor"));
    return paid;
}

void import_close_order(struct import *im)
{
    if (im->columnar) {
        close_draft(im);
        return;
    }
    if (im->order == NULL)
        return;
    if (!im->order_bad && im->order_negative_minor > 0 &&
        json_array_size(json_object_get(im->order, "lines")) == 0)
        refuse_below_zero(im, -im->order_negative_minor);
    if (!im->order_bad && im->order_paid_lines)
        paid_lines_to_prices(im);
    if (!im->order_bad && im->order_negative_minor > 0)
        negative_rows_to_discount(im);
    if (!im->order_bad && im->order_has_total && !im->order_paid_lines)
        settle_total(im);
    int64_t refund = 0;
    if (!im->order_bad && im->order_refund_minor != 0 &&
        (refund = refund_of(im, im->order_refund_minor, order_paid(im->order), im->order_line)) < 0)
        im->order_bad = true;
    if (im->order_bad) {
        im->orders_failed++;
    } else {
        /* the contact is the customer's from now on; written once the engine made it */
        const char *customer = json_string_value(json_object_get(im->order, "customer"));
        if (im->order_email[0] || im->order_phone[0])
            history_import_note_contact(im->history, customer, im->order_email, im->order_phone);
        if (im->order_known) {
            im->orders_replayed++;
            history_import_keep_contact(im->history, customer, im->order_email, im->order_phone);
        } else {
            queue_event(im, im->order, im->order_line, im->order_email, im->order_phone);
            if (refund > 0)
                queue_refund(im, im->order_id, im->order_at, refund, im->order_line);
        }
    }
    json_decref(im->order);
    im->order = NULL;
    im->order_bad = false;
    im->order_known = false;
    im->order_paid_lines = false;
    im->order_negative_minor = 0;
    im->order_lines_minor = 0;
    im->order_total_minor = 0;
    im->order_has_total = false;
    im->order_refund_minor = 0;
}
