/*
 * Global options (--db, --json, --now, --seed, wherever they appear), dispatch to commands, and
 * the shared helpers of every command. Errors are printed here only.
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/templates.h"
#include "store/schema.h"
#include "util/codes.h"
#include "util/money.h"
#include "util/numbers.h"
#include "util/text.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

struct command {
    const char *name;
    int (*run)(struct cli *cli);
    const char *summary;
    const char *synopsis; /* what follows the command's name, for `fidele COMMAND --help` */
};

static const struct command COMMANDS[] = {
    {"init", cmd_init, "create the database, the merchant and its programme from a template",
     "[--template cafe|bakery|bookshop|ecommerce | --program FILE] [--name NAME] [--currency EUR]\n"
     "       [--timezone Europe/Paris] [--locale fr|en] [--print]"},
    {"program", cmd_program, "show, validate or set the programme (a new version)",
     "show [--version N] | validate FILE | set FILE"},
    {"member", cmd_member, "add, show, list or find members",
     "add ID [--email E] [--phone +33...] [--name N] [--birthday YYYY-MM-DD] [--locale fr|en]\n"
     "       [--consent email|sms|push ...] [--key K] [--at TIME]\n"
     "       | show ID|EMAIL|PHONE|CARD | list [--limit N] [--after ID] [--all] | find TEXT"},
    {"event", cmd_event, "post events (one JSON object, an array or NDJSON), or show one's result",
     "post [FILE|-] [--each] | show KEY"},
    {"balance", cmd_balance, "a member's points, stamps and cashback", "MEMBER"},
    {"ledger", cmd_ledger, "a member's ledger with the explanation of every entry", "MEMBER"},
    {"rewards", cmd_rewards, "the rewards catalogue", ""},
    {"redeem", cmd_redeem, "redeem a reward for a member", "MEMBER REWARD [--key K] [--at TIME]"},
    {"voucher", cmd_voucher, "list a member's vouchers, show or use one",
     "list MEMBER [--state usable|used|expired|all] | show CODE | use CODE [--order ORDER_ID] "
     "[--key K] [--at TIME]"},
    {"run-due", cmd_run_due, "confirm pending points, expire, review tiers up to --now", ""},
    {"verify", cmd_verify, "check every ledger invariant", ""},
    {"demo", cmd_demo, "create a demo cafe with a year of activity",
     "[--customers N] [--force] (with the global --seed N: the same demo again)"},
    {"clv", cmd_clv, "predicted lifetime value per customer (BG/NBD and Gamma-Gamma)",
     "[--calibration-end DATE] [--horizon-weeks N] [--discount-weekly R] [--limit N]"},
    {"import", cmd_import, "import order history from CSV (generic, shopify, woocommerce)",
     "orders FILE [--format generic|shopify|woocommerce] [--map FIELD=COLUMN ...]\n"
     "       [--delimiter C|tab|whitespace] [--no-header] [--date-format FMT] [--award] "
     "[--dry-run]\n"
     "       [--errors FILE] [--commit-every ORDERS]"},
    {"segments", cmd_segments, "lifecycle stages and custom segments at a date (--list NAME)",
     "[--at DATE] [--list NAME]"},
    {"report", cmd_report, "loyalty KPIs over a period (--from, --to, --format text|json|html)",
     "[--from DATE] [--to DATE] [--window DAYS] [--format text|json|html] [--out FILE]"},
    {"liability", cmd_liability,
     "points owed to members over a period: roll-forward, debts, breakage",
     "--from DATE --to DATE"},
    {"serve", cmd_serve, "run the HTTP API (--listen 127.0.0.1:8080)",
     "[--listen HOST:PORT] [--threads N] [--body-limit BYTES] [--batch-limit N] [--timeout S]\n"
     "       [--rate PER_S] [--burst N] [--tls-cert FILE --tls-key FILE] [--ready-file FILE] "
     "[--poll]\n"
     "       [--due-every SECONDS (default 60; 0: scheduled work left to run-due)]"},
    {"merchant", cmd_merchant, "add merchants to the database",
     "add NAME... [--currency EUR] [--timezone Europe/Paris] [--locale fr|en] [--template NAME]\n"
     "       [--key admin|pos|read (a key of that scope for each)]"},
    {"key", cmd_key, "create, list or revoke API keys (--merchant ID --scope admin|pos|read)",
     "create [--scope admin|pos|read, default pos] [--label TEXT] | list | revoke ID"},
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: fidele [--db PATH] [--merchant ID] [--json] [--now TIME] [--seed N] COMMAND "
            "[ARGS]\n"
            "\ncommands:\n");
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        fprintf(out, "  %-9s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(out, "\nThe database is --db PATH, else $FIDELE_DB, else fidele.db. Commands act on\n"
                 "merchant --merchant ID, else $FIDELE_MERCHANT, else the first one; verify and\n"
                 "run-due act on every merchant unless one is named. --now TIME sets the clock\n"
                 "(tests, replays); --seed N makes the demo and generated codes repeatable.\n"
                 "Exit codes: 0 ok, 1 failure, 2 bad input.\n");
}

