#!/usr/bin/env bash
# Points liability: the roll-forward over a period equals the ledger figure by figure, the
# closing balance equals the members' balances, and breakage comes from the history of expiries.
. "$(dirname "$0")/lib.sh"

# The bakery programme: 1 point per euro (nearest), lots expire 12 months after they are earned.
roll_forward() {
    NOW=2025-01-01T00:00:00Z init_db bakery
    enrol ana 2025-01-10T09:00:00Z
    enrol ben 2025-01-10T09:00:00Z
    order a1 2025-01-15T09:00:00Z ana A1 "[$(line BAGUETTE bread 100 120)]"   # 120 points
    order b1 2025-02-15T09:00:00Z ben B1 "[$(line TART cake 10 450)]"        # 45 points
    post '{"type":"redeem","key":"r1","at":"2025-03-01T09:00:00Z","customer":"ana","reward":"free-loaf"}'
    post "$(refund_json f1 2025-03-02T09:00:00Z B1 '"amount_minor":900')"     # 9 points back
    post '{"type":"adjustment","key":"j1","at":"2025-03-03T09:00:00Z","customer":"ben","points":7,"reason":"goodwill","author":"manager"}'
    # A year later ben's lots expire; ana buys again.
    NOW=2026-03-01T00:00:00Z expect_exit 0 fidele run-due
    order a2 2026-03-10T09:00:00Z ana A2 "[$(line BAGUETTE bread 10 120)]"   # 12 points

    expect_exit 0 fidele --json liability --from 2025-02-01 --to 2026-04-01
    # Opening on 1 February 2025: the two welcome bonuses (5 each) and ana's 120 points.
    check_json "roll-forward" .points.opening 130 .points.earned 57 .points.redeemed 60 \
        .points.clawed_back 9 .points.adjusted 7 \
        '.points.opening + .points.earned - .points.redeemed - .points.expired - .points.clawed_back + .points.adjusted == .points.closing' true \
        .checks.roll_forward true .checks.balances_checked true .checks.balances_agree true
    # Every figure, recomputed from the ledger by SQL on its own.
    local expired closing
    expired=$(sql "SELECT -SUM(amount) FROM ledger WHERE kind = 'expire' AND at >= strftime('%s', '2025-01-31T23:00:00Z') AND at < strftime('%s', '2026-03-31T22:00:00Z')")
    closing=$(sql "SELECT SUM(points_available + points_pending) FROM customers")
    check_json "against SQL" .points.expired "$expired" .points.closing "$closing"
    # Expired by 2026-03-10: ana's 5 + 120 - 60 and ben's 5 + 45 - 9 (his adjustment of March
    # 2025 lives until March 2026 and nothing of his ran since). Breakage = expired / (expired +
    # redeemed) = 106 / 166, applied to the 19 points left.
    check_json "breakage" .points.expired 106 \
        '.breakage_rate * 1000 | round' 639 .expected_breakage_points 12
    # The bakery declares no point value and has no fixed-discount reward: no value, said so.
    check_json "value" .value null
    # A period before the last entry cannot be compared with today's balances.
    expect_exit 0 fidele --json liability --from 2025-01-01 --to 2025-02-01
    check_json "early period" .checks.balances_checked false .points.closing 130
    # Bad input names the option.
    expect_exit 2 fidele liability --from 2025-02-30 --to 2025-03-01
    assert_contains "$ERR" "--from" "an impossible date is refused"
    expect_exit 2 fidele liability --from 2025-03-01 --to 2025-02-01
    assert_contains "$ERR" "--to" "an empty period is refused"
}

# A programme that declares what a point costs values the liability with it.
declared_value() {
    NOW=2025-01-01T00:00:00Z init_db cafe
    "$FIDELE" init --template cafe --print | jq '. + {point_value: {amount_minor: 1, points: 10}}' \
        >valued.json
    expect_exit 0 fidele program set valued.json
    enrol ana 2025-01-10T09:00:00Z
    order a1 2025-01-15T09:00:00Z ana A1 "[$(line LATTE coffee 2 380)]"  # 76 + 20 first order
    expect_exit 0 fidele --json liability --from 2025-01-01 --to 2025-02-01
    check_json "valued" .points.closing 116 .value.closing.amount_minor 11 \
        .value.closing.currency EUR .value.point_value.points 10
}

scenario roll_forward roll_forward
scenario declared_value declared_value
finish
