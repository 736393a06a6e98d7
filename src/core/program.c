/*
 * Programme parsing and validation. The document is read field by field with the strict readers
 * of util/jsonread (unknown fields are errors), then cross-references are checked (a stamp card's
 * reward exists, tiers ascend, ids are unique). Invariant of a returned program: every id it
 * refers to resolves, every number is within the documented range.
 */
#include "core/program.h"
#include "core/program_read.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "util/jsonread.h"
#include "util/jsonwrite.h"
#include "util/text.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static const char *const ROUNDING_NAMES[] = {"floor", "nearest", "ceil", NULL};
static const char *const EXPIRY_NAMES[] = {"none", "per_lot", "inactivity", NULL};
static const char *const METRIC_NAMES[] = {"spend", "points", "orders", NULL};
static const char *const WINDOW_NAMES[] = {"calendar_year", "rolling_12_months", "lifetime", NULL};
static const char *const STAMP_RULE_NAMES[] = {"order", "unit", "order_above", NULL};
static const char *const PERIOD_NAMES[] = {"month", "year", NULL};
static const char *const CHANNEL_NAMES[] = {"store", "online", NULL};
static const char *const WEEKDAY_NAMES[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun", NULL};
static const char *const REWARD_KIND_NAMES[] = {
    "fixed_discount", "percent_discount", "free_product",    "free_delivery",
    "experience",     "partner_offer",    "cashback_credit", NULL};

const char *reward_kind_name(enum reward_kind kind)
{
    return REWARD_KIND_NAMES[kind];
}

const char *channel_name(enum channel channel)
{
    return CHANNEL_NAMES[channel];
}

bool string_list_contains(const struct string_list *list, const char *value)
{
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(list->items[i], value) == 0)
            return true;
    return false;
}

bool program_window_contains(unsigned weekdays, int from_minute, int to_minute, int weekday,
                             int minute)
{
    int day = weekday;
    if (from_minute >= 0) {
        if (from_minute < to_minute) {
            if (minute < from_minute || minute >= to_minute)
                return false;
        } else if (minute < to_minute) {
            day = (weekday + 6) % 7; /* the night's tail: the window began the day before */
        } else if (minute < from_minute) {
            return false;
        }
    }
    return weekdays == 0 || (weekdays & (1u << day)) != 0;
}

static void string_list_free(struct string_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i]);
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

static void perks_free(struct perks *perks)
{
    string_list_free(&perks->benefits);
}

void program_free(struct program *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->earning.n_multipliers; i++) {
        string_list_free(&p->earning.multipliers[i].skus);
        string_list_free(&p->earning.multipliers[i].categories);
    }
    free(p->earning.multipliers);
    for (size_t i = 0; i < p->n_stamp_cards; i++) {
        string_list_free(&p->stamp_cards[i].skus);
        string_list_free(&p->stamp_cards[i].categories);
    }
    free(p->stamp_cards);
    for (size_t i = 0; i < p->tiers.n_levels; i++)
        perks_free(&p->tiers.levels[i].perks);
    free(p->tiers.levels);
    for (size_t i = 0; i < p->n_vip_plans; i++)
        perks_free(&p->vip_plans[i].perks);
    free(p->vip_plans);
    for (size_t i = 0; i < p->n_rewards; i++)
        string_list_free(&p->rewards[i].tiers);
    free(p->rewards);
    for (size_t i = 0; i < p->n_segments; i++) {
        for (size_t k = 0; k < p->segments[i].n_conditions; k++) {
            string_list_free(&p->segments[i].conditions[k].categories);
            string_list_free(&p->segments[i].conditions[k].tiers);
        }
        free(p->segments[i].conditions);
    }
    free(p->segments);
    free(p->text);
    free(p);
}

/* ---- small readers ------------------------------------------------------------------------ */

enum fid_status program_read_id(const json_t *obj, const char *path, const char *key, bool required,
                                char out[PROGRAM_ID_MAX], struct fid_error *err)
{
    const char *s = NULL;
    enum fid_status st = jsonr_string(obj, path, key, required, PROGRAM_ID_MAX - 1, "", &s, err);
    if (st != FID_OK)
        return st;
    for (const char *c = s; *c; c++) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '-' || *c == '_' || *c == '.')) {
            char at[JSONR_PATH_MAX];
            jsonr_path(at, path, key);
            return fid_fail(err, FID_ERR_INPUT, at,
                            "\"%.40s\" is not an id: use letters, digits, '-', '_' or '.'", s);
        }
    }
    snprintf(out, PROGRAM_ID_MAX, "%s", s);
    return FID_OK;
}

/* Set while a stored version is read (program_parse_stored_text): it passed the checks of its
 * day, and one added since (control characters in names, segment ids apart from each other and
 * from the lifecycle stages) must not lock its merchant out. */
static _Thread_local bool reading_stored;

bool program_read_stored(void)
{
    return reading_stored;
}

