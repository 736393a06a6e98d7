/*
 * analytics/kpi_pass: the order-based KPI counts (docs/kpis.md) in one pass over order columns.
 * Months are UTC months here (the pass only sees their bounds). A hand-computed period checks
 * every figure; a period of 130 months checks the month words beyond the first 64; random
 * histories check that parallel passes merged, and orders in any order, give exactly the counts
 * of one pass, and that those counts are the definitions computed naively.
 */
#include "../unit_support.h"

#include "analytics/kpi_pass.h"

#define DAY 86400LL

static int64_t day_at(int y, int m, int d)
{
    return fid_days_from_civil(y, m, d) * DAY;
}

static int64_t time_at(int y, int m, int d, int hh, int mm, int ss)
{
    return day_at(y, m, d) + hh * 3600 + mm * 60 + ss;
}

/* ---- fixtures ---------------------------------------------------------------------------- */

struct order {
    uint32_t customer;
    int64_t at, paid;
    uint8_t member;
};

struct refund {
    int64_t customer, at, amount;
    int member;
    int64_t order_at; /* when the refunded order was placed */
};

/* The period [from, to) as n_months UTC months from year-month, and the two active windows. */
struct period {
    int64_t from, to, start_window, end_window;
    size_t n_months, n_customers;
    int64_t *starts;  /* n_months + 1 */
    int *year_months; /* n_months */
};

static struct period period_of(int year, int month, size_t n_months, size_t n_customers,
                               int64_t start_window, int64_t end_window)
{
    struct period p = {.n_months = n_months,
                       .n_customers = n_customers,
                       .start_window = start_window,
                       .end_window = end_window};
    p.starts = xcalloc(n_months + 1, sizeof *p.starts);
    p.year_months = xcalloc(n_months + 1, sizeof *p.year_months);
    for (size_t i = 0; i <= n_months; i++) {
        int ym = year * 12 + month - 1 + (int)i;
        p.year_months[i] = ym;
        p.starts[i] = day_at(ym / 12, ym % 12 + 1, 1);
    }
    p.from = p.starts[0];
    p.to = p.starts[n_months];
    return p;
}

static void period_free(struct period *p)
{
    free(p->starts);
    free(p->year_months);
}

/* The orders as columns (caller frees with columns_free). */
static struct order_columns columns_of(const struct order *orders, size_t n)
{
    struct order_columns c = {.n = n};
    c.at = xcalloc(n + 1, sizeof *c.at);
    c.paid_minor = xcalloc(n + 1, sizeof *c.paid_minor);
    c.customer = xcalloc(n + 1, sizeof *c.customer);
    c.member = xcalloc(n + 1, sizeof *c.member);
    for (size_t i = 0; i < n; i++) {
        c.at[i] = orders[i].at;
        c.paid_minor[i] = orders[i].paid;
        c.customer[i] = orders[i].customer;
        c.member[i] = orders[i].member;
    }
    return c;
}

static void columns_free(struct order_columns *c)
{
    free(c->at);
    free(c->paid_minor);
    free(c->customer);
    free(c->member);
}

static void feed(struct kpi_pass *pass, const struct order *orders, size_t n)
{
    struct order_columns c = columns_of(orders, n);
    kpi_pass_orders(pass, &c);
    columns_free(&c);
}

static void add_refunds(struct kpi_pass *pass, const struct refund *refunds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        kpi_pass_refund(pass, refunds[i].customer, refunds[i].at, refunds[i].order_at,
                        refunds[i].amount, refunds[i].member);
}

/* One pass over all orders, in blocks of `block` orders, then the refunds. */
static void one_pass(struct kpi_counts *out, const struct period *p, const struct order *orders,
                     size_t n, size_t block, const struct refund *refunds, size_t n_refunds)
{
    memset(out, 0, sizeof *out);
    kpi_counts_calendar(out, p->year_months, p->n_months);
    struct kpi_pass pass;
    kpi_pass_init(&pass, out, p->n_customers, p->from, p->to, p->start_window, p->end_window,
                  p->starts, p->n_months);
    for (size_t lo = 0; lo < n; lo += block)
        feed(&pass, orders + lo, n - lo < block ? n - lo : block);
    kpi_pass_finish(&pass);
    add_refunds(&pass, refunds, n_refunds);
    kpi_pass_free(&pass);
}

/* ---- comparing counts -------------------------------------------------------------------- */

#define SAME(field) UNIT_EQ_INT(label, got->field, want->field)

