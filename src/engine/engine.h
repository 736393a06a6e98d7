/*
 * The engine applies events: inside one store transaction it checks each event's idempotency key,
 * loads the state core needs, asks core what the event is worth, and writes the ledger, lots,
 * vouchers and balances. Many events can share one transaction (group commit) with the same result
 * as one by one. Scheduled work (confirming pending points, expiry, tier reviews) runs through
 * engine_run_due with an explicit clock. An engine serves one merchant and one thread; the engines
 * of one thread may share its connection (engine_options.shared_db).
 */
#ifndef FIDELE_ENGINE_ENGINE_H
#define FIDELE_ENGINE_ENGINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/program.h"
#include "store/db.h"
#include "store/store.h"
#include "util/error.h"
#include "util/timeutil.h"

/* How far ahead of the clock an event may be dated (a till's clock a little fast): 5 minutes. */
#define EVENT_AHEAD_MAX_SECONDS 300

struct engine;
struct jsonw;

struct engine_options {
    const char *db_path;
    enum db_durability durability;
    int64_t merchant_id;    /* 0 = the database's first merchant */
    const uint64_t *seed;   /* NULL = cryptographic codes; else reproducible (demos, tests) */
    int64_t map_bytes;      /* db_options.map_bytes of the engine's connection */
    bool checkpoint_thread; /* db_options.checkpoint_thread: for long runs of writes */
    /* db_options.sync_apart: a commit (with DB_DURABILITY_FULL) leaves its log's sync to
     * engine_sync_log, so that a bulk writer applies its next batch while the disk syncs the
     * last one (store/log_syncer.h), and tells of a batch only once it is durable. */
    bool sync_apart;
    /* A connection to share instead of opening one (db_path, durability, map_bytes and
     * checkpoint_thread are then unused): engines of many merchants used by one thread share
     * one, borrowed, already migrated, and left open by engine_close. */
    struct db *shared_db;
    /* Judges a late order at every later order its tier windows hold, reading them all, instead
     * of only where the periods' bounds allow a higher tier: the reference the bounded judging
     * is held to in tests (same results, slower). */
    bool tiers_judge_every_order;
};

/* The caller refuses orders whose ids the imported history holds before applying them (an
 * import, which holds every imported id's hash in memory): the engine then skips its own look-up,
 * which reads the history blocks of an order's dates. */
void engine_history_refs_checked(struct engine *e);

enum engine_mode {
    ENGINE_ALL_OR_NOTHING,  /* any failing event rolls the whole batch back */
    ENGINE_EACH_ON_ITS_OWN, /* failing events are reported and skipped; the rest commit */
    ENGINE_EACH_ON_TRIAL    /* as ENGINE_EACH_ON_ITS_OWN, then rolled back: a dry run */
};

struct merchant_setup {
    const char *name;
    const char *currency;
    const char *timezone;
    const char *locale;
    const char *program_text;
    bool first; /* the database's first merchant (init): refused when it holds one */
};

/* Creates the database at path (when needed), its schema, a merchant and its first programme.
 * *merchant_id gets the new merchant's id. */
enum fid_status engine_create_merchant(const char *db_path, const struct merchant_setup *setup,
                                       int64_t now, int64_t *merchant_id,
                                       struct fid_error *err) FID_MUST_USE;
/* The same for n merchants of the setup's options under the given names, in one transaction
 * (all or none); merchant_ids[i] gets the id of names[i]. setup->name is not read. */
enum fid_status engine_create_merchants(const char *db_path, const struct merchant_setup *setup,
                                        const char *const *names, size_t n, int64_t now,
                                        int64_t *merchant_ids, struct fid_error *err) FID_MUST_USE;

/* Opens the database, migrates its schema and loads the merchant and its current programme. */
enum fid_status engine_open(const struct engine_options *options, struct engine **out,
                            struct fid_error *err) FID_MUST_USE;
void engine_close(struct engine *engine);
/* FID_OK unless a read over every customer's row (what names it) would miss newer state: a
 * database that cannot be written, opened while a stopped server's journal still holds images
 * (single customers are read through them). */
enum fid_status engine_rows_current(const struct engine *e, const char *what,
                                    struct fid_error *err) FID_MUST_USE;

const struct program *engine_program(const struct engine *engine);
const struct merchant *engine_merchant(const struct engine *engine);
struct store *engine_store(struct engine *engine);
const struct fid_tz *engine_tz(const struct engine *engine);
int engine_currency_digits(const struct engine *engine);

/* Validates text and saves it as the next programme version, which applies from now on. */
enum fid_status engine_set_program(struct engine *engine, const char *text, int64_t now,
                                   int64_t *version, struct fid_error *err) FID_MUST_USE;