/* Names are printed in lists, one a line, and on members' screens: no control characters. */
static enum fid_status printable(const char *text, const char *at, struct fid_error *err)
{
    int control = fid_text_control(text);
    return control < 0 || reading_stored
               ? FID_OK
               : fid_fail(err, FID_ERR_INPUT, at, "control character U+%04X in the text", control);
}

enum fid_status program_read_name(const json_t *obj, const char *path, const char *fallback,
                                  char out[PROGRAM_NAME_MAX], struct fid_error *err)
{
    const char *s = NULL;
    char at[JSONR_PATH_MAX];
    jsonr_path(at, path, "name");
    enum fid_status st =
        jsonr_string(obj, path, "name", false, PROGRAM_NAME_MAX - 1, fallback, &s, err);
    if (st == FID_OK)
        st = printable(s, at, err);
    if (st == FID_OK)
        snprintf(out, PROGRAM_NAME_MAX, "%s", s);
    return st;
}

enum fid_status program_read_strings(const json_t *obj, const char *path, const char *key,
                                     struct string_list *out, struct fid_error *err)
{
    json_t *arr = NULL;
    enum fid_status st = jsonr_array(obj, path, key, false, PROGRAM_ITEMS_MAX, &arr, err);
    if (st != FID_OK || arr == NULL)
        return st;
    char at[JSONR_PATH_MAX];
    jsonr_path(at, path, key);
    out->items = xcalloc(json_array_size(arr), sizeof *out->items);
    size_t i;
    json_t *item;
    json_array_foreach(arr, i, item)
    {
        char item_at[JSONR_PATH_MAX];
        jsonr_path_index(item_at, at, i);
        if (!json_is_string(item) || json_string_length(item) == 0 ||
            json_string_length(item) >= PROGRAM_NAME_MAX)
            return fid_fail(err, FID_ERR_INPUT, item_at,
                            "expected a non-empty string of at most %d bytes",
                            PROGRAM_NAME_MAX - 1);
        FID_CHECK(printable(json_string_value(item), item_at, err));
        out->items[out->count++] = xstrdup(json_string_value(item));
    }
    return FID_OK;
}

/* Reads an optional sub-object; *out is NULL when absent. */
enum fid_status program_read_object(const json_t *obj, const char *path, const char *key,
                                    const json_t **out, char at[JSONR_PATH_MAX],
                                    struct fid_error *err)
{
    jsonr_path(at, path, key);
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (v == NULL || json_is_null(v))
        return FID_OK;
    if (!json_is_object(v))
        return jsonr_expect_object(v, at, err);
    *out = v;
    return FID_OK;
}

static enum fid_status read_clock(const json_t *obj, const char *path, const char *key, int *out,
                                  struct fid_error *err)
{
    const char *s = NULL;
    enum fid_status st = jsonr_string(obj, path, key, true, 5, NULL, &s, err);
    if (st != FID_OK)
        return st;
    /* Digits only: sscanf's %d would also take signs and blanks ("+9:+5", " 9: 5"). */
    bool shape = strlen(s) == 5 && s[2] == ':' && strspn(s, "0123456789") == 2 &&
                 strspn(s + 3, "0123456789") == 2;
    int h = shape ? (s[0] - '0') * 10 + (s[1] - '0') : -1;
    int m = shape ? (s[3] - '0') * 10 + (s[4] - '0') : -1;
    if (!shape || h > 24 || m > 59 || (h == 24 && m != 0)) {
        char at[JSONR_PATH_MAX];
        jsonr_path(at, path, key);
        return fid_fail(err, FID_ERR_INPUT, at, "expected a local time HH:MM, got \"%s\"", s);
    }
    *out = h * 60 + m;
    return FID_OK;
}

static enum fid_status read_perks(const json_t *obj, const char *path, struct perks *out,
                                  struct fid_error *err)
{
    enum fid_status st = jsonr_int(obj, path, "multiplier_pct", false, 100, PERCENT_MAX, 100,
                                   &out->multiplier_pct, err);
    if (st == FID_OK)
        st = program_read_strings(obj, path, "benefits", &out->benefits, err);
    return st;
}

enum fid_status program_parse_list(const json_t *obj, const char *path, const char *key, size_t max,
                                   size_t item_size, void **items, size_t *count, item_parser parse,
                                   struct fid_error *err)
{
    json_t *arr = NULL;
    enum fid_status st = jsonr_array(obj, path, key, false, max, &arr, err);
    if (st != FID_OK || arr == NULL || json_array_size(arr) == 0)
        return st;
    char list_at[JSONR_PATH_MAX];
    jsonr_path(list_at, path, key);
    *items = xcalloc(json_array_size(arr), item_size);
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *item = json_array_get(arr, i);
        char item_at[JSONR_PATH_MAX];
        jsonr_path_index(item_at, list_at, i);
        if ((st = jsonr_expect_object(item, item_at, err)) != FID_OK)
            return st;
        *count = i + 1;
        if ((st = parse(item, item_at, (char *)*items + i * item_size, err)) != FID_OK)
            return st;
    }
    return FID_OK;
}