static void assert_same_counts(const char *label, const struct kpi_counts *got,
                               const struct kpi_counts *want)
{
    SAME(period_days);
    SAME(customers);
    SAME(new_customers);
    SAME(new_customers_end);
    SAME(orders);
    SAME(repeat_customers);
    SAME(paid_minor);
    SAME(refunded_minor);
    SAME(member_orders);
    SAME(member_paid_minor);
    SAME(placed_refunded_minor);
    SAME(member_placed_refunded_minor);
    SAME(customers_start);
    SAME(customers_end);
    SAME(churned);
    SAME(loyal_paid_minor);
    SAME(loyal_refunded_minor);
    SAME(members_active);
    SAME(points_earned);
    SAME(points_redeemed);
    SAME(vouchers_issued);
    SAME(vouchers_used);
    SAME(nps_answers);
    SAME(nps_promoters);
    SAME(nps_detractors);
    SAME(csat_answers);
    SAME(csat_satisfied);
    SAME(n_months);
    for (size_t m = 0; m < want->n_months; m++) {
        char month_label[160];
        snprintf(month_label, sizeof month_label, "%s, month %zu", label, m);
        const struct kpi_month *g = &got->months[m], *w = &want->months[m];
        UNIT_EQ_INT(month_label, g->year, w->year);
        UNIT_EQ_INT(month_label, g->month, w->month);
        UNIT_EQ_INT(month_label, g->orders, w->orders);
        UNIT_EQ_INT(month_label, g->member_orders, w->member_orders);
        UNIT_EQ_INT(month_label, g->revenue_minor, w->revenue_minor);
        UNIT_EQ_INT(month_label, g->member_revenue_minor, w->member_revenue_minor);
        UNIT_EQ_INT(month_label, g->active_customers, w->active_customers);
    }
    SAME(n_cohorts);
    for (size_t i = 0; i < want->n_cohorts; i++) {
        char cohort_label[160];
        snprintf(cohort_label, sizeof cohort_label, "%s, cohort %zu", label, i);
        const struct kpi_cohort *g = &got->cohorts[i], *w = &want->cohorts[i];
        UNIT_EQ_INT(cohort_label, g->year, w->year);
        UNIT_EQ_INT(cohort_label, g->month, w->month);
        UNIT_EQ_INT(cohort_label, g->size, w->size);
        UNIT_EQ_INT(cohort_label, g->n_months, w->n_months);
        for (size_t k = 0; k < w->n_months; k++) {
            snprintf(cohort_label, sizeof cohort_label, "%s, cohort %zu, k %zu", label, i, k);
            UNIT_EQ_INT(cohort_label, g->active[k], w->active[k]);
        }
    }
}

#undef SAME

/* ---- a hand-computed period -------------------------------------------------------------- */

/* P = January to March 2026; start window [2025-11-01, from), end window [2026-03-01, to). */
#define N_HAND_CUSTOMERS 8

/* Orders and refunds written as UTC dates and times. */
struct dated_order {
    uint32_t customer;
    int y, mo, d, hh, mi, ss;
    int64_t paid;
    uint8_t member;
};

struct dated_refund {
    int64_t customer;
    int y, mo, d;
    int64_t amount;
    int member;
    int order_y, order_mo, order_d; /* the refunded order's day */
};

static const struct dated_order HAND_SPEC[] = {
    /* c0: an old customer (June 2025, outside the start window), two member orders in P */
    {0, 2025, 6, 10, 12, 0, 0, 400, 0},
    {0, 2026, 1, 5, 12, 0, 0, 1000, 1},
    {0, 2026, 3, 10, 12, 0, 0, 2000, 1},
    /* c1: new in January, one order */
    {1, 2026, 1, 15, 12, 0, 0, 500, 0},
    /* c2: only in the start window: churned, not a customer of P */
    {2, 2025, 12, 1, 12, 0, 0, 700, 0},
    /* c3: start window and end window (not churned), one order in P but two before `to` */
    {3, 2025, 11, 20, 12, 0, 0, 100, 0},
    {3, 2026, 3, 20, 12, 0, 0, 900, 1},
    /* c4: new in February (its first second), three orders, the last in the last second of P */
    {4, 2026, 2, 1, 0, 0, 0, 300, 0},
    {4, 2026, 2, 15, 12, 0, 0, 400, 0},
    {4, 2026, 3, 31, 23, 59, 59, 600, 0},
    /* c5: only orders at or after `to`: ignored, as if it never ordered */
    {5, 2026, 4, 1, 0, 0, 0, 5000, 1},
    {5, 2026, 5, 1, 12, 0, 0, 5000, 1},
    /* c6: new on the last second of January; its April order is ignored (so not loyal) */
    {6, 2026, 1, 31, 23, 59, 59, 250, 1},
    {6, 2026, 4, 2, 12, 0, 0, 250, 1},
    /* customers outside [0, n_customers): ignored */
    {8, 2026, 2, 10, 12, 0, 0, 9999, 1},
    {100, 2026, 2, 10, 12, 0, 0, 9999, 0},
    {UINT32_MAX, 2026, 2, 10, 12, 0, 0, 9999, 0},
};
#define N_HAND_ORDERS N_ELEMENTS(HAND_SPEC)

static const struct dated_refund HAND_REFUND_SPEC[] = {
    {0, 2026, 3, 15, 500, 1, 2026, 3, 10}, /* loyal, member */
    {1, 2026, 1, 20, 100, 0, 2026, 1, 15}, /* one order: not loyal */
    {4, 2026, 2, 20, 50, 0, 2026, 2, 15},  /* loyal */
    {8, 2026, 3, 15, 70, 0, 2026, 2, 10},  /* a customer the pass does not know */
    {-1, 2026, 3, 15, 30, 1, 2026, 3, 1},  /* no customer */
    {3, 2026, 3, 25, 40, 0, 2025, 11, 20}, /* loyal; of an order placed before P */
};
#define N_HAND_REFUNDS N_ELEMENTS(HAND_REFUND_SPEC)

/* Caller frees. */
static struct order *dated_orders(const struct dated_order *spec, size_t n)
{
    struct order *orders = xcalloc(n + 1, sizeof *orders);
    for (size_t i = 0; i < n; i++) {
        const struct dated_order *o = &spec[i];
        orders[i] = (struct order){o->customer, time_at(o->y, o->mo, o->d, o->hh, o->mi, o->ss),
                                   o->paid, o->member};
    }
    return orders;
}