/* `fidele COMMAND --help`: the command's synopsis; the whole usage for no or an unknown command. */
static void command_usage(const char *name)
{
    for (size_t i = 0; name && i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        if (strcmp(COMMANDS[i].name, name) == 0) {
            printf("usage: fidele [GLOBAL OPTIONS] %s %s\n\n%s.\n(`fidele --help` for the global "
                   "options.)\n",
                   name, COMMANDS[i].synopsis, COMMANDS[i].summary);
            return;
        }
    usage(stdout);
}

int cli_fail(const struct cli *cli, const struct fid_error *err)
{
    if (cli && cli->json) {
        json_t *problem = json_pack("{s:s, s:s, s:s}", "error", fid_status_name(err->status),
                                    "field", err->field, "message", err->message);
        char *text = json_dumps(problem, JSON_INDENT(2));
        fprintf(stderr, "%s\n", text);
        free(text);
        json_decref(problem);
    } else if (err->field[0]) {
        fprintf(stderr, "fidele: %s: %s\n", err->field, err->message);
    } else {
        fprintf(stderr, "fidele: %s\n", err->message[0] ? err->message : fid_strerror(err->status));
    }
    return fid_exit_code(err->status);
}

enum fid_status cli_parse(struct cli *cli, const struct cli_option_spec *specs, int min_positional,
                          int max_positional, struct fid_error *err)
{
    cli->n_positional = cli->n_options = 0;
    for (int i = 0; i < cli->argc; i++) {
        const char *arg = cli->argv[i];
        if (strncmp(arg, "--", 2) != 0 || strcmp(arg, "--") == 0 || strcmp(arg, "-") == 0) {
            if (cli->n_positional >= max_positional || cli->n_positional >= CLI_ARGS_MAX)
                return fid_fail(err, FID_ERR_INPUT, arg, "unexpected argument for `fidele %s`",
                                cli->command);
            cli->positional[cli->n_positional++] = arg;
            continue;
        }
        const char *name = arg + 2;
        const char *inline_value = strchr(name, '=');
        size_t name_len = inline_value ? (size_t)(inline_value - name) : strlen(name);
        const struct cli_option_spec *spec = NULL;
        for (const struct cli_option_spec *s = specs; s && s->name; s++)
            if (strlen(s->name) == name_len && strncmp(s->name, name, name_len) == 0)
                spec = s;
        if (spec == NULL)
            return fid_fail(err, FID_ERR_INPUT, arg, "unknown option for `fidele %s`",
                            cli->command);
        if (cli->n_options >= CLI_ARGS_MAX)
            return fid_fail(err, FID_ERR_INPUT, arg, "too many options");
        const char *value = "";
        if (spec->takes_value) {
            if (inline_value)
                value = inline_value + 1;
            else if (i + 1 < cli->argc)
                value = cli->argv[++i];
            else
                return fid_fail(err, FID_ERR_INPUT, arg, "option needs a value");
        } else if (inline_value) {
            return fid_fail(err, FID_ERR_INPUT, arg, "option takes no value");
        }
        if (spec->takes_value != CLI_VALUES && cli_option(cli, spec->name))
            return fid_fail(
                err, FID_ERR_INPUT, arg, "option given twice for `fidele %s`%s", cli->command,
                strcmp(spec->name, "consent") == 0 ? ": list consents with commas" : "");
        cli->option_names[cli->n_options] = spec->name;
        cli->option_values[cli->n_options++] = value;
    }
    if (cli->n_positional < min_positional)
        return fid_fail(err, FID_ERR_INPUT, cli->command,
                        "missing argument: see `fidele %s --help`", cli->command);
    return FID_OK;
}

enum fid_status cli_action_takes(const struct cli *cli, const char *const *takes,
                                 struct fid_error *err)
{
    for (int i = 0; i < cli->n_options; i++) {
        bool taken = false;
        for (const char *const *t = takes; *t && !taken; t++)
            taken = strcmp(*t, cli->option_names[i]) == 0;
        if (!taken) {
            char field[64];
            snprintf(field, sizeof field, "--%s", cli->option_names[i]);
            return fid_fail(err, FID_ERR_INPUT, field, "not an option of `fidele %s %s`",
                            cli->command, cli->positional[0]);
        }
    }
    return FID_OK;
}

const char *cli_option(const struct cli *cli, const char *name)
{
    const char *found = NULL;
    for (int i = 0; i < cli->n_options; i++)
        if (strcmp(cli->option_names[i], name) == 0)
            found = cli->option_values[i];
    return found;
}

bool cli_flag(const struct cli *cli, const char *name)
{
    return cli_option(cli, name) != NULL;
}

enum fid_status cli_option_int(const struct cli *cli, const char *name, int64_t min, int64_t max,
                               int64_t def, int64_t *out, struct fid_error *err)
{
    const char *v = cli_option(cli, name);
    *out = def;
    if (v == NULL || fid_parse_whole(v, min, max, out))
        return FID_OK;
    char field[64];
    snprintf(field, sizeof field, "--%s", name);
    return fid_fail(err, FID_ERR_INPUT, field, "expected a whole number from %lld to %lld",
                    (long long)min, (long long)max);
}

static enum fid_status open_engine(const struct cli *cli, bool bulk, struct engine **out,
                                   struct fid_error *err)
{
    struct engine_options options = {
        .db_path = cli->db_path,
        .durability = DB_DURABILITY_FULL,
        .merchant_id = cli->merchant_id,
        .seed = cli->has_seed ? &cli->seed : NULL,
        .checkpoint_thread = bulk,
        .sync_apart = bulk,
    };
    enum fid_status st = cli_require_db(cli, err);
    return st == FID_OK ? engine_open(&options, out, err) : st;
}

enum fid_status cli_open_engine(const struct cli *cli, struct engine **out, struct fid_error *err)
{
    return open_engine(cli, false, out, err);
}

enum fid_status cli_open_bulk_engine(const struct cli *cli, struct engine **out,
                                     struct fid_error *err)
{
    return open_engine(cli, true, out, err);
}

enum fid_status cli_each_merchant(const struct cli *cli, cli_merchant_visit visit, void *context,
                                  size_t *n_merchants, struct fid_error *err)
{
    *n_merchants = 0;
    struct db *db = NULL;
    struct db_options db_options = {.durability = DB_DURABILITY_FULL};
    int64_t *ids = NULL;
    size_t n = 0;
    enum fid_status st = cli_require_db(cli, err);
    if (st == FID_OK)
        st = db_open(cli->db_path, &db_options, &db, err);
    if (st == FID_OK)
        st = schema_migrate(db, err);
    if (st == FID_OK && cli->merchant_id) {
        ids = xmalloc(sizeof *ids);
        ids[n++] = cli->merchant_id;
    } else if (st == FID_OK) {
        st = merchant_ids(db, &ids, &n, err);
        struct merchant none;
        if (st == FID_OK && n == 0) /* says there is none, as every command does */
            st = merchant_default(db, &none, err);
    }
    for (size_t i = 0; st == FID_OK && i < n; i++) {
        struct engine_options options = {
            .merchant_id = ids[i], .seed = cli->has_seed ? &cli->seed : NULL, .shared_db = db};
        struct engine *e = NULL;
        if ((st = engine_open(&options, &e, err)) == FID_OK)
            st = visit(e, context, err);
        engine_close(e);
        if (st == FID_OK)
            (*n_merchants)++;
    }
    free(ids);
    db_close(db);
    return st;
}

enum fid_status cli_require_db(const struct cli *cli, struct fid_error *err)
{
    FILE *probe = fopen(cli->db_path, "rb");
    if (probe == NULL)
        return fid_fail(err, FID_ERR_INPUT, "--db",
                        "no database at %s: run `fidele init` (or `fidele demo`) first",
                        cli->db_path);
    fclose(probe);
    return FID_OK;
}

enum fid_status cli_read_input(const char *path, char **text, size_t *len, struct fid_error *err)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL)
        return fid_fail(err, FID_ERR_INPUT, path, "cannot open: %s", strerror(errno));
    size_t cap = 64 * 1024, n = 0;
    char *buf = xmalloc(cap + 1);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            if (cap >= CLI_INPUT_MAX) {
                if (f != stdin)
                    fclose(f);
                free(buf);
                return fid_fail(err, FID_ERR_LIMIT, path, "input larger than %u bytes",
                                CLI_INPUT_MAX);
            }
            cap = cap * 2 > CLI_INPUT_MAX ? CLI_INPUT_MAX : cap * 2;
            buf = xrealloc(buf, cap + 1);
        }
    }
    int error = ferror(f) ? (errno ? errno : EIO) : 0;
    if (f != stdin)
        fclose(f);
    if (error) { /* a directory is the caller's mistake; a failing disk is not */
        free(buf);
        return fid_fail(err, error == EISDIR ? FID_ERR_INPUT : FID_ERR_IO, path, "cannot read: %s",
                        strerror(error));
    }
    buf[n] = '\0';
    /* the byte-order mark Windows editors start UTF-8 files with: no part of the JSON */
    if (n >= 3 && (unsigned char)buf[0] == 0xEF && (unsigned char)buf[1] == 0xBB &&
        (unsigned char)buf[2] == 0xBF) {
        n -= 3;
        memmove(buf, buf + 3, n + 1);
    }
    *text = buf;
    *len = n;
    return FID_OK;
}

