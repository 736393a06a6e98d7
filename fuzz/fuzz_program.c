/*
 * Fuzz target for the programme parser (program_parse_text). Beyond "no crash, no leak" it
 * checks what a returned program promises: every id it refers to resolves, ids are unique, tier
 * thresholds ascend, clock readings are strictly HH:MM, and its canonical text parses again to the
 * same canonical text. A rejection must leave *out NULL and say why in err.
 */
#include <string.h>

#include "core/program.h"
#include "fuzz.h"

/* An accepted local clock reading is exactly "HH:MM" in digits (the documented form). */
static void check_clock_text(const json_t *hours, const char *key)
{
    const char *s = json_string_value(json_object_get(hours, key));
    FUZZ_ASSERT(s != NULL && strlen(s) == 5 && s[2] == ':');
    FUZZ_ASSERT(strspn(s, "0123456789") == 2 && strspn(s + 3, "0123456789") == 2);
}

/* Walks the accepted document for what the struct no longer shows: the clock strings. */
static void check_document(const char *text)
{
    json_t *doc = json_loads(text, 0, NULL);
    FUZZ_ASSERT(doc != NULL);
    json_t *multipliers = json_object_get(json_object_get(doc, "earning"), "multipliers");
    size_t i;
    json_t *m;
    json_array_foreach(multipliers, i, m)
    {
        json_t *hours = json_object_get(m, "hours");
        if (json_is_object(hours)) {
            check_clock_text(hours, "from");
            check_clock_text(hours, "to");
        }
    }
    json_decref(doc);
}

static void check_program(const struct program *p)
{
    FUZZ_ASSERT(p->text != NULL);
    FUZZ_ASSERT(p->earning.per_minor >= 1);
    for (size_t i = 0; i < p->earning.n_multipliers; i++) {
        const struct multiplier *m = &p->earning.multipliers[i];
        FUZZ_ASSERT(m->id[0] != '\0');
        FUZZ_ASSERT(m->from_minute >= -1 && m->from_minute <= 24 * 60);
        FUZZ_ASSERT(m->to_minute >= -1 && m->to_minute <= 24 * 60);
        FUZZ_ASSERT((m->from_minute < 0) == (m->to_minute < 0));
        FUZZ_ASSERT(m->weekdays < (1u << 7) && m->channels < (1u << 2));
    }
    for (size_t i = 0; i < p->n_stamp_cards; i++) {
        const struct stamp_card *c = &p->stamp_cards[i];
        FUZZ_ASSERT(program_stamp_card(p, c->id) == c);
        FUZZ_ASSERT(program_reward(p, c->reward_id) != NULL);
    }
    for (size_t i = 0; i < p->tiers.n_levels; i++) {
        const struct tier_level *l = &p->tiers.levels[i];
        FUZZ_ASSERT(program_tier_rank(p, l->id) == (int)i);
        FUZZ_ASSERT(program_tier(p, l->id) == l);
        FUZZ_ASSERT(i == 0 || l->threshold > p->tiers.levels[i - 1].threshold);
    }
    for (size_t i = 0; i < p->n_vip_plans; i++) {
        const struct vip_plan *v = &p->vip_plans[i];
        FUZZ_ASSERT(program_vip_plan(p, v->id) == v);
        FUZZ_ASSERT(v->welcome_reward[0] == '\0' || program_reward(p, v->welcome_reward) != NULL);
    }
    for (size_t i = 0; i < p->n_rewards; i++) {
        const struct reward *r = &p->rewards[i];
        FUZZ_ASSERT(program_reward(p, r->id) == r);
        FUZZ_ASSERT(reward_kind_name(r->kind) != NULL);
        FUZZ_ASSERT(r->cost_points == 0 || r->cost_stamps == 0);
        FUZZ_ASSERT(r->cost_stamps == 0 || program_stamp_card(p, r->stamp_card) != NULL);
        for (size_t t = 0; t < r->tiers.count; t++)
            FUZZ_ASSERT(program_tier(p, r->tiers.items[t]) != NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct program *p = NULL, *again = NULL;
    struct fid_error err;
    fid_error_clear(&err);
    enum fid_status st = program_parse_text((const char *)data, size, &p, &err);
    if (st != FID_OK) {
        FUZZ_ASSERT(p == NULL);
        FUZZ_ASSERT(err.status == st && err.message[0] != '\0');
        return 0;
    }
    check_program(p);
    check_document(p->text);

    /* The canonical text is what the store keeps: it must load back to itself. */
    st = program_parse_text(p->text, strlen(p->text), &again, &err);
    FUZZ_ASSERT(st == FID_OK);
    FUZZ_ASSERT(strcmp(again->text, p->text) == 0);
    FUZZ_ASSERT(again->n_rewards == p->n_rewards && again->n_stamp_cards == p->n_stamp_cards &&
                again->tiers.n_levels == p->tiers.n_levels &&
                again->n_vip_plans == p->n_vip_plans &&
                again->earning.n_multipliers == p->earning.n_multipliers);
    program_free(again);
    program_free(p);
    return 0;
}
