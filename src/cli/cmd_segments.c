/*
 * `fidele segments [--at DATE] [--list NAME]`: how many customers are in each lifecycle stage and
 * in each custom segment of the programme at the end of DATE (default: now), or, with --list, who
 * they are. Customers are those with at least one order; the history is read once, customer by
 * customer, in order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/segments.h"
#include "cli/cli.h"
#include "store/store.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

struct scan {
    struct engine *engine;
    int64_t at;
    int month;
    bool need_categories;
    const char *list; /* segment to list, or NULL */
    int64_t customer;
    struct segment_order *orders;
    size_t n_orders, cap;
    json_t *bodies; /* parsed bodies of the current customer's orders: owns category strings */
    int64_t stages[LIFECYCLE_COUNT];
    int64_t *custom;
    int64_t evaluated;
    json_t *listed;
    enum fid_status status;
    struct fid_error err;
};

static void flush(struct scan *s)
{
    if (s->customer == 0 || s->status != FID_OK)
        return;
    struct customer c;
    s->status = customer_find_id(engine_store(s->engine), s->customer, &c, &s->err);
    if (s->status == FID_OK) {
        int y, m, d;
        struct fid_error ignored;
        struct segment_customer sc = {
            .is_member = c.is_member,
            .tier = c.tier,
            .vip_active = c.vip_plan[0] != '\0' && c.vip_until > s->at,
            .enrolled_at = c.enrolled_at,
            .birthday_month =
                c.birthday[0] && fid_date_parse(c.birthday, &y, &m, &d, "", &ignored) == FID_OK ? m
                                                                                                : 0,
            .orders = s->orders,
            .n_orders = s->n_orders,
        };
        enum lifecycle_stage stage;
        const struct program *p = engine_program(s->engine);
        if (segment_lifecycle(&p->lifecycle, &sc, s->at, &stage)) {
            s->stages[stage]++;
            if (s->list && strcmp(s->list, lifecycle_name(stage)) == 0)
                json_array_append_new(s->listed, json_string(c.ref));
        }
        for (size_t i = 0; i < p->n_segments; i++)
            if (segment_matches(&p->segments[i], &sc, s->at, s->month)) {
                s->custom[i]++;
                if (s->list && strcmp(s->list, p->segments[i].id) == 0)
                    json_array_append_new(s->listed, json_string(c.ref));
            }
        s->evaluated++;
    }
    s->n_orders = 0;
    json_array_clear(s->bodies);
}

static int visit(const struct order_detail *o, void *context)
{
    struct scan *s = context;
    if (o->customer_id != s->customer) {
        flush(s);
        s->customer = o->customer_id;
    }
    if (s->status != FID_OK)
        return 1;
    xgrow((void **)&s->orders, &s->cap, s->n_orders + 1, sizeof *s->orders);
    struct segment_order *so = &s->orders[s->n_orders++];
    memset(so, 0, sizeof *so);
    struct fid_local local;
    fid_tz_local(engine_tz(s->engine), o->at, &local);
    so->at = o->at;
    so->value_minor = o->value_minor;
    so->weekday = local.weekday;
    so->minute = local.hour * 60 + local.minute;
    so->channel = o->channel;
    if (s->need_categories) {
        json_error_t jerr;
        json_t *body = json_loads(o->body, 0, &jerr);
        size_t i;
        json_t *line;
        json_array_foreach(json_object_get(body, "lines"), i, line)
        {
            const char *category = json_string_value(json_object_get(line, "category"));
            if (category && so->n_categories < SEGMENT_CATEGORIES_MAX)
                so->categories[so->n_categories++] = category;
        }
        json_array_append_new(s->bodies, body ? body : json_null()); /* keeps the strings */
    }
    return 0;
}

