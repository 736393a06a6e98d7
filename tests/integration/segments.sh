#!/usr/bin/env bash
# Segments at a date: lifecycle stages by recency and frequency, and the cafe template's custom
# segments (morning regulars, weekend treat buyers, new visitors) on histories built to sit on
# both sides of each rule. Europe/Paris: 07:30 local in November is 06:30 UTC.
. "$(dirname "$0")/lib.sh"

AT=2026-11-30   # evaluation at the end of that day

orders_for() { # CUSTOMER KEY-PREFIX TIME... : one espresso per listed instant
    local who=$1 prefix=$2 n=0 t events=""
    shift 2
    for t in "$@"; do
        n=$((n + 1))
        events+="$(order_json "$prefix$n" "$t" "$who" "$prefix$n" "[$(line ESPRESSO coffee 1 250)]")"$'\n'
    done
    post "$events"
}

custom_segments() {
    NOW=2025-01-01T00:00:00Z init_db cafe
    local days8=() days7=() d
    for d in 03 05 07 09 11 13 15 17; do days8+=("2026-11-${d}T06:30:00Z"); done
    for d in 03 05 07 09 11 13 15; do days7+=("2026-11-${d}T06:30:00Z"); done
    orders_for morning8 m "${days8[@]}"
    orders_for morning7 s "${days7[@]}"
    # Eight orders, but one at 09:00 sharp (outside [07:00, 09:00)).
    orders_for edge e "${days7[@]}" 2026-11-19T08:00:00Z
    # Two of four orders on a weekend (Sat 21, Sun 22 November) = 50%; one of three is not.
    orders_for weekend w 2026-11-21T10:00:00Z 2026-11-22T10:00:00Z 2026-11-24T10:00:00Z \
        2026-11-25T10:00:00Z
    orders_for weekday v 2026-11-21T10:00:00Z 2026-11-24T10:00:00Z 2026-11-25T10:00:00Z
    orders_for visitor n 2026-11-20T10:00:00Z
    expect_exit 0 fidele --json segments --at "$AT"
    check_json "counts" .customers 6 '.custom["morning-regulars"]' 1 \
        '.custom["weekend-treat-buyers"]' 1 '.custom["new-visitors"]' 1
    expect_exit 0 fidele --json segments --at "$AT" --list morning-regulars
    check_json "morning" .customers '["morning8"]'
    expect_exit 0 fidele --json segments --at "$AT" --list weekend-treat-buyers
    check_json "weekend" .customers '["weekend"]'
    expect_exit 0 fidele --json segments --at "$AT" --list new-visitors
    check_json "visitor" .customers '["visitor"]'
    # Thirty days later the morning regular has lapsed out of the window.
    expect_exit 0 fidele --json segments --at 2026-12-31 --list morning-regulars
    check_json "later" .customers '[]'
    expect_exit 2 fidele segments --list nobody
    assert_contains "$ERR" "--list" "an unknown segment names --list"
    expect_exit 2 fidele segments --at 2026-02-30
    assert_contains "$ERR" "--at" "an impossible date names --at"
}

lifecycle() {
    NOW=2024-01-01T00:00:00Z init_db cafe
    # cafe: new 30 days, at_risk 45, dormant 120, churned 365, loyal 24 orders a year, occasional 4
    orders_for fresh f 2026-11-20T10:00:00Z
    orders_for risky r 2025-11-01T10:00:00Z 2026-10-01T10:00:00Z
    orders_for sleepy d 2025-11-01T10:00:00Z 2026-06-01T10:00:00Z
    orders_for gone g 2024-06-01T10:00:00Z 2025-06-01T10:00:00Z
    local days=() d
    for d in $(seq -w 1 24); do days+=("2026-0$(( (10#$d - 1) % 9 + 1 ))-${d}T10:00:00Z"); done
    orders_for fan l 2025-10-01T10:00:00Z "${days[@]}" 2026-11-25T10:00:00Z
    orders_for casual c 2025-10-01T10:00:00Z 2026-11-10T10:00:00Z 2026-11-12T10:00:00Z
    orders_for steady a 2025-10-01T10:00:00Z 2026-11-01T10:00:00Z 2026-11-05T10:00:00Z \
        2026-11-10T10:00:00Z 2026-11-15T10:00:00Z 2026-11-20T10:00:00Z
    expect_exit 0 fidele --json segments --at "$AT"
    check_json "stages" .lifecycle.new 1 .lifecycle.at_risk 1 .lifecycle.dormant 1 \
        .lifecycle.churned 1 .lifecycle.loyal 1 .lifecycle.occasional 1 .lifecycle.active 1
    local stage who
    for stage in new:fresh at_risk:risky dormant:sleepy churned:gone loyal:fan occasional:casual \
        active:steady; do
        expect_exit 0 fidele --json segments --at "$AT" --list "${stage%%:*}"
        check_json "list ${stage%%:*}" .customers "[\"${stage#*:}\"]"
    done
}

