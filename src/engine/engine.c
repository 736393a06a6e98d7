/*
 * Engine life: opening a merchant's engine (on its own connection or a shared one), its
 * programme (set, refreshed when another connection saved a newer one) and read snapshots. The
 * apply loop is in apply.c.
 */
#include "engine/engine_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/customer_journal.h"
#include "store/schema.h"
#include "util/money.h"
#include "util/phone_region.h"
#include "util/text.h"
#include "util/xalloc.h"

const struct program *engine_program(const struct engine *e)
{
    return e->program;
}

const struct merchant *engine_merchant(const struct engine *e)
{
    return &e->merchant;
}

struct store *engine_store(struct engine *e)
{
    return &e->store;
}

const struct fid_tz *engine_tz(const struct engine *e)
{
    return e->tz;
}

int engine_currency_digits(const struct engine *e)
{
    return e->currency_digits;
}

enum fid_status engine_program_version(struct engine *e, int64_t version, struct program **out,
                                       struct fid_error *err)
{
    char *text = NULL;
    int64_t loaded = 0;
    *out = NULL;
    enum fid_status st = program_store_load(&e->store, version, &text, &loaded, err);
    if (st == FID_OK)
        st = program_parse_stored_text(text, strlen(text), out, err);
    free(text);
    if (st == FID_OK)
        (*out)->version = loaded;
    return st;
}

static enum fid_status load_program(struct engine *e, struct fid_error *err)
{
    struct program *p = NULL;
    enum fid_status st = engine_program_version(e, 0, &p, err);
    if (st != FID_OK)
        return st;
    program_free(e->program);
    e->program = p;
    return program_store_expiry_history(&e->store, &e->expiry_since, &e->lots_expire, err);
}

enum fid_status engine_create_merchants(const char *db_path, const struct merchant_setup *setup,
                                        const char *const *names, size_t n, int64_t now,
                                        int64_t *merchant_ids, struct fid_error *err)
{
    struct merchant m = {.created_at = now};
    int digits;
    struct fid_tz *tz = NULL;
    struct program *program = NULL;
    enum fid_status st;
    for (size_t i = 0; i < n; i++) {
        if (strlen(names[i]) == 0 || strlen(names[i]) >= sizeof m.name)
            return fid_fail(err, FID_ERR_INPUT, "--name", "a merchant name of 1 to %zu bytes",
                            sizeof m.name - 1);
        if (fid_text_control(names[i]) >= 0) /* printed one a line and in headers */
            return fid_fail(err, FID_ERR_INPUT, "--name",
                            "a merchant name without control characters");
    }
    if ((st = fid_currency_check(setup->currency, &digits, "--currency", err)) != FID_OK)
        return st;
    if ((st = fid_tz_open(setup->timezone, &tz, err)) != FID_OK) {
        snprintf(err->field, sizeof err->field, "--timezone");
        return st;
    }
    fid_tz_free(tz);
    if (strcmp(setup->locale, "fr") != 0 && strcmp(setup->locale, "en") != 0)
        return fid_fail(err, FID_ERR_INPUT, "--locale", "expected \"fr\" or \"en\"");
    if ((st = program_parse_text(setup->program_text, strlen(setup->program_text), &program,
                                 err)) != FID_OK)
        return st;
    snprintf(m.currency, sizeof m.currency, "%s", setup->currency);
    snprintf(m.timezone, sizeof m.timezone, "%s", setup->timezone);
    snprintf(m.locale, sizeof m.locale, "%s", setup->locale);

    struct db *db = NULL;
    struct db_options options = {.durability = DB_DURABILITY_FULL};
    if ((st = db_open(db_path, &options, &db, err)) != FID_OK)
        goto done;
    if ((st = schema_migrate(db, err)) != FID_OK || (st = db_begin(db, err)) != FID_OK)
        goto done;
    int64_t version, merchants = 0;
    /* looked for under the write lock: two inits at once make one merchant */
    if (setup->first &&
        (st = db_run_int(db_prepare(db, "SELECT COUNT(*) FROM merchants"), 0, &merchants, err)) ==
            FID_OK &&
        merchants > 0)
        st = fid_fail(err, FID_ERR_STATE, "--db", "%s already holds a merchant", db_path);
    /* all in one transaction: a list of merchants is added whole or not at all */
    for (size_t i = 0; st == FID_OK && i < n; i++) {
        snprintf(m.name, sizeof m.name, "%s", names[i]);
        if ((st = merchant_insert(db, &m, err)) == FID_OK) {
            struct store store;
            store_init(&store, db, m.id);
            st = program_store_save(&store, program->text, now, &version, err);
            store_release(&store);
        }
        merchant_ids[i] = m.id;
    }
    if (st == FID_OK)
        st = db_commit(db, err);
    if (st != FID_OK)
        db_rollback(db);
done:
    program_free(program);
    db_close(db);
    return st;
}

