/*
 * The demo's customers: each persona's share of them, the habits and plans each one gets at the
 * start (first and last day, weekdays, arrival time, holidays, when to enrol, how to redeem), and
 * the refs that name them. demo_schedule.c turns the habits into visits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/demo.h"
#include "util/xalloc.h"

static const int PERSONA_SHARE_PCT[N_PERSONAS] = {22, 10, 20, 13, 35};

/* ---- the population ------------------------------------------------------------------------ */

static unsigned random_weekdays(struct demo *d, int count)
{
    int days[5] = {0, 1, 2, 3, 4};
    unsigned bits = 0;
    for (int i = 0; i < count && i < 5; i++) {
        int j = i + demo_below(d, 5 - i);
        int t = days[i];
        days[i] = days[j];
        days[j] = t;
        bits |= 1u << days[i];
    }
    return bits;
}

/* Day a customer first comes: most regulars from the first weeks, the others over the year. */
static int first_day(struct demo *d, int early_pct)
{
    int spread = d->n_days * 4 / 5;
    return demo_chance(d, early_pct) ? demo_below(d, d->n_days < 14 ? d->n_days : 14)
                                     : demo_below(d, spread);
}

static void plan_holiday(struct demo *d, struct demo_customer *c)
{
    c->holiday_from = c->holiday_to = 0;
    if (!demo_chance(d, 75))
        return;
    int from = demo_below(d, d->n_days);
    for (int tries = 0; tries < 60 && demo_chance(d, 90); tries++) { /* most go in July or August */
        if (d->days[from].month == 7 || d->days[from].month == 8)
            break;
        from = demo_below(d, d->n_days);
    }
    c->holiday_from = from;
    c->holiday_to = from + 10 + demo_below(d, 12);
}

static void plan_enrolment(struct demo *d, struct demo_customer *c, int enrol_pct,
                           int first_visit_pct, int quick_pct, int later_max)
{
    c->plan = ENROL_NEVER;
    if (!demo_chance(d, enrol_pct))
        return;
    int r = demo_below(d, 100);
    c->plan = r < first_visit_pct               ? ENROL_FIRST_VISIT
              : r < first_visit_pct + quick_pct ? ENROL_QUICK
                                                : ENROL_LATER;
    c->enrol_visit = 2 + demo_below(d, later_max - 1);
}

static void plan_customer(struct demo *d, struct demo_customer *c)
{
    int last = d->n_days - 1;
    c->first_voucher = -1;
    c->last_visit_day = -1000;
    c->redeem_pct = demo_chance(d, 15) ? 0 : 20 + demo_below(d, 30);
    c->saver = demo_chance(d, 35);
    switch (c->persona) {
    case MORNING_REGULAR:
        c->first_day = first_day(d, 55);
        c->last_day =
            demo_chance(d, 8) ? demo_clamp(c->first_day + 120 + demo_below(d, 150), 0, last) : last;
        c->weekdays = random_weekdays(d, 3 + demo_below(d, 3));
        c->visit_pct = 85 + demo_below(d, 12);
        c->habit_minute = 7 * 60 + 5 + demo_below(d, 110);
        c->extra_pct = demo_chance(d, 30) ? 5 + demo_below(d, 20) : 25 + demo_below(d, 50);
        c->drink = demo_usual_drink(d, c->persona);
        plan_holiday(d, c);
        plan_enrolment(d, c, 90, 15, 45, 20);
        break;
    case AFTERNOON_WORKER:
        c->first_day = first_day(d, 45);
        c->last_day = last;
        c->weekdays = random_weekdays(d, 2 + demo_below(d, 3));
        c->visit_pct = 70 + demo_below(d, 21);
        c->habit_minute = 14 * 60 + 5 + demo_below(d, 95);
        c->extra_pct = 20 + demo_below(d, 40);
        c->drink = demo_usual_drink(d, c->persona);
        plan_holiday(d, c);
        plan_enrolment(d, c, 80, 15, 45, 12);
        break;
    case WEEKEND_VISITOR:
        c->first_day = first_day(d, 45);
        c->last_day = last;
        c->visit_pct = 20 + demo_below(d, 35);
        c->party = 1 + demo_below(d, 3) + (demo_chance(d, 15) ? 1 : 0);
        c->extra_pct = 30 + demo_below(d, 50);
        plan_enrolment(d, c, 60, 20, 40, 6);
        c->saver = demo_chance(d, 60);
        break;
    case LAPSED_REGULAR:
        c->first_day = demo_below(d, d->n_days / 4 + 1);
        c->last_day = demo_clamp(c->first_day + 35 + demo_below(d, 80), 0, last);
        c->weekdays = random_weekdays(d, 2 + demo_below(d, 3));
        c->visit_pct = 75 + demo_below(d, 20);
        c->habit_minute =
            demo_chance(d, 60) ? 7 * 60 + 15 + demo_below(d, 100) : 12 * 60 + demo_below(d, 90);
        c->extra_pct = 20 + demo_below(d, 40);
        c->drink = demo_usual_drink(d, c->persona);
        plan_enrolment(d, c, 70, 20, 40, 10);
        break;
    case ONE_OFF_BUYER:
        c->first_day =
            demo_below(d, d->n_days - 1); /* not the last day: it may end before they come */
        while (d->days[c->first_day].closed)
            c->first_day = (c->first_day + 1) % (d->n_days - 1);
        c->last_day = c->first_day;
        c->habit_minute = 8 * 60 + demo_below(d, 10 * 60);
        plan_enrolment(d, c, 12, 30, 70, 2);
        c->redeem_pct = 0;
        break;
    case N_PERSONAS:
        break;
    }
}

void demo_build_population(struct demo *d, int n)
{
    d->n_customers = n;
    d->customers = xcalloc((size_t)n, sizeof *d->customers);
    enum persona *personas = xcalloc((size_t)n, sizeof *personas);
    int filled = 0;
    for (int p = 0; p < N_PERSONAS; p++) {
        int share = p == N_PERSONAS - 1 ? n - filled : n * PERSONA_SHARE_PCT[p] / 100;
        for (int i = 0; i < share; i++)
            personas[filled++] = (enum persona)p;
    }
    for (int i = n - 1; i > 0; i--) { /* refs say nothing about the persona */
        int j = demo_below(d, i + 1);
        enum persona t = personas[i];
        personas[i] = personas[j];
        personas[j] = t;
    }
    for (int i = 0; i < n; i++) {
        struct demo_customer *c = &d->customers[i];
        snprintf(c->ref, sizeof c->ref, "client-%04d", i + 1);
        c->persona = personas[i];
        d->persona_count[c->persona]++;
        plan_customer(d, c);
    }
    free(personas);
}

int demo_customer_index(const struct demo *d, const char *ref)
{
    if (ref == NULL || strncmp(ref, "client-", 7) != 0)
        return -1;
    char *end = NULL;
    long n = strtol(ref + 7, &end, 10);
    if (end == ref + 7 || *end != '\0' || n < 1 || n > d->n_customers)
        return -1;
    return (int)n - 1;
}
