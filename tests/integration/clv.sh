#!/usr/bin/env bash
# Predictive CLV on real data: the CDNOW sample (2,357 customers, 6,919 purchases) posted as orders
# through the engine, then `fidele clv` over the 39-week calibration period must match every
# published maximum-likelihood estimate within 1% (shared/data/cdnow/SOURCE.md); the demo café's
# year, whose regulars take the spend model to its limit; and a shop of weekly regulars, which takes
# the purchase model to its Poisson limit.
. "$(dirname "$0")/lib.sh"

CDNOW=${FIDELE_SHARED_DATA:-$(dirname "$0")/../../../shared/data}/cdnow/CDNOW_sample.txt

# within VALUE EXPECTED: |VALUE - EXPECTED| <= 1% of |EXPECTED|
within() {
    awk -v v="$1" -v e="$2" 'BEGIN { d = v - e; if (d < 0) d = -d; a = e < 0 ? -e : e;
        exit !(d <= a / 100) }'
}

# cdnow_orders [LAST_DAY]: the sample's purchases up to LAST_DAY (YYYYMMDD; all by default) as
# order events: master id, sample id, YYYYMMDD, CDs, dollars, one order per row, at noon UTC.
cdnow_orders() {
    awk -v last="${1:-99999999}" '$3 <= last { d = $3; printf "{\"type\":\"order\",\"key\":\"cd-%d\",\"customer\":\"%s\",\"order_id\":\"%d\",\"at\":\"%s-%s-%sT12:00:00Z\",\"lines\":[{\"sku\":\"CD\",\"quantity\":%d,\"unit_price_minor\":%d}]}\n", NR, $2, NR, substr(d, 1, 4), substr(d, 5, 2), substr(d, 7, 2), 1, int($5 * 100 + 0.5) }' \
        "$CDNOW"
}

cdnow_published_estimates() {
    new_db
    expect_exit 0 fidele init --currency USD --timezone Etc/UTC --name CDNOW
    cdnow_orders >cdnow.ndjson
    expect_exit 0 fidele event post cdnow.ndjson
    assert_contains "$OUT" "6919 applied" "every purchase is recorded"
    expect_exit 0 fidele --json clv --calibration-end 1997-09-30 --horizon-weeks 39
    check_json "clv summary" .customers 2357 .gamma_gamma.customers 946
    local name value expected
    while read -r name expected; do
        value=$(jq -r ".$name" <<<"$OUT")
        if within "$value" "$expected"; then
            pass
        else
            fail "$name = $value, published $expected (more than 1% apart)"
        fi
    done <<'TABLE'
bgnbd.r 0.243
bgnbd.alpha 4.414
bgnbd.a 0.793
bgnbd.b 2.426
bgnbd.log_likelihood -9582.4
gamma_gamma.p 6.25
gamma_gamma.q 3.74
gamma_gamma.gamma 15.44
TABLE
    # A customer with no repeat purchase is surely alive under BG/NBD; the table is ordered by CLV.
    check_json "per customer" '[.items[] | select(.repeats == 0) | .p_alive] | all(. == 1)' true \
        '[.items[].clv] | . == (sort | reverse)' true
    local p q gamma
    read -r p q gamma < <(jq -r '.gamma_gamma | "\(.p) \(.q) \(.gamma)"' <<<"$OUT")
    # A repeat purchase worth 0 (a free order imported, a repeat order refunded in full) leaves its
    # customer out of the spend fit, which stays that of the 946 others; those customers' purchases
    # are valued at the average with an own mean of 0, p gamma / (p x + q - 1).
    printf 'customer,order_id,date,amount\nzed,Z1,1997-02-01,15.00\nzed,Z2,1997-03-01,0\n' >free.csv
    expect_exit 0 fidele import orders free.csv
    post "$(order_json r1 1997-02-01T12:00:00Z rita R1 "[$(line CD "" 1 2000)]")"
    post "$(order_json r2 1997-03-01T12:00:00Z rita R2 "[$(line CD "" 1 1200)]")"
    post "$(refund_json r2r 1997-03-05T12:00:00Z R2 '"amount_minor":1200')"
    expect_exit 0 fidele --json clv --calibration-end 1997-09-30 --horizon-weeks 39
    check_json "zero-value repeat customers" .customers 2359 .gamma_gamma.customers 946 \
        ".gamma_gamma | [.p, .q, .gamma] | map(. * 1e6 | round)" \
        "$(jq -cn --argjson p "$p" --argjson q "$q" --argjson g "$gamma" '[$p, $q, $g] | map(. * 1e6 | round)')" \
        '[.items[] | select(.customer == "zed" or .customer == "rita") | .repeats] | sort' '[1,1]'
    check_json "their expected value" \
        '. as $r | [.items[] | select(.customer == "zed" or .customer == "rita") | .expected_value - $r.gamma_gamma.p * $r.gamma_gamma.gamma / ($r.gamma_gamma.p + $r.gamma_gamma.q - 1) | . * . < 1e-18] | all' true \
        '[.items[] | select(.customer == "zed") | .clv > 0] | all' true
    # Bad input: an impossible calibration date names the option and exits 2.
    expect_exit 2 fidele clv --calibration-end 1997-02-30
    assert_contains "$ERR" "--calibration-end" "the bad option is named"
}

