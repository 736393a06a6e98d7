/*
 * `fidele init`: a new database with one merchant and a programme from a template or a file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "store/db.h"
#include "store/schema.h"
#include "store/store.h"

/* True when the database at path already holds a merchant. */
int cmd_init(struct cli *cli)
{
    static const struct cli_option_spec specs[] = {
        {"template", true}, {"program", true}, {"name", true},   {"currency", true},
        {"timezone", true}, {"locale", true},  {"print", false}, {NULL, false}};
    struct fid_error err;
    fid_error_clear(&err);
    if (cli_parse(cli, specs, 0, 0, &err) != FID_OK)
        return cli_fail(cli, &err);
    const char *template = cli_option(cli, "template");
    const char *program_path = cli_option(cli, "program");
    if (template && program_path) {
        fid_fail(&err, FID_ERR_INPUT, "--program", "give --template or --program, not both");
        return cli_fail(cli, &err);
    }
    char *program_text = NULL;
    if (program_path) {
        size_t len;
        if (cli_read_input(program_path, &program_text, &len, &err) != FID_OK)
            return cli_fail(cli, &err);
    } else {
        template = template ? template : "cafe";
        if (cli_template_text(cli, template, &program_text, &err) != FID_OK)
            return cli_fail(cli, &err);
    }
    if (cli_flag(cli, "print")) {
        fputs(program_text, stdout);
        free(program_text);
        return 0;
    }
    struct merchant_setup setup = {
        .name = cli_option(cli, "name") ? cli_option(cli, "name") : "My shop",
        .currency = cli_option(cli, "currency") ? cli_option(cli, "currency") : "EUR",
        .timezone = cli_option(cli, "timezone") ? cli_option(cli, "timezone") : "Europe/Paris",
        .locale = cli_option(cli, "locale") ? cli_option(cli, "locale") : "fr",
        .program_text = program_text,
        .first = true,
    };
    int64_t merchant_id = 0;
    enum fid_status st = engine_create_merchant(cli->db_path, &setup, cli->now, &merchant_id, &err);
    free(program_text);
    if (st != FID_OK)
        return cli_fail(cli, &err);
    if (cli->json)
        cli_print_json(json_pack("{s:s, s:I, s:s, s:s}", "database", cli->db_path, "merchant_id",
                                 (json_int_t)merchant_id, "name", setup.name, "template",
                                 program_path ? "" : template));
    else
        printf("Created %s: merchant \"%s\" (%s, %s) with the %s programme.\n", cli->db_path,
               setup.name, setup.currency, setup.timezone, program_path ? program_path : template);
    return 0;
}