/* ---- sections ----------------------------------------------------------------------------- */

/* Reads the time and channel conditions shared by multipliers and segment filters: "weekdays",
 * "hours" {from, to} in local time (may cross midnight) and "channels". */
enum fid_status program_read_when(const json_t *item, const char *at, unsigned *weekdays,
                                  int *from_minute, int *to_minute, unsigned *channels,
                                  struct fid_error *err)
{
    *from_minute = *to_minute = -1;
    *weekdays = *channels = 0;

    json_t *days = NULL;
    FID_CHECK(jsonr_array(item, at, "weekdays", false, 7, &days, err));
    for (size_t i = 0; days && i < json_array_size(days); i++) {
        char list_at[JSONR_PATH_MAX], day_at[JSONR_PATH_MAX];
        jsonr_path(list_at, at, "weekdays");
        jsonr_path_index(day_at, list_at, i);
        const char *d = json_string_value(json_array_get(days, i));
        int found = -1;
        for (int k = 0; d && WEEKDAY_NAMES[k]; k++)
            if (strcmp(WEEKDAY_NAMES[k], d) == 0)
                found = k;
        if (found < 0)
            return fid_fail(err, FID_ERR_INPUT, day_at,
                            "expected a weekday: mon, tue, wed, thu, fri, sat or sun");
        *weekdays |= 1u << found;
    }
    json_t *channel_list = NULL;
    FID_CHECK(jsonr_array(item, at, "channels", false, 2, &channel_list, err));
    for (size_t i = 0; channel_list && i < json_array_size(channel_list); i++) {
        char list_at[JSONR_PATH_MAX], ch_at[JSONR_PATH_MAX];
        jsonr_path(list_at, at, "channels");
        jsonr_path_index(ch_at, list_at, i);
        const char *c = json_string_value(json_array_get(channel_list, i));
        int found = -1;
        for (int k = 0; c && CHANNEL_NAMES[k]; k++)
            if (strcmp(CHANNEL_NAMES[k], c) == 0)
                found = k;
        if (found < 0)
            return fid_fail(err, FID_ERR_INPUT, ch_at, "expected \"store\" or \"online\"");
        *channels |= 1u << found;
    }
    const json_t *hours = NULL;
    char hours_at[JSONR_PATH_MAX];
    FID_CHECK(program_read_object(item, at, "hours", &hours, hours_at, err));
    if (hours) {
        static const char *const hour_keys[] = {"from", "to", NULL};
        FID_CHECK(jsonr_check_keys(hours, hours_at, hour_keys, err));
        FID_CHECK(read_clock(hours, hours_at, "from", from_minute, err));
        FID_CHECK(read_clock(hours, hours_at, "to", to_minute, err));
        if (*from_minute == *to_minute)
            return fid_fail(err, FID_ERR_INPUT, hours_at, "\"from\" and \"to\" must differ");
    }
    return FID_OK;
}

static enum fid_status parse_multiplier(const json_t *item, const char *at, void *slot,
                                        struct fid_error *err)
{
    struct multiplier *m = slot;
    static const char *const keys[] = {"id",    "name",     "factor_pct", "weekdays",
                                       "hours", "channels", "skus",       "categories",
                                       "from",  "until",    NULL};
    FID_CHECK(jsonr_check_keys(item, at, keys, err));
    FID_CHECK(program_read_id(item, at, "id", true, m->id, err));
    FID_CHECK(program_read_name(item, at, m->id, m->name, err));
    FID_CHECK(jsonr_int(item, at, "factor_pct", true, 0, PERCENT_MAX, 100, &m->factor_pct, err));
    FID_CHECK(program_read_when(item, at, &m->weekdays, &m->from_minute, &m->to_minute,
                                &m->channels, err));
    FID_CHECK(program_read_strings(item, at, "skus", &m->skus, err));
    FID_CHECK(program_read_strings(item, at, "categories", &m->categories, err));
    const char *from = NULL, *until = NULL;
    FID_CHECK(jsonr_string(item, at, "from", false, 40, NULL, &from, err));
    FID_CHECK(jsonr_string(item, at, "until", false, 40, NULL, &until, err));
    char t_at[JSONR_PATH_MAX];
    if (from) {
        jsonr_path(t_at, at, "from");
        FID_CHECK(fid_time_parse(from, NULL, &m->starts_at, t_at, err));
    }
    if (until) {
        jsonr_path(t_at, at, "until");
        FID_CHECK(fid_time_parse(until, NULL, &m->ends_at, t_at, err));
        if (from && m->ends_at <= m->starts_at)
            return fid_fail(err, FID_ERR_INPUT, t_at, "must be after \"from\"");
    }
    return FID_OK;
}