/* Reloads the programme when another connection saved a newer version. */
enum fid_status engine_refresh_program(struct engine *engine, struct fid_error *err) FID_MUST_USE;
/* The same, looking only when others_version (db_others_version of the engine's connection)
 * moved since the last look: a programme is saved by a commit, and only another connection's
 * moves it. For a writer that checks before every batch. */
enum fid_status engine_refresh_program_since(struct engine *engine, uint64_t others_version,
                                             struct fid_error *err) FID_MUST_USE;

/* Opens a read transaction on the engine's connection (one snapshot for several queries) and
 * gives the snapshot's data version (db_data_version). When anything was committed since the
 * engine's previous snapshot, reloads the programme if a newer version was saved; otherwise
 * nothing more is read. engine_read_end closes the snapshot (also after a failed begin). */
enum fid_status engine_read_begin(struct engine *engine, uint64_t *data_version,
                                  struct fid_error *err) FID_MUST_USE;
void engine_read_end(struct engine *engine);

/* A batch of events: a JSON array of event objects (events), or the text of one (text, len), which
 * is split and parsed on a second thread while the events before are applied. */
struct engine_batch {
    const json_t *events;
    /* With events: entry i, when not NULL, is event i read already (borrowed; its place in
     * events is a null). Without "at", such an event takes the batch's clock like the others. */
    const struct event *const *parsed;
    const char *text;
    size_t len;
};

/* What became of one event of a batch, and where its result object lies in the results' text. */
enum engine_outcome { ENGINE_APPLIED, ENGINE_REPLAYED, ENGINE_FAILED };
struct engine_result {
    size_t offset, len;
    enum engine_outcome outcome;
};

/* A batch's results as text, the JSON array of one result object per event, written as the
 * events are applied: no tree is built for them. Zero-initialise before the first use. */
struct engine_results {
    char *text; /* NUL-terminated, len bytes */
    size_t len;
    struct engine_result *items;
    size_t count;
};
void engine_results_free(struct engine_results *results);
/* The results as a tree (a new array), for callers that read their fields. */
json_t *engine_results_json(const struct engine_results *results);
/* Replaces *to with the results first .. first + count - 1 of from, as an array of their own. */
void engine_results_slice(const struct engine_results *from, size_t first, size_t count,
                          struct engine_results *to);
/* Writes to w the result of an event that was not applied (key may be NULL), as a batch answers
 * an event that failed: {"key", "status": "error", "error": {"type", "field", "message"}}. */
void engine_result_error_write(struct jsonw *w, const char *key, const struct fid_error *err);

/* Applies a batch in one transaction. now is the clock for events without "at". results are
 * replaced by one per event (in ENGINE_EACH_ON_TRIAL mode what would have happened, of which
 * nothing is written). In ENGINE_ALL_OR_NOTHING mode a failing event fails the call,
 * err->field naming "/N" plus the event's field, and nothing is written. A text that is not a
 * well-formed array fails the call with FID_ERR_INPUT naming its line and column, and nothing is
 * written. */
enum fid_status engine_apply_batch(struct engine *engine, const struct engine_batch *batch,
                                   int64_t now, enum engine_mode mode,
                                   struct engine_results *results,
                                   struct fid_error *err) FID_MUST_USE;

/* engine_apply_batch for an array of events, with *results (new reference) as a tree. */
enum fid_status engine_apply(struct engine *engine, const json_t *events, int64_t now,
                             enum engine_mode mode, json_t **results,
                             struct fid_error *err) FID_MUST_USE;
/* The same for the text of a JSON array of events. */
enum fid_status engine_apply_text(struct engine *engine, const char *text, size_t len, int64_t now,
                                  enum engine_mode mode, json_t **results,
                                  struct fid_error *err) FID_MUST_USE;

/* Confirms pending points, expires lots, balances and vouchers, and reviews tiers, up to now.
 * Running it twice with the same now changes nothing. *summary is a new JSON object. */
enum fid_status engine_run_due(struct engine *engine, int64_t now, json_t **summary,
                               struct fid_error *err) FID_MUST_USE;
/* One transaction of engine_run_due: up to a thousand customers due by now (the first ones by
 * due time) and, when no more are due, the vouchers; *more: customers may be left. For a server
 * that works through its due customers a batch at a time between its other writes. */
enum fid_status engine_run_due_some(struct engine *engine, int64_t now, bool *more,
                                    struct fid_error *err) FID_MUST_USE;

/* The customer's balances as JSON: points (available, pending, lifetime), cashback, stamps. */
json_t *engine_balance_json(struct engine *engine, const struct customer *customer);