static struct refund *dated_refunds(const struct dated_refund *spec, size_t n)
{
    struct refund *refunds = xcalloc(n + 1, sizeof *refunds);
    for (size_t i = 0; i < n; i++)
        refunds[i] = (struct refund){
            spec[i].customer, time_at(spec[i].y, spec[i].mo, spec[i].d, 9, 0, 0), spec[i].amount,
            spec[i].member, time_at(spec[i].order_y, spec[i].order_mo, spec[i].order_d, 12, 0, 0)};
    return refunds;
}

static struct period hand_period(void)
{
    return period_of(2026, 1, 3, N_HAND_CUSTOMERS, day_at(2025, 11, 1), day_at(2026, 3, 1));
}

static void test_calendar(void **state)
{
    (void)state;
    static const int YEAR_MONTHS[] = {2025 * 12 + 10, 2025 * 12 + 11, 2026 * 12 + 0};
    struct kpi_counts out = {0};
    kpi_counts_calendar(&out, YEAR_MONTHS, 3);
    assert_int_equal(out.n_months, 3);
    assert_int_equal(out.n_cohorts, 3);
    static const int WANT[][2] = {{2025, 11}, {2025, 12}, {2026, 1}};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(out.months[i].year, WANT[i][0]);
        assert_int_equal(out.months[i].month, WANT[i][1]);
        assert_int_equal(out.cohorts[i].year, WANT[i][0]);
        assert_int_equal(out.cohorts[i].month, WANT[i][1]);
        /* a cohort is followed up to the last month of the period */
        assert_int_equal(out.cohorts[i].n_months, 3 - i);
        for (size_t k = 0; k < 3 - i; k++)
            assert_int_equal(out.cohorts[i].active[k], 0);
        assert_int_equal(out.months[i].orders, 0);
    }
    kpi_counts_clear(&out);
    assert_null(out.months);
    assert_null(out.cohorts);
    assert_int_equal(out.n_months, 0);
    kpi_counts_clear(&out); /* clearing twice is harmless */
}

static void test_hand_computed(void **state)
{
    (void)state;
    struct period p = hand_period();
    struct order *orders = dated_orders(HAND_SPEC, N_HAND_ORDERS);
    struct refund *refunds = dated_refunds(HAND_REFUND_SPEC, N_HAND_REFUNDS);
    struct kpi_counts got;
    one_pass(&got, &p, orders, N_HAND_ORDERS, 64, refunds, N_HAND_REFUNDS);

    /* customers of P: c0 c1 c3 c4 c6; new: c1 c6 (January), c4 (February) */
    assert_int_equal(got.customers, 5);
    assert_int_equal(got.new_customers, 3);
    /* c0 2 + c1 1 + c3 1 + c4 3 + c6 1 */
    assert_int_equal(got.orders, 8);
    assert_int_equal(got.paid_minor, 3000 + 500 + 900 + 1300 + 250);
    /* members: c0's two, c3's, c6's */
    assert_int_equal(got.member_orders, 4);
    assert_int_equal(got.member_paid_minor, 3000 + 900 + 250);
    /* two or more orders in P: c0, c4 (c3 has one in P) */
    assert_int_equal(got.repeat_customers, 2);
    /* start window: c2, c3 (c0's June order is before it); end window: c0, c3, c4 */
    assert_int_equal(got.customers_start, 2);
    assert_int_equal(got.customers_end, 3);
    assert_int_equal(got.churned, 1); /* c2 */
    /* two orders before `to`, counting those before P: c0, c3, c4 (not c6: April is after) */
    assert_int_equal(got.loyal_paid_minor, 3000 + 900 + 1300);
    /* refunds: all those dated in P count; loyal customers' apart; those of orders placed in P
     * (all but c3's) apart, members' among them, for the AOV by membership */
    assert_int_equal(got.refunded_minor, 500 + 100 + 50 + 70 + 30 + 40);
    assert_int_equal(got.loyal_refunded_minor, 500 + 50 + 40);
    assert_int_equal(got.placed_refunded_minor, 500 + 100 + 50 + 70 + 30);
    assert_int_equal(got.member_placed_refunded_minor, 500 + 30);
    /* what the pass does not compute stays zero */
    assert_int_equal(got.members_active, 0);
    assert_int_equal(got.points_earned, 0);
    assert_int_equal(got.nps_answers, 0);

    static const struct kpi_month WANT_MONTHS[] = {
        /* January: c0 1000 m, c1 500, c6 250 m; c1's refund of 100 */
        {2026, 1, 3, 2, 1750 - 100, 1250, 3},
        /* February: c4 300 + 400; c4's refund of 50 */
        {2026, 2, 2, 0, 700 - 50, 0, 1},
        /* March: c0 2000 m, c3 900 m, c4 600; refunds 500 m (c0), 70, 30 m, 40 (c3) */
        {2026, 3, 3, 2, 3500 - 500 - 70 - 30 - 40, 2900 - 500 - 30, 3},
    };
    for (size_t m = 0; m < 3; m++) {
        char label[32];
        snprintf(label, sizeof label, "month %zu", m);
        UNIT_EQ_INT(label, got.months[m].year, WANT_MONTHS[m].year);
        UNIT_EQ_INT(label, got.months[m].month, WANT_MONTHS[m].month);
        UNIT_EQ_INT(label, got.months[m].orders, WANT_MONTHS[m].orders);
        UNIT_EQ_INT(label, got.months[m].member_orders, WANT_MONTHS[m].member_orders);
        UNIT_EQ_INT(label, got.months[m].revenue_minor, WANT_MONTHS[m].revenue_minor);
        UNIT_EQ_INT(label, got.months[m].member_revenue_minor, WANT_MONTHS[m].member_revenue_minor);
        UNIT_EQ_INT(label, got.months[m].active_customers, WANT_MONTHS[m].active_customers);
    }

    /* cohorts: January c1 and c6, active only in January; February c4, active Feb and March */
    assert_int_equal(got.cohorts[0].size, 2);
    assert_int_equal(got.cohorts[0].active[0], 2);
    assert_int_equal(got.cohorts[0].active[1], 0);
    assert_int_equal(got.cohorts[0].active[2], 0);
    assert_int_equal(got.cohorts[1].size, 1);
    assert_int_equal(got.cohorts[1].active[0], 1);
    assert_int_equal(got.cohorts[1].active[1], 1);
    assert_int_equal(got.cohorts[2].size, 0);
    assert_int_equal(got.cohorts[2].active[0], 0);
    kpi_counts_clear(&got);
    free(orders);
    free(refunds);
    period_free(&p);
}