static enum fid_status parse_earning(const json_t *doc, struct program *p, struct fid_error *err)
{
    const json_t *e = NULL;
    char at[JSONR_PATH_MAX];
    FID_CHECK(program_read_object(doc, "", "earning", &e, at, err));
    if (e == NULL)
        return fid_fail(err, FID_ERR_INPUT, "/earning", "required object is missing");
    static const char *const keys[] = {
        "points",          "per_minor",         "rounding",    "basis",
        "min_order_minor", "first_order_bonus", "multipliers", NULL};
    FID_CHECK(jsonr_check_keys(e, at, keys, err));
    FID_CHECK(jsonr_int(e, at, "points", true, 0, POINTS_MAX, 0, &p->earning.points, err));
    FID_CHECK(jsonr_int(e, at, "per_minor", true, 1, MINOR_MAX, 100, &p->earning.per_minor, err));
    int rounding = 0;
    FID_CHECK(jsonr_enum(e, at, "rounding", false, ROUNDING_NAMES, ROUND_FLOOR, &rounding, err));
    p->earning.rounding = (enum rounding)rounding;
    FID_CHECK(jsonr_int(e, at, "min_order_minor", false, 0, MINOR_MAX, 0,
                        &p->earning.min_order_minor, err));
    FID_CHECK(jsonr_int(e, at, "first_order_bonus", false, 0, POINTS_MAX, 0,
                        &p->earning.first_order_bonus, err));
    const json_t *basis = NULL;
    char basis_at[JSONR_PATH_MAX];
    FID_CHECK(program_read_object(e, at, "basis", &basis, basis_at, err));
    p->earning.after_discounts = true;
    p->earning.include_tax = true;
    if (basis) {
        static const char *const basis_keys[] = {"after_discounts", "include_shipping",
                                                 "include_tax", NULL};
        FID_CHECK(jsonr_check_keys(basis, basis_at, basis_keys, err));
        FID_CHECK(
            jsonr_bool(basis, basis_at, "after_discounts", true, &p->earning.after_discounts, err));
        FID_CHECK(jsonr_bool(basis, basis_at, "include_shipping", false,
                             &p->earning.include_shipping, err));
        FID_CHECK(jsonr_bool(basis, basis_at, "include_tax", true, &p->earning.include_tax, err));
    }
    return program_parse_list(e, at, "multipliers", PROGRAM_ITEMS_MAX, sizeof(struct multiplier),
                              (void **)&p->earning.multipliers, &p->earning.n_multipliers,
                              parse_multiplier, err);
}

static enum fid_status parse_enrolment(const json_t *doc, struct program *p, struct fid_error *err)
{
    const json_t *e = NULL;
    char at[JSONR_PATH_MAX];
    FID_CHECK(program_read_object(doc, "", "enrolment", &e, at, err));
    p->enrolment.quick_hours = 24;
    if (e == NULL)
        return FID_OK;
    static const char *const keys[] = {"bonus_points", "quick_bonus_points", "quick_hours",
                                       "credit_past_orders", NULL};
    FID_CHECK(jsonr_check_keys(e, at, keys, err));
    FID_CHECK(
        jsonr_int(e, at, "bonus_points", false, 0, POINTS_MAX, 0, &p->enrolment.bonus_points, err));
    FID_CHECK(jsonr_int(e, at, "quick_bonus_points", false, 0, POINTS_MAX,
                        p->enrolment.bonus_points, &p->enrolment.quick_bonus_points, err));
    FID_CHECK(
        jsonr_int(e, at, "quick_hours", false, 1, 24 * 365, 24, &p->enrolment.quick_hours, err));
    FID_CHECK(
        jsonr_bool(e, at, "credit_past_orders", false, &p->enrolment.credit_past_orders, err));
    return FID_OK;
}

static enum fid_status parse_stamp_card(const json_t *item, const char *at, void *slot,
                                        struct fid_error *err)
{
    static const char *const keys[] = {"id",   "name",       "stamps_required",  "reward", "per",
                                       "skus", "categories", "min_amount_minor", NULL};
    struct stamp_card *c = slot;
    FID_CHECK(jsonr_check_keys(item, at, keys, err));
    FID_CHECK(program_read_id(item, at, "id", true, c->id, err));
    FID_CHECK(program_read_name(item, at, c->id, c->name, err));
    FID_CHECK(jsonr_int(item, at, "stamps_required", true, 1, 1000, 0, &c->stamps_required, err));
    FID_CHECK(program_read_id(item, at, "reward", true, c->reward_id, err));
    int rule = 0;
    FID_CHECK(jsonr_enum(item, at, "per", false, STAMP_RULE_NAMES, STAMP_PER_ORDER, &rule, err));
    c->rule = (enum stamp_rule)rule;
    FID_CHECK(program_read_strings(item, at, "skus", &c->skus, err));
    FID_CHECK(program_read_strings(item, at, "categories", &c->categories, err));
    return jsonr_int(item, at, "min_amount_minor", c->rule == STAMP_PER_ORDER_ABOVE, 0, MINOR_MAX,
                     0, &c->min_amount_minor, err);
}