bad_predicate() {
    init_db cafe
    "$FIDELE" init --template cafe --print |
        jq '.segments.custom[0].all[0] = {"orders": {"within_days": 30}, "at_least_pct": 50}' >bad.json
    local before
    before=$(program_version)
    expect_exit 2 fidele program set bad.json
    assert_contains "$ERR" "/segments/custom/0/all/0" "the bad condition is named"
    assert_eq "$before" "$(program_version)" "the programme is unchanged"
    "$FIDELE" init --template cafe --print |
        jq '.segments.custom[0].all[0] = {"tier": ["gold"]}' >bad.json
    expect_exit 2 fidele program set bad.json
    assert_contains "$ERR" "/segments/custom/0/all/0/tier/0" "an unknown tier is named"
    "$FIDELE" init --template cafe --print |
        jq '.segments.custom[0].all[0] = {"orders": {"within_days": 30}, "spend_minor": {}, "at_least": 1}' >bad.json
    expect_exit 2 fidele program set bad.json
    assert_contains "$ERR" "one thing" "two measures in one condition are refused"
}

# A segment at a date sees the orders as they stood then: a refund dated later is not yet made.
refund_after_the_date() {
    NOW=2025-01-01T00:00:00Z init_db cafe --timezone Europe/Paris
    "$FIDELE" --db "$DB" init --template cafe --print | jq '.segments.custom = [
        {"id": "big-spenders", "all": [{"spend_minor": {"within_days": 365}, "at_least": 1000}]}]' >p.json
    NOW=2025-01-01T00:00:00Z expect_exit 0 fidele program set p.json
    order o1 2026-03-20T09:00:00Z ann A1 "[$(line X x 1 1500)]"
    post "$(refund_json r1 2026-04-02T08:00:00Z A1 '"amount_minor":1000')"
    expect_exit 0 fidele --json segments --at 2026-03-31 --list big-spenders
    check_json "1500 spent at the end of March" .customers '["ann"]'
    expect_exit 0 fidele --json segments --at 2026-04-30 --list big-spenders
    check_json "500 once refunded" .customers '[]'
}

