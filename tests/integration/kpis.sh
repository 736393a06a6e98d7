#!/usr/bin/env bash
# The loyalty KPIs of `fidele report` on a small history whose every figure is worked out by hand
# (docs/kpis.md has the definitions). Period P = [2026-01-01, 2026-03-01), window 365 days, UTC.
. "$(dirname "$0")/lib.sh"

# Participation is a share of the period's customers: members active without an order in P (a
# welcome bonus alone) do not push it past 100 %.
participation_of_customers() {
    NOW=2025-01-01T00:00:00Z init_db cafe --timezone Etc/UTC
    order w1 2026-03-05T10:00:00Z walkin W1 "[$(line BEANS beans 1 800)]"
    enrol E 2026-03-06T10:00:00Z
    enrol F 2026-03-07T10:00:00Z
    expect_exit 0 fidele report --from 2026-03-01 --to 2026-04-01 --format json
    check_json "one customer, no member among them" .customers 1 .participation_rate 0
    order e1 2026-03-08T10:00:00Z E E1 "[$(line BEANS beans 1 800)]"
    expect_exit 0 fidele report --from 2026-03-01 --to 2026-04-01 --format json
    check_json "E ordered" .customers 2 .participation_rate 50
}

# An enrolment dated before orders already recorded makes them members' orders: the split of the
# AOV counts membership at the time of each order, whenever the enrolment was posted.
backdated_enrolment() {
    NOW=2025-01-01T00:00:00Z init_db cafe --timezone Etc/UTC
    order z1 2026-01-10T10:00:00Z zoe Z1 "[$(line BEANS beans 1 1000)]"
    order z2 2026-01-20T10:00:00Z zoe Z2 "[$(line BEANS beans 1 3000)]"
    enrol zoe 2026-01-15T10:00:00Z # posted after both orders
    assert_eq "Z1:0 Z2:1" "$(sql "SELECT group_concat(ref || ':' || member_at_order, ' ') FROM (SELECT * FROM orders ORDER BY at)")" \
        "the order after the enrolment instant is a member's"
    expect_exit 0 fidele report --from 2026-01-01 --to 2026-02-01 --format json
    check_json "aov split" .aov_members_minor 3000 .aov_non_members_minor 1000
    verify_catches order_member_flag_follows_enrolment "UPDATE orders SET member_at_order = 0 WHERE ref = 'Z2'"
    verify_catches order_member_flag_follows_enrolment "UPDATE orders SET member_at_order = 1 WHERE ref = 'Z1'"
}

# Refunds go with their order in the AOV by membership: a refund dated in P of an order placed
# before P lowers the revenue (refunds dated in P) but not the AOV of the orders placed in P, and
# a refund dated after P waits for the period it falls in.
refunds_go_with_their_order() {
    NOW=2025-01-01T00:00:00Z init_db cafe --timezone Etc/UTC
    order a1 2026-01-10T10:00:00Z x A "[$(line BEANS beans 1 4000)]"
    enrol m 2026-01-01T10:00:00Z
    order m1 2026-01-20T10:00:00Z m M1 "[$(line BEANS beans 1 2000)]"
    order b1 2026-02-10T10:00:00Z y B "[$(line BEANS beans 1 700)]"
    order m2 2026-02-15T10:00:00Z m M2 "[$(line BEANS beans 1 3000)]"
    post "$(refund_json ra 2026-02-12T10:00:00Z A '"amount_minor":1500')"   # January's order
    post "$(refund_json rm1 2026-02-16T10:00:00Z M1 '"amount_minor":500')"  # January's order
    post "$(refund_json rm2 2026-02-20T10:00:00Z M2 '"amount_minor":1000')" # February's
    post "$(refund_json rb 2026-03-05T10:00:00Z B '"amount_minor":200')"    # after February
    expect_exit 0 fidele report --from 2026-02-01 --to 2026-03-01 --format json
    # Revenue: 700 + 3000 less every refund dated in February (1500 + 500 + 1000).
    check_json "february" .orders 2 .revenue_minor 700 .aov_minor 350 \
        .aov_non_members_minor 700 .aov_members_minor 2000
    expect_exit 0 fidele report --from 2026-01-01 --to 2026-02-01 --format json
    check_json "january" .revenue_minor 6000 .aov_non_members_minor 4000 .aov_members_minor 2000
    # Over both months every refund but March's is of an order placed in P.
    expect_exit 0 fidele report --from 2026-01-01 --to 2026-03-01 --format json
    check_json "both months" .revenue_minor 6700 .aov_non_members_minor 1600 \
        .aov_members_minor 1750
    expect_exit 0 fidele report --from 2026-02-01 --to 2026-03-01
    assert_eq "7.00 EUR" "$(sed -n 's/^ *non-members *//p' <<<"$OUT")" "the text report says the same"
    # every figure (counts, money, rates, n/a) ends at the same column, its unit after it
    assert_eq 1 "$(awk 'NR > 2 && /^$/ { exit } NR > 2 { sub(/  \(.*$/, ""); sub(/ (EUR|%)$/, "");
        print length($0) }' <<<"$OUT" | sort -u | wc -l)" "the figures read down in line"
}