static enum fid_status parse_stamp_cards(const json_t *doc, struct program *p,
                                         struct fid_error *err)
{
    return program_parse_list(doc, "", "stamp_cards", PROGRAM_ITEMS_MAX, sizeof(struct stamp_card),
                              (void **)&p->stamp_cards, &p->n_stamp_cards, parse_stamp_card, err);
}

static enum fid_status parse_tier_level(const json_t *item, const char *at, void *slot,
                                        struct fid_error *err)
{
    static const char *const keys[] = {"id",       "name",           "threshold",
                                       "benefits", "multiplier_pct", NULL};
    struct tier_level *l = slot;
    FID_CHECK(jsonr_check_keys(item, at, keys, err));
    FID_CHECK(program_read_id(item, at, "id", true, l->id, err));
    FID_CHECK(program_read_name(item, at, l->id, l->name, err));
    FID_CHECK(jsonr_int(item, at, "threshold", true, 0, MINOR_MAX, 0, &l->threshold, err));
    return read_perks(item, at, &l->perks, err);
}

static enum fid_status parse_tiers(const json_t *doc, struct program *p, struct fid_error *err)
{
    const json_t *t = NULL;
    char at[JSONR_PATH_MAX];
    FID_CHECK(program_read_object(doc, "", "tiers", &t, at, err));
    if (t == NULL)
        return FID_OK;
    static const char *const keys[] = {"metric", "window", "grace_days", "levels", NULL};
    FID_CHECK(jsonr_check_keys(t, at, keys, err));
    int metric = 0, window = 0;
    FID_CHECK(jsonr_enum(t, at, "metric", true, METRIC_NAMES, 0, &metric, err));
    FID_CHECK(jsonr_enum(t, at, "window", true, WINDOW_NAMES, 0, &window, err));
    p->tiers.metric = (enum tier_metric)metric;
    p->tiers.window = (enum tier_window)window;
    FID_CHECK(jsonr_int(t, at, "grace_days", false, 0, 3660, 0, &p->tiers.grace_days, err));
    /* A calendar year's review falls on 1 January plus the grace: a grace of a year or more
     * would put it after the next year's figures are complete, and the next review (judging
     * that year) would fall a year late. Stored versions keep what their day allowed. */
    if (p->tiers.window == TIER_WINDOW_CALENDAR_YEAR && p->tiers.grace_days > 364 &&
        !reading_stored)
        return fid_fail(err, FID_ERR_INPUT, "/tiers/grace_days",
                        "%lld is out of range [0, 364] for a calendar_year window (its review "
                        "must come before the next year ends)",
                        (long long)p->tiers.grace_days);
    FID_CHECK(program_parse_list(t, at, "levels", 32, sizeof(struct tier_level),
                                 (void **)&p->tiers.levels, &p->tiers.n_levels, parse_tier_level,
                                 err));
    for (size_t i = 1; i < p->tiers.n_levels; i++)
        if (p->tiers.levels[i].threshold <= p->tiers.levels[i - 1].threshold) {
            char th_at[JSONR_PATH_MAX];
            snprintf(th_at, sizeof th_at, "/tiers/levels/%zu/threshold", i);
            return fid_fail(err, FID_ERR_INPUT, th_at,
                            "thresholds must increase from one level to the next");
        }
    if (p->tiers.n_levels == 0)
        return fid_fail(err, FID_ERR_INPUT, "/tiers/levels", "at least one level is required");
    return FID_OK;
}

static enum fid_status parse_vip_plan(const json_t *item, const char *at, void *slot,
                                      struct fid_error *err)
{
    static const char *const keys[] = {
        "id",       "name",           "price_minor",    "period",
        "benefits", "multiplier_pct", "welcome_reward", "free_delivery",
        NULL};
    struct vip_plan *v = slot;
    FID_CHECK(jsonr_check_keys(item, at, keys, err));
    FID_CHECK(program_read_id(item, at, "id", true, v->id, err));
    FID_CHECK(program_read_name(item, at, v->id, v->name, err));
    FID_CHECK(jsonr_int(item, at, "price_minor", true, 0, MINOR_MAX, 0, &v->price_minor, err));
    int period = 0;
    FID_CHECK(jsonr_enum(item, at, "period", true, PERIOD_NAMES, 0, &period, err));
    v->period = (enum vip_period)period;
    FID_CHECK(program_read_id(item, at, "welcome_reward", false, v->welcome_reward, err));
    FID_CHECK(jsonr_bool(item, at, "free_delivery", false, &v->free_delivery, err));
    return read_perks(item, at, &v->perks, err);
}

static enum fid_status parse_vip_plans(const json_t *doc, struct program *p, struct fid_error *err)
{
    return program_parse_list(doc, "", "vip_plans", 32, sizeof(struct vip_plan),
                              (void **)&p->vip_plans, &p->n_vip_plans, parse_vip_plan, err);
}

