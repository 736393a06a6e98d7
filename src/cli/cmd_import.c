/*
 * `fidele import orders FILE [--format generic|shopify|woocommerce] [--map FIELD=COLUMN ...]
 *  [--delimiter C|whitespace] [--no-header] [--date-format FMT] [--award] [--dry-run]
 *  [--errors FILE]`: order history from CSV or whitespace-separated exports. Rows with the same
 * order id that follow each other form one order; a file without order ids gets a stable id per
 * row (a digest of the row), so importing a file twice adds nothing. Orders go through the engine
 * as order events (key "import:ORDER"), recorded for analytics without earning unless --award.
 * Bad rows are reported with their line, column and reason and the rest is imported; the exit
 * code is 2 when any row was refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/history_import.h"
#include "import/rows.h"
#include "import/values.h"
#include "util/codes.h"
#include "util/xalloc.h"

#define IMPORT_BATCH  1000
#define IMPORT_DRAFTS 256

enum field {
    F_CUSTOMER,
    F_ORDER_ID,
    F_DATE,
    F_AMOUNT,
    F_CURRENCY,
    F_EMAIL,
    F_PHONE,
    F_SKU,
    F_CATEGORY,
    F_QUANTITY,
    F_PRICE,
    F_DISCOUNT,
    F_SHIPPING,
    F_TAX,
    F_COUNT
};

static const char *const FIELD_NAMES[F_COUNT] = {
    "customer", "order_id", "date",     "amount", "currency", "email",    "phone",
    "sku",      "category", "quantity", "price",  "discount", "shipping", "tax"};

/* Header names each format recognises per field, first match wins (case-insensitive). */
struct preset {
    const char *name;
    const char *headers[F_COUNT][4];
};

static const struct preset PRESETS[] = {
    {"generic",
     {[F_CUSTOMER] = {"customer", "customer_id", "client", NULL},
      [F_ORDER_ID] = {"order_id", "order", "order id", NULL},
      [F_DATE] = {"date", "order_date", "created_at", "datetime"},
      [F_AMOUNT] = {"amount", "total", "value", NULL},
      [F_CURRENCY] = {"currency", NULL},
      [F_EMAIL] = {"email", NULL},
      [F_PHONE] = {"phone", NULL},
      [F_SKU] = {"sku", NULL},
      [F_CATEGORY] = {"category", NULL},
      [F_QUANTITY] = {"quantity", "qty", NULL},
      [F_PRICE] = {"price", "unit_price", NULL},
      [F_DISCOUNT] = {"discount", NULL},
      [F_SHIPPING] = {"shipping", NULL},
      [F_TAX] = {"tax", NULL}}},
    {"shopify",
     {[F_ORDER_ID] = {"Name", NULL},
      [F_EMAIL] = {"Email", NULL},
      [F_PHONE] = {"Billing Phone", "Phone", NULL},
      [F_DATE] = {"Created at", NULL},
      [F_AMOUNT] = {"Total", NULL},
      [F_CURRENCY] = {"Currency", NULL},
      [F_SKU] = {"Lineitem sku", NULL},
      [F_QUANTITY] = {"Lineitem quantity", NULL},
      [F_PRICE] = {"Lineitem price", NULL},
      [F_DISCOUNT] = {"Discount Amount", NULL},
      [F_SHIPPING] = {"Shipping", NULL},
      [F_TAX] = {"Taxes", NULL}}},
    {"woocommerce",
     {[F_ORDER_ID] = {"Order ID", "Order Number", NULL},
      [F_EMAIL] = {"Customer Email", "Billing Email", "Email (Billing)", NULL},
      [F_PHONE] = {"Billing Phone", "Phone (Billing)", NULL},
      [F_DATE] = {"Order Date", NULL},
      [F_AMOUNT] = {"Order Total", "Order Total Amount", NULL},
      [F_CURRENCY] = {"Order Currency", "Currency", NULL},
      [F_SKU] = {"SKU", NULL},
      [F_QUANTITY] = {"Quantity", NULL},
      [F_PRICE] = {"Item Cost", NULL},
      [F_DISCOUNT] = {"Cart Discount", "Order Discount", NULL},
      [F_SHIPPING] = {"Order Shipping", "Shipping Total", NULL},
      [F_TAX] = {"Order Total Tax", "Tax Total", NULL}}},
};

