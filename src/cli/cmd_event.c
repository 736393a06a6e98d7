/*
 * `fidele event post [FILE|-] [--each]`: events as one JSON object, a JSON array or NDJSON;
 * `fidele event show KEY`: an event's result, from its idempotency record.
 * By default the whole input is one transaction that applies completely or not at all; --each
 * applies the good events and reports the bad ones (exit 2 when any failed), committing every
 * EACH_BATCH events: a large file is applied at the engine's batch rate, an interruption keeps
 * what was committed (posting the file again replays it), and a failing event that had written
 * before failing makes only its own batch run again with a savepoint per event. Each batch's log
 * is synced while the next one applies (store/log_syncer.h), and nothing is reported before
 * every batch is on disk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/event_stream.h"
#include "store/log_syncer.h"
#include "store/store.h"

#define EACH_BATCH 1000

/* The result of a line that was not an event (event_stream_parse_each's [WHERE, MESSAGE]). */
static json_t *bad_line_result(const json_t *marker)
{
    return json_pack("{s:n, s:s, s:{s:s, s:s, s:s}}", "key", "status", "error", "error", "type",
                     "invalid_input", "field", json_string_value(json_array_get(marker, 0)),
                     "message", json_string_value(json_array_get(marker, 1)));
}

/* Applies events in transactions of EACH_BATCH, each event on its own, on a bulk engine
 * (cli_open_bulk_engine); *results (new) holds one result per event, and per line that was not
 * one, once all are durable. */
static enum fid_status apply_each(struct engine *e, const json_t *events, int64_t now,
                                  json_t **results, struct fid_error *err)
{
    *results = json_array();
    struct log_syncer *syncer = NULL;
    uint64_t behind = 0; /* the batch before: synced while this one applies */
    enum fid_status st = log_syncer_start(engine_store(e)->db, &syncer, err);
    for (size_t first = 0; st == FID_OK && first < json_array_size(events); first += EACH_BATCH) {
        json_t *batch = json_array(), *batch_results = NULL;
        size_t last = first + EACH_BATCH < json_array_size(events) ? first + EACH_BATCH
                                                                   : json_array_size(events);
        for (size_t i = first; i < last; i++)
            if (json_is_object(json_array_get(events, i)))
                json_array_append(batch, json_array_get(events, i));
        st = json_array_size(batch)
                 ? engine_apply(e, batch, now, ENGINE_EACH_ON_ITS_OWN, &batch_results, err)
                 : FID_OK;
        if (st == FID_OK) {
            uint64_t ticket = log_syncer_ask(syncer);
            st = behind ? log_syncer_wait(syncer, behind, err) : FID_OK;
            behind = ticket;
        }
        /* the results in the input's order, bad lines in their places */
        for (size_t i = first, next = 0; st == FID_OK && i < last; i++) {
            const json_t *item = json_array_get(events, i);
            json_array_append_new(*results, json_is_object(item)
                                                ? json_incref(json_array_get(batch_results, next++))
                                                : bad_line_result(item));
        }
        if (st != FID_OK && err->field[0] == '/') {
            /* a database failure names the event in its batch: name it in the file */
            char *rest = strchr(err->field + 1, '/');
            char field[FID_ERROR_FIELD_MAX];
            snprintf(field, sizeof field, "/%zu%s", first + strtoul(err->field + 1, NULL, 10),
                     rest ? rest : "");
            snprintf(err->field, sizeof err->field, "%s", field);
        }
        json_decref(batch_results);
        json_decref(batch);
    }
    struct fid_error sync_err;
    if (log_syncer_stop(syncer, &sync_err) != FID_OK && st == FID_OK) {
        *err = sync_err; /* committed, but not known to be on disk: not a success */
        st = sync_err.status;
    }
    if (st != FID_OK) {
        json_decref(*results);
        *results = NULL;
    }
    return st;
}

/* `fidele event show KEY`: the result the event with that idempotency key was answered, as
 * it was first answered (status "applied"), from its record. */
static int show_event(struct cli *cli, const char *key)
{
    struct fid_error err;
    fid_error_clear(&err);
    struct engine *e = NULL;
    char digest[FID_DIGEST_HEX], *result = NULL;
    enum fid_status st = cli_open_engine(cli, &e, &err);
    if (st == FID_OK &&
        (st = event_record_find(engine_store(e), key, digest, &result, &err)) == FID_ERR_NOT_FOUND)
        st = fid_fail(&err, FID_ERR_NOT_FOUND, "KEY", "no event has the key \"%.100s\"", key);
    engine_close(e);
    if (st != FID_OK)
        return cli_fail(cli, &err);
    json_error_t jerr;
    json_t *tree = json_loads(result, 0, &jerr);
    free(result);
    if (tree == NULL) {
        fid_fail(&err, FID_ERR_INTERNAL, "", "the stored result is not JSON");
        return cli_fail(cli, &err);
    }
    cli_print_json(tree);
    return 0;
}