static enum fid_status parse_reward(const json_t *item, const char *at, void *slot,
                                    struct fid_error *err)
{
    static const char *const keys[] = {"id",          "name",
                                       "kind",        "cost_points",
                                       "cost_stamps", "stamp_card",
                                       "value_minor", "percent",
                                       "sku",         "tiers",
                                       "vip_only",    "stock",
                                       "valid_days",  "cost_cashback_minor",
                                       NULL};
    struct reward *r = slot;
    FID_CHECK(jsonr_check_keys(item, at, keys, err));
    FID_CHECK(program_read_id(item, at, "id", true, r->id, err));
    FID_CHECK(program_read_name(item, at, r->id, r->name, err));
    int kind = 0;
    FID_CHECK(jsonr_enum(item, at, "kind", true, REWARD_KIND_NAMES, 0, &kind, err));
    r->kind = (enum reward_kind)kind;
    FID_CHECK(jsonr_int(item, at, "cost_points", false, 0, POINTS_MAX, 0, &r->cost_points, err));
    FID_CHECK(jsonr_int(item, at, "cost_stamps", false, 0, 1000, 0, &r->cost_stamps, err));
    FID_CHECK(program_read_id(item, at, "stamp_card", r->cost_stamps > 0, r->stamp_card, err));
    FID_CHECK(jsonr_int(item, at, "cost_cashback_minor", false, 0, MINOR_MAX, 0,
                        &r->cost_cashback_minor, err));
    if ((r->cost_points > 0) + (r->cost_stamps > 0) + (r->cost_cashback_minor > 0) > 1)
        return fid_fail(err, FID_ERR_INPUT, at,
                        "a reward costs points, stamps or cashback: only one of them");
    if (r->kind == REWARD_CASHBACK_CREDIT && r->cost_cashback_minor > 0)
        return fid_fail(err, FID_ERR_INPUT, at, "a cashback credit cannot be paid with cashback");
    bool needs_value = r->kind == REWARD_FIXED_DISCOUNT || r->kind == REWARD_CASHBACK_CREDIT;
    FID_CHECK(
        jsonr_int(item, at, "value_minor", needs_value, 0, MINOR_MAX, 0, &r->value_minor, err));
    FID_CHECK(jsonr_int(item, at, "percent", r->kind == REWARD_PERCENT_DISCOUNT, 1, 100, 0,
                        &r->percent, err));
    FID_CHECK(program_read_id(item, at, "sku", false, r->sku, err));
    FID_CHECK(program_read_strings(item, at, "tiers", &r->tiers, err));
    FID_CHECK(jsonr_bool(item, at, "vip_only", false, &r->vip_only, err));
    FID_CHECK(jsonr_int(item, at, "stock", false, 0, MINOR_MAX, -1, &r->stock, err));
    return jsonr_int(item, at, "valid_days", false, 1, 3660, 90, &r->valid_days, err);
}

static enum fid_status parse_rewards(const json_t *doc, struct program *p, struct fid_error *err)
{
    return program_parse_list(doc, "", "rewards", PROGRAM_ITEMS_MAX, sizeof(struct reward),
                              (void **)&p->rewards, &p->n_rewards, parse_reward, err);
}

static enum fid_status parse_policies(const json_t *doc, struct program *p, struct fid_error *err)
{
    const json_t *obj = NULL;
    char at[JSONR_PATH_MAX];
    FID_CHECK(program_read_object(doc, "", "expiry", &obj, at, err));
    if (obj) {
        static const char *const keys[] = {"mode", "months", NULL};
        FID_CHECK(jsonr_check_keys(obj, at, keys, err));
        int mode = 0;
        FID_CHECK(jsonr_enum(obj, at, "mode", true, EXPIRY_NAMES, 0, &mode, err));
        p->expiry.mode = (enum expiry_mode)mode;
        FID_CHECK(jsonr_int(obj, at, "months", p->expiry.mode != EXPIRY_NONE, 1, 240, 0,
                            &p->expiry.months, err));
    }
    FID_CHECK(jsonr_int(doc, "", "pending_days", false, 0, 365, 0, &p->pending_days, err));
    FID_CHECK(
        jsonr_int(doc, "", "vouchers_per_order", false, 1, 100, 0, &p->vouchers_per_order, err));
    FID_CHECK(program_read_object(doc, "", "refunds", &obj, at, err));
    if (obj) {
        static const char *const keys[] = {"allow_negative_balance", NULL};
        FID_CHECK(jsonr_check_keys(obj, at, keys, err));
        FID_CHECK(
            jsonr_bool(obj, at, "allow_negative_balance", false, &p->refund_allow_negative, err));
    }
    FID_CHECK(program_read_object(doc, "", "cashback", &obj, at, err));
    if (obj) {
        static const char *const keys[] = {"percent_bp", NULL};
        FID_CHECK(jsonr_check_keys(obj, at, keys, err));
        FID_CHECK(jsonr_int(obj, at, "percent_bp", true, 0, PERCENT_MAX, 0, &p->cashback_bp, err));
    }
    FID_CHECK(program_read_object(doc, "", "point_value", &obj, at, err));
    if (obj) {
        static const char *const keys[] = {"amount_minor", "points", NULL};
        FID_CHECK(jsonr_check_keys(obj, at, keys, err));
        FID_CHECK(jsonr_int(obj, at, "amount_minor", true, 0, MINOR_MAX, 0,
                            &p->point_value.amount_minor, err));
        FID_CHECK(
            jsonr_int(obj, at, "points", true, 1, POINTS_MAX, 1, &p->point_value.points, err));
    }
    return FID_OK;
}