/* Orders at or after `to` and customers the pass does not know change nothing. */
static void test_ignored_orders(void **state)
{
    (void)state;
    struct period p = hand_period();
    size_t n = N_HAND_ORDERS;
    struct order *orders = dated_orders(HAND_SPEC, n);
    struct order *kept = xcalloc(n, sizeof *kept);
    struct order *ignored = xcalloc(n, sizeof *ignored);
    size_t n_kept = 0, n_ignored = 0;
    for (size_t i = 0; i < n; i++) {
        if (orders[i].at >= p.to || orders[i].customer >= p.n_customers)
            ignored[n_ignored++] = orders[i];
        else
            kept[n_kept++] = orders[i];
    }
    assert_int_equal(n_ignored, 6);
    struct kpi_counts all, only_kept, only_ignored, empty;
    one_pass(&all, &p, orders, n, 5, NULL, 0);
    one_pass(&only_kept, &p, kept, n_kept, 5, NULL, 0);
    assert_same_counts("with the ignored orders", &all, &only_kept);
    one_pass(&only_ignored, &p, ignored, n_ignored, 5, NULL, 0);
    one_pass(&empty, &p, NULL, 0, 5, NULL, 0);
    assert_same_counts("only ignored orders", &only_ignored, &empty);
    assert_int_equal(only_ignored.orders, 0);
    assert_int_equal(only_ignored.customers_end, 0);

    /* the instant `to` itself is excluded, one second before is included */
    struct order edge[] = {{1, p.to, 100, 0}, {2, p.to - 1, 100, 0}};
    struct kpi_counts e;
    one_pass(&e, &p, edge, 2, 2, NULL, 0);
    assert_int_equal(e.orders, 1);
    assert_int_equal(e.customers, 1);
    assert_int_equal(e.months[2].orders, 1);
    /* and `from` is the first instant of P: an order there is new, one second before is not */
    struct order start[] = {{1, p.from, 100, 0}, {2, p.from - 1, 100, 0}, {2, p.from, 100, 0}};
    struct kpi_counts s;
    one_pass(&s, &p, start, 3, 3, NULL, 0);
    assert_int_equal(s.orders, 2);
    assert_int_equal(s.customers, 2);
    assert_int_equal(s.new_customers, 1);
    assert_int_equal(s.customers_start, 1); /* c2's order one second before from */
    assert_int_equal(s.months[0].orders, 2);

    kpi_counts_clear(&all);
    kpi_counts_clear(&only_kept);
    kpi_counts_clear(&only_ignored);
    kpi_counts_clear(&empty);
    kpi_counts_clear(&e);
    kpi_counts_clear(&s);
    free(orders);
    free(kept);
    free(ignored);
    period_free(&p);
}

