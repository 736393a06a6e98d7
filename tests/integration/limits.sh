#!/usr/bin/env bash
# The largest figures Fidele counts: a balance, a customer's spend and an order's earning stay
# within 2^53 - 1 (exact for JSON readers) and a report's revenue and CLTV within 64 bits. An event or a
# row that would pass them is refused, by its field or line, and writes nothing; nothing wraps.
. "$(dirname "$0")/lib.sh"

MAX=9007199254740991

# orders_of CUSTOMER N AMOUNT: N orders of AMOUNT minor units, as NDJSON.
orders_of() {
    awk -v c="$1" -v n="$2" -v a="$3" 'BEGIN { for (i = 1; i <= n; i++)
        printf "{\"type\":\"order\",\"key\":\"%s-%d\",\"at\":\"2026-03-02T09:00:00Z\",\"customer\":\"%s\",\"order_id\":\"%s-%d\",\"lines\":[{\"sku\":\"X\",\"quantity\":1,\"unit_price_minor\":%s}]}\n", c, i, c, c, i, a }'
}

earning_and_balances() {
    init_db cafe
    "$FIDELE" --db "$DB" init --template cafe --print | jq '.earning.points = 100 | .earning.per_minor = 1
        | .earning.first_order_bonus = 0 | del(.tiers) | .rewards |= map(del(.tiers))' >p.json
    expect_exit 0 fidele program set p.json
    enrol ann 2026-03-01T09:00:00Z
    # 80,000,000,000,000 minor units earn 8e15 points: inside the bound
    order a1 2026-03-02T09:00:00Z ann A1 "[$(line X x 1 80000000000000)]"
    assert_json '.[0].points' 8000000000000000 "8e15 points"
    local before
    before=$(snapshot)
    post_fails 2 "$(order_json a2 2026-03-02T10:00:00Z ann A2 "[$(line X x 1 80000000000000)]")"
    assert_contains "$ERR" "points balance would pass $MAX" "a balance past the bound is refused"
    assert_unchanged "$before" "and writes nothing"
    # one order earning past the bound on its own
    "$FIDELE" --db "$DB" init --template cafe --print | jq '.earning.points = 1000000000
        | .earning.per_minor = 1 | del(.tiers) | .rewards |= map(del(.tiers))' >q.json
    expect_exit 0 fidele program set q.json
    enrol bob 2026-03-01T09:00:00Z
    before=$(snapshot)
    post_fails 2 "$(order_json b1 2026-03-02T09:00:00Z bob B1 "[$(line X x 1 100000000)]")"
    assert_stderr_names "/lines"
    assert_contains "$ERR" "would earn more than $MAX points" "an earning past the bound is refused"
    assert_unchanged "$before" "and writes nothing"
}

spend() {
    init_db cafe
    "$FIDELE" --db "$DB" init --template cafe --print | jq '.earning.points = 0' >p.json
    expect_exit 0 fidele program set p.json
    # 90 orders of 10^14 minor units: 9e15, inside; the 91st would pass 2^53 - 1
    orders_of cy 91 100000000000000 >cy.ndjson
    expect_exit 2 fidele --json event post --each cy.ndjson
    check_json "the 91st order is refused" 'map(.status) | unique' '["applied","error"]' \
        '[.[] | select(.status == "error") | .key]' '["cy-91"]'
    assert_contains "$(jq -r '.[-1].error.message' <<<"$OUT")" "spend would pass $MAX" "and why"
    assert_eq 9000000000000000 "$(sql "SELECT spend_minor FROM customers WHERE ref = 'cy'")" "no wrap"
}

imported_spend_and_report_revenue() {
    NOW=2025-01-01T00:00:00Z init_db cafe --timezone Etc/UTC
    # one customer past the bound on the 91st row
    awk 'BEGIN { print "customer,order_id,date,amount"; for (i = 1; i <= 91; i++)
        printf "dee,D%d,2026-01-05,1000000000000.00\n", i }' >dee.csv
    expect_exit 2 fidele import orders dee.csv
    assert_contains "$ERR" "line 92, column 4 (amount): the customer's spend would pass $MAX" \
        "the row past the bound is refused by its line"
    assert_eq 9000000000000000 "$(sql "SELECT spend_minor FROM customers WHERE ref = 'dee'")" "no wrap"
    # 1,100 customers of 90 such orders: 9.9e18 in all, past 64 bits
    awk 'BEGIN { print "customer,order_id,date,amount"; for (c = 1; c <= 1100; c++)
        for (i = 1; i <= 90; i++) printf "c%d,C%d-%d,2026-02-05,1000000000000.00\n", c, c, i }' >many.csv
    expect_exit 0 fidele import orders many.csv
    NOW=2026-06-01T00:00:00Z expect_exit 2 fidele report --from 2026-01-01 --to 2026-06-01 --format json
    assert_contains "$ERR" "revenue passes" "a report past 64 bits says so rather than wrap"
}

# The report's historical CLTV (AOV x orders per customer per year x lifetime) can pass 64 bits on
# amounts each within the limits: the report refuses as it does for the revenue, never wraps.
report_cltv() {
    NOW=2025-01-01T00:00:00Z init_db cafe
    # 8 orders of 10^14 minor units in one day: 10^14 x 2,920 a year x 10 years = 2.92e18, fits
    awk 'BEGIN { print "customer,order_id,date,amount"; for (i = 1; i <= 8; i++)
        printf "big,B%d,2026-05-10 10:%02d,1000000000000.00\n", i, i }' >eight.csv
    expect_exit 0 fidele import orders eight.csv
    NOW=2026-06-01T00:00:00Z expect_exit 0 fidele report --from 2026-05-10 --to 2026-05-11 --format json
    # (jq reads numbers as doubles: the exact digits are checked in the text)
    assert_contains "$OUT" '"value_minor": 2920000000000000000,' "within 64 bits, exact"
    check_json "its inputs" .cltv.aov_minor 100000000000000 .cltv.orders_per_customer_per_year 2920
    NOW=2026-06-01T00:00:00Z expect_exit 0 fidele report --from 2026-05-10 --to 2026-05-11
    assert_contains "$OUT" "29200000000000000.00 EUR" "the text report shows it whole"
    # 30 of them: 1.095e19, past 2^63 - 1
    awk 'BEGIN { print "customer,order_id,date,amount"; for (i = 9; i <= 30; i++)
        printf "big,B%d,2026-05-10 10:%02d,1000000000000.00\n", i, i }' >more.csv
    expect_exit 0 fidele import orders more.csv
    local format
    for format in json text html; do
        NOW=2026-06-01T00:00:00Z expect_exit 2 fidele report --from 2026-05-10 --to 2026-05-11 --format "$format"
        assert_contains "$ERR" "historical CLTV passes 9223372036854775807 minor units" \
            "$format: a CLTV past 64 bits says so rather than wrap"
        assert_eq "" "$OUT" "$format: and prints no report"
    done
}

scenario earning_and_balances earning_and_balances
scenario spend spend
scenario imported_spend_and_report_revenue imported_spend_and_report_revenue
scenario report_cltv report_cltv
finish
