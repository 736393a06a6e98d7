/*
 * The programme's "segments" section: lifecycle thresholds and custom segments, each a list of
 * conditions that measure one thing over a customer's orders (count, spend or share of orders
 * matching a filter) or profile (tier, VIP, enrolment, birthday). Evaluation is
 * analytics/segments.c.
 */
#include <stdio.h>
#include <string.h>

#include "core/program_read.h"

/* ---- segments ------------------------------------------------------------------------------ */

static const char *const MEASURE_KEYS[] = {"orders",         "spend_minor", "share",
                                           "tier",           "vip",         "enrolled_within_days",
                                           "birthday_month", NULL};

static enum fid_status parse_condition(const json_t *item, const char *at, void *slot,
                                       struct fid_error *err)
{
    struct segment_condition *c = slot;
    static const char *const keys[] = {"orders",
                                       "spend_minor",
                                       "share",
                                       "tier",
                                       "vip",
                                       "enrolled_within_days",
                                       "birthday_month",
                                       "at_least",
                                       "at_most",
                                       "exactly",
                                       "at_least_pct",
                                       "at_most_pct",
                                       NULL};
    FID_CHECK(jsonr_check_keys(item, at, keys, err));
    c->at_least = c->at_most = -1;
    int found = -1;
    for (int k = 0; MEASURE_KEYS[k]; k++)
        if (json_object_get(item, MEASURE_KEYS[k])) {
            if (found >= 0)
                return fid_fail(err, FID_ERR_INPUT, at,
                                "a condition measures one thing: \"%s\" or \"%s\", not both",
                                MEASURE_KEYS[found], MEASURE_KEYS[k]);
            found = k;
        }
    if (found < 0)
        return fid_fail(err, FID_ERR_INPUT, at,
                        "a condition needs one of orders, spend_minor, share, tier, vip, "
                        "enrolled_within_days, birthday_month");
    c->measure = (enum segment_measure)found;
    char m_at[JSONR_PATH_MAX];
    jsonr_path(m_at, at, MEASURE_KEYS[found]);
    const json_t *filter = json_object_get(item, MEASURE_KEYS[found]);
    switch (c->measure) {
    case SEGMENT_ORDERS:
    case SEGMENT_SPEND:
    case SEGMENT_SHARE: {
        FID_CHECK(jsonr_expect_object(filter, m_at, err));
        static const char *const filter_keys[] = {"within_days", "weekdays",   "hours",
                                                  "channels",    "categories", NULL};
        FID_CHECK(jsonr_check_keys(filter, m_at, filter_keys, err));
        FID_CHECK(jsonr_int(filter, m_at, "within_days", false, 1, 36600, 0, &c->within_days, err));
        FID_CHECK(program_read_when(filter, m_at, &c->weekdays, &c->from_minute, &c->to_minute,
                                    &c->channels, err));
        FID_CHECK(program_read_strings(filter, m_at, "categories", &c->categories, err));
        bool share = c->measure == SEGMENT_SHARE;
        int64_t max = share ? 100 : MINOR_MAX;
        int64_t exactly = -1;
        FID_CHECK(jsonr_int(item, at, share ? "at_least_pct" : "at_least", false, 0, max, -1,
                            &c->at_least, err));
        FID_CHECK(jsonr_int(item, at, share ? "at_most_pct" : "at_most", false, 0, max, -1,
                            &c->at_most, err));
        if (!share)
            FID_CHECK(jsonr_int(item, at, "exactly", false, 0, max, -1, &exactly, err));
        if (exactly >= 0) {
            if (c->at_least >= 0 || c->at_most >= 0)
                return fid_fail(err, FID_ERR_INPUT, at,
                                "\"exactly\" goes alone, without at_least or at_most");
            c->at_least = c->at_most = exactly;
        }
        if (c->at_least < 0 && c->at_most < 0)
            return fid_fail(err, FID_ERR_INPUT, at, "a bound is missing: %s",
                            share ? "at_least_pct or at_most_pct" : "at_least, at_most or exactly");
        if (c->at_least >= 0 && c->at_most >= 0 && c->at_least > c->at_most)
            return fid_fail(err, FID_ERR_INPUT, at, "the lower bound is above the upper one");
        const char *wrong = share ? "at_least" : "at_least_pct";
        if (json_object_get(item, wrong) || (share && json_object_get(item, "exactly")) ||
            json_object_get(item, share ? "at_most" : "at_most_pct"))
            return fid_fail(err, FID_ERR_INPUT, at, "%s",
                            share ? "a share takes at_least_pct / at_most_pct"
                                  : "a count or an amount takes at_least / at_most / exactly");
        return FID_OK;
    }
    case SEGMENT_TIER:
        return program_read_strings(item, at, "tier", &c->tiers, err);
    case SEGMENT_VIP:
        return jsonr_bool(item, at, "vip", true, &c->vip, err);
    case SEGMENT_ENROLLED:
        return jsonr_int(item, at, "enrolled_within_days", true, 1, 36600, 0, &c->within_days, err);
    case SEGMENT_BIRTHDAY:
        if (json_is_string(filter) && strcmp(json_string_value(filter), "current") == 0) {
            c->month = 0;
            return FID_OK;
        }
        return jsonr_int(item, at, "birthday_month", true, 1, 12, 0, &c->month, err);
    }
    return FID_ERR_INTERNAL;
}