/* Windows may reach into P or lie wholly before it: each is tested on its own bounds. */
static void test_windows(void **state)
{
    (void)state;
    /* P = 2026; W = 30 days: start window [2025-12-02, from), end window [2026-12-02, to) */
    struct period p =
        period_of(2026, 1, 12, 6, day_at(2026, 1, 1) - 30 * DAY, day_at(2027, 1, 1) - 30 * DAY);
    static const struct dated_order SPEC[] = {
        {0, 2025, 12, 2, 0, 0, 0, 100, 0},    /* first instant of the start window */
        {1, 2025, 12, 1, 23, 59, 59, 100, 0}, /* just before it */
        {1, 2026, 12, 2, 0, 0, 0, 100, 0},    /* first instant of the end window */
        {2, 2025, 12, 2, 0, 0, 0, 100, 0},
        {2, 2026, 12, 1, 23, 59, 59, 100, 0}, /* just before the end window */
        {3, 2026, 12, 31, 23, 59, 59, 100, 0},
        {4, 2025, 12, 31, 23, 59, 59, 100, 0},
        {4, 2027, 1, 1, 0, 0, 0, 100, 0}, /* at `to`: ignored, so not in the end window */
    };
    struct order *orders = dated_orders(SPEC, N_ELEMENTS(SPEC));
    struct kpi_counts got;
    one_pass(&got, &p, orders, N_ELEMENTS(SPEC), 3, NULL, 0);
    free(orders);
    /* start: c0, c2, c4; end: c1, c3 */
    assert_int_equal(got.customers_start, 3);
    assert_int_equal(got.customers_end, 2);
    assert_int_equal(got.churned, 3); /* c0, c2, c4: none in the end window */
    /* customers of P: c1, c2, c3; only c3 is new (c1 ordered before the start window) */
    assert_int_equal(got.customers, 3);
    assert_int_equal(got.new_customers, 1);
    kpi_counts_clear(&got);
    period_free(&p);

    /* a window longer than P: the end window starts before `from`, so an order before P counts
     * in both windows */
    struct period q = period_of(2026, 1, 1, 2, day_at(2025, 1, 1), day_at(2025, 12, 1));
    const struct order early = {0, day_at(2025, 12, 10), 100, 0};
    one_pass(&got, &q, &early, 1, 1, NULL, 0);
    assert_int_equal(got.customers_start, 1);
    assert_int_equal(got.customers_end, 1);
    assert_int_equal(got.churned, 0);
    assert_int_equal(got.customers, 0);
    kpi_counts_clear(&got);
    period_free(&q);
}

/* ---- more than 64 months ----------------------------------------------------------------- */

/* 130 months from January 2015: three 64-bit words of months per customer. */
#define LONG_MONTHS 130

struct long_order {
    uint32_t customer;
    int month; /* index in P; -1: the month before P */
    int day;
};

static const struct long_order LONG_ORDERS[] = {
    /* c0: new in month 0, active on both sides of each word boundary and in the last month */
    {0, 0, 3},
    {0, 63, 28},
    {0, 64, 1},
    {0, 127, 15},
    {0, 128, 15},
    {0, 129, 28},
    /* c1: new in month 70, back in the last month */
    {1, 70, 10},
    {1, 129, 1},
    /* c2: an old customer, active only in month 100 */
    {2, -1, 20},
    {2, 100, 5},
    /* c3: new in month 64 with two orders, back in 65 */
    {3, 64, 2},
    {3, 64, 20},
    {3, 65, 9},
    /* c4: new in month 128 */
    {4, 128, 28},
};

static int64_t long_instant(const struct period *p, const struct long_order *o)
{
    int ym = p->year_months[0] + o->month;
    return day_at(ym / 12, ym % 12 + 1, o->day) + 12 * 3600;
}

static void test_long_period(void **state)
{
    (void)state;
    struct period p = period_of(2015, 1, LONG_MONTHS, 5, day_at(2014, 1, 1), day_at(2025, 1, 1));
    assert_int_equal(p.to, day_at(2025, 11, 1));
    size_t n = N_ELEMENTS(LONG_ORDERS);
    struct order *orders = xcalloc(n, sizeof *orders);
    for (size_t i = 0; i < n; i++)
        orders[i] = (struct order){LONG_ORDERS[i].customer, long_instant(&p, &LONG_ORDERS[i]),
                                   (int64_t)(i + 1) * 10, (uint8_t)(i % 2)};
    struct kpi_counts got;
    one_pass(&got, &p, orders, n, 4, NULL, 0);
    struct kpi_pass probe;
    kpi_pass_init(&probe, &got, 5, p.from, p.to, p.start_window, p.end_window, p.starts,
                  p.n_months);
    assert_int_equal(probe.words, 3);
    kpi_pass_free(&probe);

    assert_int_equal(got.customers, 5);
    assert_int_equal(got.new_customers, 4);
    assert_int_equal(got.orders, (int64_t)n - 1);
    assert_int_equal(got.repeat_customers, 3); /* c0, c1, c3; c2 and c4 have one order in P */

    int64_t want_active[LONG_MONTHS] = {0};
    int64_t want_orders[LONG_MONTHS] = {0};
    for (size_t i = 0; i < n; i++)
        if (LONG_ORDERS[i].month >= 0)
            want_orders[LONG_ORDERS[i].month]++;
    /* active customers per month, by hand */
    want_active[0] = 1;
    want_active[63] = 1;
    want_active[64] = 2; /* c0, c3 (two orders, one customer) */
    want_active[65] = 1;
    want_active[70] = 1;
    want_active[100] = 1;
    want_active[127] = 1;
    want_active[128] = 2; /* c0, c4 */
    want_active[129] = 2; /* c0, c1 */
    for (size_t m = 0; m < LONG_MONTHS; m++) {
        char label[32];
        snprintf(label, sizeof label, "month %zu", m);
        UNIT_EQ_INT(label, got.months[m].active_customers, want_active[m]);
        UNIT_EQ_INT(label, got.months[m].orders, want_orders[m]);
    }

    /* cohorts: 0 {c0}, 64 {c3}, 70 {c1}, 128 {c4}; k counts from the cohort's month */
    struct {
        size_t cohort;
        size_t k[6];
        size_t n_k;
    } const WANT[] = {
        {0, {0, 63, 64, 127, 128, 129}, 6},
        {64, {0, 1}, 2},
        {70, {0, 59}, 2},
        {128, {0}, 1},
    };
    for (size_t i = 0; i < LONG_MONTHS; i++) {
        int64_t size = 0;
        int64_t want_k[LONG_MONTHS] = {0};
        for (size_t w = 0; w < N_ELEMENTS(WANT); w++)
            if (WANT[w].cohort == i) {
                size = 1;
                for (size_t j = 0; j < WANT[w].n_k; j++)
                    want_k[WANT[w].k[j]] = 1;
            }
        char label[48];
        snprintf(label, sizeof label, "cohort %zu", i);
        UNIT_EQ_INT(label, got.cohorts[i].size, size);
        UNIT_EQ_INT(label, got.cohorts[i].n_months, LONG_MONTHS - i);
        for (size_t k = 0; k < LONG_MONTHS - i; k++) {
            snprintf(label, sizeof label, "cohort %zu, k %zu", i, k);
            UNIT_EQ_INT(label, got.cohorts[i].active[k], want_k[k]);
        }
    }
    kpi_counts_clear(&got);
    free(orders);
    period_free(&p);
}

