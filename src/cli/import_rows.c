/*
 * One row at a time into the current order: rows with the same order id that follow each other
 * form one order; a file without order ids gets a stable id per row (a digest of the row and its
 * repeat count), so that importing a file twice adds nothing.
 */
#include <ctype.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/import.h"
#include "import/values.h"
#include "util/codes.h"
#include "util/text.h"
#include "util/xalloc.h"

double import_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report(struct import *im, size_t line, const char *column, const char *reason)
{
    im->bad_rows++;
    fprintf(stderr, "fidele: line %zu%s: %s\n", line, column, reason);
    if (im->errors)
        fprintf(im->errors, "line %zu%s: %s\n", line, column, reason);
}

void import_report_bad(struct import *im, size_t line, int field, const char *reason)
{
    char column[64] = "";
    if (field >= 0)
        snprintf(column, sizeof column, ", column %d (%s)", im->column[field] + 1,
                 FIELD_NAMES[field]);
    report(im, line, column, reason);
}

/* A column by its place, for what is wrong with the row itself rather than one of its fields. */
static void report_column(struct import *im, size_t line, size_t index, const char *reason)
{
    char column[32];
    snprintf(column, sizeof column, ", column %zu", index + 1);
    report(im, line, column, reason);
}

/* The amount of a row's field in minor units, within the bound the engine puts on an order's
 * amounts (negative only where negative_ok). False when it is not one (reported by its column). */
static bool read_amount(struct import *im, const struct row *row, enum field field,
                        bool negative_ok, int64_t *minor)
{
    char reason[VALUE_REASON_MAX];
    const char *text = import_field(im, row, field);
    *minor = 0;
    const char *why = text == NULL                                         ? "the amount is missing"
                      : value_amount(text, im->digits, minor, reason) != 0 ? reason
                      : *minor < 0 && !negative_ok                         ? "a negative amount"
                      : *minor > EVENT_AMOUNT_MAX  ? "the amount is above 10^14 minor units"
                      : *minor < -EVENT_AMOUNT_MAX ? "the amount is below -10^14 minor units"
                                                   : NULL;
    if (why != NULL)
        import_report_bad(im, row->line, field, why);
    return why == NULL;
}

/* Reads an optional amount column into key of the current order (order-level figures). */
static bool order_amount(struct import *im, const struct row *row, enum field f, const char *key)
{
    const char *text = import_field(im, row, f);
    if (text == NULL || text[0] == '\0')
        return true;
    int64_t minor;
    if (!read_amount(im, row, f, false, &minor))
        return false;
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
    o->refunded_minor = im->order_refund_minor;
    o->line = row->line;
    o->refused = false;
    o->customer[0] = o->order[0] = '\0';
    /* the e-mail or phone names the customer when no id does: the history identifies it */
    o->email = o->phone = "";
    if (im->order_email[0] || im->order_phone[0]) {
        int b = im->drafts == im->buffers[1];
        if (im->contact_text[b] == NULL)
            im->contact_text[b] = xmalloc(IMPORT_DRAFTS * (EVENT_TEXT_MAX + FID_PHONE_MAX));
        char *text = im->contact_text[b] + im->contact_len[b];
        size_t email_len = strlen(im->order_email), phone_len = strlen(im->order_phone);
        memcpy(text, im->order_email, email_len + 1);
        memcpy(text + email_len + 1, im->order_phone, phone_len + 1);
        o->email = text;
        o->phone = text + email_len + 1;
        im->contact_len[b] += email_len + phone_len + 2;
    }
    size_t customer_len = strlen(customer), order_len = strlen(order_id);
    const char *currency = import_field(im, row, F_CURRENCY);
    const char *own = engine_merchant(im->engine)->currency;
    if (order_len < sizeof o->order) /* refused or not, the order is seen */
        memcpy(o->order, order_id, order_len + 1);
    if (customer_len >= sizeof o->customer) {
        import_report_bad(im, row->line, customer_field,
                          "the customer id is longer than 128 bytes");
        im->order_bad = true;
    } else if (order_len >= sizeof o->order) {
        import_report_bad(im, row->line, F_ORDER_ID, "the order id is longer than 128 bytes");
        im->order_bad = true;
    } else if (currency && currency[0] && strcmp(currency, own) != 0) {
        char reason[VALUE_REASON_MAX];
        snprintf(reason, sizeof reason, "order in %.8s but the merchant keeps accounts in %s",
                 currency, own);
        import_report_bad(im, row->line, F_CURRENCY, reason);
        im->order_bad = true;
    } else if (customer_field == F_CUSTOMER) {
        memcpy(o->customer, customer, customer_len + 1);
    }
}