# Two weeks of history: nobody is seen to leave, and the likelihood rises for ever towards the
# model's no-dropout limit (a fit at a dropout b of 2.6 million once stopped in the rounding of its
# terms). The fit takes the limit, the NBD: P(alive) 1 and (r + x) / (alpha + T) purchases a week.
short_calibration() {
    new_db
    expect_exit 0 fidele init --currency USD --timezone Etc/UTC --name CDNOW
    cdnow_orders 19970115 >early.ndjson
    expect_exit 0 fidele event post early.ndjson
    expect_exit 0 fidele --json clv --calibration-end 1997-01-15 --limit 0
    check_json "no dropout" .customers 343 '.bgnbd | [.rate, .dropout, .a, .b, .p, .lambda]' \
        '["gamma","none",null,null,0,null]' '[.items[] | .p_alive == 1] | all' true \
        '. as $r | [.items[] | (.expected_purchases / (($r.bgnbd.r + .repeats) / ($r.bgnbd.alpha + .age_weeks) * 52) - 1) | fabs < 1e-12] | all' true \
        '[.items[] | .clv > 0] | all' true
    expect_exit 0 fidele clv --calibration-end 1997-01-15 --discount-weekly 0.002
    assert_contains "$OUT" "Calibration to 1997-01-15: 343 customers" "discounted too"
}

# A café's year (`fidele demo`): regulars buy the same basket each time, so the spend model's
# likelihood rises for ever in p and the fit takes its fixed-values limit; frequent buyers' 2F1
# values of 1e45 once gave predictions of 1e16 purchases. Every prediction stays within what a
# purchase a day allows, and a customer's value is their own mean.
cafe_year() {
    new_db
    local NOW=2026-12-01T12:00:00Z
    expect_exit 0 fidele demo --seed 1
    for end in 2026-06-01 2026-09-01 2026-12-01; do
        expect_exit 0 fidele --json clv --calibration-end "$end" --limit 0
        check_json "the demo to $end" '.gamma_gamma.q > 1 and .gamma_gamma.scale > 0' true \
            '[.items[] | .expected_purchases >= 0 and .expected_purchases <= 364] | all' true \
            '[.items[] | select(.repeats == 0) | .expected_purchases] | length > 0' true \
            '[.items[] | select(.repeats > 0)] | length > 100' true \
            '. as $r | [.items[] | select(.repeats == 0) | .expected_value - $r.gamma_gamma.scale / ($r.gamma_gamma.q - 1) | fabs < 1e-9] | all' true \
            '[.items[] | ((.clv - .expected_value * .expected_purchases) | fabs) < 1e-6 * (1 + .clv)] | all' true
    done
    check_json "the year's spend at its limit" '.gamma_gamma.fixed_values' true '.gamma_gamma.p' null \
        '.gamma_gamma.gamma' null
    expect_exit 0 fidele clv --limit 3
    assert_contains "$OUT" "p infinite (each customer's purchases are worth their own mean)" \
        "the limit said in words"
    # days to come would read as days without purchases: a calibration day after today is refused
    expect_exit 2 fidele clv --calibration-end 2026-12-02
    assert_contains "$ERR" "--calibration-end: 2026-12-02 is after today (2026-12-01)" "tomorrow"
    expect_exit 0 fidele verify
}

# A shop of regulars on a schedule: each of 40 customers buys once a week, on the weekday of their
# first visit, and none has stopped. Such counts vary less than a Poisson process's, and the
# likelihood rises for ever towards the model's limits: one purchase rate for everyone and no
# dropout, the Poisson model. Its rate is the purchases over the weeks seen, sum x / sum T; every
# customer is alive and buys lambda a week.
weekly_regulars() {
    new_db
    local NOW=2026-07-01T12:00:00Z
    expect_exit 0 fidele init --currency EUR --timezone Europe/Paris --name Regulars
    local i day first
    for i in $(seq 0 39); do
        first=$(((i * 5) % 56))
        for ((day = first; day <= 174; day += 7)); do
            order_json "w$i-$day" "$(date -u -d "2026-01-05 +$day days" +%Y-%m-%dT09:30:00Z)" \
                "regular-$i" "w$i-$day" "[$(line COFFEE "" 1 $((250 + 35 * (i % 9))))]"
            echo
        done
    done >regulars.ndjson
    expect_exit 0 fidele event post regulars.ndjson
    expect_exit 0 fidele --json clv --calibration-end 2026-06-28 --horizon-weeks 26 --limit 0
    check_json "the Poisson limit" .customers 40 \
        '.bgnbd | [.rate, .dropout, .r, .alpha, .a, .b, .p]' '["fixed","none",null,null,null,null,0]' \
        '(.bgnbd.lambda / ([.items[].repeats] | add) * ([.items[].age_weeks] | add) - 1) | fabs < 1e-7' true \
        '[.items[] | .p_alive == 1] | all' true \
        '. as $r | [.items[] | (.expected_purchases / ($r.bgnbd.lambda * 26) - 1) | fabs < 1e-12] | all' true \
        '[.items[] | ((.clv - .expected_value * .expected_purchases) | fabs) < 1e-9 * .clv] | all' true
    expect_exit 0 fidele clv --calibration-end 2026-06-28 --limit 3
    assert_contains "$OUT" "(every customer buys at that rate)  no dropout (nobody stops buying)" \
        "the limit said in words"
    expect_exit 0 fidele verify
}

# The CDNOW data lives beside the repository (shared/), as in CI; without it only the café runs.
if [ -f "$CDNOW" ]; then
    scenario cdnow_published_estimates cdnow_published_estimates
    scenario short_calibration short_calibration
else
    echo "clv: the CDNOW scenarios skipped, the sample is not at $CDNOW"
fi
scenario cafe_year cafe_year
scenario weekly_regulars weekly_regulars
finish