bool program_point_value(const struct program *p, int64_t *amount_minor, int64_t *points)
{
    if (p->point_value.points > 0) {
        *amount_minor = p->point_value.amount_minor;
        *points = p->point_value.points;
        return true;
    }
    /* Without a declared value, the dearest fixed discount per point says what a point buys. */
    bool found = false;
    for (size_t i = 0; i < p->n_rewards; i++) {
        const struct reward *r = &p->rewards[i];
        if (r->kind != REWARD_FIXED_DISCOUNT || r->cost_points <= 0)
            continue;
        if (!found ||
            (__int128)r->value_minor * *points > (__int128)*amount_minor * r->cost_points) {
            *amount_minor = r->value_minor;
            *points = r->cost_points;
            found = true;
        }
    }
    return found;
}

/* ---- cross references --------------------------------------------------------------------- */

/* The items (n of size bytes, their id at id_offset) under path: refused at the first whose id an
 * earlier one has. */
static enum fid_status unique_ids(const void *items, size_t n, size_t size, size_t id_offset,
                                  const char *path, const char *what, struct fid_error *err)
{
    const char *base = items;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(base + i * size + id_offset, base + j * size + id_offset) == 0) {
                char at[JSONR_PATH_MAX];
                snprintf(at, sizeof at, "%s/%zu/id", path, i);
                return fid_fail(err, FID_ERR_INPUT, at, "duplicate %s id \"%s\"", what,
                                base + i * size + id_offset);
            }
    return FID_OK;
}

#define UNIQUE_IDS(items, n, type, path, what, err)                                                \
    unique_ids(items, n, sizeof(type), offsetof(type, id), path, what, err)

static enum fid_status check_unique_ids(const struct program *p, struct fid_error *err)
{
    if (reading_stored)
        return FID_OK;
    FID_CHECK(UNIQUE_IDS(p->earning.multipliers, p->earning.n_multipliers, struct multiplier,
                         "/earning/multipliers", "multiplier", err));
    FID_CHECK(UNIQUE_IDS(p->rewards, p->n_rewards, struct reward, "/rewards", "reward", err));
    FID_CHECK(UNIQUE_IDS(p->stamp_cards, p->n_stamp_cards, struct stamp_card, "/stamp_cards",
                         "stamp card", err));
    FID_CHECK(UNIQUE_IDS(p->tiers.levels, p->tiers.n_levels, struct tier_level, "/tiers/levels",
                         "tier", err));
    FID_CHECK(
        UNIQUE_IDS(p->vip_plans, p->n_vip_plans, struct vip_plan, "/vip_plans", "VIP plan", err));
    return UNIQUE_IDS(p->segments, p->n_segments, struct segment, "/segments/custom", "segment",
                      err);
}

static enum fid_status check_references(const struct program *p, struct fid_error *err)
{
    char at[JSONR_PATH_MAX];
    for (size_t i = 0; i < p->n_stamp_cards; i++)
        if (program_reward(p, p->stamp_cards[i].reward_id) == NULL) {
            snprintf(at, sizeof at, "/stamp_cards/%zu/reward", i);
            return fid_fail(err, FID_ERR_INPUT, at, "no reward with id \"%s\" in /rewards",
                            p->stamp_cards[i].reward_id);
        }
    for (size_t i = 0; i < p->n_vip_plans; i++)
        if (p->vip_plans[i].welcome_reward[0] &&
            program_reward(p, p->vip_plans[i].welcome_reward) == NULL) {
            snprintf(at, sizeof at, "/vip_plans/%zu/welcome_reward", i);
            return fid_fail(err, FID_ERR_INPUT, at, "no reward with id \"%s\" in /rewards",
                            p->vip_plans[i].welcome_reward);
        }
    for (size_t i = 0; i < p->n_segments; i++)
        for (size_t k = 0; k < p->segments[i].n_conditions; k++) {
            const struct string_list *tiers = &p->segments[i].conditions[k].tiers;
            for (size_t t = 0; t < tiers->count; t++)
                if (program_tier(p, tiers->items[t]) == NULL) {
                    snprintf(at, sizeof at, "/segments/custom/%zu/all/%zu/tier/%zu", i, k, t);
                    return fid_fail(err, FID_ERR_INPUT, at, "no tier with id \"%s\"",
                                    tiers->items[t]);
                }
        }
    for (size_t i = 0; i < p->n_rewards; i++) {
        const struct reward *r = &p->rewards[i];
        const struct stamp_card *card =
            r->cost_stamps > 0 ? program_stamp_card(p, r->stamp_card) : NULL;
        if (r->cost_stamps > 0 && card == NULL) {
            snprintf(at, sizeof at, "/rewards/%zu/stamp_card", i);
            return fid_fail(err, FID_ERR_INPUT, at, "no stamp card with id \"%s\"", r->stamp_card);
        }
        /* a full card issues its own reward and starts again: it never holds that many */
        if (card && r->cost_stamps >= card->stamps_required) {
            snprintf(at, sizeof at, "/rewards/%zu/cost_stamps", i);
            return fid_fail(err, FID_ERR_INPUT, at,
                            "a card \"%s\" holds at most %lld stamps (it issues its reward at "
                            "%lld): expected fewer",
                            card->id, (long long)card->stamps_required - 1,
                            (long long)card->stamps_required);
        }
        for (size_t t = 0; t < r->tiers.count; t++)
            if (program_tier(p, r->tiers.items[t]) == NULL) {
                snprintf(at, sizeof at, "/rewards/%zu/tiers/%zu", i, t);
                return fid_fail(err, FID_ERR_INPUT, at, "no tier with id \"%s\" in /tiers/levels",
                                r->tiers.items[t]);
            }
    }
    return FID_OK;
}