const char *cli_replay_note(const json_t *result)
{
    const char *status = json_string_value(json_object_get(result, "status"));
    return status && strcmp(status, "replayed") == 0
               ? " (recorded before under this key: nothing new written)"
               : "";
}

void cli_print_json(json_t *value)
{
    char *text = json_dumps(value, JSON_INDENT(2) | JSON_ENCODE_ANY);
    printf("%s\n", text ? text : "null");
    free(text);
    json_decref(value);
}

enum fid_status cli_apply_one(const struct cli *cli, struct engine *engine, json_t *event,
                              json_t **result, struct fid_error *err)
{
    json_t *events = json_pack("[o]", event), *results = NULL;
    enum fid_status st =
        engine_apply(engine, events, cli->now, ENGINE_ALL_OR_NOTHING, &results, err);
    json_decref(events);
    if (st != FID_OK) {
        if (strncmp(err->field, "/0", 2) == 0) /* the batch index of the only event */
            memmove(err->field, err->field + 2, strlen(err->field + 2) + 1);
        return st;
    }
    *result = json_incref(json_array_get(results, 0));
    json_decref(results);
    return FID_OK;
}

void cli_print_violations(const json_t *violations)
{
    size_t i;
    json_t *v;
    json_array_foreach((json_t *)violations, i, v)
    {
        const json_t *merchant = json_object_get(v, "merchant");
        char where[48] = "";
        if (merchant)
            snprintf(where, sizeof where, " (merchant %lld)",
                     (long long)json_integer_value(merchant));
        fprintf(stderr, "violation %s%s: %s: %s\n", json_string_value(json_object_get(v, "check")),
                where, json_string_value(json_object_get(v, "subject")),
                json_string_value(json_object_get(v, "detail")));
    }
}

