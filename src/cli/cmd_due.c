/*
 * `fidele run-due` (scheduled work up to --now) and `fidele verify` (every ledger invariant).
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"

int cmd_run_due(struct cli *cli)
{
    static const struct cli_option_spec specs[] = {{NULL, false}};
    struct fid_error err;
    fid_error_clear(&err);
    struct engine *e = NULL;
    json_t *summary = NULL;
    if (cli_parse(cli, specs, 0, 0, &err) != FID_OK || cli_open_engine(cli, &e, &err) != FID_OK ||
        engine_run_due(e, cli->now, &summary, &err) != FID_OK) {
        engine_close(e);
        return cli_fail(cli, &err);
    }
    engine_close(e);
    if (cli->json) {
        cli_print_json(summary);
        return 0;
    }
    printf("Due work up to %s: %lld points confirmed (%lld lots), %lld points expired (%lld lots), "
           "%lld tier changes, %lld vouchers expired.\n",
           json_string_value(json_object_get(summary, "now")),
           (long long)json_integer_value(json_object_get(summary, "points_confirmed")),
           (long long)json_integer_value(json_object_get(summary, "lots_confirmed")),
           (long long)json_integer_value(json_object_get(summary, "points_expired")),
           (long long)json_integer_value(json_object_get(summary, "lots_expired")),
           (long long)json_integer_value(json_object_get(summary, "tier_changes")),
           (long long)json_integer_value(json_object_get(summary, "vouchers_expired")));
    json_decref(summary);
    return 0;
}

int cmd_verify(struct cli *cli)
{
    static const struct cli_option_spec specs[] = {{NULL, false}};
    struct fid_error err;
    fid_error_clear(&err);
    struct engine *e = NULL;
    json_t *violations = NULL;
    if (cli_parse(cli, specs, 0, 0, &err) != FID_OK || cli_open_engine(cli, &e, &err) != FID_OK ||
        engine_verify(e, &violations, &err) != FID_OK) {
        engine_close(e);
        return cli_fail(cli, &err);
    }
    engine_close(e);
    size_t n = json_array_size(violations);
    if (cli->json) {
        cli_print_json(json_pack("{s:b, s:O}", "ok", n == 0, "violations", violations));
    } else if (n == 0) {
        printf("All invariants hold.\n");
    } else {
        cli_print_violations(violations);
    }
    json_decref(violations);
    return n == 0 ? 0 : 1;
}