static bool blank(const char *text)
{
    if (text == NULL)
        return true;
    while (isspace((unsigned char)*text))
        text++;
    return *text == '\0';
}

/* What is wrong with the row as a whole, reported by its column. */
static bool row_whole(struct import *im, const struct row *row)
{
    /* the fields are read as C strings: one a NUL byte cut short would read as another value */
    if (row->nul_field >= 0) {
        report_column(im, row->line, (size_t)row->nul_field, "a NUL byte, which text cannot hold");
        return false;
    }
    /* a value past the header's columns is one the file meant somewhere: most often an amount
     * with a decimal comma left unquoted ("19,990"); empty ones (a trailing delimiter) are not */
    for (size_t c = im->header_fields; im->header_fields > 0 && c < row->n_fields; c++)
        if (row->fields[c][0] != '\0') {
            char reason[128];
            snprintf(reason, sizeof reason,
                     "a value beyond the header's %zu columns (quote a field that holds the "
                     "delimiter)",
                     im->header_fields);
            report_column(im, row->line, c, reason);
            return false;
        }
    return true;
}

/* A field that is not UTF-8, or an id with control characters, is refused by its column. */
static bool fields_readable(struct import *im, const struct row *row)
{
    for (int f = 0; f < F_COUNT; f++) {
        const char *text = import_field(im, row, (enum field)f);
        if (text == NULL)
            continue;
        if (!fid_text_utf8(text, strlen(text))) {
            import_report_bad(im, row->line, f, "the text is not UTF-8");
            return false;
        }
        bool id = f == F_CUSTOMER || f == F_ORDER_ID || f == F_EMAIL || f == F_PHONE;
        if (id && fid_text_control(text) >= 0) {
            import_report_bad(im, row->line, f, "a control character in an id");
            return false;
        }
    }
    return true;
}

/* Refuses the row that was to open an order, and the rows of that order after it. */
static int refuse_order(struct import *im, const struct row *row, const char *order_id)
{
    im->orders_failed++;
    if (order_id && order_id[0] && im->column[F_ORDER_ID] >= 0) {
        snprintf(im->refused_order, sizeof im->refused_order, "%s", order_id);
        im->refused_line = row->line;
        im->refused_unpaid = false;
    }
    if (im->columnar) /* the history notes it as seen (the engine's path did, at the start) */
        import_refused_draft(im, order_id, row->line);
    return 0;
}

/* What became of the order's money (status, refunded): never paid (*unpaid), refunded in part or
 * in whole (im->order_refund_minor), or paid. False when the row says it wrongly (reported). */
static bool read_status(struct import *im, const struct row *row, bool *unpaid)
{
    char reason[VALUE_REASON_MAX];
    enum value_status status = VALUE_PAID;
    const char *text = import_field(im, row, F_STATUS),
               *refunded = import_field(im, row, F_REFUNDED);
    if (text && value_status(text, &status, reason) != 0) {
        import_report_bad(im, row->line, F_STATUS, reason);
        return false;
    }
    *unpaid = status == VALUE_UNPAID;
    im->order_refund_minor = status == VALUE_REFUNDED ? ORDER_REFUNDED_ALL : 0;
    if (!*unpaid && !blank(refunded)) {
        int64_t minor;
        if (!read_amount(im, row, F_REFUNDED, false, &minor))
            return false;
        if (minor > 0)
            im->order_refund_minor = minor;
    }
    if (status == VALUE_PARTLY_REFUNDED && im->order_refund_minor == 0) {
        import_report_bad(im, row->line, F_STATUS,
                          "a partly refunded order needs the amount refunded (a refunded column: "
                          "--map refunded=COLUMN)");
        return false;
    }
    return true;
}

