#!/usr/bin/env bash
# Points liability: what is owed to members (their positive balances) and what members owe (the
# debts a refund left), the ledger's net rolled forward over a period figure by figure, the closing
# figures equal to the members' balances, and breakage from the history of expiries.
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
        '.net.opening + .points.earned - .points.redeemed - .points.expired - .points.clawed_back + .points.adjusted == .net.closing' true \
        '.owed_by_members | [.opening, .closing, .members]' '[0,0,0]' \
        '.net.closing == .points.closing' true \
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

# A refund may leave a member below zero (refunds.allow_negative_balance): that debt is owed by the
# member, repaid by their next points, and does not lower what is owed to the others. The
# liability counts positive balances only, the debts are reported apart, and the ledger's net is
# the one less the other.
member_debts() {
    NOW=2026-01-01T00:00:00Z init_db cafe
    "$FIDELE" init --template cafe --print | jq '.refunds.allow_negative_balance = true' >p.json
    expect_exit 0 fidele program set p.json
    enrol u1 2026-01-02T09:00:00Z
    enrol u2 2026-01-02T09:00:00Z
    order o1 2026-01-03T09:00:00Z u1 O1 "[$(line B "" 1 3000)]" # 20 welcome + 300 + 20 first order
    order o2 2026-01-03T09:00:00Z u2 O2 "[$(line B "" 1 3000)]"
    post '{"type":"redeem","key":"rd1","at":"2026-01-04T09:00:00Z","customer":"u1","reward":"free-coffee"}'
    post "$(refund_json rf1 2026-01-05T09:00:00Z O1 '"amount_minor":3000')" # u1: 70 - 300
    assert_eq "-230 340" "$(sql "SELECT group_concat(points_available, ' ') FROM (SELECT points_available FROM customers ORDER BY ref)")" \
        "u1 owes 230 points, u2 is owed 340"
    NOW=2026-01-06T00:00:00Z expect_exit 0 fidele --json liability --from 2026-01-01 --to 2026-02-01
    check_json "the debt is apart" .points.closing 340 .closing_split.available 340 \
        .owed_by_members.closing 230 .owed_by_members.members 1 .net.closing 110 \
        '.net.opening + .points.earned - .points.redeemed - .points.expired - .points.clawed_back + .points.adjusted == .net.closing' true \
        .checks.roll_forward true .checks.balances_agree true .value.closing.amount_minor 340 \
        .value.owed_by_members.amount_minor 230
    expect_exit 0 fidele liability --from 2026-01-01 --to 2026-02-01
    assert_contains "$OUT" "+ owed by members           230   (1 member below zero)" "text: the debt"
    assert_contains "$OUT" "= closing                   340   (340 available, 0 pending)" "text: owed"
    # u2's points expire after a year without activity: nothing is owed any more, and breakage,
    # a share of what is owed, is nothing either (it was -133 points when the debt counted).
    NOW=2027-03-01T00:00:00Z expect_exit 0 fidele run-due
    NOW=2027-03-01T00:00:00Z expect_exit 0 fidele --json liability --from 2026-01-01 --to 2027-06-01
    check_json "after expiry" .points.expired 340 .points.closing 0 .owed_by_members.closing 230 \
        .net.closing -230 .expected_breakage_points 0 .value.closing.amount_minor 0 \
        .value.net_of_breakage.amount_minor 0 .checks.roll_forward true .checks.balances_agree true
    # A period that opens on the debt: the opening splits the same way.
    NOW=2027-03-01T00:00:00Z expect_exit 0 fidele --json liability --from 2026-02-01 --to 2027-06-01
    check_json "opening" .points.opening 340 .owed_by_members.opening 230 .net.opening 110 \
        .checks.roll_forward true
}

# Pending points first cover their member's own debt: a member at -50 available with 80 pending
# is owed 30, all of it pending; another member's debt stays apart.
pending_covers_debt() {
    NOW=2025-01-01T00:00:00Z init_db bookshop # debts allowed, 14 days pending, 1 point per euro
    enrol ann 2025-01-10T09:00:00Z            # 50 points each
    enrol bea 2025-01-10T09:00:00Z
    enrol cy 2025-01-10T09:00:00Z
    order a1 2025-01-15T09:00:00Z ann A1 "[$(line NOVEL novel 1 10000)]" # 100 pending
    order b1 2025-01-15T09:00:00Z bea B1 "[$(line NOVEL novel 2 10000)]" # 200 pending
    NOW=2025-02-01T00:00:00Z expect_exit 0 fidele run-due
    post '{"type":"redeem","key":"ra","at":"2025-02-02T09:00:00Z","customer":"ann","reward":"voucher-5"}'
    post '{"type":"redeem","key":"rb","at":"2025-02-02T09:00:00Z","customer":"bea","reward":"tote"}'
    post "$(refund_json fa 2025-02-10T09:00:00Z A1 '"amount_minor":10000')" # ann: 50 - 100
    post "$(refund_json fb 2025-02-10T09:00:00Z B1 '"amount_minor":20000')" # bea: 0 - 200
    order a2 2025-02-12T09:00:00Z ann A2 "[$(line NOVEL novel 1 8000)]"     # 80 pending
    NOW=2025-02-20T00:00:00Z expect_exit 0 fidele --json liability --from 2025-01-01 --to 2025-02-20
    check_json "pending covers the debt" .points.closing 80 .closing_split.available 50 \
        .closing_split.pending 30 .owed_by_members.closing 200 .owed_by_members.members 1 \
        .net.closing -120 .checks.roll_forward true .checks.balances_checked true \
        .checks.balances_agree true
}

scenario roll_forward roll_forward
scenario member_debts member_debts
scenario pending_covers_debt pending_covers_debt
scenario declared_value declared_value
finish