enum fid_status engine_create_merchant(const char *db_path, const struct merchant_setup *setup,
                                       int64_t now, int64_t *merchant_id, struct fid_error *err)
{
    return engine_create_merchants(db_path, setup, &setup->name, 1, now, merchant_id, err);
}

enum fid_status engine_open(const struct engine_options *options, struct engine **out,
                            struct fid_error *err)
{
    *out = NULL;
    struct engine *e = xcalloc(1, sizeof *e);
    struct db_options db_options = {.durability = options->durability,
                                    .map_bytes = options->map_bytes,
                                    .checkpoint_thread = options->checkpoint_thread,
                                    .sync_apart = options->sync_apart};
    enum fid_status st = FID_OK;
    if (options->shared_db) {
        e->db = options->shared_db;
    } else {
        e->owns_db = true;
        st = db_open(options->db_path, &db_options, &e->db, err);
        if (st == FID_OK)
            st = schema_migrate(e->db, err);
        /* a server's committer may have left images: the rows read from here on hold them */
        if (st == FID_OK) {
            st = customer_journal_fold_first(e->db, err);
            /* a database that cannot be written is read through the images instead */
            if (st == FID_ERR_DB && db_writes_refused(e->db))
                st = customer_journal_load(e->db, &e->unfolded, err);
        }
    }
    if (st == FID_OK)
        st = options->merchant_id ? merchant_get(e->db, options->merchant_id, &e->merchant, err)
                                  : merchant_default(e->db, &e->merchant, err);
    if (st == FID_OK)
        st = fid_currency_check(e->merchant.currency, &e->currency_digits, "currency", err);
    e->labels = labels_for(e->merchant.locale);
    if (st == FID_OK)
        st = fid_tz_open(e->merchant.timezone, &e->tz, err);
    if (st == FID_OK) {
        store_init(&e->store, e->db, e->merchant.id);
        fid_phone_region_of_zone(e->merchant.timezone, e->store.phone_region);
        e->store.overlay = e->unfolded;
        st = load_program(e, err);
    }
    if (st != FID_OK) {
        engine_close(e);
        return st;
    }
    e->rng = fid_rng_new(options->seed);
    e->tiers_judge_every_order = options->tiers_judge_every_order;
    *out = e;
    return FID_OK;
}

void engine_close(struct engine *e)
{
    if (e == NULL)
        return;
    store_release(&e->store);
    program_free(e->program);
    fid_tz_free(e->tz);
    fid_rng_free(e->rng);
    if (e->owns_db)
        db_close(e->db);
    customer_journal_free(e->unfolded);
    free(e);
}

enum fid_status engine_rows_current(const struct engine *e, const char *what, struct fid_error *err)
{
    size_t behind = e->unfolded ? customer_journal_size(e->unfolded) : 0;
    if (behind == 0)
        return FID_OK;
    return fid_fail(err, FID_ERR_DB, "",
                    "%s reads every customer's row, and the journal of a server that stopped "
                    "without folding it holds newer state for %zu customer%s, which this "
                    "database cannot take (it cannot be written): open it once where it can be "
                    "written (any fidele command folds the journal)",
                    what, behind, behind == 1 ? "" : "s");
}

/* A new expiry rule: every member holding points is due now, so that the next scheduled work
 * (or their next event) judges their balance by it, not by the deadline the old rule set. */