# A cohort is the new customers of one month: a month in which nobody ordered for the first time
# has none, and is not listed (in JSON, text or HTML) with 0 customers and no percentages.
cohorts_of_new_customers() {
    NOW=2025-01-01T00:00:00Z init_db cafe --timezone Etc/UTC
    order x1 2026-01-10T10:00:00Z x X1 "[$(line BEANS beans 1 1000)]"
    order x2 2026-02-10T10:00:00Z x X2 "[$(line BEANS beans 1 1000)]" # no one new in February
    order y1 2026-03-10T10:00:00Z y Y1 "[$(line BEANS beans 1 1000)]"
    order x3 2026-04-10T10:00:00Z x X3 "[$(line BEANS beans 1 1000)]" # nor in April
    expect_exit 0 fidele report --from 2026-01-01 --to 2026-05-01 --format json
    check_json "cohorts" '.cohorts | map(.month)' '["2026-01","2026-03"]' \
        '.cohorts | map(.customers)' '[1,1]' \
        '.cohorts[0].active_pct' '[100,100,0,100]' '.cohorts[1].active_pct' '[100,0]'
    # One day without a new customer: no cohort at all.
    expect_exit 0 fidele report --from 2026-04-10 --to 2026-04-11 --format json
    check_json "no new customer" .customers 1 .new_customers 0 .cohorts '[]'
    expect_exit 0 fidele report --from 2026-01-01 --to 2026-05-01
    assert_eq "2026-01 2026-03" "$(grep -oE '^  20[0-9]{2}-[0-9]{2}' <<<"$OUT" | tr -d ' ' | tr '\n' ' ' | sed 's/ $//')" \
        "the text report lists the same cohorts"
    expect_exit 0 fidele report --from 2026-01-01 --to 2026-05-01 --format html --out r.html
    assert_eq "2026-01 2026-03" "$(grep -oE '<tr><td>20[0-9]{2}-[0-9]{2}</td>' r.html | grep -oE '20[0-9-]+' | tr '\n' ' ' | sed 's/ $//')" \
        "the heat map has a row per cohort"
}

# The CLV models need customers who came back: on a shop without any, clv says what the history
# holds and exits 1 (a state of the shop, not a bad argument).
clv_on_a_thin_history() {
    NOW=2025-01-01T00:00:00Z init_db cafe --timezone Etc/UTC
    order t1 2026-01-10T10:00:00Z tia T1 "[$(line BEANS beans 1 1000)]"
    order u1 2026-01-11T10:00:00Z ugo U1 "[$(line BEANS beans 1 1000)]"
    NOW=2026-03-01T00:00:00Z expect_exit 1 fidele clv
    assert_contains "$ERR" "cannot fit the models on this history: 2 customers by 2026-03-01, 0 of them bought more than once" \
        "what the history holds"
}