/* ---- random histories: merge, order, and the definitions --------------------------------- */

static uint64_t next_u64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t *state, uint64_t bound)
{
    return next_u64(state) % bound;
}

struct history {
    struct period p;
    struct order *orders;
    size_t n;
    struct refund *refunds;
    size_t n_refunds;
};

/* n orders of customers 0 .. n_customers + 9 (the last ten unknown to the pass) from three years
 * before P to a year after; a few customers order often, most rarely. */
static struct history random_history(uint64_t seed, int year, int month, size_t n_months,
                                     size_t n_customers, size_t n)
{
    struct history h = {0};
    int64_t from = day_at(year, month, 1);
    h.p = period_of(year, month, n_months, n_customers, from - 365 * DAY, 0);
    h.p.end_window = h.p.to - 365 * DAY;
    uint64_t rng = seed;
    int64_t lo = h.p.from - 3 * 365 * DAY, span = h.p.to + 365 * DAY - lo;
    h.orders = xcalloc(n, sizeof *h.orders);
    h.n = n;
    for (size_t i = 0; i < n; i++) {
        uint32_t who = below(&rng, 4) == 0 ? (uint32_t)below(&rng, 10)
                                           : (uint32_t)below(&rng, n_customers + 10);
        h.orders[i] = (struct order){who, lo + (int64_t)below(&rng, (uint64_t)span),
                                     (int64_t)below(&rng, 20000), (uint8_t)below(&rng, 2)};
        /* a third of the orders in P, so that P has new customers; some on a month's first
         * second */
        if (below(&rng, 3) == 0)
            h.orders[i].at = h.p.from + (int64_t)below(&rng, (uint64_t)(h.p.to - h.p.from));
        else if (below(&rng, 20) == 0)
            h.orders[i].at = h.p.starts[below(&rng, n_months + 1)];
    }
    h.n_refunds = n / 10;
    h.refunds = xcalloc(h.n_refunds, sizeof *h.refunds);
    for (size_t i = 0; i < h.n_refunds; i++) {
        struct refund *r = &h.refunds[i];
        *r = (struct refund){(int64_t)below(&rng, n_customers + 10),
                             h.p.from + (int64_t)below(&rng, (uint64_t)(h.p.to - h.p.from)),
                             (int64_t)below(&rng, 5000), (int)below(&rng, 2), 0};
        /* the order: in P or up to a year before it, never after the refund */
        r->order_at = r->at - (int64_t)below(&rng, (uint64_t)(r->at - h.p.from) + 366 * 86400);
    }
    return h;
}

static void history_free(struct history *h)
{
    free(h->orders);
    free(h->refunds);
    period_free(&h->p);
}

static size_t month_of(const struct period *p, int64_t at)
{
    size_t m = 0;
    while (m + 1 < p->n_months && p->starts[m + 1] <= at)
        m++;
    return m;
}

/* docs/kpis.md's definitions, customer by customer, with no cleverness. */
static void naive_counts(struct kpi_counts *out, const struct history *h)
{
    const struct period *p = &h->p;
    memset(out, 0, sizeof *out);
    kpi_counts_calendar(out, p->year_months, p->n_months);
    for (size_t i = 0; i < h->n; i++) {
        const struct order *o = &h->orders[i];
        if (o->customer >= p->n_customers || o->at < p->from || o->at >= p->to)
            continue;
        struct kpi_month *m = &out->months[month_of(p, o->at)];
        m->orders++;
        m->revenue_minor += o->paid;
        out->orders++;
        out->paid_minor += o->paid;
        if (o->member) {
            m->member_orders++;
            m->member_revenue_minor += o->paid;
            out->member_orders++;
            out->member_paid_minor += o->paid;
        }
    }
    bool *active = xcalloc(p->n_months, sizeof *active);
    int64_t *before_to = xcalloc(p->n_customers, sizeof *before_to);
    for (uint32_t c = 0; c < p->n_customers; c++) {
        int64_t first = INT64_MAX, in_period = 0, paid = 0;
        bool start = false, end = false;
        memset(active, 0, p->n_months * sizeof *active);
        for (size_t i = 0; i < h->n; i++) {
            const struct order *o = &h->orders[i];
            if (o->customer != c || o->at >= p->to)
                continue;
            before_to[c]++;
            if (o->at < first)
                first = o->at;
            start |= o->at >= p->start_window && o->at < p->from;
            end |= o->at >= p->end_window;
            if (o->at >= p->from) {
                in_period++;
                paid += o->paid;
                active[month_of(p, o->at)] = true;
            }
        }
        out->customers_start += start;
        out->customers_end += end;
        out->churned += start && !end;
        if (in_period == 0)
            continue;
        out->customers++;
        out->repeat_customers += in_period >= 2;
        if (before_to[c] >= 2)
            out->loyal_paid_minor += paid;
        bool is_new = first >= p->from;
        size_t cohort = is_new ? month_of(p, first) : 0;
        out->new_customers += is_new;
        out->new_customers_end += is_new && end;
        out->cohorts[cohort].size += is_new;
        for (size_t m = 0; m < p->n_months; m++) {
            if (!active[m])
                continue;
            out->months[m].active_customers++;
            if (is_new)
                out->cohorts[cohort].active[m - cohort]++;
        }
    }
    for (size_t i = 0; i < h->n_refunds; i++) {
        const struct refund *r = &h->refunds[i];
        struct kpi_month *m = &out->months[month_of(p, r->at)];
        m->revenue_minor -= r->amount;
        out->refunded_minor += r->amount;
        if (r->member)
            m->member_revenue_minor -= r->amount;
        if (r->order_at >= p->from) {
            out->placed_refunded_minor += r->amount;
            out->member_placed_refunded_minor += r->member ? r->amount : 0;
        }
        if (r->customer >= 0 && (size_t)r->customer < p->n_customers && before_to[r->customer] >= 2)
            out->loyal_refunded_minor += r->amount;
    }
    free(active);
    free(before_to);
}

