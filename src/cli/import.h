/*
 * `fidele import orders`, inside: the state of one import and the pieces that share it.
 * import_columns.c maps the file's columns to fields (the formats' header names and --map);
 * import_rows.c reads each row into the current order; import_sinks.c hands finished orders to
 * the columnar history (order-level files) or to the engine (line items, members, --award).
 */
#ifndef FIDELE_CLI_IMPORT_H
#define FIDELE_CLI_IMPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "cli/cli.h"
#include "engine/history_import.h"
#include "import/rows.h"
#include "store/log_syncer.h"

#define IMPORT_BATCH  1000
#define IMPORT_DRAFTS 4096

/* An order's refund when its status says refunded without an amount: all it paid. */
#define ORDER_REFUNDED_ALL (-1)

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
    F_STATUS,
    F_REFUNDED,
    F_COUNT
};

extern const char *const FIELD_NAMES[F_COUNT];

struct preset {
    const char *name;
    const char *headers[F_COUNT][4];
};

struct import {
    struct cli *cli;
    struct engine *engine; /* a bulk one: its commits leave the log's sync to syncer */
    struct log_syncer *syncer;
    uint64_t behind; /* the engine batch before: synced while this one applies */
    const struct preset *preset;
    const char *maps[F_COUNT]; /* --map values */
    int column[F_COUNT];       /* 0-based, -1 = absent */
    bool header_done, no_header, award, dry_run, draft_open;
    size_t header_fields; /* the header's columns (0 without one) */
    const char *date_format;
    int digits;
    FILE *errors;
    /* Order-level history without --award takes the columnar path (engine/history_import.h);
     * line items, order-level adjustments and awarding go through the engine. The history is
     * open for every import (a dry one with --dry-run): it knows the orders recorded. */
    struct history_import *history;
    bool columnar;
    struct history_order *buffers[2]; /* IMPORT_DRAFTS each */
    /* The e-mails and phones of each buffer's drafts (NULL until a draft has one): room for all
     * of them, so that the drafts' pointers stay put; contact_len[i] bytes used. */
    char *contact_text[2];
    size_t contact_len[2];
    struct history_order *drafts; /* the run being filled (one of buffers), the last one open */
    size_t n_drafts;
    struct history_order *recording; /* the run the worker records (the other buffer), or NULL */
    size_t n_recording;
    struct import_worker *worker; /* records runs while the next one is read; NULL: inline */
    /* current order */
    char order_id[EVENT_REF_MAX];
    size_t order_line;
    int64_t order_at;
    json_t *order; /* event being built; NULL when none */
    bool order_bad;
    bool order_known; /* recorded before the import: skipped */
    /* its e-mail address and phone as customers keep them ("" for none), kept on its customer */
    char order_email[EVENT_TEXT_MAX];
    char order_phone[FID_PHONE_MAX];
    /* Its lines are rows' amounts (what was paid, shipping in and discount out), not prices:
     * the first line takes the discount back and the shipping out when the order closes. */
    bool order_paid_lines;
    enum field order_money;       /* the column of its amounts: F_AMOUNT or F_PRICE */
    int64_t order_negative_minor; /* what its negative rows take off, as a discount */
    int64_t order_lines_minor;    /* what its lines add up to (quantity x price each) */
    int64_t order_total_minor;    /* the amounts beside its priced lines: what it paid */
    bool order_has_total;
    int64_t order_refund_minor; /* refunded: 0 none, ORDER_REFUNDED_ALL all it paid */
    /* The order id of a row that could not open its order: the order's next rows are refused
     * too (else they would be imported as the whole order, which no later import could mend). */
    char refused_order[EVENT_REF_MAX];
    size_t refused_line;
    bool refused_unpaid;    /* it was never paid: its rows are skipped, not refused */
    json_t *batch;          /* events ready to apply */
    json_t *batch_lines;    /* first line of each event of batch */
    json_t *batch_contacts; /* its e-mail and phone to keep once applied: [email, phone] */
    json_t *seen;           /* digests of rows without order id -> occurrences */
    /* totals */
    size_t rows, bad_rows, orders_applied, orders_replayed, orders_failed, orders_unpaid;
    size_t file_size, bytes;
    double started, last_progress;
    enum fid_status status;
    struct fid_error err;
};

/* The format named, or NULL. */
const struct preset *import_preset(const char *name);
/* Finds the column of every field from the header (NULL: none) and --map; false with im->err. */
bool import_find_columns(struct import *im, const struct row *header);
/* The row's text for a field, or NULL when the field has no column or the row is short. */
const char *import_field(const struct import *im, const struct row *row, enum field f);

/* Seconds on a monotonic clock, for the rate and the progress line. */
double import_clock(void);
/* Reports a bad row on stderr and in the --errors file; field -1 names no column. */
void import_report_bad(struct import *im, size_t line, int field, const char *reason);
/* rows_read's callback: the header, then each row into the current order. */
int import_on_row(const struct row *row, void *context);

/* Ends the current order and hands it on (columnar drafts wait for a full run). */
void import_close_order(struct import *im);
/* Hands on a columnar order refused from its first row, so that the history notes its id. */
void import_refused_draft(struct import *im, const char *order_id, size_t line);
/* Reports the row at line, of an order the import saw before, not next to it. */
void import_report_apart(struct import *im, const char *order_id, size_t line);
/* Reports the row at line, named by an e-mail or phone (in field) that several customers have. */
void import_report_shared(struct import *im, const char *contact, enum field field, size_t line);
/* Hands the columnar drafts waiting to the worker (after taking the results of its last run). */
void import_record_drafts(struct import *im);
/* Waits for the worker's run and takes its results. */
void import_drain(struct import *im);
/* Starts and stops the worker thread (stop also drains nothing: call import_drain first). */
void import_worker_start(struct import *im);
void import_worker_stop(struct import *im);
/* The idempotency key of an imported order: its id, or a digest of an id too long to fit. */
void import_key(const char *order_id, char key[EVENT_KEY_MAX]);
/* Applies the engine's events waiting (and first commits the columnar history). */
enum fid_status import_apply_batch(struct import *im);

#endif