hand_computed() {
    NOW=2025-01-01T00:00:00Z init_db cafe --timezone Etc/UTC
    # C buys once, long ago; A joins and buys three times; B joins in P; D never joins.
    order c1 2025-02-15T10:00:00Z C C1 "[$(line BEANS beans 1 800)]"
    enrol A 2025-06-01T10:00:00Z
    order a1 2025-06-10T10:00:00Z A A1 "[$(line BEANS beans 1 1000)]"
    order a2 2026-01-05T10:00:00Z A A2 "[$(line BEANS beans 1 2000)]"
    order a3 2026-02-10T10:00:00Z A A3 "[$(line BEANS beans 1 3000)]"
    enrol B 2026-01-01T10:00:00Z
    order b1 2026-01-20T10:00:00Z B B1 "[$(line BEANS beans 1 1500)]"
    post "$(refund_json b1r 2026-01-25T10:00:00Z B1 '"amount_minor":500')"
    order d1 2026-02-20T10:00:00Z D D1 "[$(line BEANS beans 1 4000)]"
    post '{"type":"redeem","key":"r1","at":"2026-02-11T10:00:00Z","customer":"A","reward":"pastry"}'
    # Survey answers: four NPS and three CSAT in P, one NPS before it.
    local answers="" s
    for s in nps:10:2026-01-10 nps:9:2026-01-11 nps:7:2026-02-01 nps:3:2026-02-02 nps:0:2025-12-30 \
        csat:5:2026-01-10 csat:4:2026-01-12 csat:2:2026-02-15; do
        IFS=: read -r kind score day <<<"$s"
        answers+="{\"type\":\"survey_answer\",\"key\":\"s-$kind-$day\",\"at\":\"${day}T12:00:00Z\",\"customer\":\"A\",\"survey\":\"$kind\",\"score\":$score}"$'\n'
    done
    post "$answers"
    check_json "follow-up flags" '[.[] | .follow_up]' '[false,false,false,true,true,false,false,true]'
    post_fails 2 '{"type":"survey_answer","key":"bad","customer":"A","survey":"nps","score":11}'
    assert_contains "$ERR" "/score" "an NPS score above 10 names /score"

    expect_exit 0 fidele report --from 2026-01-01 --to 2026-03-01 --format json
    check_json "keys" '[keys[]] | sort' '["aov_members_minor","aov_minor","aov_non_members_minor","churn_rate","churned","cltv","cohorts","csat","customers","customers_end","customers_start","loyal_revenue_share","new_customers","nps","orders","participation_rate","points_redemption_rate","purchase_frequency","repurchase_rate","retention_rate","revenue_minor","reward_usage_rate"]'
    # Orders in P: a2, a3, b1, d1 by A, B, D; B and D first bought in P.
    # Revenue: 2000 + 3000 + 1500 + 4000 - the 500 refunded in P.
    check_json "volume" .customers 3 .new_customers 2 .orders 4 \
        .revenue_minor 10000 .aov_minor 2500 '.purchase_frequency * 1000 | round' 1333
    # Only A ordered twice in P.
    check_json "repurchase" '.repurchase_rate * 100 | round' 3333
    # Start window [2025-01-01, 2026-01-01): A, C. End window [2025-03-01, 2026-03-01): A, B, D.
    check_json "retention" .customers_start 2 .customers_end 3 .retention_rate 50 \
        .churned 1 .churn_rate 50
    # A has three orders before `to`: its 5000 of the 10000.
    check_json "loyal share" .loyal_revenue_share 50
    # AOV 2500 x (4/3 orders x 365/59 a year) x 2 years (1 / 50% churn).
    check_json "cltv" '.cltv.value_minor' 41242 .cltv.expected_lifetime_years 2 \
        '.cltv.orders_per_customer_per_year * 1000 | round' 8249
    # Members A and B had ledger entries in P: 2 of the 3 customers.
    check_json "participation" '.participation_rate * 100 | round' 6667
    # Members' orders a2, a3, b1 (6000 after B's refund); D's 4000 alone.
    check_json "aov split" .aov_members_minor 2000 .aov_non_members_minor 4000
    local earned redeemed
    earned=$(sql "SELECT SUM(amount + pending_delta) FROM ledger WHERE account = 'points' AND kind IN ('earn', 'earn_pending') AND at >= strftime('%s', '2026-01-01') AND at < strftime('%s', '2026-03-01')")
    redeemed=$(sql "SELECT -SUM(amount) FROM ledger WHERE account = 'points' AND kind = 'redeem' AND at >= strftime('%s', '2026-01-01') AND at < strftime('%s', '2026-03-01')")
    check_json "points" '.points_redemption_rate * 100 | round' \
        "$(awk -v r="$redeemed" -v e="$earned" 'BEGIN { printf "%d", r / e * 10000 + 0.5 }')" \
        .reward_usage_rate 0
    # NPS: 2 promoters and 1 detractor of 4 answers in P; CSAT: 2 of 3 answers are 4 or 5.
    check_json "surveys" .nps 25 '.csat * 100 | round' 6667
    # January's cohort is B (no order in February); February's is D.
    check_json "cohorts" '.cohorts | map(.month)' '["2026-01","2026-02"]' \
        '.cohorts[0] | "\(.customers) \(.active_pct)"' '1 [100,0]' \
        '.cohorts[1] | "\(.customers) \(.active_pct)"' '1 [100]'
    # The terminal summary says the same.
    expect_exit 0 fidele report --from 2026-01-01 --to 2026-03-01
    assert_contains "$OUT" "repurchase rate" "text report"
    assert_contains "$OUT" "100.00 EUR" "revenue in money"
    assert_eq "25.0|66.7 %" "$(sed -n 's/^ *NPS *//p' <<<"$OUT")|$(sed -n 's/^ *CSAT *//p' <<<"$OUT")" \
        "the surveys too"
    # Bad input.
    expect_exit 2 fidele report --from 2026-03-01 --to 2026-01-01
    assert_contains "$ERR" "--to" "an empty period names --to"
    expect_exit 2 fidele report --format pdf
    assert_contains "$ERR" "--format" "an unknown format names --format"
}