/* Orders split among n_parts passes (by `part_of`), merged into the first, then finished. */
static void merged_passes(struct kpi_counts *out, const struct history *h, size_t n_parts,
                          uint64_t seed)
{
    const struct period *p = &h->p;
    memset(out, 0, sizeof *out);
    kpi_counts_calendar(out, p->year_months, p->n_months);
    struct kpi_pass *passes = xcalloc(n_parts, sizeof *passes);
    for (size_t k = 0; k < n_parts; k++)
        kpi_pass_init(&passes[k], out, p->n_customers, p->from, p->to, p->start_window,
                      p->end_window, p->starts, p->n_months);
    /* each part gets its orders in blocks of various sizes */
    struct order *part = xcalloc(h->n, sizeof *part);
    uint64_t rng = seed;
    size_t *owner = xcalloc(h->n, sizeof *owner);
    for (size_t i = 0; i < h->n; i++)
        owner[i] = below(&rng, n_parts);
    for (size_t k = 0; k < n_parts; k++) {
        size_t n = 0;
        for (size_t i = 0; i < h->n; i++)
            if (owner[i] == k)
                part[n++] = h->orders[i];
        for (size_t lo = 0; lo < n;) {
            size_t take = 1 + below(&rng, 700);
            if (take > n - lo)
                take = n - lo;
            feed(&passes[k], part + lo, take);
            lo += take;
        }
    }
    for (size_t k = 1; k < n_parts; k++)
        kpi_pass_merge(&passes[0], &passes[k]);
    kpi_pass_finish(&passes[0]);
    add_refunds(&passes[0], h->refunds, h->n_refunds);
    for (size_t k = 0; k < n_parts; k++)
        kpi_pass_free(&passes[k]);
    free(passes);
    free(part);
    free(owner);
}

struct random_case {
    const char *name;
    uint64_t seed;
    int year, month;
    size_t n_months, n_customers, n_orders;
};

static const struct random_case RANDOM_CASES[] = {
    {"one year", 1, 2025, 1, 12, 200, 4000},
    {"one month", 2, 2025, 6, 1, 2000, 800},
    {"64 months exactly", 3, 2019, 3, 64, 150, 5000},
    {"70 months: two words", 4, 2019, 1, 70, 300, 6000},
    {"140 months: three words", 5, 2012, 7, 140, 300, 8000},
    {"few customers, many orders", 6, 2024, 1, 24, 5, 3000},
};

static void test_random_histories(void **state)
{
    (void)state;
    struct kpi_counts reached = {0};
    for (size_t i = 0; i < N_ELEMENTS(RANDOM_CASES); i++) {
        const struct random_case *c = &RANDOM_CASES[i];
        struct history h =
            random_history(c->seed, c->year, c->month, c->n_months, c->n_customers, c->n_orders);
        char label[128];

        struct kpi_counts single, naive;
        one_pass(&single, &h.p, h.orders, h.n, 4096, h.refunds, h.n_refunds);
        naive_counts(&naive, &h);
        snprintf(label, sizeof label, "%s: one pass vs the definitions", c->name);
        assert_same_counts(label, &single, &naive);
        /* the history reaches what it should test */
        UNIT_EQ_INT(c->name, single.customers > 0, true);
        UNIT_EQ_INT(c->name, single.orders < (int64_t)h.n, true);
        reached.new_customers += single.new_customers;
        reached.repeat_customers += single.repeat_customers;
        reached.churned += single.churned;
        reached.loyal_refunded_minor += single.loyal_refunded_minor;

        /* two, three and seven parallel passes merged */
        static const size_t PARTS[] = {2, 3, 7};
        for (size_t k = 0; k < N_ELEMENTS(PARTS); k++) {
            struct kpi_counts merged;
            merged_passes(&merged, &h, PARTS[k], c->seed * 31 + k);
            snprintf(label, sizeof label, "%s: %zu passes merged", c->name, PARTS[k]);
            assert_same_counts(label, &merged, &single);
            kpi_counts_clear(&merged);
        }

        /* the same orders shuffled (Fisher-Yates), in blocks of 1, 3 and 1000 */
        uint64_t rng = c->seed ^ 0xABCDEF;
        static const size_t BLOCKS[] = {1, 3, 1000};
        for (size_t b = 0; b < N_ELEMENTS(BLOCKS); b++) {
            for (size_t j = h.n; j > 1; j--) {
                size_t r = below(&rng, j);
                struct order t = h.orders[j - 1];
                h.orders[j - 1] = h.orders[r];
                h.orders[r] = t;
            }
            struct kpi_counts shuffled;
            one_pass(&shuffled, &h.p, h.orders, h.n, BLOCKS[b], h.refunds, h.n_refunds);
            snprintf(label, sizeof label, "%s: shuffled, blocks of %zu", c->name, BLOCKS[b]);
            assert_same_counts(label, &shuffled, &single);
            kpi_counts_clear(&shuffled);
        }
        kpi_counts_clear(&single);
        kpi_counts_clear(&naive);
        history_free(&h);
    }
    assert_true(reached.new_customers > 0);
    assert_true(reached.repeat_customers > 0);
    assert_true(reached.churned > 0);
    assert_true(reached.loyal_refunded_minor > 0);
}