int cmd_event(struct cli *cli)
{
    static const struct cli_option_spec specs[] = {{"each", false}, {NULL, false}};
    struct fid_error err;
    fid_error_clear(&err);
    if (cli_parse(cli, specs, 1, 2, &err) != FID_OK)
        return cli_fail(cli, &err);
    if (strcmp(cli->positional[0], "show") == 0 && cli->n_positional == 2 && !cli_flag(cli, "each"))
        return show_event(cli, cli->positional[1]);
    if (strcmp(cli->positional[0], "post") != 0) {
        fid_fail(&err, FID_ERR_INPUT, cli->positional[0],
                 "expected `fidele event post FILE` or `fidele event show KEY`");
        return cli_fail(cli, &err);
    }
    const char *path = cli->n_positional == 2 ? cli->positional[1] : "-";
    char *text = NULL;
    size_t len = 0;
    json_t *events = NULL, *results = NULL;
    struct engine *e = NULL;
    enum fid_status st = cli_read_input(path, &text, &len, &err);
    bool read = st == FID_OK; /* errors from here on name a JSON pointer into the events */
    bool each = cli_flag(cli, "each");
    if (st == FID_OK)
        st = each ? event_stream_parse_each(text, len, &events, &err)
                  : event_stream_parse(text, len, &events, &err);
    if (st == FID_OK)
        st = each ? cli_open_bulk_engine(cli, &e, &err) : cli_open_engine(cli, &e, &err);
    if (st == FID_OK)
        st = each ? apply_each(e, events, cli->now, &results, &err)
                  : engine_apply(e, events, cli->now, ENGINE_ALL_OR_NOTHING, &results, &err);
    json_decref(events);
    engine_close(e);
    if (st != FID_OK) {
        if (read && err.field[0] == '/' && !each) {
            /* "/3/lines/0/quantity" -> "event 4: /lines/0/quantity" reads better on a terminal */
            char *rest = strchr(err.field + 1, '/');
            long index = strtol(err.field + 1, NULL, 10);
            char field[FID_ERROR_FIELD_MAX], line[32] = "";
            size_t *lines = index >= 0 ? event_stream_lines(text, len, (size_t)index + 1) : NULL;
            size_t at_line = lines ? lines[index] : 0;
            free(lines);
            if (at_line > 0 && at_line != (size_t)index + 1) /* blank lines in NDJSON */
                snprintf(line, sizeof line, " (line %zu)", at_line);
            snprintf(field, sizeof field, "event %ld%s%s%s", index + 1, line, rest ? ": " : "",
                     rest ? rest : "");
            snprintf(err.field, sizeof err.field, "%s", field);
        }
        free(text);
        return cli_fail(cli, &err);
    }
    size_t applied = 0, replayed = 0, failed = 0, i, *lines = NULL;
    json_t *r;
    json_array_foreach(results, i, r)
    {
        const char *status = json_string_value(json_object_get(r, "status"));
        if (strcmp(status, "applied") == 0)
            applied++;
        else if (strcmp(status, "replayed") == 0)
            replayed++;
        else {
            failed++;
            const char *key = json_string_value(json_object_get(r, "key"));
            char which[EVENT_KEY_MAX + 80] = ""; /* none for a line that was not an event */
            if (lines == NULL) /* once, at the first failure: a pass over the text */
                lines = event_stream_lines(text, len, json_array_size(results));
            size_t at_line = lines[i];
            if (key && at_line > 0 && at_line != i + 1) /* blank lines in NDJSON */
                snprintf(which, sizeof which, "event %zu (key %s, line %zu): ", i + 1, key,
                         at_line);
            else if (key)
                snprintf(which, sizeof which, "event %zu (key %s): ", i + 1, key);
            if (!cli->json)
                fprintf(stderr, "fidele: %s%s: %s\n", which,
                        json_string_value(json_object_get(json_object_get(r, "error"), "field")),
                        json_string_value(json_object_get(json_object_get(r, "error"), "message")));
        }
    }
    free(lines);
    free(text);
    if (cli->json)
        cli_print_json(results);
    else {
        printf("%zu applied, %zu replayed, %zu failed.\n", applied, replayed, failed);
        json_decref(results);
    }
    return failed ? 2 : 0;
}
