/*
 * `fidele serve`, `fidele merchant add|list` and `fidele key create|list|revoke`: running the
 * HTTP API and managing who may call it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/xalloc.h"
#include "http/http.h"
#include "store/key_store.h"
#include "store/schema.h"
#include "store/store.h"

static enum fid_status parse_listen(const char *text, struct http_config *config,
                                    struct fid_error *err)
{
    static char host[64];
    const char *colon = strrchr(text, ':');
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    size_t host_len = colon ? (size_t)(colon - text) : 0;
    if (!colon || end == colon + 1 || *end != '\0' || port < 0 || port > 65535 || host_len == 0 ||
        host_len >= sizeof host)
        return fid_fail(err, FID_ERR_INPUT, "--listen",
                        "expected ADDRESS:PORT such as 127.0.0.1:8080 (port 0 = any free port)");
    memcpy(host, text, host_len);
    host[host_len] = '\0';
    if (host[0] == '[' && host[host_len - 1] == ']') { /* [::1]:8080 */
        memmove(host, host + 1, host_len - 2);
        host[host_len - 2] = '\0';
    }
    config->host = host;
    config->port = (uint16_t)port;
    return FID_OK;
}

int cmd_serve(struct cli *cli)
{
    static const struct cli_option_spec specs[] = {
        {"listen", true},  {"threads", true},    {"body-limit", true}, {"batch-limit", true},
        {"timeout", true}, {"rate", true},       {"burst", true},      {"tls-cert", true},
        {"tls-key", true}, {"ready-file", true}, {"poll", false},      {"due-every", true},
        {NULL, false}};
    struct fid_error err;
    fid_error_clear(&err);
    struct http_config config;
    http_config_defaults(&config);
    config.db_path = cli->db_path;
    int64_t threads, body, batch, timeout, rate, burst, due;
    if (cli_parse(cli, specs, 0, 0, &err) != FID_OK ||
        (cli_option(cli, "listen") && parse_listen(cli_option(cli, "listen"), &config, &err)) ||
        cli_option_int(cli, "threads", 1, 256, 2, &threads, &err) != FID_OK ||
        cli_option_int(cli, "body-limit", 1024, 64 * 1024 * 1024, 1024 * 1024, &body, &err) !=
            FID_OK ||
        cli_option_int(cli, "batch-limit", 1, 100000, 1000, &batch, &err) != FID_OK ||
        cli_option_int(cli, "timeout", 1, 3600, 30, &timeout, &err) != FID_OK ||
        cli_option_int(cli, "rate", 0, 1000000, 0, &rate, &err) != FID_OK ||
        cli_option_int(cli, "burst", 1, 1000000, 100, &burst, &err) != FID_OK ||
        cli_option_int(cli, "due-every", 0, 86400, 60, &due, &err) != FID_OK)
        return cli_fail(cli, &err);
    config.threads = (unsigned)threads;
    config.body_limit = (size_t)body;
    config.batch_limit = (size_t)batch;
    config.timeout_seconds = (unsigned)timeout;
    config.rate_per_second = (double)rate;
    config.rate_burst = (double)burst;
    config.tls_cert_path = cli_option(cli, "tls-cert");
    config.tls_key_path = cli_option(cli, "tls-key");
    config.ready_file = cli_option(cli, "ready-file");
    config.poll = cli_flag(cli, "poll");
    config.due_seconds = (unsigned)due;
    xalloc_tune_for_threads(); /* request threads allocate at once */
    if (cli_require_db(cli, &err) != FID_OK || http_serve(&config, &err) != FID_OK)
        return cli_fail(cli, &err);
    return 0;
}

/* A key of `scope` for each new merchant, written into out (an array of objects with "key"). */
static enum fid_status merchants_keys(const struct cli *cli, const int64_t *ids, size_t n,
                                      enum api_scope scope, json_t *out, struct fid_error *err)
{
    struct db *db = NULL;
    struct db_options options = {.durability = DB_DURABILITY_FULL};
    enum fid_status st = db_open(cli->db_path, &options, &db, err);
    struct fid_rng *rng = fid_rng_new(NULL);
    if (st == FID_OK)
        st = db_begin(db, err);
    for (size_t i = 0; st == FID_OK && i < n; i++) {
        struct api_key key;
        char text[API_KEY_TEXT_MAX];
        if ((st = api_key_create(db, rng, ids[i], scope, NULL, NULL, cli->now, &key, text, err)) ==
            FID_OK)
            json_object_set_new(json_array_get(out, i), "key",
                                json_pack("{s:s, s:s, s:s}", "id", key.id, "key", text, "scope",
                                          api_scope_name(scope)));
    }
    if (st == FID_OK)
        st = db_commit(db, err);
    else if (db)
        db_rollback(db);
    fid_rng_free(rng);
    db_close(db);
    return st;
}