enum fid_status program_parse(const json_t *doc, struct program **out, struct fid_error *err)
{
    static const char *const keys[] = {
        "earning",  "enrolment",          "stamp_cards", "tiers",    "vip_plans",   "rewards",
        "expiry",   "pending_days",       "refunds",     "cashback", "description", "point_value",
        "segments", "vouchers_per_order", NULL};
    *out = NULL;
    enum fid_status st = jsonr_expect_object(doc, "", err);
    if (st != FID_OK)
        return st;
    struct program *p = xcalloc(1, sizeof *p);
    const char *description = NULL;
    if ((st = jsonr_check_keys(doc, "", keys, err)) != FID_OK ||
        (st = jsonr_string(doc, "", "description", false, 1000, NULL, &description, err)) !=
            FID_OK ||
        (st = parse_earning(doc, p, err)) != FID_OK ||
        (st = parse_enrolment(doc, p, err)) != FID_OK ||
        (st = parse_stamp_cards(doc, p, err)) != FID_OK ||
        (st = parse_tiers(doc, p, err)) != FID_OK ||
        (st = parse_vip_plans(doc, p, err)) != FID_OK ||
        (st = parse_rewards(doc, p, err)) != FID_OK ||
        (st = parse_policies(doc, p, err)) != FID_OK ||
        (st = program_parse_segments(doc, p, err)) != FID_OK ||
        (st = check_unique_ids(p, err)) != FID_OK || (st = check_references(p, err)) != FID_OK) {
        program_free(p);
        return st;
    }
    p->text = jsonw_dump_sorted(doc);
    *out = p;
    return FID_OK;
}

enum fid_status program_parse_text(const char *text, size_t len, struct program **out,
                                   struct fid_error *err)
{
    *out = NULL;
    if (len > PROGRAM_TEXT_MAX)
        return fid_fail(err, FID_ERR_LIMIT, "", "programme larger than %d bytes", PROGRAM_TEXT_MAX);
    json_t *doc = NULL;
    enum fid_status st = jsonr_parse(text, len, &doc, err);
    if (st != FID_OK)
        return st;
    st = program_parse(doc, out, err);
    json_decref(doc);
    return st;
}

enum fid_status program_parse_stored_text(const char *text, size_t len, struct program **out,
                                          struct fid_error *err)
{
    reading_stored = true;
    enum fid_status st = program_parse_text(text, len, out, err);
    reading_stored = false;
    return st;
}

const struct reward *program_reward(const struct program *p, const char *id)
{
    for (size_t i = 0; i < p->n_rewards; i++)
        if (strcmp(p->rewards[i].id, id) == 0)
            return &p->rewards[i];
    return NULL;
}

const struct stamp_card *program_stamp_card(const struct program *p, const char *id)
{
    for (size_t i = 0; i < p->n_stamp_cards; i++)
        if (strcmp(p->stamp_cards[i].id, id) == 0)
            return &p->stamp_cards[i];
    return NULL;
}

const struct tier_level *program_tier(const struct program *p, const char *id)
{
    int rank = program_tier_rank(p, id);
    return rank < 0 ? NULL : &p->tiers.levels[rank];
}

int program_tier_rank(const struct program *p, const char *id)
{
    for (size_t i = 0; id && id[0] && i < p->tiers.n_levels; i++)
        if (strcmp(p->tiers.levels[i].id, id) == 0)
            return (int)i;
    return -1;
}

const struct vip_plan *program_vip_plan(const struct program *p, const char *id)
{
    for (size_t i = 0; i < p->n_vip_plans; i++)
        if (strcmp(p->vip_plans[i].id, id) == 0)
            return &p->vip_plans[i];
    return NULL;
}
