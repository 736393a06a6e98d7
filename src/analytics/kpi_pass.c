/*
 * One pass over the orders for the KPI counts (see kpi_pass.h). The per-customer record is kept
 * to 32 bytes, one cache line holds two: at ten million orders the pass is bound by those
 * random accesses, not by arithmetic.
 */
#include "analytics/kpi_pass.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

enum { IN_START_WINDOW = 1, IN_END_WINDOW = 2 };

struct kpi_pass_customer {
    int64_t first_at;   /* first order before `to`, when orders > 0 */
    int64_t paid_minor; /* paid in the period */
    uint64_t months;    /* months 0..63 of the period with an order */
    uint8_t orders;     /* orders before `to`, counted up to 2 */
    uint8_t in_period;  /* orders in the period, counted up to 2 */
    uint8_t windows;
};

void kpi_counts_calendar(struct kpi_counts *out, const int *year_months, size_t n_months)
{
    out->n_months = n_months;
    out->months = xcalloc(n_months ? n_months : 1, sizeof *out->months);
    out->n_cohorts = n_months;
    out->cohorts = xcalloc(n_months ? n_months : 1, sizeof *out->cohorts);
    for (size_t i = 0; i < n_months; i++) {
        out->months[i].year = out->cohorts[i].year = year_months[i] / 12;
        out->months[i].month = out->cohorts[i].month = year_months[i] % 12 + 1;
        out->cohorts[i].n_months = n_months - i;
        out->cohorts[i].active = xcalloc(n_months - i, sizeof(int64_t));
    }
}

void kpi_pass_init(struct kpi_pass *pass, struct kpi_counts *out, size_t n_customers, int64_t from,
                   int64_t to, int64_t start_window, int64_t end_window,
                   const int64_t *month_starts, size_t n_months)
{
    memset(pass, 0, sizeof *pass);
    pass->from = from;
    pass->to = to;
    pass->start_window = start_window;
    pass->end_window = end_window;
    pass->month_starts = month_starts;
    pass->n_months = n_months;
    pass->words = (n_months + 63) / 64;
    pass->n_customers = n_customers;
    pass->customers = xcalloc_table(n_customers ? n_customers : 1, sizeof *pass->customers);
    if (pass->words > 1)
        pass->more_months = xcalloc(n_customers * (pass->words - 1), sizeof(uint64_t));
    pass->months = xcalloc(n_months ? n_months : 1, sizeof *pass->months);
    pass->out = out;
}

