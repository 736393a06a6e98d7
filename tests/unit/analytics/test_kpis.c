/*
 * analytics/kpis: the historical CLTV in minor units (docs/kpis.md), floored from the exact
 * fraction of its integer inputs. A table of hand-computed cases (a period where the floating
 * point product fell one unit short, values near and past 64 bits, negative AOVs), then every
 * small input against the fraction computed directly in 128 bits.
 */
#include "../unit_support.h"

#include "analytics/kpis.h"

struct cltv_case {
    const char *label;
    int64_t aov, orders, customers, days, customers_start, churned;
    bool fits;
    int64_t want;
};

static const struct cltv_case cltv_cases[] = {
    /* 100 x (3 x 365 / 28) x 7 = 766500 / 28 = 27375 exactly; in doubles 27374.999... */
    {"one customer's three orders in 28 days, 1 of 7 churned", 100, 3, 1, 28, 7, 1, true, 27375},
    /* (10^14 - 1) x 3572 x 365 x 10 / 500 = 2607559999999973924.4 */
    {"a large AOV, nobody churned", 99999999999999, 3572, 500, 1, 0, 0, true, 2607559999999973924},
    {"the same, churn at 10 %: still 10 years", 99999999999999, 3572, 500, 1, 10, 1, true,
     2607559999999973924},
    {"the same, churn at 5 %: capped at 10 years", 99999999999999, 3572, 500, 1, 20, 1, true,
     2607559999999973924},
    /* 11 / 2 years: x 0.55 = 1434157999999985658.42 */
    {"the same, churn at 2 of 11", 99999999999999, 3572, 500, 1, 11, 2, true, 1434157999999985658},
    {"8 orders of 10^14 in a day, nobody to churn", 100000000000000, 8, 1, 1, 0, 0, true,
     2920000000000000000},
    {"30 of them: 1.095e19, past 64 bits", 100000000000000, 30, 1, 1, 0, 0, false, 0},
    /* 2500 x 4/3 x 365/59 x 2 = 7300000 / 177 = 41242.93 */
    {"the report's hand-computed period", 2500, 4, 3, 59, 2, 1, true, 41242},
    {"everyone churned: one year", 1000, 2, 2, 365, 4, 4, true, 1000},
    {"1 of 3 churned: 3 years", 1000, 1, 1, 365, 3, 1, true, 3000},
    {"a zero AOV", 0, 5, 2, 30, 4, 3, true, 0},
    {"a negative AOV floors down", -1, 1, 1, 366, 1, 1, true, -1},
    {"a negative AOV, exact", -100, 3, 1, 28, 7, 1, true, -27375},
    {"a negative AOV, inexact", -7, 1, 3, 1, 0, 0, true, -8517}, /* -25550 / 3 = -8516.67 */
    {"INT64_MAX over one year, lifetime 1", INT64_MAX, 1, 1, 365, 1, 1, true, INT64_MAX},
    {"INT64_MAX x 365 / 366", INT64_MAX, 1, 1, 366, 1, 1, true,
     9198171566808724506}, /* (2^63 - 1) x 365 / 366 = 9198171566808724506.99 */
    {"INT64_MAX with lifetime 10/9", INT64_MAX, 1, 1, 365, 10, 9, false, 0},
    {"every input at INT64_MAX: a 198-bit numerator", INT64_MAX, INT64_MAX, INT64_MAX, 365,
     INT64_MAX, INT64_MAX, true, INT64_MAX},
    {"INT64_MIN over one year, lifetime 1", INT64_MIN, 1, 1, 365, 1, 1, true, INT64_MIN},
    {"INT64_MIN x 365 / 366: floored, fits", INT64_MIN, 1, 1, 366, 1, 1, true,
     -9198171566808724508}, /* -2^63 x 365 / 366 = -9198171566808724507.98 */
    {"INT64_MIN with lifetime 10/9", INT64_MIN, 1, 1, 365, 10, 9, false, 0},
    /* (2^63 - 1) x (2^62 + 1) / 2^62 = 2^63 + 1 - 2^-62: floored to -2^63 - 1 */
    {"-INT64_MAX, a remainder past -2^63", -INT64_MAX, 1, 1, 365, ((int64_t)1 << 62) + 1,
     (int64_t)1 << 62, false, 0},
};

static void test_cltv_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMENTS(cltv_cases); i++) {
        const struct cltv_case *k = &cltv_cases[i];
        int64_t got = 12345;
        bool fits = kpi_cltv_minor(k->aov, k->orders, k->customers, k->days, k->customers_start,
                                   k->churned, &got);
        UNIT_EQ_INT(k->label, fits, k->fits);
        UNIT_EQ_INT(k->label, got, k->fits ? k->want : 12345);
    }
}

/* floor(n / d), d > 0, for a negative n as well */
static __int128 floor_divide(__int128 n, __int128 d)
{
    __int128 q = n / d;
    return n % d != 0 && n < 0 ? q - 1 : q;
}

/* The CLTV as docs/kpis.md writes it, one fraction in 128 bits: for small inputs only. */
static int64_t cltv_naive(int64_t aov, int64_t orders, int64_t customers, int64_t days,
                          int64_t start, int64_t churned)
{
    /* lifetime = 1 / (churned / start), at most 10; 10 when nobody churned */
    __int128 life_num = 10, life_den = 1;
    if (start > 0 && churned > 0 && (__int128)start * 1 < (__int128)10 * churned) {
        life_num = start;
        life_den = churned;
    }
    __int128 n = (__int128)aov * orders * 365 * life_num;
    __int128 d = (__int128)customers * days * life_den;
    return (int64_t)floor_divide(n, d);
}

static void test_cltv_small_inputs(void **state)
{
    (void)state;
    static const int64_t aovs[] = {-1000, -101, -13, -7, -2, -1, 0, 1, 2, 3, 7, 13, 100, 999};
    long checked = 0;
    for (size_t a = 0; a < N_ELEMENTS(aovs); a++)
        for (int64_t orders = 1; orders <= 6; orders++)
            for (int64_t customers = 1; customers <= 5; customers++)
                for (int64_t days = 1; days <= 31; days++)
                    for (int64_t start = 0; start <= 23; start++)
                        for (int64_t churned = 0; churned <= start; churned++) {
                            int64_t got = 0;
                            bool fits = kpi_cltv_minor(aovs[a], orders, customers, days, start,
                                                       churned, &got);
                            int64_t want =
                                cltv_naive(aovs[a], orders, customers, days, start, churned);
                            if (!fits || got != want) {
                                print_error(
                                    "aov %lld, %lld orders, %lld customers, %lld days, "
                                    "%lld of %lld churned: %s %lld, expected %lld\n",
                                    (long long)aovs[a], (long long)orders, (long long)customers,
                                    (long long)days, (long long)churned, (long long)start,
                                    fits ? "got" : "refused", (long long)got, (long long)want);
                                fail();
                            }
                            checked++;
                        }
    assert_true(checked > 1000000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cltv_table),
        cmocka_unit_test(test_cltv_small_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