struct import {
    struct cli *cli;
    struct engine *engine;
    const struct preset *preset;
    const char *maps[F_COUNT]; /* --map values */
    int column[F_COUNT];       /* 0-based, -1 = absent */
    bool header_done, no_header, award, dry_run, draft_open;
    const char *date_format;
    int digits;
    FILE *errors;
    /* Order-level history without --award takes the columnar path (engine/history_import.h);
     * line items, order-level adjustments and awarding go through the engine. */
    struct history_import *history;
    bool columnar;
    struct history_order drafts[IMPORT_DRAFTS]; /* orders for the columnar path, the last open */
    size_t n_drafts;
    /* current order */
    char order_id[EVENT_REF_MAX];
    size_t order_line;
    json_t *order; /* event being built; NULL when none */
    bool order_bad;
    json_t *batch;       /* events ready to apply */
    json_t *batch_lines; /* first line of each event of batch */
    json_t *seen;        /* digests of rows without order id -> occurrences */
    /* totals */
    size_t rows, bad_rows, orders_applied, orders_replayed, orders_failed;
    size_t file_size, bytes;
    double started, last_progress;
    enum fid_status status;
    struct fid_error err;
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report_bad(struct import *im, size_t line, int field, const char *reason)
{
    im->bad_rows++;
    char column[64] = "";
    if (field >= 0)
        snprintf(column, sizeof column, ", column %d (%s)", im->column[field] + 1,
                 FIELD_NAMES[field]);
    fprintf(stderr, "fidele: line %zu%s: %s\n", line, column, reason);
    if (im->errors)
        fprintf(im->errors, "line %zu%s: %s\n", line, column, reason);
}

static enum fid_status apply_batch(struct import *im)
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
                report_bad(im, (size_t)json_integer_value(json_array_get(im->batch_lines, i)), -1,
                           e.message);
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
                report_bad(im, (size_t)json_integer_value(json_array_get(im->batch_lines, i)), -1,
                           reason);
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
        im->status = apply_batch(im);
}

/* The idempotency key of an imported order: its id, or a digest of an id too long to fit. */
static void import_key(const char *order_id, char key[EVENT_KEY_MAX])
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

static void record_drafts(struct import *im)
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
        record_drafts(im);
}

static void close_order(struct import *im)
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

static bool find_columns(struct import *im, const struct row *header)
{
    for (int f = 0; f < F_COUNT; f++) {
        im->column[f] = -1;
        const char *wanted = im->maps[f];
        if (wanted) {
            char *end = NULL;
            long position = strtol(wanted, &end, 10);
            if (end != wanted && *end == '\0') {
                im->column[f] = (int)position - 1;
                continue;
            }
        }
        for (size_t c = 0; header && c < header->n_fields && im->column[f] < 0; c++) {
            if (wanted) {
                if (strcasecmp(header->fields[c], wanted) == 0)
                    im->column[f] = (int)c;
                continue;
            }
            for (int k = 0; k < 4 && im->preset->headers[f][k]; k++)
                if (strcasecmp(header->fields[c], im->preset->headers[f][k]) == 0)
                    im->column[f] = (int)c;
        }
        if (wanted && im->column[f] < 0) {
            fid_fail(&im->err, FID_ERR_INPUT, "--map", "no column \"%s\" for %s%s", wanted,
                     FIELD_NAMES[f], header ? " in the header" : " (positions start at 1)");
            return false;
        }
    }
    if (im->column[F_CUSTOMER] < 0 && im->column[F_EMAIL] < 0 && im->column[F_PHONE] < 0) {
        fid_fail(&im->err, FID_ERR_INPUT, "--map",
                 "no customer column: map one with --map customer=COLUMN");
        return false;
    }
    if (im->column[F_DATE] < 0) {
        fid_fail(&im->err, FID_ERR_INPUT, "--map",
                 "no date column: map one with --map date=COLUMN");
        return false;
    }
    if (im->column[F_AMOUNT] < 0 && im->column[F_PRICE] < 0) {
        fid_fail(&im->err, FID_ERR_INPUT, "--map",
                 "no amount or price column: map one with --map amount=COLUMN");
        return false;
    }
    return true;
}

