/*
 * The `fidele` command line: global options, argument parsing shared by every command, and the
 * one place where errors become messages and exit codes (0 ok, 1 failure, 2 bad input).
 * Each command lives in its own cmd_*.c file.
 */
#ifndef FIDELE_CLI_CLI_H
#define FIDELE_CLI_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "util/error.h"
#include "util/timeutil.h"

#define CLI_ARGS_MAX  64
#define CLI_INPUT_MAX (256u * 1024 * 1024) /* largest file or stdin a command reads */

struct cli_option_spec {
    const char *name; /* without the leading dashes */
    int takes_value;  /* false: a flag; true: one value; CLI_VALUES: values given repeatedly */
};

/* An option that may be given more than once, each value kept (any other given twice is
 * refused: keeping one of the two would silently drop what the user typed). */
#define CLI_VALUES 2

struct cli {
    const char *db_path;
    int64_t merchant_id; /* --merchant or FIDELE_MERCHANT; 0: the first (or, where it makes
                          * sense, every) merchant of the database */
    bool json;
    int64_t now;
    bool has_seed;
    uint64_t seed;
    const char *command;
    /* after cli_parse: */
    const char *positional[CLI_ARGS_MAX];
    int n_positional;
    const char *option_names[CLI_ARGS_MAX];
    const char *option_values[CLI_ARGS_MAX]; /* "" for flags */
    int n_options;
    /* raw arguments of the command */
    char **argv;
    int argc;
};

/* Entry point: parses global options and runs the command. Returns the exit code. */
int cli_main(int argc, char **argv);

/* Parses the command's arguments against specs (NULL-terminated by name). Fails on unknown
 * options, missing values and more than max_positional positionals. */
enum fid_status cli_parse(struct cli *cli, const struct cli_option_spec *specs, int min_positional,
                          int max_positional, struct fid_error *err) FID_MUST_USE;

/* Value of option name, or NULL when absent; cli_flag tells whether a flag was given. */
const char *cli_option(const struct cli *cli, const char *name);
bool cli_flag(const struct cli *cli, const char *name);
/* Integer option within [min, max]; def when absent. */
/* Refuses an option given that the action (positional[0]) does not take, naming it: the
 * actions of one command share its option list, and an option meant for another action would
 * otherwise be ignored. takes is NULL-terminated. */
enum fid_status cli_action_takes(const struct cli *cli, const char *const *takes,
                                 struct fid_error *err);

enum fid_status cli_option_int(const struct cli *cli, const char *name, int64_t min, int64_t max,
                               int64_t def, int64_t *out, struct fid_error *err) FID_MUST_USE;

/* Prints err to stderr (or as JSON to stdout with --json) and returns its exit code. */
int cli_fail(const struct cli *cli, const struct fid_error *err);

/* Refuses (FID_ERR_INPUT on --db) when the command's database file does not exist: commands
 * other than init never create one by accident. */
enum fid_status cli_require_db(const struct cli *cli, struct fid_error *err) FID_MUST_USE;

/* Opens the engine of the command's merchant on the command's database. */
enum fid_status cli_open_engine(const struct cli *cli, struct engine **out,
                                struct fid_error *err) FID_MUST_USE;
/* The same for a command that commits many batches: checkpoints on a thread of their own, and
 * commits that leave the log's sync to a store/log_syncer.h the command runs behind them. */
enum fid_status cli_open_bulk_engine(const struct cli *cli, struct engine **out,
                                     struct fid_error *err) FID_MUST_USE;

/* Runs visit on an engine of each merchant of the database in id order (only the command's
 * merchant when --merchant is given), over one shared connection; stops at the first failure.
 * *n_merchants gets how many were visited. */
typedef enum fid_status (*cli_merchant_visit)(struct engine *engine, void *context,
                                              struct fid_error *err);
enum fid_status cli_each_merchant(const struct cli *cli, cli_merchant_visit visit, void *context,
                                  size_t *n_merchants, struct fid_error *err) FID_MUST_USE;

/* Reads a whole file ("-" = stdin) of at most CLI_INPUT_MAX bytes; *text is NUL-terminated,
 * without the UTF-8 byte-order mark an editor may have started it with. */
enum fid_status cli_read_input(const char *path, char **text, size_t *len,
                               struct fid_error *err) FID_MUST_USE;

/* What a result's sentence adds when its event was a replay (" (recorded before: ...)"), else "".
 */
const char *cli_replay_note(const json_t *result);

/* Prints value as indented JSON on stdout. Steals the reference. */
void cli_print_json(json_t *value);

/* Applies one event (steals the reference) and returns its result (new reference). An error
 * names the event's own field ("/reward", not the batch's "/0/reward"). */
enum fid_status cli_apply_one(const struct cli *cli, struct engine *engine, json_t *event,
                              json_t **result, struct fid_error *err) FID_MUST_USE;

/* Prints engine_verify's violations on stderr, one a line. */
void cli_print_violations(const json_t *violations);

/* The programme of template `name` in the currency --currency names (EUR when absent), as
 * `init` and `merchant add` start from it (allocated); an unknown template or currency is an
 * error naming its option. */
enum fid_status cli_template_text(const struct cli *cli, const char *name, char **text,
                                  struct fid_error *err) FID_MUST_USE;

/* text followed by spaces up to width characters (UTF-8: "Café" is four wide, as a terminal
 * shows it), into out; text longer than width is left whole. Returns out. */
const char *cli_pad(const char *text, int width, char *out, size_t size);

/* "1 lot", "2 lots": n and the word that agrees with it, in out (size bytes). */
const char *cli_count(long long n, const char *one, const char *many, char *out, size_t size);

/* A UTC ISO 8601 instant from a JSON answer (iso) as the merchant reads it in tz
 * (fid_time_format_local), for text output; --json keeps the UTC text. Returns out. */
const char *cli_local_time(const struct fid_tz *tz, const char *iso, char out[FID_TIME_LOCAL_MAX]);

/* Formats minor units of the engine's currency: "12.50 EUR". */
void cli_money(const struct engine *engine, int64_t minor, char *out, size_t size);

/* A fresh idempotency key for commands run by hand ("cli-<random>"). */
void cli_new_key(char *out, size_t size);

/* Commands. */
int cmd_init(struct cli *cli);
int cmd_program(struct cli *cli);
int cmd_member(struct cli *cli);
int cmd_event(struct cli *cli);
int cmd_balance(struct cli *cli);
int cmd_ledger(struct cli *cli);
int cmd_redeem(struct cli *cli);
int cmd_rewards(struct cli *cli);
int cmd_voucher(struct cli *cli);
int cmd_run_due(struct cli *cli);
int cmd_verify(struct cli *cli);
int cmd_demo(struct cli *cli);
int cmd_serve(struct cli *cli);
int cmd_merchant(struct cli *cli);
int cmd_key(struct cli *cli);
int cmd_clv(struct cli *cli);
int cmd_liability(struct cli *cli);
int cmd_report(struct cli *cli);
int cmd_segments(struct cli *cli);
int cmd_import(struct cli *cli);

#endif