/* The index of the period's month holding at (from <= at < to). */
static size_t month_index(const struct kpi_pass *pass, int64_t at)
{
    size_t lo = 0, hi = pass->n_months; /* month_starts[lo] <= at < month_starts[hi] */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (pass->month_starts[mid] <= at)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static void set_month(struct kpi_pass *pass, size_t customer, size_t month)
{
    if (month < 64)
        pass->customers[customer].months |= UINT64_C(1) << month;
    else
        pass->more_months[customer * (pass->words - 1) + month / 64 - 1] |= UINT64_C(1)
                                                                            << (month % 64);
}

static bool has_month(const struct kpi_pass *pass, size_t customer, size_t month)
{
    if (month < 64)
        return (pass->customers[customer].months >> month) & 1;
    return (pass->more_months[customer * (pass->words - 1) + month / 64 - 1] >> (month % 64)) & 1;
}

void kpi_pass_orders(struct kpi_pass *pass, const struct order_columns *o)
{
    enum { AHEAD = 16 }; /* customers asked of memory this many orders before their turn */
    for (size_t i = 0; i < o->n; i++) {
        if (i + AHEAD < o->n && o->customer[i + AHEAD] < pass->n_customers)
            __builtin_prefetch(&pass->customers[o->customer[i + AHEAD]]);
        int64_t at = o->at[i];
        size_t who = o->customer[i];
        if (at >= pass->to || who >= pass->n_customers)
            continue;
        struct kpi_pass_customer *c = &pass->customers[who];
        if (c->orders == 0 || at < c->first_at)
            c->first_at = at;
        c->orders += c->orders < 2;
        if (at >= pass->start_window && at < pass->from)
            c->windows |= IN_START_WINDOW;
        if (at >= pass->end_window)
            c->windows |= IN_END_WINDOW;
        if (at < pass->from)
            continue;
        int64_t paid = o->paid_minor[i];
        /* every other sum below adds part of the same non-negative amounts: checked once here */
        int64_t total;
        if (pass->overflow || __builtin_add_overflow(pass->paid_minor, paid, &total)) {
            pass->overflow = true;
            return;
        }
        pass->paid_minor = total;
        c->in_period += c->in_period < 2;
        c->paid_minor += paid;
        size_t m = month_index(pass, at);
        set_month(pass, who, m);
        struct kpi_month *month = &pass->months[m];
        month->orders++;
        month->revenue_minor += paid;
        pass->orders++;
        if (o->member[i]) {
            month->member_orders++;
            month->member_revenue_minor += paid;
            pass->member_orders++;
            pass->member_paid_minor += paid;
        }
    }
}

void kpi_pass_merge(struct kpi_pass *into, const struct kpi_pass *other)
{
    int64_t total;
    if (into->overflow || other->overflow ||
        __builtin_add_overflow(into->paid_minor, other->paid_minor, &total)) {
        into->overflow = true;
        return;
    }
    for (size_t i = 0; i < into->n_customers; i++) {
        struct kpi_pass_customer *a = &into->customers[i];
        const struct kpi_pass_customer *b = &other->customers[i];
        if (b->orders != 0 && (a->orders == 0 || b->first_at < a->first_at))
            a->first_at = b->first_at;
        a->orders = (uint8_t)(a->orders + b->orders > 2 ? 2 : a->orders + b->orders);
        a->in_period = (uint8_t)(a->in_period + b->in_period > 2 ? 2 : a->in_period + b->in_period);
        a->paid_minor += b->paid_minor;
        a->months |= b->months;
        a->windows |= b->windows;
    }
    for (size_t i = 0; into->more_months && i < into->n_customers * (into->words - 1); i++)
        into->more_months[i] |= other->more_months[i];
    for (size_t m = 0; m < into->n_months; m++) {
        into->months[m].orders += other->months[m].orders;
        into->months[m].revenue_minor += other->months[m].revenue_minor;
        into->months[m].member_orders += other->months[m].member_orders;
        into->months[m].member_revenue_minor += other->months[m].member_revenue_minor;
    }
    into->orders += other->orders;
    into->paid_minor = total;
    into->member_orders += other->member_orders;
    into->member_paid_minor += other->member_paid_minor;
}

void kpi_pass_finish(struct kpi_pass *pass)
{
    struct kpi_counts *out = pass->out;
    int64_t total;
    if (pass->overflow || __builtin_add_overflow(out->paid_minor, pass->paid_minor, &total)) {
        pass->overflow = true;
        return;
    }
    out->orders += pass->orders;
    out->paid_minor = total;
    out->member_orders += pass->member_orders;
    out->member_paid_minor += pass->member_paid_minor;
    for (size_t m = 0; m < pass->n_months; m++) {
        out->months[m].orders += pass->months[m].orders;
        out->months[m].revenue_minor += pass->months[m].revenue_minor;
        out->months[m].member_orders += pass->months[m].member_orders;
        out->months[m].member_revenue_minor += pass->months[m].member_revenue_minor;
    }
    for (size_t i = 0; i < pass->n_customers; i++) {
        const struct kpi_pass_customer *c = &pass->customers[i];
        if (c->orders == 0)
            continue;
        bool start = c->windows & IN_START_WINDOW, end = c->windows & IN_END_WINDOW;
        out->customers_start += start;
        out->customers_end += end;
        out->churned += start && !end;
        if (c->in_period == 0)
            continue;
        out->customers++;
        out->repeat_customers += c->in_period >= 2;
        if (c->orders >= 2)
            out->loyal_paid_minor += c->paid_minor;
        bool is_new = c->first_at >= pass->from;
        out->new_customers += is_new;
        out->new_customers_end += is_new && end;
        size_t cohort = is_new ? month_index(pass, c->first_at) : 0;
        if (is_new)
            out->cohorts[cohort].size++;
        for (size_t m = 0; m < pass->n_months; m++) {
            if (!has_month(pass, i, m))
                continue;
            out->months[m].active_customers++;
            if (is_new && m >= cohort)
                out->cohorts[cohort].active[m - cohort]++;
        }
    }
}

void kpi_pass_refund(struct kpi_pass *pass, int64_t customer, int64_t at, int64_t order_at,
                     int64_t amount_minor, int member)
{
    struct kpi_counts *out = pass->out;
    /* the refunds' total bounds every other refund sum, as the paid total does for orders */
    int64_t total;
    if (pass->overflow || __builtin_add_overflow(out->refunded_minor, amount_minor, &total)) {
        pass->overflow = true;
        return;
    }
    out->refunded_minor = total;
    struct kpi_month *month = &out->months[month_index(pass, at)];
    month->revenue_minor -= amount_minor;
    if (member)
        month->member_revenue_minor -= amount_minor;
    /* the refunds of the orders placed in P go with them, into the AOV by membership */
    if (order_at >= pass->from && order_at < pass->to) {
        out->placed_refunded_minor += amount_minor;
        if (member)
            out->member_placed_refunded_minor += amount_minor;
    }
    if (customer >= 0 && (size_t)customer < pass->n_customers &&
        pass->customers[customer].orders >= 2)
        out->loyal_refunded_minor += amount_minor;
}

void kpi_pass_free(struct kpi_pass *pass)
{
    free(pass->customers);
    free(pass->more_months);
    free(pass->months);
    memset(pass, 0, sizeof *pass);
}