static const char *field_of(const struct import *im, const struct row *row, enum field f)
{
    int c = im->column[f];
    return c >= 0 && (size_t)c < row->n_fields ? row->fields[c] : NULL;
}

/* Reads an optional amount column into key of the current order (order-level figures). */
static bool order_amount(struct import *im, const struct row *row, enum field f, const char *key)
{
    const char *text = field_of(im, row, f);
    if (text == NULL || text[0] == '\0')
        return true;
    int64_t minor;
    char reason[VALUE_REASON_MAX];
    if (value_amount(text, im->digits, &minor, reason) != 0 || minor < 0) {
        report_bad(im, row->line, f, minor < 0 ? "a negative amount" : reason);
        return false;
    }
    if (minor > 0)
        json_object_set_new(im->order, key, json_integer(minor));
    return true;
}

/* Opens a columnar draft; the engine checks the same things for the orders it receives. */
static void start_draft(struct import *im, const struct row *row, const char *customer,
                        enum field customer_field, const char *order_id, int64_t at)
{
    struct history_order *o = &im->drafts[im->n_drafts];
    im->draft_open = true;
    o->at = at;
    o->paid_minor = 0;
    o->line = row->line;
    size_t customer_len = strlen(customer), order_len = strlen(order_id);
    const char *currency = field_of(im, row, F_CURRENCY);
    const char *own = engine_merchant(im->engine)->currency;
    if (customer_len >= sizeof o->customer) {
        report_bad(im, row->line, customer_field, "the customer id is longer than 128 bytes");
        im->order_bad = true;
    } else if (order_len >= sizeof o->order) {
        report_bad(im, row->line, F_ORDER_ID, "the order id is longer than 128 bytes");
        im->order_bad = true;
    } else if (currency && currency[0] && strcmp(currency, own) != 0) {
        char reason[VALUE_REASON_MAX];
        snprintf(reason, sizeof reason, "order in %.8s but the merchant keeps accounts in %s",
                 currency, own);
        report_bad(im, row->line, F_CURRENCY, reason);
        im->order_bad = true;
    } else {
        memcpy(o->customer, customer, customer_len + 1);
        memcpy(o->order, order_id, order_len + 1);
    }
}