int cmd_segments(struct cli *cli)
{
    static const struct cli_option_spec specs[] = {{"at", true}, {"list", true}, {NULL, false}};
    struct fid_error err;
    fid_error_clear(&err);
    struct engine *e = NULL;
    if (cli_parse(cli, specs, 0, 0, &err) != FID_OK || cli_open_engine(cli, &e, &err) != FID_OK)
        return cli_fail(cli, &err);
    const struct program *p = engine_program(e);
    struct scan s = {.engine = e, .at = cli->now, .list = cli_option(cli, "list")};
    const char *at_text = cli_option(cli, "at");
    if (at_text) {
        int y, m, d;
        if (fid_date_parse(at_text, &y, &m, &d, "--at", &err) != FID_OK) {
            engine_close(e);
            return cli_fail(cli, &err);
        }
        s.at = fid_tz_add_days(engine_tz(e), fid_tz_midnight(engine_tz(e), y, m, d), 1) - 1;
    }
    if (s.list) {
        bool known = false;
        for (int k = 0; k < LIFECYCLE_COUNT; k++)
            known |= strcmp(s.list, lifecycle_name((enum lifecycle_stage)k)) == 0;
        for (size_t i = 0; i < p->n_segments; i++)
            known |= strcmp(s.list, p->segments[i].id) == 0;
        if (!known) {
            fid_fail(&err, FID_ERR_INPUT, "--list",
                     "no segment \"%.60s\": a lifecycle stage or a custom segment id", s.list);
            engine_close(e);
            return cli_fail(cli, &err);
        }
    }
    struct fid_local local;
    fid_tz_local(engine_tz(e), s.at, &local);
    s.month = local.month;
    for (size_t i = 0; i < p->n_segments; i++)
        for (size_t k = 0; k < p->segments[i].n_conditions; k++)
            s.need_categories |= p->segments[i].conditions[k].categories.count > 0;
    s.custom = xcalloc(p->n_segments ? p->n_segments : 1, sizeof *s.custom);
    s.bodies = json_array();
    s.listed = json_array();
    s.status = FID_OK;
    enum fid_status st = order_detail_scan(engine_store(e), s.at + 1, visit, &s, &err);
    flush(&s);
    if (st == FID_OK && s.status != FID_OK) {
        st = s.status;
        err = s.err;
    }
    int code = 0;
    if (st != FID_OK) {
        code = cli_fail(cli, &err);
    } else {
        char at_iso[FID_TIME_ISO_MAX];
        fid_time_format(s.at, at_iso);
        json_t *stages = json_object(), *custom = json_object();
        for (int k = 0; k < LIFECYCLE_COUNT; k++)
            json_object_set_new(stages, lifecycle_name((enum lifecycle_stage)k),
                                json_integer(s.stages[k]));
        for (size_t i = 0; i < p->n_segments; i++)
            json_object_set_new(custom, p->segments[i].id, json_integer(s.custom[i]));
        json_t *out =
            s.list ? json_pack("{s:s, s:s, s:O}", "at", at_iso, "segment", s.list, "customers",
                               s.listed)
                   : json_pack("{s:s, s:I, s:o, s:o}", "at", at_iso, "customers",
                               (json_int_t)s.evaluated, "lifecycle", stages, "custom", custom);
        if (s.list) {
            json_decref(stages);
            json_decref(custom);
        }
        if (cli->json) {
            cli_print_json(out);
        } else if (s.list) {
            size_t i;
            json_t *ref;
            json_array_foreach(s.listed, i, ref) printf("%s\n", json_string_value(ref));
            json_decref(out);
        } else {
            printf("Segments at %s (%lld customers with orders)\n", at_iso, (long long)s.evaluated);
            for (int k = 0; k < LIFECYCLE_COUNT; k++)
                printf("  %-24s %8lld\n", lifecycle_name((enum lifecycle_stage)k),
                       (long long)s.stages[k]);
            for (size_t i = 0; i < p->n_segments; i++)
                printf("  %-24s %8lld  (%s)\n", p->segments[i].id, (long long)s.custom[i],
                       p->segments[i].name);
            json_decref(out);
        }
    }
    json_decref(s.listed);
    json_decref(s.bodies);
    free(s.custom);
    free(s.orders);
    engine_close(e);
    return code;
}