int cmd_merchant(struct cli *cli)
{
    static const struct cli_option_spec specs[] = {{"currency", true}, {"timezone", true},
                                                   {"locale", true},   {"template", true},
                                                   {"key", true},      {NULL, false}};
    struct fid_error err;
    fid_error_clear(&err);
    if (cli_parse(cli, specs, 1, CLI_ARGS_MAX, &err) != FID_OK)
        return cli_fail(cli, &err);
    if (strcmp(cli->positional[0], "add") != 0 || cli->n_positional < 2) {
        fid_fail(&err, FID_ERR_INPUT, cli->positional[0], "expected `fidele merchant add NAME...`");
        return cli_fail(cli, &err);
    }
    const char *scope_text = cli_option(cli, "key");
    int scope = scope_text ? api_scope_parse(scope_text) : 0;
    if (scope < 0) {
        fid_fail(&err, FID_ERR_INPUT, "--key", "expected the new key's scope: admin, pos or read");
        return cli_fail(cli, &err);
    }
    /* another merchant of a database init made: a mistyped --db makes no new file */
    if (cli_require_db(cli, &err) != FID_OK)
        return cli_fail(cli, &err);
    const char *template = cli_option(cli, "template") ? cli_option(cli, "template") : "cafe";
    char *text = NULL;
    if (cli_template_text(cli, template, &text, &err) != FID_OK)
        return cli_fail(cli, &err);
    struct merchant_setup setup = {
        .currency = cli_option(cli, "currency") ? cli_option(cli, "currency") : "EUR",
        .timezone = cli_option(cli, "timezone") ? cli_option(cli, "timezone") : "Europe/Paris",
        .locale = cli_option(cli, "locale") ? cli_option(cli, "locale") : "fr",
        .program_text = text,
    };
    const char *const *names = &cli->positional[1];
    size_t n = (size_t)cli->n_positional - 1;
    int64_t ids[CLI_ARGS_MAX];
    enum fid_status st =
        engine_create_merchants(cli->db_path, &setup, names, n, cli->now, ids, &err);
    free(text);
    json_t *made = json_array();
    for (size_t i = 0; st == FID_OK && i < n; i++)
        json_array_append_new(made,
                              json_pack("{s:I, s:s}", "id", (json_int_t)ids[i], "name", names[i]));
    /* a key made apart from its merchants: should it fail, they stand, and `key create` makes
     * one each */
    if (st == FID_OK && scope_text)
        st = merchants_keys(cli, ids, n, (enum api_scope)scope, made, &err);
    if (st != FID_OK) {
        json_decref(made);
        return cli_fail(cli, &err);
    }
    if (cli->json) {
        /* one merchant answers its object, as it always did; several an array */
        cli_print_json(n == 1 ? json_incref(json_array_get(made, 0)) : json_incref(made));
    } else {
        for (size_t i = 0; i < n; i++) {
            json_t *key = json_object_get(json_array_get(made, i), "key");
            printf("Merchant %lld \"%s\" created with the %s programme.\n", (long long)ids[i],
                   names[i], template);
            if (key)
                printf("  %s key: %s (id %s; shown only now)\n", scope_text,
                       json_string_value(json_object_get(key, "key")),
                       json_string_value(json_object_get(key, "id")));
        }
    }
    json_decref(made);
    return 0;
}

static int collect_key(const struct api_key *k, void *context)
{
    char created[FID_TIME_ISO_MAX], revoked[FID_TIME_ISO_MAX] = "";
    fid_time_format(k->created_at, created);
    if (k->revoked_at)
        fid_time_format(k->revoked_at, revoked);
    json_array_append_new(context,
                          json_pack("{s:s, s:s, s:s, s:s, s:s?}", "id", k->id, "scope",
                                    api_scope_name(k->scope), "label", k->label, "created_at",
                                    created, "revoked_at", k->revoked_at ? revoked : NULL));
    return 0;
}