static int on_row(const struct row *row, void *context)
{
    struct import *im = context;
    if (!im->header_done) {
        im->header_done = true;
        if (!find_columns(im, im->no_header ? NULL : row)) {
            im->status = FID_ERR_INPUT;
            return 1;
        }
        /* Order-level files without --award take the columnar path. */
        static const enum field lines[] = {F_SKU,      F_CATEGORY, F_QUANTITY, F_PRICE,
                                           F_DISCOUNT, F_SHIPPING, F_TAX};
        im->columnar = im->history != NULL && !im->award;
        for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
            if (im->column[lines[i]] >= 0)
                im->columnar = false;
        if (!im->no_header)
            return 0;
    }
    if (++im->rows == 4096 && im->history && im->file_size > im->bytes && im->bytes > 0)
        history_import_expect(im->history, (size_t)((double)(im->file_size - im->bytes) /
                                                    (double)im->bytes * 4096.0 * 1.05));
    char reason[VALUE_REASON_MAX];
    enum field customer_field = F_CUSTOMER;
    const char *customer = field_of(im, row, F_CUSTOMER);
    if (customer == NULL || customer[0] == '\0')
        customer = field_of(im, row, customer_field = F_EMAIL);
    if (customer == NULL || customer[0] == '\0')
        customer = field_of(im, row, customer_field = F_PHONE);
    const char *order_id = field_of(im, row, F_ORDER_ID);
    char generated[EVENT_REF_MAX];
    if (im->column[F_ORDER_ID] < 0) {
        /* No order ids: a stable id from the row's content (and its repeat count). */
        char digest[FID_DIGEST_HEX];
        json_t *fields = json_array();
        for (size_t i = 0; i < row->n_fields; i++)
            json_array_append_new(fields, json_string(row->fields[i]));
        char *text = json_dumps(fields, JSON_COMPACT);
        fid_digest_hex(text, strlen(text), digest);
        free(text);
        json_decref(fields);
        json_int_t seen = json_integer_value(json_object_get(im->seen, digest)) + 1;
        json_object_set_new(im->seen, digest, json_integer(seen));
        snprintf(generated, sizeof generated, "row-%.24s-%lld", digest, (long long)seen);
        order_id = generated;
    }
    bool open = im->columnar ? im->draft_open : im->order != NULL;
    bool same_order = open && order_id && order_id[0] && im->column[F_ORDER_ID] >= 0 &&
                      strcmp(order_id, im->order_id) == 0;
    if (!same_order) {
        close_order(im);
        if (im->status != FID_OK)
            return 1;
        if (order_id == NULL || order_id[0] == '\0') {
            report_bad(im, row->line, F_ORDER_ID, "the order id is empty");
            return 0;
        }
        if (customer == NULL || customer[0] == '\0') {
            report_bad(im, row->line, F_CUSTOMER, "no customer (id, e-mail or phone) on the row");
            return 0;
        }
        const char *date = field_of(im, row, F_DATE);
        int64_t at;
        if (date == NULL ||
            value_instant(date, im->date_format, engine_tz(im->engine), &at, reason) != 0) {
            report_bad(im, row->line, F_DATE, date ? reason : "the date is missing");
            return 0;
        }
        size_t id_len = strnlen(order_id, sizeof im->order_id - 1);
        memcpy(im->order_id, order_id, id_len);
        im->order_id[id_len] = '\0';
        im->order_line = row->line;
        if (im->columnar) {
            start_draft(im, row, customer, customer_field, order_id, at);
        } else {
            char at_text[FID_TIME_ISO_MAX], key[EVENT_KEY_MAX];
            fid_time_format(at, at_text);
            import_key(order_id, key);
            im->order = json_pack("{s:s, s:s, s:s, s:s, s:s, s:[], s:b}", "type", "order", "key",
                                  key, "customer", customer, "order_id", order_id, "at", at_text,
                                  "lines", "history", !im->award);
            const char *currency = field_of(im, row, F_CURRENCY);
            if (currency && currency[0])
                json_object_set_new(im->order, "currency", json_string(currency));
            if (!order_amount(im, row, F_DISCOUNT, "discount_minor") ||
                !order_amount(im, row, F_SHIPPING, "shipping_minor") ||
                !order_amount(im, row, F_TAX, "tax_minor"))
                im->order_bad = true;
        }
    }
    if (im->order_bad)
        return 0;
    /* The line: quantity x price, or the row's amount as one unit. */
    int64_t quantity = 1, unit = 0;
    const char *qty_text = field_of(im, row, F_QUANTITY), *price = field_of(im, row, F_PRICE);
    if (qty_text && qty_text[0] && value_quantity(qty_text, &quantity, reason) != 0) {
        report_bad(im, row->line, F_QUANTITY, reason);
        im->order_bad = true;
        return 0;
    }
    enum field money_field = price && price[0] ? F_PRICE : F_AMOUNT;
    const char *money = field_of(im, row, money_field);
    if (money == NULL || value_amount(money, im->digits, &unit, reason) != 0 || unit < 0) {
        report_bad(im, row->line, money_field,
                   money == NULL ? "the amount is missing"
                   : unit < 0    ? "a negative amount"
                                 : reason);
        im->order_bad = true;
        return 0;
    }
    if (im->columnar) {
        int64_t *paid = &im->drafts[im->n_drafts].paid_minor;
        if (__builtin_add_overflow(*paid, unit, paid)) {
            report_bad(im, row->line, money_field, "the order's total overflows");
            im->order_bad = true;
        }
        return 0;
    }
    if (money_field == F_AMOUNT)
        quantity = 1; /* an amount is the row's total */
    const char *sku = field_of(im, row, F_SKU), *category = field_of(im, row, F_CATEGORY);
    json_t *line = json_pack("{s:s, s:I, s:I}", "sku", sku && sku[0] ? sku : "IMPORT", "quantity",
                             (json_int_t)quantity, "unit_price_minor", (json_int_t)unit);
    if (category && category[0])
        json_object_set_new(line, "category", json_string(category));
    json_array_append_new(json_object_get(im->order, "lines"), line);
    if (isatty(STDOUT_FILENO) && im->file_size > 0) {
        double now = now_seconds();
        if (now - im->last_progress > 0.5) {
            im->last_progress = now;
            double rate = (double)im->rows / (now - im->started);
            double left = im->bytes ? (double)(im->file_size - im->bytes) / (double)im->bytes *
                                          (now - im->started)
                                    : 0;
            fprintf(stderr, "\r%zu rows, %.0f rows/s, %3.0f%%, ETA %.0f s   ", im->rows, rate,
                    100.0 * (double)im->bytes / (double)im->file_size, left);
        }
    }
    return 0;
}

