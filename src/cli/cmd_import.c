/*
 * `fidele import orders FILE [--format generic|shopify|woocommerce] [--map FIELD=COLUMN ...]
 *  [--delimiter C|tab|whitespace] [--no-header] [--date-format FMT] [--award] [--dry-run]
 *  [--errors FILE] [--commit-every ORDERS]`: order history from CSV or whitespace-separated
 * exports. Order-level files go to the columnar history (engine/history_import.h); line items,
 * members' orders and --award go through the engine as order events (key "import:ORDER"). Without
 * --award nothing earns. Bad rows are reported with their line, column and reason and the rest is
 * imported; the exit code is 2 when any row was refused. --commit-every bounds the columnar path's
 * transactions (default about 16 million orders), for imports beside a live server whose writes
 * wait for them (each transaction starts from what the server committed meanwhile). --dry-run goes
 * through every step, the engine's included, and writes nothing. Commits do not wait for the
 * disk: the log syncs on a thread of its own (store/log_syncer.h) and the summary is printed once
 * all of it is synced.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/import.h"
#include "import/values.h"
#include "util/xalloc.h"

int cmd_import(struct cli *cli)
{
    static const struct cli_option_spec specs[] = {
        {"format", true},       {"map", CLI_VALUES}, {"delimiter", true}, {"no-header", false},
        {"date-format", true},  {"award", false},    {"dry-run", false},  {"errors", true},
        {"commit-every", true}, {NULL, false}};
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
    im.preset = import_preset(format);
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
        if (f < 0) {
            fid_fail(&im.err, FID_ERR_INPUT, "--map",
                     "expected FIELD=COLUMN with FIELD one of customer, order_id, date, amount, "
                     "currency, email, phone, sku, category, quantity, price, discount, shipping, "
                     "tax, status, refunded (FIELD= for none); got \"%.60s\"",
                     cli->option_values[i]);
            return cli_fail(cli, &im.err);
        }
        im.maps[f] = eq + 1; /* "": the field has no column, whatever the format says */
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
    char reason[VALUE_REASON_MAX];
    if (im.date_format && value_format_check(im.date_format, reason) != 0) {
        fid_fail(&im.err, FID_ERR_INPUT, "--date-format", "%s", reason);
        return cli_fail(cli, &im.err);
    }
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
    if (cli_open_bulk_engine(cli, &im.engine, &im.err) != FID_OK ||
        log_syncer_start(engine_store(im.engine)->db, &im.syncer, &im.err) != FID_OK) {
        code = cli_fail(cli, &im.err);
        goto done;
    }
    engine_history_refs_checked(im.engine); /* each order id is looked for in the history first */
    int64_t commit_every = HISTORY_COMMIT_ORDERS;
    if (cli_option_int(cli, "commit-every", 1, INT32_MAX, HISTORY_COMMIT_ORDERS, &commit_every,
                       &im.err) != FID_OK) {
        code = cli_fail(cli, &im.err);
        goto done;
    }
    if (history_import_open(engine_store(im.engine), cli->now, (size_t)commit_every, im.dry_run,
                            &im.history, &im.err) != FID_OK) {
        code = cli_fail(cli, &im.err);
        goto done;
    }
    im.buffers[0] = xcalloc(IMPORT_DRAFTS, sizeof *im.buffers[0]);
    im.buffers[1] = xcalloc(IMPORT_DRAFTS, sizeof *im.buffers[1]);
    im.drafts = im.buffers[0];
    import_worker_start(&im);
    im.digits = engine_currency_digits(im.engine);
    im.batch = json_array();
    im.batch_lines = json_array();
    im.batch_contacts = json_array();
    im.seen = json_object();
    im.started = import_clock();
    enum fid_status st = rows_read(in, delimiter, import_on_row, &im, &im.bytes, &im.err);
    if (st == FID_OK && im.status == FID_OK) {
        import_close_order(&im);
        import_record_drafts(&im);
        import_drain(&im);
        if (im.status == FID_OK)
            im.status = import_apply_batch(&im);
        if (im.status == FID_OK)
            im.status = history_import_flush(im.history, &im.err);
    }
    /* nothing is reported before every commit is on disk */
    struct fid_error sync_err;
    if (log_syncer_stop(im.syncer, &sync_err) != FID_OK && st == FID_OK && im.status == FID_OK) {
        im.err = sync_err; /* committed, but not known to be on disk: not a success */
        im.status = sync_err.status;
    }
    im.syncer = NULL;
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
    double seconds = import_clock() - im.started;
    size_t held_elsewhere = history_import_contacts_held_elsewhere(im.history);
    json_t *summary = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:b}", "rows", (json_int_t)im.rows,
        "orders_imported", (json_int_t)im.orders_applied, "orders_already_imported",
        (json_int_t)im.orders_replayed, "orders_refused", (json_int_t)im.orders_failed,
        "orders_not_paid", (json_int_t)im.orders_unpaid, "bad_rows", (json_int_t)im.bad_rows,
        "contacts_held_elsewhere", (json_int_t)held_elsewhere, "seconds", seconds,
        "rows_per_second", seconds > 0 ? (double)im.rows / seconds : 0.0, "dry_run", im.dry_run);
    if (cli->json)
        cli_print_json(summary);
    else {
        char rows[48], orders[48], bad[48], unpaid[48] = "";
        if (im.orders_unpaid > 0) /* orders never paid: skipped */
            snprintf(unpaid, sizeof unpaid, ", %zu not paid", im.orders_unpaid);
        printf("%s: %s %s, %zu already imported, %zu refused%s; %s (%.1f s, %.0f rows/s)\n",
               cli_count((long long)im.rows, "row", "rows", rows, sizeof rows),
               cli_count((long long)im.orders_applied, "order", "orders", orders, sizeof orders),
               im.dry_run ? "valid (dry run)" : "imported", im.orders_replayed, im.orders_failed,
               unpaid, cli_count((long long)im.bad_rows, "bad row", "bad rows", bad, sizeof bad),
               seconds, seconds > 0 ? (double)im.rows / seconds : 0.0);
        if (held_elsewhere > 0)
            printf("%zu %s not given an e-mail or phone of the file: another customer has it\n",
                   held_elsewhere, held_elsewhere == 1 ? "customer" : "customers");
        json_decref(summary);
    }
    code = im.bad_rows > 0 ? 2 : 0;
done:
    json_decref(im.order);
    json_decref(im.batch);
    json_decref(im.batch_lines);
    json_decref(im.batch_contacts);
    json_decref(im.seen);
    import_worker_stop(&im);
    struct fid_error stop_err; /* stopped here only on a failure, which is the one told */
    if (im.syncer != NULL && log_syncer_stop(im.syncer, &stop_err) != FID_OK && code == 0)
        code = cli_fail(cli, &stop_err);
    history_import_close(im.history);
    free(im.buffers[0]);
    free(im.buffers[1]);
    free(im.contact_text[0]);
    free(im.contact_text[1]);
    engine_close(im.engine);
    if (im.errors)
        fclose(im.errors);
    if (in != stdin)
        fclose(in);
    return code;
}
