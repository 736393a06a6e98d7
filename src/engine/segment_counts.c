/*
 * Segment sizes at a date: the order history is read once, customer by customer, and each
 * customer is placed in a lifecycle stage and in every custom segment whose conditions hold
 * (analytics/segments.c decides). Customers are those with at least one order before the date.
 */
#include "engine/engine_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/segments.h"
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

/* Whether a VIP membership paid by `at` (the date's last second) still ran at it, as the
 * payments and refunds recorded by then left it. */
static enum fid_status vip_at(struct engine *e, const struct customer *c, int64_t at, bool *active,
                              struct fid_error *err)
{
    *active = false;
    if (c->vip_plan[0] == '\0' && c->vip_until == 0)
        return FID_OK;
    int64_t until = 0;
    enum fid_status st = vip_until_at(&e->store, c->id, at, &until, err);
    *active = until > at;
    return st;
}

static void flush(struct scan *s)
{
    if (s->customer == 0 || s->status != FID_OK)
        return;
    struct customer c;
    s->status = customer_find_id(&s->engine->store, s->customer, &c, &s->err);
    bool vip = false;
    char tier[PROGRAM_ID_MAX] = "";
    if (s->status == FID_OK)
        s->status = vip_at(s->engine, &c, s->at, &vip, &s->err);
    if (s->status == FID_OK)
        s->status = tier_held(s->engine, &c, s->at, tier, &s->err);
    if (s->status == FID_OK) {
        int y, m, d;
        struct fid_error ignored;
        struct segment_customer sc = {
            /* as things stood at the date: a later enrolment, tier or membership not yet */
            .is_member = c.is_member && c.enrolled_at <= s->at,
            .tier = tier,
            .vip_active = vip,
            .enrolled_at = c.enrolled_at,
            .birthday_month =
                c.birthday[0] && fid_date_parse(c.birthday, &y, &m, &d, "", &ignored) == FID_OK ? m
                                                                                                : 0,
            .orders = s->orders,
            .n_orders = s->n_orders,
        };
        enum lifecycle_stage stage;
        const struct program *p = s->engine->program;
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
    fid_tz_local(s->engine->tz, o->at, &local);
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

enum fid_status engine_segments(struct engine *e, int64_t at, const char *list, json_t **out,
                                struct fid_error *err)
{
    *out = NULL;
    enum fid_status rows = engine_rows_current(e, "segments", err);
    if (rows != FID_OK)
        return rows;
    const struct program *p = e->program;
    if (list) {
        bool known = false;
        for (int k = 0; k < LIFECYCLE_COUNT; k++)
            known |= strcmp(list, lifecycle_name((enum lifecycle_stage)k)) == 0;
        for (size_t i = 0; i < p->n_segments; i++)
            known |= strcmp(list, p->segments[i].id) == 0;
        if (!known)
            return fid_fail(err, FID_ERR_INPUT, "list",
                            "no segment \"%.60s\": a lifecycle stage or a custom segment id", list);
    }
    struct scan s = {.engine = e, .at = at, .list = list, .status = FID_OK};
    struct fid_local local;
    fid_tz_local(e->tz, at, &local);
    s.month = local.month;
    for (size_t i = 0; i < p->n_segments; i++)
        for (size_t k = 0; k < p->segments[i].n_conditions; k++)
            s.need_categories |= p->segments[i].conditions[k].categories.count > 0;
    s.custom = xcalloc(p->n_segments ? p->n_segments : 1, sizeof *s.custom);
    s.bodies = json_array();
    s.listed = json_array();
    enum fid_status st = order_detail_scan(&e->store, at + 1, visit, &s, err);
    flush(&s);
    if (st == FID_OK && s.status != FID_OK) {
        st = s.status;
        *err = s.err;
    }
    if (st == FID_OK) {
        char at_iso[FID_TIME_ISO_MAX];
        fid_time_format(at, at_iso);
        json_t *stages = json_object(), *custom = json_object();
        for (int k = 0; k < LIFECYCLE_COUNT; k++)
            json_object_set_new(stages, lifecycle_name((enum lifecycle_stage)k),
                                json_integer(s.stages[k]));
        for (size_t i = 0; i < p->n_segments; i++)
            json_object_set_new(custom, p->segments[i].id, json_integer(s.custom[i]));
        *out = json_pack("{s:s, s:I, s:o, s:o}", "at", at_iso, "customers", (json_int_t)s.evaluated,
                         "lifecycle", stages, "custom", custom);
        if (list)
            json_object_set(*out, "members", s.listed);
    }
    json_decref(s.listed);
    json_decref(s.bodies);
    free(s.custom);
    free(s.orders);
    return st;
}