/* Merging a pass that saw nothing changes nothing; merging into an empty pass copies. */
static void test_merge_with_empty(void **state)
{
    (void)state;
    struct period p = hand_period();
    struct order *orders = dated_orders(HAND_SPEC, N_HAND_ORDERS);
    struct refund *refunds = dated_refunds(HAND_REFUND_SPEC, N_HAND_REFUNDS);
    struct kpi_counts want, got;
    one_pass(&want, &p, orders, N_HAND_ORDERS, 100, refunds, N_HAND_REFUNDS);
    for (int empty_first = 0; empty_first < 2; empty_first++) {
        memset(&got, 0, sizeof got);
        kpi_counts_calendar(&got, p.year_months, p.n_months);
        struct kpi_pass a, b;
        kpi_pass_init(&a, &got, p.n_customers, p.from, p.to, p.start_window, p.end_window, p.starts,
                      p.n_months);
        kpi_pass_init(&b, &got, p.n_customers, p.from, p.to, p.start_window, p.end_window, p.starts,
                      p.n_months);
        feed(empty_first ? &b : &a, orders, N_HAND_ORDERS);
        kpi_pass_merge(&a, &b);
        kpi_pass_finish(&a);
        add_refunds(&a, refunds, N_HAND_REFUNDS);
        kpi_pass_free(&a);
        kpi_pass_free(&b);
        assert_same_counts(empty_first ? "into an empty pass" : "an empty pass merged", &got,
                           &want);
        kpi_counts_clear(&got);
    }
    kpi_counts_clear(&want);
    free(orders);
    free(refunds);
    period_free(&p);
}

/* An order at the instant 0 (1970-01-01T00:00:00Z, inside the accepted range 1900..2999) is a
 * first order like any other: "no order yet" is the order count, not first_at == 0, in the pass
 * and in kpi_pass_merge, whatever the sequence of the orders. */
static void test_order_at_epoch(void **state)
{
    (void)state;
    /* P = February 1970 */
    struct period p = period_of(1970, 2, 1, 2, day_at(1969, 1, 1), day_at(1970, 2, 1));
    assert_int_equal(p.from, 31 * DAY);
    const struct order forward[] = {
        {0, 0, 100, 0},        /* 1970-01-01T00:00:00Z, before P */
        {0, 40 * DAY, 200, 0}, /* in P */
        {1, -DAY, 100, 0},     /* 1969-12-31: negative instants are fine */
        {1, 40 * DAY, 200, 0},
    };
    const struct order backward[] = {forward[3], forward[2], forward[1], forward[0]};
    struct kpi_counts got, reversed;
    one_pass(&reversed, &p, backward, 4, 4, NULL, 0);
    one_pass(&got, &p, forward, 4, 4, NULL, 0);
    /* the figures, kept before freeing so that a failure leaks nothing */
    int64_t reversed_customers = reversed.customers, reversed_new = reversed.new_customers;
    int64_t customers = got.customers, loyal = got.loyal_paid_minor,
            new_customers = got.new_customers;
    int64_t cohort_size = got.cohorts[0].size, reversed_cohort_size = reversed.cohorts[0].size;
    kpi_counts_clear(&got);
    kpi_counts_clear(&reversed);
    period_free(&p);

    assert_int_equal(reversed_customers, 2);
    assert_int_equal(reversed_new, 0); /* right when the epoch order comes last */
    assert_int_equal(reversed_cohort_size, 0);
    assert_int_equal(customers, 2);
    assert_int_equal(loyal, 400); /* both have two orders before `to` */
    /* neither is new, whatever the order of the orders: both ordered before P */
    assert_int_equal(new_customers, 0);
    assert_int_equal(cohort_size, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calendar),         cmocka_unit_test(test_hand_computed),
        cmocka_unit_test(test_ignored_orders),   cmocka_unit_test(test_windows),
        cmocka_unit_test(test_long_period),      cmocka_unit_test(test_random_histories),
        cmocka_unit_test(test_merge_with_empty), cmocka_unit_test(test_order_at_epoch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