const char *const LIFECYCLE_STAGE_NAMES[LIFECYCLE_STAGES] = {
    "new", "active", "loyal", "occasional", "at_risk", "dormant", "churned"};

static enum fid_status parse_segment(const json_t *item, const char *at, void *slot,
                                     struct fid_error *err)
{
    static const char *const keys[] = {"id", "name", "all", NULL};
    struct segment *s = slot;
    FID_CHECK(jsonr_check_keys(item, at, keys, err));
    FID_CHECK(program_read_id(item, at, "id", true, s->id, err));
    for (size_t i = 0; i < LIFECYCLE_STAGES && !program_read_stored(); i++)
        if (strcmp(s->id, LIFECYCLE_STAGE_NAMES[i]) == 0) {
            char id_at[JSONR_PATH_MAX];
            jsonr_path(id_at, at, "id");
            return fid_fail(err, FID_ERR_INPUT, id_at,
                            "\"%s\" is a lifecycle stage: a custom segment takes another id",
                            s->id);
        }
    FID_CHECK(program_read_name(item, at, s->id, s->name, err));
    FID_CHECK(program_parse_list(item, at, "all", 16, sizeof(struct segment_condition),
                                 (void **)&s->conditions, &s->n_conditions, parse_condition, err));
    if (s->n_conditions == 0)
        return fid_fail(err, FID_ERR_INPUT, at, "\"all\" needs at least one condition");
    return FID_OK;
}

enum fid_status program_parse_segments(const json_t *doc, struct program *p, struct fid_error *err)
{
    struct lifecycle_rules *l = &p->lifecycle;
    *l = (struct lifecycle_rules){.new_days = 30,
                                  .at_risk_days = 90,
                                  .dormant_days = 180,
                                  .churned_days = 365,
                                  .window_days = 365,
                                  .loyal_orders = 8,
                                  .occasional_orders = 2};
    const json_t *obj = NULL, *life = NULL;
    char at[JSONR_PATH_MAX], life_at[JSONR_PATH_MAX];
    FID_CHECK(program_read_object(doc, "", "segments", &obj, at, err));
    if (obj == NULL)
        return FID_OK;
    static const char *const keys[] = {"lifecycle", "custom", NULL};
    FID_CHECK(jsonr_check_keys(obj, at, keys, err));
    FID_CHECK(program_read_object(obj, at, "lifecycle", &life, life_at, err));
    if (life) {
        static const char *const life_keys[] = {
            "new_days",    "at_risk_days", "dormant_days",      "churned_days",
            "window_days", "loyal_orders", "occasional_orders", NULL};
        FID_CHECK(jsonr_check_keys(life, life_at, life_keys, err));
        FID_CHECK(jsonr_int(life, life_at, "new_days", false, 1, 3660, 30, &l->new_days, err));
        FID_CHECK(
            jsonr_int(life, life_at, "at_risk_days", false, 1, 3660, 90, &l->at_risk_days, err));
        FID_CHECK(
            jsonr_int(life, life_at, "dormant_days", false, 1, 3660, 180, &l->dormant_days, err));
        FID_CHECK(
            jsonr_int(life, life_at, "churned_days", false, 1, 3660, 365, &l->churned_days, err));
        FID_CHECK(
            jsonr_int(life, life_at, "window_days", false, 1, 3660, 365, &l->window_days, err));
        FID_CHECK(
            jsonr_int(life, life_at, "loyal_orders", false, 1, 100000, 8, &l->loyal_orders, err));
        FID_CHECK(jsonr_int(life, life_at, "occasional_orders", false, 0, 100000, 2,
                            &l->occasional_orders, err));
        if (!(l->at_risk_days < l->dormant_days && l->dormant_days < l->churned_days))
            return fid_fail(err, FID_ERR_INPUT, life_at,
                            "expected at_risk_days < dormant_days < churned_days");
        if (l->occasional_orders >= l->loyal_orders)
            return fid_fail(err, FID_ERR_INPUT, life_at,
                            "expected occasional_orders below loyal_orders");
    }
    return program_parse_list(obj, at, "custom", PROGRAM_ITEMS_MAX, sizeof(struct segment),
                              (void **)&p->segments, &p->n_segments, parse_segment, err);
}