static enum fid_status expiry_changed(struct engine *e, int64_t now, struct fid_error *err)
{
    struct db_stmt *s =
        db_prepare(e->db, "UPDATE customers SET next_due_at = ?1 WHERE merchant_id = ?2 AND "
                          "points_available > 0 AND (next_due_at IS NULL OR next_due_at > ?1)");
    db_bind_int(s, 1, now);
    db_bind_int(s, 2, e->merchant.id);
    return db_run(s, err);
}

enum fid_status engine_set_program(struct engine *e, const char *text, int64_t now,
                                   int64_t *version, struct fid_error *err)
{
    struct program *p = NULL;
    enum fid_status st = program_parse_text(text, strlen(text), &p, err);
    if (st != FID_OK)
        return st;
    /* What fell due under the version in force (an expiry, a review) is done under it first:
     * else a balance whose deadline passed would be judged by the new rule, or kept, as whether
     * the scheduled work had run since decided. */
    json_t *due = NULL;
    if ((e->program == NULL || strcmp(e->program->text, p->text) != 0) &&
        (st = engine_run_due(e, now, &due, err)) != FID_OK) {
        program_free(p);
        return st;
    }
    json_decref(due);
    /* The same document as the current version makes no new one (a PUT sent twice, a file set
     * again): the current version stands. */
    char *current = NULL;
    int64_t current_version = 0;
    if ((st = store_begin(&e->store, err)) == FID_OK &&
        (st = program_store_load(&e->store, 0, &current, &current_version, err)) ==
            FID_ERR_NOT_FOUND)
        st = FID_OK;
    bool same = st == FID_OK && current != NULL && strcmp(current, p->text) == 0;
    free(current);
    if (same)
        *version = current_version;
    if (st == FID_OK && !same)
        st = program_store_save(&e->store, p->text, now, version, err);
    int64_t expiry_since = e->expiry_since;
    bool lots_expire = e->lots_expire;
    if (st == FID_OK)
        st = program_store_expiry_history(&e->store, &expiry_since, &lots_expire, err);
    /* the new version begins a run of its own expiry rule */
    if (st == FID_OK && !same && expiry_since == now)
        st = expiry_changed(e, now, err);
    if (st == FID_OK && (st = store_commit(&e->store, err)) == FID_OK) {
        p->version = *version;
        program_free(e->program);
        e->program = p;
        e->expiry_since = expiry_since;
        e->lots_expire = lots_expire;
        return FID_OK;
    }
    store_rollback(&e->store);
    program_free(p);
    return st;
}

enum fid_status engine_refresh_program(struct engine *e, struct fid_error *err)
{
    int64_t latest = 0;
    struct db_stmt *s =
        db_prepare(e->db, "SELECT COALESCE(MAX(version), 0) FROM programs WHERE merchant_id = ?");
    db_bind_int(s, 1, e->merchant.id);
    enum fid_status st = db_run_int(s, 0, &latest, err);
    if (st == FID_OK && latest != e->program->version)
        st = load_program(e, err);
    return st;
}

enum fid_status engine_refresh_program_since(struct engine *e, uint64_t others_version,
                                             struct fid_error *err)
{
    if (e->program_seen && e->program_seen_at == others_version)
        return FID_OK;
    enum fid_status st = engine_refresh_program(e, err);
    e->program_seen = st == FID_OK;
    e->program_seen_at = others_version;
    return st;
}

enum fid_status engine_read_begin(struct engine *e, uint64_t *data_version, struct fid_error *err)
{
    enum fid_status st = db_read_begin(e->db, err);
    if (st == FID_OK) {
        store_read_begin(&e->store);
        st = db_data_version(e->db, data_version, err);
    }
    /* Only a commit since the previous snapshot can have saved a newer programme. */
    if (st == FID_OK && (!e->data_version_known || *data_version != e->data_version))
        st = engine_refresh_program(e, err);
    if (st == FID_OK) {
        e->data_version = *data_version;
        e->data_version_known = true;
    }
    return st;
}

void engine_read_end(struct engine *e)
{
    store_read_end(&e->store);
    db_rollback(e->db); /* nothing was written: ending the snapshot is all */
}

void engine_history_refs_checked(struct engine *e)
{
    e->history_refs_checked = true;
}