# The historical CLTV is floored from the exact fraction of its inputs: here 100 x (3 x 365 / 28)
# x 7 = 27375 exactly, which a product of doubles (27374.99...) floored one minor unit short.
cltv_exact() {
    NOW=2025-01-01T00:00:00Z init_db cafe --timezone Etc/UTC
    # A orders three times in February; B to F once, and G earlier, in the start window.
    printf '%s\n' customer,order_id,date,amount A,a0,2025-06-01,1 A,a1,2026-02-02,1 \
        A,a2,2026-02-03,1 A,a3,2026-02-04,1 B,b,2025-06-01,1 C,c,2025-06-01,1 D,d,2025-06-01,1 \
        E,e,2025-06-01,1 F,f,2025-06-01,1 G,g,2025-02-15,1 >orders.csv
    expect_exit 0 fidele import orders orders.csv
    NOW=2026-06-01T00:00:00Z expect_exit 0 fidele report --from 2026-02-01 --to 2026-03-01 --format json
    # Start window [2025-02-01, 2026-02-01): A to G; G alone has no order in [2025-03-01, 2026-03-01).
    check_json "inputs" .cltv.aov_minor 100 .customers_start 7 .churned 1 \
        .cltv.expected_lifetime_years 7
    check_json "cltv" .cltv.value_minor 27375
}

# A window shorter than the period: the new customers who did not order again in the end window
# are not among its customers and take nothing off the retained (the rate was -100 %).
retention_short_window() {
    NOW=2025-01-01T00:00:00Z init_db cafe --timezone Etc/UTC
    printf '%s\n' customer,order_id,date,amount A,a0,2025-12-20,1 A,a1,2026-02-20,1 \
        B,b,2026-01-05,1 C,c,2026-01-10,1 D,d,2026-01-12,1 D,d2,2026-02-25,1 >orders.csv
    expect_exit 0 fidele import orders orders.csv
    NOW=2026-06-01T00:00:00Z expect_exit 0 fidele report --from 2026-01-01 --to 2026-03-01 \
        --window 30 --format json
    # start window [2025-12-02, 2026-01-01): A; end window [2026-01-30, 2026-03-01): A and D,
    # D new in P; B and C new and gone
    check_json "retention" .customers_start 1 .customers_end 2 .new_customers 3 \
        .retention_rate 100 .churned 0 .churn_rate 0
}

# An empty period: every rate whose denominator is zero is null.
empty_period() {
    init_db cafe
    expect_exit 0 fidele report --from 2030-01-01 --to 2030-02-01 --format json
    check_json "nulls" .customers 0 .orders 0 .aov_minor null .purchase_frequency null \
        .repurchase_rate null .retention_rate null .churn_rate null .cltv null \
        .participation_rate null .points_redemption_rate null .reward_usage_rate null
    # The text report says n/a where the JSON says null, orders per customer as the rates.
    expect_exit 0 fidele report --from 2030-01-01 --to 2030-02-01
    assert_eq "n/a" "$(sed -n 's/^ *orders per customer *//p' <<<"$OUT")" "orders per customer"
    assert_eq "n/a" "$(sed -n 's/^ *repurchase rate *//p' <<<"$OUT")" "as the repurchase rate"
    assert_eq "n/a|n/a" "$(sed -n 's/^ *NPS *//p' <<<"$OUT")|$(sed -n 's/^ *CSAT *//p' <<<"$OUT")" \
        "no survey answered"
    assert_eq "n/a" "$(sed -n 's/^ *average order *//p' <<<"$OUT")" "and the average order"
}

scenario hand_computed hand_computed
scenario backdated_enrolment backdated_enrolment
scenario refunds_go_with_their_order refunds_go_with_their_order
scenario cohorts_of_new_customers cohorts_of_new_customers
scenario clv_on_a_thin_history clv_on_a_thin_history
scenario participation_of_customers participation_of_customers
scenario empty_period empty_period
scenario cltv_exact cltv_exact
scenario retention_short_window retention_short_window
finish