/* The same balance written as one JSON object onto w. */
void engine_balance_write(struct engine *engine, const struct customer *customer, struct jsonw *w);

/* Money as the API speaks it: {"amount_minor": N, "currency": "EUR"}, as a tree or onto w. */
json_t *engine_money_json(const struct engine *engine, int64_t amount_minor);
void engine_money_write(const struct engine *engine, int64_t amount_minor, struct jsonw *w);

/* Which of a member's vouchers to list: those that can be used now (issued, still valid), used,
 * expired (by run-due or past their validity), or all. */
enum voucher_filter { VOUCHERS_USABLE, VOUCHERS_USED, VOUCHERS_EXPIRED, VOUCHERS_ALL };
/* Reads a filter's name ("usable", "used", "expired", "all"); false for another. */
bool voucher_filter_parse(const char *name, enum voucher_filter *out);
/* The member's vouchers the filter keeps at `now`, oldest first, as engine_voucher_json. */
enum fid_status engine_member_vouchers_json(struct engine *engine, const struct customer *customer,
                                            enum voucher_filter filter, int64_t now, json_t **out,
                                            struct fid_error *err) FID_MUST_USE;
/* The member's tier changes, oldest first: [{"at", "tier", "previous", "reason"}] (a tier of ""
 * is none; reason "reached", "review" or "recorded"). */
enum fid_status engine_tier_history_json(struct engine *engine, const struct customer *customer,
                                         json_t **out, struct fid_error *err) FID_MUST_USE;
/* Whether the e-mail and phone (either may be "") are free for the customer of that id (0: a new
 * one): each names one customer of the merchant, so that a look-up by it finds one. Refused with
 * FID_ERR_CONFLICT naming /email or /phone and the customer who holds it; one who is not a
 * member is named so, as the ref to enrol to keep their orders. */
enum fid_status engine_contact_free(struct engine *engine, int64_t customer_id, const char *email,
                                    const char *phone, struct fid_error *err) FID_MUST_USE;

/* A member (or customer) as JSON: profile, aggregates, tier, VIP and balances. The VIP plan's
 * benefits are those of a membership running at now (vip_active), none once it ended. */
json_t *engine_member_json(struct engine *engine, const struct customer *customer, int64_t now);

/* One row of ledger_list as JSON, with its explanation lines; an entry of a stamp card names it
 * by id ("card") and by the name the current programme gives it ("card_name", the id again when
 * a later version dropped the card). With a locale, the lines of the engine's own rules are in
 * its words (core/labels.h: a member reads their ledger in their language); NULL: as written,
 * in the merchant's. */
json_t *engine_ledger_entry_json(const struct engine *engine, struct db_stmt *row,
                                 const char *locale);

/* A stamp card's name in the current programme, or its id when a later version dropped it. */
const char *engine_stamp_card_name(const struct engine *engine, const char *id);

/* The balance with what is next (the nearest reward and tier and what is missing, at now),
 * written as one JSON object onto w: engine_balance_json's fields, then id, tier, next_reward,
 * affordable_rewards and next_tier (rewards of a tier the member does not hold, or for VIP members
 * when they are not one, are neither). Text, not a tree: it is the API's most asked answer.
 * On a store failure w holds part of a document. */
enum fid_status engine_balance_view_write(struct engine *engine, const struct customer *customer,
                                          int64_t now, struct jsonw *w,
                                          struct fid_error *err) FID_MUST_USE;

/* The rewards catalogue of the current programme. */
json_t *engine_rewards_json(const struct engine *engine);

/* The voucher's state at `now`: one past its validity is expired, whether or not run-due marked
 * it yet (a use is refused all the same). */
void engine_voucher_as_of(struct voucher *voucher, int64_t now);

/* A voucher with its reward's name, kind and value as the programme version it was issued under
 * has them. */
json_t *engine_voucher_json(struct engine *engine, const struct voucher *voucher,
                            const struct customer *customer);

/* Segment sizes at `at`: {"at", "customers", "lifecycle": {stage: n}, "custom": {id: n}} and,
 * when list names a stage or a custom segment (else FID_ERR_INPUT on "list"), "members": its
 * customers' references. Customers are those with an order before `at`. */
enum fid_status engine_segments(struct engine *engine, int64_t at, const char *list, json_t **out,
                                struct fid_error *err) FID_MUST_USE;

/* Checks every ledger invariant. *violations (new reference) lists what failed; empty when clean.
 */
enum fid_status engine_verify(struct engine *engine, json_t **violations,
                              struct fid_error *err) FID_MUST_USE;

#endif