# ... and the tier and VIP membership as they stood then.
tier_and_vip_after_the_date() {
    NOW=2025-01-01T00:00:00Z init_db ecommerce --timezone Europe/Paris
    "$FIDELE" --db "$DB" init --template ecommerce --print | jq '
        .tiers.window = "lifetime" | .tiers.levels[0].threshold = 3000
        | .segments = {"custom": [{"id": "silver-members", "all": [{"tier": ["silver"]}]},
                                  {"id": "vip-members", "all": [{"vip": true}]}]}' >p.json
    NOW=2025-01-01T00:00:00Z expect_exit 0 fidele program set p.json
    enrol ann 2026-03-01T09:00:00Z
    order o1 2026-03-10T09:00:00Z ann A1 "[$(line X x 1 2000)]"
    order o2 2026-04-10T08:00:00Z ann A2 "[$(line X x 1 2000)]" # silver from here
    post '{"type":"vip_payment","key":"v1","customer":"ann","plan":"club","amount_minor":4900,"at":"2026-04-15T08:00:00Z"}'
    local at want
    for at in "2026-03-31 []" "2026-04-30 [\"ann\"]"; do
        want=${at#* }
        expect_exit 0 fidele --json segments --at "${at%% *}" --list silver-members
        check_json "silver at ${at%% *}" .customers "$want"
        expect_exit 0 fidele --json segments --at "${at%% *}" --list vip-members
        check_json "VIP at ${at%% *}" .customers "$want"
    done
}

# A tier lost at a review still counts at a date when the member held it.
tier_lost_after_the_date() {
    NOW=2025-01-01T00:00:00Z init_db ecommerce --timezone Europe/Paris
    "$FIDELE" --db "$DB" init --template ecommerce --print | jq '
        .tiers.window = "rolling_12_months" | .tiers.grace_days = 0
        | .tiers.levels[0].threshold = 3000
        | .segments = {"custom": [{"id": "silver-members", "all": [{"tier": ["silver"]}]}]}' >p.json
    NOW=2025-01-01T00:00:00Z expect_exit 0 fidele program set p.json
    enrol ann 2025-03-01T09:00:00Z
    order o1 2025-03-10T09:00:00Z ann A1 "[$(line X x 1 3000)]" # silver at once
    expect_exit 0 fidele --json --now 2027-04-01T00:00:00Z run-due
    assert_json .tier_changes 1 "a review takes silver away"
    expect_exit 0 fidele --json balance ann
    assert_json .tier "" "no tier after the review"
    expect_exit 0 fidele --json member show ann
    check_json "kept at the first review (its window holds the order), lost at the second" \
        '[.tier_history[] | "\(.at) \(.tier) \(.reason)"]' \
        '["2025-03-10T09:00:00Z silver reached","2027-03-10T09:00:00Z  review"]'
    local at want
    for at in "2025-03-01 []" "2025-06-30 [\"ann\"]" "2027-03-01 [\"ann\"]" "2027-06-30 []"; do
        want=${at#* }
        expect_exit 0 fidele --json segments --at "${at%% *}" --list silver-members
        check_json "silver at ${at%% *}" .customers "$want"
    done
}

# What happens in the last second of DATE counts at DATE, as its orders do: an enrolment, a tier
# reached and a VIP payment at 23:59:59 local.
last_second_of_the_date() {
    NOW=2025-01-01T00:00:00Z init_db ecommerce --timezone Europe/Paris
    "$FIDELE" --db "$DB" init --template ecommerce --print | jq '
        .tiers.levels[0].threshold = 3000
        | .segments = {"custom": [{"id": "silver-members", "all": [{"tier": ["silver"]}]},
                                  {"id": "vip-members", "all": [{"vip": true}]}]}' >p.json
    NOW=2025-01-01T00:00:00Z expect_exit 0 fidele program set p.json
    order b0 2026-05-01T09:00:00Z bea B0 "[$(line X x 1 1000)]"
    enrol bea 2026-06-01T21:59:59Z
    order b1 2026-06-01T21:59:59Z bea B1 "[$(line X x 1 2000)]" # silver at 23:59:59 in Paris
    post '{"type":"vip_payment","key":"v1","customer":"bea","plan":"club","amount_minor":4900,"at":"2026-06-01T21:59:59Z"}'
    local segment
    for segment in silver-members vip-members; do
        expect_exit 0 fidele --json segments --at 2026-06-01 --list "$segment"
        check_json "$segment at the end of 1 June" .customers '["bea"]'
        expect_exit 0 fidele --json segments --at 2026-05-31 --list "$segment"
        check_json "$segment at the end of 31 May" .customers '[]'
    done
    expect_exit 0 fidele segments --at 2026-05-31 --list silver-members
    assert_eq "" "$OUT" "an empty list prints no line"
    assert_contains "$ERR" "No customer in silver-members at 2026-05-31 23:59:59+02:00." "and says so beside"
}

scenario custom_segments custom_segments
scenario tier_and_vip_after_the_date tier_and_vip_after_the_date
scenario tier_lost_after_the_date tier_lost_after_the_date
scenario last_second_of_the_date last_second_of_the_date
scenario refund_after_the_date refund_after_the_date
scenario lifecycle lifecycle
scenario bad_predicate bad_predicate
finish