int cmd_import(struct cli *cli)
{
    static const struct cli_option_spec specs[] = {
        {"format", true},     {"map", true},         {"delimiter", true},
        {"no-header", false}, {"date-format", true}, {"award", false},
        {"dry-run", false},   {"errors", true},      {NULL, false}};
    struct import im = {.cli = cli, .status = FID_OK};
    fid_error_clear(&im.err);
    if (cli_parse(cli, specs, 2, 2, &im.err) != FID_OK)
        return cli_fail(cli, &im.err);
    if (strcmp(cli->positional[0], "orders") != 0) {
        fid_fail(&im.err, FID_ERR_INPUT, cli->positional[0],
                 "expected `fidele import orders FILE`");
        return cli_fail(cli, &im.err);
    }
    const char *format = cli_option(cli, "format") ? cli_option(cli, "format") : "generic";
    for (size_t i = 0; i < sizeof PRESETS / sizeof PRESETS[0]; i++)
        if (strcmp(PRESETS[i].name, format) == 0)
            im.preset = &PRESETS[i];
    if (im.preset == NULL) {
        fid_fail(&im.err, FID_ERR_INPUT, "--format", "expected generic, shopify or woocommerce");
        return cli_fail(cli, &im.err);
    }
    for (int i = 0; i < cli->n_options; i++) {
        if (strcmp(cli->option_names[i], "map") != 0)
            continue;
        const char *eq = strchr(cli->option_values[i], '=');
        int f = -1;
        for (int k = 0; eq && k < F_COUNT; k++)
            if (strlen(FIELD_NAMES[k]) == (size_t)(eq - cli->option_values[i]) &&
                strncmp(FIELD_NAMES[k], cli->option_values[i],
                        (size_t)(eq - cli->option_values[i])) == 0)
                f = k;
        if (f < 0 || eq[1] == '\0') {
            fid_fail(&im.err, FID_ERR_INPUT, "--map",
                     "expected FIELD=COLUMN with FIELD one of customer, order_id, date, amount, "
                     "currency, email, phone, sku, category, quantity, price, discount, shipping, "
                     "tax; got \"%.60s\"",
                     cli->option_values[i]);
            return cli_fail(cli, &im.err);
        }
        im.maps[f] = eq + 1;
    }
    char delimiter = ',';
    const char *d = cli_option(cli, "delimiter");
    if (d && strcmp(d, "whitespace") == 0)
        delimiter = 0;
    else if (d && strcmp(d, "tab") == 0)
        delimiter = '\t';
    else if (d && strlen(d) == 1)
        delimiter = d[0];
    else if (d) {
        fid_fail(&im.err, FID_ERR_INPUT, "--delimiter",
                 "expected one character, tab or whitespace");
        return cli_fail(cli, &im.err);
    }
    im.no_header = cli_flag(cli, "no-header");
    im.award = cli_flag(cli, "award");
    im.dry_run = cli_flag(cli, "dry-run");
    im.date_format = cli_option(cli, "date-format");
    const char *path = cli->positional[1];
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (in == NULL) {
        fid_fail(&im.err, FID_ERR_INPUT, path, "cannot open: %s", strerror(errno));
        return cli_fail(cli, &im.err);
    }
    struct stat info;
    if (in != stdin && fstat(fileno(in), &info) == 0)
        im.file_size = (size_t)info.st_size;
    if (cli_option(cli, "errors") && (im.errors = fopen(cli_option(cli, "errors"), "w")) == NULL) {
        fid_fail(&im.err, FID_ERR_IO, "--errors", "cannot write %s: %s", cli_option(cli, "errors"),
                 strerror(errno));
        if (in != stdin)
            fclose(in);
        return cli_fail(cli, &im.err);
    }
    int code = 0;
    if (cli_open_engine(cli, &im.engine, &im.err) != FID_OK) {
        code = cli_fail(cli, &im.err);
        goto done;
    }
    if (!im.dry_run &&
        history_import_open(engine_store(im.engine), cli->now, &im.history, &im.err) != FID_OK) {
        code = cli_fail(cli, &im.err);
        goto done;
    }
    im.digits = engine_currency_digits(im.engine);
    im.batch = json_array();
    im.batch_lines = json_array();
    im.seen = json_object();
    im.started = now_seconds();
    enum fid_status st = rows_read(in, delimiter, on_row, &im, &im.bytes, &im.err);
    if (st == FID_OK && im.status == FID_OK) {
        close_order(&im);
        record_drafts(&im);
        if (im.status == FID_OK)
            im.status = apply_batch(&im);
        if (im.status == FID_OK && im.history)
            im.status = history_import_flush(im.history, &im.err);
    }
    if (st == FID_OK && !im.header_done) {
        fid_fail(&im.err, FID_ERR_INPUT, path, "the file is empty");
        st = FID_ERR_INPUT;
    }
    if (st == FID_OK)
        st = im.status;
    if (isatty(STDOUT_FILENO) && im.file_size > 0)
        fprintf(stderr, "\r%60s\r", "");
    if (st != FID_OK) {
        code = cli_fail(cli, &im.err);
        goto done;
    }
    double seconds = now_seconds() - im.started;
    json_t *summary =
        json_pack("{s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:b}", "rows", (json_int_t)im.rows,
                  "orders_imported", (json_int_t)im.orders_applied, "orders_already_imported",
                  (json_int_t)im.orders_replayed, "orders_refused", (json_int_t)im.orders_failed,
                  "bad_rows", (json_int_t)im.bad_rows, "seconds", seconds, "rows_per_second",
                  seconds > 0 ? (double)im.rows / seconds : 0.0, "dry_run", im.dry_run);
    if (cli->json)
        cli_print_json(summary);
    else {
        printf("%zu rows: %zu orders %s, %zu already imported, %zu refused; %zu bad rows "
               "(%.1f s, %.0f rows/s)\n",
               im.rows, im.orders_applied, im.dry_run ? "valid (dry run)" : "imported",
               im.orders_replayed, im.orders_failed, im.bad_rows, seconds,
               seconds > 0 ? (double)im.rows / seconds : 0.0);
        json_decref(summary);
    }
    code = im.bad_rows > 0 ? 2 : 0;
done:
    json_decref(im.order);
    json_decref(im.batch);
    json_decref(im.batch_lines);
    json_decref(im.seen);
    history_import_close(im.history);
    engine_close(im.engine);
    if (im.errors)
        fclose(im.errors);
    if (in != stdin)
        fclose(in);
    return code;
}
