/*
 * `fidele segments [--at DATE] [--list NAME]`: how many customers are in each lifecycle stage and
 * in each custom segment of the programme at the end of DATE (default: now), or, with --list, who
 * they are (engine/segment_counts.c).
 */
#include <stdio.h>
#include <string.h>

#include "analytics/segments.h"
#include "cli/cli.h"
#include "util/timeutil.h"

int cmd_segments(struct cli *cli)
{
    static const struct cli_option_spec specs[] = {{"at", true}, {"list", true}, {NULL, false}};
    struct fid_error err;
    fid_error_clear(&err);
    struct engine *e = NULL;
    if (cli_parse(cli, specs, 0, 0, &err) != FID_OK || cli_open_engine(cli, &e, &err) != FID_OK)
        return cli_fail(cli, &err);
    int64_t at = cli->now;
    const char *at_text = cli_option(cli, "at"), *list = cli_option(cli, "list");
    json_t *out = NULL;
    int y, m, d;
    if (at_text && fid_date_parse(at_text, &y, &m, &d, "--at", &err) != FID_OK)
        goto fail;
    if (at_text)
        at = fid_tz_add_days(engine_tz(e), fid_tz_midnight(engine_tz(e), y, m, d), 1) - 1;
    if (engine_segments(e, at, list, &out, &err) != FID_OK) {
        if (strcmp(err.field, "list") == 0)
            snprintf(err.field, sizeof err.field, "--list");
        goto fail;
    }
    const struct program *p = engine_program(e);
    char at_local[FID_TIME_LOCAL_MAX];
    fid_time_format_local(at, engine_tz(e), at_local);
    if (cli->json) {
        if (list) {
            json_t *listed =
                json_pack("{s:O, s:s, s:O}", "at", json_object_get(out, "at"), "segment", list,
                          "customers", json_object_get(out, "members"));
            json_decref(out);
            out = listed;
        }
        cli_print_json(out);
    } else if (list) {
        size_t i;
        json_t *ref;
        json_array_foreach(json_object_get(out, "members"), i, ref)
            printf("%s\n", json_string_value(ref));
        /* stdout stays a list, one id a line, for pipes; the note goes beside it */
        if (json_array_size(json_object_get(out, "members")) == 0)
            fprintf(stderr, "No customer in %s at %s.\n", list, at_local);
        json_decref(out);
    } else {
        printf("Segments at %s (%lld customers with orders)\n", at_local,
               (long long)json_integer_value(json_object_get(out, "customers")));
        for (int k = 0; k < LIFECYCLE_COUNT; k++) {
            const char *name = lifecycle_name((enum lifecycle_stage)k);
            printf("  %-24s %8lld\n", name,
                   (long long)json_integer_value(
                       json_object_get(json_object_get(out, "lifecycle"), name)));
        }
        for (size_t i = 0; i < p->n_segments; i++)
            printf("  %-24s %8lld  (%s)\n", p->segments[i].id,
                   (long long)json_integer_value(
                       json_object_get(json_object_get(out, "custom"), p->segments[i].id)),
                   p->segments[i].name);
        json_decref(out);
    }
    engine_close(e);
    return 0;
fail:
    engine_close(e);
    return cli_fail(cli, &err);
}