enum fid_status cli_template_text(const struct cli *cli, const char *name, char **text,
                                  struct fid_error *err)
{
    const char *currency = cli_option(cli, "currency") ? cli_option(cli, "currency") : "EUR";
    const char *locale = cli_option(cli, "locale") ? cli_option(cli, "locale") : "fr";
    int digits = 2;
    enum fid_status st = fid_currency_check(currency, &digits, "--currency", err);
    if (st != FID_OK)
        return st;
    if (strcmp(locale, "fr") != 0 && strcmp(locale, "en") != 0)
        return fid_fail(err, FID_ERR_INPUT, "--locale", "expected \"fr\" or \"en\"");
    *text = template_program_in(name, currency, digits, locale);
    return *text ? FID_OK
                 : fid_fail(err, FID_ERR_INPUT, "--template",
                            "unknown template \"%s\"; expected cafe, bakery, bookshop or ecommerce",
                            name);
}

const char *cli_count(long long n, const char *one, const char *many, char *out, size_t size)
{
    snprintf(out, size, "%lld %s", n, n == 1 || n == -1 ? one : many);
    return out;
}

const char *cli_local_time(const struct fid_tz *tz, const char *iso, char out[FID_TIME_LOCAL_MAX])
{
    int64_t t = 0;
    struct fid_error err;
    /* the engine wrote it: a time it cannot read back is a bug, shown as it is rather than hidden
     */
    if (fid_time_parse(iso ? iso : "", NULL, &t, "time", &err) != FID_OK)
        snprintf(out, FID_TIME_LOCAL_MAX, "%s", iso ? iso : "?");
    else
        fid_time_format_local(t, tz, out);
    return out;
}