/* Skips an order never paid, and the rows of it that follow. */
static int skip_unpaid(struct import *im, const struct row *row, const char *order_id)
{
    im->orders_unpaid++;
    if (im->column[F_ORDER_ID] >= 0) {
        snprintf(im->refused_order, sizeof im->refused_order, "%s", order_id);
        im->refused_line = row->line;
        im->refused_unpaid = true;
    }
    if (im->columnar) /* the history notes it as seen */
        import_refused_draft(im, order_id, row->line);
    return 0;
}

int import_on_row(const struct row *row, void *context)
{
    struct import *im = context;
    if (!im->header_done) {
        im->header_done = true;
        if (!import_find_columns(im, im->no_header ? NULL : row)) {
            im->status = FID_ERR_INPUT;
            return 1;
        }
        /* Order-level files without --award take the columnar path. */
        static const enum field lines[] = {F_SKU,      F_CATEGORY, F_QUANTITY, F_PRICE,
                                           F_DISCOUNT, F_SHIPPING, F_TAX};
        im->columnar = !im->award;
        for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
            if (im->column[lines[i]] >= 0)
                im->columnar = false;
        if (!im->no_header) {
            im->header_fields = row->n_fields;
            return 0;
        }
    }
    if (++im->rows == 4096 && im->file_size > im->bytes && im->bytes > 0)
        history_import_expect(im->history, (size_t)((double)(im->file_size - im->bytes) /
                                                    (double)im->bytes * 4096.0 * 1.05));
    char reason[VALUE_REASON_MAX];
    const char *customer = import_field(im, row, F_CUSTOMER);
    const char *order_id = import_field(im, row, F_ORDER_ID);
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
    if (im->refused_order[0] && order_id && strcmp(order_id, im->refused_order) == 0) {
        if (im->refused_unpaid)
            return 0; /* a row of an order never paid */
        snprintf(reason, sizeof reason, "its order's row on line %zu was refused",
                 im->refused_line);
        import_report_bad(im, row->line, F_ORDER_ID, reason);
        return 0;
    }
    im->refused_order[0] = '\0';
    bool open = im->columnar ? im->draft_open : im->order != NULL;
    bool same_order = open && order_id && order_id[0] && im->column[F_ORDER_ID] >= 0 &&
                      strcmp(order_id, im->order_id) == 0;
    if (!same_order) {
        import_close_order(im);
        if (im->status != FID_OK)
            return 1;
        if (!row_whole(im, row)) {
            if (order_id && order_id[0])
                return refuse_order(im, row, order_id);
            im->orders_failed++;
            return 0;
        }
        if (order_id == NULL || order_id[0] == '\0') {
            import_report_bad(im, row->line, F_ORDER_ID, "the order id is empty");
            im->orders_failed++;
            return 0;
        }
        if (!im->columnar) {
            /* the columnar path learns the same from the history when it records the draft */
            enum history_outcome seen = history_import_see(im->history, order_id);
            if (seen == HISTORY_APART) {
                import_report_apart(im, order_id, row->line);
                return refuse_order(im, row, order_id);
            }
            im->order_known = seen == HISTORY_KNOWN;
        }
        if (!fields_readable(im, row))
            return refuse_order(im, row, order_id);
        bool unpaid = false;
        if (!read_status(im, row, &unpaid))
            return refuse_order(im, row, order_id);
        if (unpaid)
            return skip_unpaid(im, row, order_id);
        /* The e-mail and phone as customers keep them (in lower case, in international form, a
         * national number read in the merchant's country): kept on the customer, and naming it
         * when no id does, whatever the spelling. */
        const char *email = import_field(im, row, F_EMAIL), *phone = import_field(im, row, F_PHONE);
        im->order_email[0] = im->order_phone[0] = '\0';
        if (!blank(email) && value_email(email, im->order_email, reason) != 0) {
            import_report_bad(im, row->line, F_EMAIL, reason);
            return refuse_order(im, row, order_id);
        }
        if (!blank(phone) && value_phone(phone, engine_store(im->engine)->phone_region,
                                         im->order_phone, reason) != 0) {
            import_report_bad(im, row->line, F_PHONE, reason);
            return refuse_order(im, row, order_id);
        }
        enum field customer_field = F_CUSTOMER;
        if (customer == NULL || customer[0] == '\0') {
            customer_field = im->order_email[0] ? F_EMAIL : F_PHONE;
            customer = im->order_email[0] ? im->order_email : im->order_phone;
        }
        if (customer[0] == '\0') {
            import_report_bad(im, row->line, F_CUSTOMER,
                              "no customer (id, e-mail or phone) on the row");
            return refuse_order(im, row, order_id);
        }
        if (customer_field != F_CUSTOMER && strlen(customer) >= EVENT_REF_MAX) {
            import_report_bad(im, row->line, customer_field,
                              "longer than 128 bytes, too long to name the customer: give the row "
                              "a customer id");
            return refuse_order(im, row, order_id);
        }
        char identified[EVENT_REF_MAX];
        if (!im->columnar && customer_field != F_CUSTOMER) {
            /* the columnar path asks the same of the history when it records the order */
            bool shared;
            enum fid_status st = history_import_identify(
                im->history, im->order_email, im->order_phone, identified, &shared, &im->err);
            if (st != FID_OK) {
                im->status = st;
                return 1;
            }
            if (shared) {
                if (!im->order_known) {
                    import_report_shared(im, customer, customer_field, row->line);
                    return refuse_order(im, row, order_id);
                }
                im->order_email[0] = im->order_phone[0] = '\0'; /* kept on no one */
            } else {
                customer = identified;
            }
        }
        const char *date = import_field(im, row, F_DATE);
        int64_t at;
        if (date == NULL ||
            value_instant(date, im->date_format, engine_tz(im->engine), &at, reason) != 0) {
            import_report_bad(im, row->line, F_DATE, date ? reason : "the date is missing");
            return refuse_order(im, row, order_id);
        }
        if (at > im->cli->now + EVENT_AHEAD_MAX_SECONDS) {
            /* as the engine refuses an event dated ahead of the clock: a mistyped year */
            char at_text[FID_TIME_LOCAL_MAX], clock[FID_TIME_LOCAL_MAX];
            fid_time_format_local(at, engine_tz(im->engine), at_text);
            fid_time_format_local(im->cli->now, engine_tz(im->engine), clock);
            snprintf(reason, sizeof reason,
                     "%s is ahead of the clock (%s): an order may be dated at most %d minutes "
                     "ahead",
                     at_text, clock, EVENT_AHEAD_MAX_SECONDS / 60);
            import_report_bad(im, row->line, F_DATE, reason);
            return refuse_order(im, row, order_id);
        }
        size_t id_len = strnlen(order_id, sizeof im->order_id - 1);
        memcpy(im->order_id, order_id, id_len);
        im->order_id[id_len] = '\0';
        im->order_line = row->line;
        im->order_at = at;
        if (im->columnar) {
            start_draft(im, row, customer, customer_field, order_id, at);
        } else {
            char at_text[FID_TIME_ISO_MAX], key[EVENT_KEY_MAX];
            fid_time_format(at, at_text);
            import_key(order_id, key);
            im->order = json_pack("{s:s, s:s, s:s, s:s, s:s, s:[], s:b}", "type", "order", "key",
                                  key, "customer", customer, "order_id", order_id, "at", at_text,
                                  "lines", "history", !im->award);
            const char *currency = import_field(im, row, F_CURRENCY);
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
    if (same_order && (!row_whole(im, row) || !fields_readable(im, row))) {
        im->order_bad = true;
        return 0;
    }
    /* The line: quantity x price, or the row's amount as one unit. */
    int64_t quantity = 1, unit = 0;
    const char *qty_text = import_field(im, row, F_QUANTITY),
               *price = import_field(im, row, F_PRICE);
    if (qty_text && qty_text[0] && value_quantity(qty_text, &quantity, reason) != 0) {
        import_report_bad(im, row->line, F_QUANTITY, reason);
        im->order_bad = true;
        return 0;
    }
    enum field money_field = price && price[0] ? F_PRICE : F_AMOUNT;
    if (!read_amount(im, row, money_field, true, &unit)) {
        im->order_bad = true;
        return 0;
    }
    im->order_money = money_field;
    if (im->columnar) {
        /* the bound the engine puts on an order's amounts (events), and so on the sums of them;
         * a negative row (a discount, a returned line) takes its amount off its order's */
        int64_t *paid = &im->drafts[im->n_drafts].paid_minor;
        if (__builtin_add_overflow(*paid, unit, paid) || *paid > EVENT_AMOUNT_MAX ||
            *paid < -EVENT_AMOUNT_MAX) {
            import_report_bad(im, row->line, money_field,
                              unit > 0 ? "the order's total is above 10^14 minor units"
                                       : "the order's total is below -10^14 minor units");
            im->order_bad = true;
        }
        return 0;
    }
    if (money_field == F_AMOUNT)
        quantity = 1; /* an amount is the row's total */
    im->order_paid_lines = money_field == F_AMOUNT;
    const char *total = import_field(im, row, F_AMOUNT);
    if (money_field == F_PRICE && !blank(total)) {
        /* beside priced lines, the amounts are what the order paid: its total, checked when
         * the order closes (Shopify's Total on its first row) */
        int64_t minor;
        if (!read_amount(im, row, F_AMOUNT, true, &minor)) {
            im->order_bad = true;
            return 0;
        }
        im->order_total_minor += minor;
        im->order_has_total = true;
    }
    if (unit < 0) {
        /* A negative row is a discount or a returned line: the order takes it as a discount. */
        int64_t minus;
        if (__builtin_mul_overflow(-unit, quantity, &minus) ||
            __builtin_add_overflow(im->order_negative_minor, minus, &im->order_negative_minor) ||
            im->order_negative_minor > EVENT_AMOUNT_MAX) {
            import_report_bad(im, row->line, money_field,
                              "the order's negative rows are above 10^14 minor units");
            im->order_bad = true;
        }
        return 0;
    }
    /* the bound the engine puts on an order's lines; the sums made of them at its close stay
     * within 64 bits */
    int64_t amount;
    if (__builtin_mul_overflow(quantity, unit, &amount) ||
        __builtin_add_overflow(im->order_lines_minor, amount, &im->order_lines_minor) ||
        im->order_lines_minor > EVENT_AMOUNT_MAX) {
        import_report_bad(im, row->line, money_field,
                          "the order's lines (quantity x price) are above 10^14 minor units");
        im->order_bad = true;
        return 0;
    }
    const char *sku = import_field(im, row, F_SKU), *category = import_field(im, row, F_CATEGORY);
    json_t *line = json_pack("{s:s, s:I, s:I}", "sku", sku && sku[0] ? sku : "IMPORT", "quantity",
                             (json_int_t)quantity, "unit_price_minor", (json_int_t)unit);
    if (category && category[0])
        json_object_set_new(line, "category", json_string(category));
    json_array_append_new(json_object_get(im->order, "lines"), line);
    if (isatty(STDOUT_FILENO) && im->file_size > 0) {
        double now = import_clock();
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
