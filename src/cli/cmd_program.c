/*
 * `fidele program show [--version N]`, `fidele program validate FILE`, `fidele program set FILE`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/program.h"

int cmd_program(struct cli *cli)
{
    static const struct cli_option_spec specs[] = {{"version", true}, {NULL, false}};
    struct fid_error err;
    fid_error_clear(&err);
    if (cli_parse(cli, specs, 1, 2, &err) != FID_OK)
        return cli_fail(cli, &err);
    const char *action = cli->positional[0];
    if (strcmp(action, "validate") == 0 || strcmp(action, "set") == 0) {
        static const char *const takes_none[] = {NULL};
        if (cli->n_positional != 2) {
            fid_fail(&err, FID_ERR_INPUT, action, "expected a file (or - for stdin)");
            return cli_fail(cli, &err);
        }
        if (cli_action_takes(cli, takes_none, &err) != FID_OK)
            return cli_fail(cli, &err);
        char *text = NULL;
        size_t len = 0;
        struct program *p = NULL;
        if (cli_read_input(cli->positional[1], &text, &len, &err) != FID_OK ||
            program_parse_text(text, len, &p, &err) != FID_OK) {
            free(text);
            return cli_fail(cli, &err);
        }
        program_free(p);
        if (strcmp(action, "validate") == 0) {
            free(text);
            if (cli->json)
                cli_print_json(json_pack("{s:b}", "valid", 1));
            else
                printf("The programme is valid.\n");
            return 0;
        }
        struct engine *e = NULL;
        int64_t version = 0, before = 0;
        enum fid_status st = cli_open_engine(cli, &e, &err);
        if (st == FID_OK) {
            before = engine_program(e)->version;
            st = engine_set_program(e, text, cli->now, &version, &err);
        }
        free(text);
        engine_close(e);
        if (st != FID_OK)
            return cli_fail(cli, &err);
        bool changed = version != before;
        if (cli->json)
            cli_print_json(
                json_pack("{s:I, s:b}", "version", (json_int_t)version, "changed", changed));
        else if (changed)
            printf("Programme version %lld saved; it applies to events from now on.\n",
                   (long long)version);
        else
            printf("The programme is unchanged: version %lld stands.\n", (long long)version);
        return 0;
    }
    if (strcmp(action, "show") != 0) {
        fid_fail(&err, FID_ERR_INPUT, action, "expected show, validate or set");
        return cli_fail(cli, &err);
    }
    int64_t version = 0, loaded = 0;
    struct engine *e = NULL;
    char *text = NULL;
    if (cli_option_int(cli, "version", 1, INT64_MAX, 0, &version, &err) != FID_OK ||
        cli_open_engine(cli, &e, &err) != FID_OK ||
        program_store_load(engine_store(e), version, &text, &loaded, &err) != FID_OK) {
        engine_close(e);
        return cli_fail(cli, &err);
    }
    json_error_t jerr;
    json_t *doc = json_loads(text, 0, &jerr);
    free(text);
    engine_close(e);
    if (cli->json)
        cli_print_json(json_pack("{s:I, s:o}", "version", (json_int_t)loaded, "program", doc));
    else {
        /* the document alone on stdout, so that it can be edited and set again */
        fprintf(stderr, "programme version %lld\n", (long long)loaded);
        cli_print_json(doc);
    }
    return 0;
}