void cli_money(const struct engine *engine, int64_t minor, char *out, size_t size)
{
    char amount[FID_MONEY_TEXT_MAX];
    fid_money_format(minor, engine_currency_digits(engine), amount);
    snprintf(out, size, "%s %s", amount, engine_merchant(engine)->currency);
}

void cli_new_key(char *out, size_t size)
{
    struct fid_rng *rng = fid_rng_new(NULL);
    char code[FID_CODE_MAX];
    fid_code_new(rng, 16, code);
    fid_rng_free(rng);
    snprintf(out, size, "cli-%s", code);
}

/* The slot of a global option (--db, --now, --seed, --merchant; slots in that order) that arg
 * names, with its value when given as --opt=value; NULL when arg is none of them. */
static const char **global_slot(const char *arg, const char **slots[4], const char **inline_value)
{
    static const char *const names[] = {"--db", "--now", "--seed", "--merchant"};
    for (int g = 0; g < 4; g++) {
        size_t n = strlen(names[g]);
        if (strncmp(arg, names[g], n) == 0 && (arg[n] == '\0' || arg[n] == '=')) {
            *inline_value = arg[n] == '=' ? arg + n + 1 : NULL;
            return slots[g];
        }
    }
    return NULL;
}

int cli_main(int argc, char **argv)
{
    struct cli cli = {.db_path = getenv("FIDELE_DB"), .now = (int64_t)time(NULL)};
    if (cli.db_path == NULL || cli.db_path[0] == '\0')
        cli.db_path = "fidele.db";
    const char *merchant_text = getenv("FIDELE_MERCHANT");
    if (merchant_text && merchant_text[0] == '\0')
        merchant_text = NULL;
    char **rest = xcalloc((size_t)argc + 1, sizeof *rest);
    int n_rest = 0;
    struct fid_error err;
    fid_error_clear(&err);
    const char *now_text = NULL, *seed_text = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *inline_value = NULL;
        const char **slot =
            global_slot(a, (const char **[]){&cli.db_path, &now_text, &seed_text, &merchant_text},
                        &inline_value);
        if (slot && inline_value) { /* the last one given wins, as an alias's can be overridden */
            *slot = inline_value;
            continue;
        }
        if (strcmp(a, "--json") == 0) {
            cli.json = true;
            continue;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            command_usage(n_rest ? rest[0] : NULL);
            free(rest);
            return 0;
        } else if (strcmp(a, "--version") == 0 && n_rest == 0) { /* after a command, its own */
            printf("fidele 0.1.0\n");
            free(rest);
            return 0;
        }
        if (slot) {
            if (i + 1 >= argc) {
                fid_fail(&err, FID_ERR_INPUT, a, "option needs a value");
                free(rest);
                return cli_fail(&cli, &err);
            }
            *slot = argv[++i];
            continue;
        }
        if (!fid_text_utf8(a,
                           strlen(a))) { /* every name, id and text the commands store is UTF-8 */
            fid_fail(&err, FID_ERR_INPUT, "", "argument %d is not valid UTF-8", i);
            free(rest);
            return cli_fail(&cli, &err);
        }
        rest[n_rest++] = argv[i];
    }
    if (now_text && fid_time_parse(now_text, NULL, &cli.now, "--now", &err) != FID_OK) {
        free(rest);
        return cli_fail(&cli, &err);
    }
    if (now_text && (cli.now < FID_TIME_MIN || cli.now > FID_TIME_MAX)) { /* as events' "at" */
        fid_fail(&err, FID_ERR_INPUT, "--now", "time out of the supported range (1900 to 2999)");
        free(rest);
        return cli_fail(&cli, &err);
    }
    if (merchant_text && !fid_parse_whole(merchant_text, 1, INT64_MAX, &cli.merchant_id)) {
        fid_fail(&err, FID_ERR_INPUT, "--merchant", "expected a merchant id (1, 2, ...)");
        free(rest);
        return cli_fail(&cli, &err);
    }
    if (seed_text) {
        char *end = NULL;
        errno = 0;
        unsigned long long seed = strtoull(seed_text, &end, 10);
        /* strtoull also takes blanks and a sign ("-3" wraps to 2^64 - 3): digits only. */
        if (errno || end == seed_text || *end || seed_text[0] < '0' || seed_text[0] > '9') {
            fid_fail(&err, FID_ERR_INPUT, "--seed", "expected a whole number");
            free(rest);
            return cli_fail(&cli, &err);
        }
        cli.seed = seed;
        cli.has_seed = true;
    }
    if (n_rest == 0) {
        usage(stderr);
        free(rest);
        return 2;
    }
    cli.command = rest[0];
    cli.argv = rest + 1;
    cli.argc = n_rest - 1;
    int code = -1;
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        if (strcmp(COMMANDS[i].name, cli.command) == 0)
            code = COMMANDS[i].run(&cli);
    if (code < 0) {
        fid_fail(&err, FID_ERR_INPUT, cli.command, "unknown command; see `fidele --help`");
        code = cli_fail(&cli, &err);
    }
    free(rest);
    return code;
}

const char *cli_pad(const char *text, int width, char *out, size_t size)
{
    int shown = 0; /* characters: bytes that do not continue a UTF-8 sequence */
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        shown += (*p & 0xC0) != 0x80;
    snprintf(out, size, "%s%*s", text, shown < width ? width - shown : 0, "");
    return out;
}