/* The keys with their times in the merchant's zone (tz). */
static void print_keys(json_t *keys, const struct fid_tz *tz)
{
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k)
    {
        const char *revoked = json_string_value(json_object_get(k, "revoked_at"));
        char created_text[FID_TIME_LOCAL_MAX], revoked_text[FID_TIME_LOCAL_MAX] = "";
        if (revoked)
            cli_local_time(tz, revoked, revoked_text);
        printf(
            "%s  %-5s  created %s%s%s  %s\n", json_string_value(json_object_get(k, "id")),
            json_string_value(json_object_get(k, "scope")),
            cli_local_time(tz, json_string_value(json_object_get(k, "created_at")), created_text),
            revoked ? ", revoked " : "", revoked_text,
            json_string_value(json_object_get(k, "label")));
    }
    if (json_array_size(keys) == 0)
        printf("No API key yet: `fidele key create --scope pos` makes one.\n");
}

int cmd_key(struct cli *cli)
{
    static const struct cli_option_spec specs[] = {
        {"merchant", true}, {"scope", true}, {"label", true}, {NULL, false}};
    struct fid_error err;
    fid_error_clear(&err);
    int64_t merchant_id = 0;
    if (cli_parse(cli, specs, 1, 2, &err) != FID_OK ||
        cli_option_int(cli, "merchant", 1, INT64_MAX, cli->merchant_id, &merchant_id, &err) !=
            FID_OK)
        return cli_fail(cli, &err);
    const char *action = cli->positional[0];
    static const char *const create_takes[] = {"merchant", "scope", "label", NULL};
    static const char *const other_takes[] = {"merchant", NULL};
    if (cli_action_takes(cli, strcmp(action, "create") == 0 ? create_takes : other_takes, &err) !=
        FID_OK)
        return cli_fail(cli, &err);
    struct db *db = NULL;
    struct db_options options = {.durability = DB_DURABILITY_FULL};
    struct merchant m;
    if (cli_require_db(cli, &err) != FID_OK ||
        db_open(cli->db_path, &options, &db, &err) != FID_OK ||
        schema_migrate(db, &err) != FID_OK ||
        (merchant_id ? merchant_get(db, merchant_id, &m, &err) : merchant_default(db, &m, &err)) !=
            FID_OK) {
        db_close(db);
        return cli_fail(cli, &err);
    }
    int code = 0;
    if (strcmp(action, "create") == 0) {
        const char *scope_text = cli_option(cli, "scope") ? cli_option(cli, "scope") : "pos";
        int scope = api_scope_parse(scope_text);
        struct fid_rng *rng = fid_rng_new(NULL);
        struct api_key key;
        char text[API_KEY_TEXT_MAX];
        const char *label = cli_option(cli, "label");
        if (scope < 0)
            fid_fail(&err, FID_ERR_INPUT, "--scope", "expected admin, pos or read");
        if (scope < 0 || (label && api_key_label_check(label, "--label", &err) != FID_OK) ||
            api_key_create(db, rng, m.id, (enum api_scope)scope, label, NULL, cli->now, &key, text,
                           &err) != FID_OK)
            code = cli_fail(cli, &err);
        else if (cli->json)
            cli_print_json(json_pack("{s:s, s:s, s:I, s:s}", "id", key.id, "key", text,
                                     "merchant_id", (json_int_t)m.id, "scope", scope_text));
        else
            printf("%s\n(key id %s, scope %s, for merchant %lld \"%s\"; the key is shown only "
                   "now, `fidele key revoke %s` ends it)\n",
                   text, key.id, scope_text, (long long)m.id, m.name, key.id);
        fid_rng_free(rng);
    } else if (strcmp(action, "list") == 0 && cli->n_positional == 1) {
        json_t *keys = json_array();
        struct fid_tz *tz = NULL;
        if (api_key_list(db, m.id, collect_key, keys, &err) != FID_OK ||
            (!cli->json && fid_tz_open(m.timezone, &tz, &err) != FID_OK))
            code = cli_fail(cli, &err);
        else if (cli->json)
            cli_print_json(json_incref(keys));
        else
            print_keys(keys, tz);
        fid_tz_free(tz);
        json_decref(keys);
    } else if (strcmp(action, "revoke") == 0 && cli->n_positional == 2) {
        if (api_key_revoke(db, m.id, cli->positional[1], cli->now, &err) != FID_OK)
            code = cli_fail(cli, &err);
        else if (cli->json)
            cli_print_json(json_pack("{s:s, s:b}", "id", cli->positional[1], "revoked", 1));
        else
            printf("Key %s revoked.\n", cli->positional[1]);
    } else {
        fid_fail(&err, FID_ERR_INPUT, action,
                 "expected `fidele key create`, `key list` or `key revoke ID`");
        code = cli_fail(cli, &err);
    }
    db_close(db);
    return code;
}
