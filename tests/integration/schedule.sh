#!/usr/bin/env bash
# Scheduled work with an injected clock: pending points confirming, per-lot expiry consuming the
# soonest-expiring lots first, inactivity expiry, voucher expiry and tier reviews. Every edge is
# checked one second before and at the instant; entries carry the instant each thing fell due;
# running run-due twice (or with an earlier clock) changes nothing.
. "$(dirname "$0")/lib.sh"

# run_due NOW: `run-due --json` at NOW; the summary is in $OUT.
run_due() {
    expect_exit 0 fidele --json --now "$1" run-due
}

# due_summary: the counters of the last run-due, on one line.
due_summary() {
    jout '"confirmed \(.points_confirmed)/\(.lots_confirmed) expired \(.points_expired)/\(.lots_expired) tiers \(.tier_changes) vouchers \(.vouchers_expired)"'
}

# run_due_again NOW: a second run at NOW and one at an earlier instant change nothing.
run_due_again() {
    local before
    before=$(snapshot)
    run_due "$1"
    assert_eq "confirmed 0/0 expired 0/0 tiers 0 vouchers 0" "$(due_summary)" "second run at $1"
    run_due 2026-01-01T00:00:00Z
    assert_unchanged "$before" "run-due twice (and with an earlier clock) changes nothing"
}

# ---------------------------------------------------------------------------------------------
pending_period() {
    init_db ecommerce # pending_days 30
    enrol ida 2026-03-01T09:00:00Z
    enrol jon 2026-03-01T09:00:00Z
    # 10000 in store: 500 + 100 first order, pending. 2 March 11:00 CET + 30 days is
    # 1 April 11:00 CEST, that is 09:00Z: the period counts local days across the DST change.
    order a1 2026-03-02T10:00:00Z ida A1 "[$(line LAMP home 1 10000)]"
    assert_json '.[0] | "\(.points) \(.pending)"' "600 true" "A1 is pending"
    order b1 2026-03-02T10:00:00Z jon B1 "[$(line SOFA home 1 20000)]" # 1000 + 100
    assert_eq "$(epoch 2026-04-01T09:00:00Z)" "$(sql "SELECT DISTINCT available_at FROM lots WHERE state = 'pending'")" \
        "pending lots become available 30 local days later"
    assert_eq "$(epoch 2026-04-01T09:00:00Z)" "$(sql "SELECT next_due_at FROM customers WHERE ref = 'ida'")" \
        "the customer is due then"
    local before
    before=$(snapshot)
    run_due 2026-04-01T08:59:59Z
    assert_eq "confirmed 0/0 expired 0/0 tiers 0 vouchers 0" "$(due_summary)" "one second early"
    assert_json .customers_processed 0 "nobody is due yet"
    assert_unchanged "$before" "nothing is due one second early"
    # an event of the member runs their due work first: not yet at 08:59:59 ...
    expect_exit 2 fidele --json redeem jon ten-off --at 2026-04-01T08:59:59Z
    assert_contains "$ERR" "the available balance is 100" "1100 still pending at 08:59:59"
    assert_unchanged "$before" "refused redemption writes nothing"
    # ... and at 09:00:00 the 1100 are confirmed before the redemption spends 1000
    expect_exit 0 fidele --json redeem jon ten-off --at 2026-04-01T09:00:00Z
    assert_json '.balance | "\(.available) \(.pending) \(.lifetime)"' "200 0 1200" \
        "due work ran before the redemption"
    run_due 2026-04-01T09:00:00Z
    assert_eq "confirmed 600/1 expired 0/0 tiers 0 vouchers 0" "$(due_summary)" "at the instant"
    assert_balance ida "700 0 700 100"
    assert_eq "earn points 100 0 - v1 enrolment=100
earn_pending points 0 600 A1 v1 base=500,first_order=100
earn cashback 100 0 A1 v1 cashback
confirm points 600 -600 A1 v1 pending_period" "$(ledger_table ida)" "ida's ledger (cashback is not pending)"
    expect_exit 0 fidele --json ledger ida
    assert_json '.entries[-1].at' 2026-04-01T09:00:00Z "the confirmation is dated when it fell due"
    run_due_again 2026-04-01T09:00:00Z
    # run late: the entry still carries the instant the points fell due
    order c1 2026-03-05T10:00:00Z ida C1 "[$(line LAMP home 1 2000)]" # 100, due 4 April 09:00Z
    run_due 2026-06-01T00:00:00Z
    assert_eq "confirmed 100/1 expired 0/0 tiers 0 vouchers 0" "$(due_summary)" "late run"
    expect_exit 0 fidele --json ledger ida
    assert_json '.entries[-1] | "\(.kind) \(.amount) \(.at)"' "confirm 100 2026-04-04T09:00:00Z" \
        "a late run dates the entry when it fell due"
    run_due_again 2026-06-01T00:00:00Z
}

# ---------------------------------------------------------------------------------------------
per_lot_expiry() {
    init_db bakery # 1 point per euro (nearest), lots expire 12 months after they were earned
    enrol mia 2026-01-05T09:00:00Z                                       # L0: 5, to 2027-01-05
    order o1 2026-01-10T09:00:00Z mia O1 "[$(line BAGUETTE bread 2 1000)]" # L1: 20, to 2027-01-10
    order o2 2026-03-10T09:00:00Z mia O2 "[$(line TART pastry 1 3050)]"    # L2: 30.5 -> 31, to 2027-03-10
    assert_json '.[0].points' 31 "30.5 rounds to 31"
    # version 2 keeps points for 3 months only: L3 earned later expires first
    fidele init --template bakery --print | jq '.expiry.months = 3' >short.json
    expect_exit 0 fidele --json program set short.json
    order o3 2026-04-10T08:00:00Z mia O3 "[$(line BAGUETTE bread 1 1000)]" # L3: 10, to 2026-07-10
    assert_eq "5|$(epoch 2027-01-05T09:00:00Z) 20|$(epoch 2027-01-10T09:00:00Z) 31|$(epoch 2027-03-10T09:00:00Z) 10|$(epoch 2026-07-10T08:00:00Z)" \
        "$(sql "SELECT group_concat(amount || '|' || expires_at, ' ') FROM (SELECT * FROM lots ORDER BY id)")" \
        "each lot expires 12 (then 3) months after it was earned, local time"
    # 60 points: L3 (soonest expiry) 10, L0 5, L1 20, then 25 of L2
    expect_exit 0 fidele --json redeem mia free-loaf --at 2026-05-01T08:00:00Z
    assert_json '.balance.available' 6 "66 - 60"
    assert_eq "4:10 1:5 2:20 3:25" "$(sql "SELECT group_concat(lot_id || ':' || amount, ' ') FROM
        (SELECT u.lot_id, u.amount FROM lot_uses u JOIN ledger l ON l.id = u.ledger_id
         WHERE l.kind = 'redeem' ORDER BY (SELECT expires_at FROM lots WHERE id = u.lot_id))")" \
        "the redemption consumed the lots soonest expiry first"
    assert_eq "0 0 6 0" "$(sql "SELECT group_concat(remaining, ' ') FROM (SELECT * FROM lots ORDER BY id)")" \
        "lots' remaining points"
    # L3 fell due in July with nothing left: nothing to expire
    run_due 2026-07-10T08:00:00Z
    assert_eq "confirmed 0/0 expired 0/0 tiers 0 vouchers 1" "$(due_summary)" \
        "an empty lot does not expire (the loaf voucher, 30 days, does)"
    run_due 2027-03-10T08:59:59Z
    assert_eq "confirmed 0/0 expired 0/0 tiers 0 vouchers 0" "$(due_summary)" "L2 one second early"
    run_due 2027-03-10T09:00:00Z
    assert_eq "confirmed 0/0 expired 6/1 tiers 0 vouchers 0" "$(due_summary)" "L2 expires"
    expect_exit 0 fidele --json ledger mia
    assert_json '.entries[-1] | "\(.kind) \(.amount) \(.at) \(.explanation[0].label)"' \
        "expire -6 2027-03-10T09:00:00Z Points expired" "the expiry entry"
    assert_eq "3:6" "$(sql "SELECT u.lot_id || ':' || u.amount FROM lot_uses u JOIN ledger l ON
        l.id = u.ledger_id WHERE l.kind = 'expire'")" "the expiry consumed L2's remainder"
    assert_balance mia "0 0 $((5 + 20 + 31 + 10)) 0"
    run_due_again 2027-03-10T09:00:00Z
}

# Lots earned under a rule that expired them by lot keep their dates when a later version expires
# balances after inactivity instead: run-due still expires them at those dates.
per_lot_dates_outlive_their_rule() {
    init_db bakery # lots expire 12 months after they were earned
    enrol mia 2026-01-05T09:00:00Z                                       # L0: 5, to 2027-01-05
    order o1 2026-01-10T09:00:00Z mia O1 "[$(line BAGUETTE bread 2 1000)]" # L1: 20, to 2027-01-10
    fidele init --template bakery --print | jq '.expiry = {"mode": "inactivity", "months": 24}' >idle.json
    expect_exit 0 fidele --json program set idle.json
    order o2 2026-02-10T09:00:00Z mia O2 "[$(line BAGUETTE bread 1 1000)]" # L2: 10, no date
    run_due 2027-01-05T08:59:59Z
    assert_eq "confirmed 0/0 expired 0/0 tiers 0 vouchers 0" "$(due_summary)" "one second early"
    run_due 2027-01-10T09:00:00Z
    assert_eq "confirmed 0/0 expired 25/2 tiers 0 vouchers 0" "$(due_summary)" \
        "the lots of the earlier rule expire at their dates"
    assert_balance mia "10 0 35 0"
    run_due_again 2027-01-10T09:00:00Z
}

# A redemption dated before lots expired, which reaches Fidele after run-due expired them (a till
# that syncs late), spends them as they stood at its date: each expiry gives back what it spends,
# dated at the expiry's instant, so the period's expired points are what truly expired.
late_redemption_spends_expired_points() {
    init_db bakery # 1 point per euro, lots expire 12 months after they were earned
    local who
    for who in mia ned; do
        enrol "$who" 2026-01-05T09:00:00Z                                                 # L0: 5, to 2027-01-05
        order "o1-$who" 2026-01-10T09:00:00Z "$who" "O1-$who" "[$(line BAGUETTE bread 2 1000)]" # L1: 20, to 2027-01-10
        order "o2-$who" 2026-06-10T09:00:00Z "$who" "O2-$who" "[$(line BAGUETTE bread 4 1000)]" # L2: 40, to 2027-06-10
    done
    run_due 2027-01-10T09:00:00Z
    assert_eq "confirmed 0/0 expired 50/4 tiers 0 vouchers 0" "$(due_summary)" "L0 and L1 expire"
    assert_balance mia "40 0 65 0"
    # mia's loaf (60 points) at the till on 4 January, while all 65 were valid: L0 5, L1 20, L2 35
    NOW=2027-01-11T09:00:00Z post '{"type":"redeem","key":"r-mia","at":"2027-01-04T12:00:00Z","customer":"mia","reward":"free-loaf"}'
    assert_json '.[0].balance.available' 5 "65 valid at the redemption's date less 60"
    assert_eq "earn points 5 0 - v1 enrolment=5
earn points 20 0 O1-mia v1 base=20
earn points 40 0 O2-mia v1 base=40
expire points -5 0 - v1 expiry
expire points -20 0 - v1 expiry
expire points 5 0 - v1 expiry
expire points 20 0 - v1 expiry
redeem points -60 0 - v1 reward" "$(ledger_table mia | grep ' points ')" "the expiries give back what the redemption spends"
    expect_exit 0 fidele --json ledger mia
    assert_json '[.entries[] | select(.kind == "expire" and .amount > 0) | "\(.at) \(.explanation[0].label)"]' \
        '["2027-01-05T09:00:00Z Expiry given back: an event dated before it came in late","2027-01-10T09:00:00Z Expiry given back: an event dated before it came in late"]' \
        "dated at the expiries they undo"
    assert_eq "1:0 2:0" "$(sql "SELECT group_concat(lot_id || ':' || s, ' ') FROM (SELECT u.lot_id,
        SUM(u.amount) AS s FROM lot_uses u JOIN ledger l ON l.id = u.ledger_id JOIN customers c ON
        c.id = l.customer_id WHERE l.kind = 'expire' AND c.ref = 'mia' GROUP BY u.lot_id ORDER BY u.lot_id)")" \
        "nothing of L0 and L1 expired in the end"
    expect_exit 0 fidele --json liability --from 2027-01-01 --to 2027-02-01
    assert_json .points.expired 25 "the period's expired points: ned's alone (so far)"
    # ned's, dated 6 January: L0 had expired by then and stays so; L1 (20) and L2 (40) pay
    NOW=2027-01-11T09:00:00Z post '{"type":"redeem","key":"r-ned","at":"2027-01-06T12:00:00Z","customer":"ned","reward":"free-loaf"}'
    assert_balance ned "0 0 65 0"
    assert_eq "expire points -5 0 - v1 expiry
expire points -20 0 - v1 expiry
expire points 20 0 - v1 expiry" "$(ledger_table ned | grep '^expire')" "only L1 given back"
    # one dated 6 January again: 40 of mia's L2 are left, L0 had expired
    NOW=2027-01-11T09:00:00Z post '{"type":"adjustment","key":"j-ned","at":"2027-01-06T13:00:00Z","customer":"ned","points":55,"reason":"Goodwill","author":"it"}'
    NOW=2027-01-11T09:00:00Z post_fails 2 '{"type":"redeem","key":"r-ned2","at":"2027-01-06T14:00:00Z","customer":"ned","reward":"free-loaf"}'
    assert_stderr_names /reward "55 points: refused"
    assert_balance ned "55 0 65 0"
    # replayed, nothing more is given back
    NOW=2027-01-11T09:00:00Z post '{"type":"redeem","key":"r-mia","at":"2027-01-04T12:00:00Z","customer":"mia","reward":"free-loaf"}'
    assert_json '.[0].status' replayed "the same redemption again"
    assert_balance mia "5 0 65 0"
    run_due 2027-06-10T09:00:00Z
    assert_eq "confirmed 0/0 expired 5/1 tiers 0 vouchers 2" "$(due_summary)" \
        "mia's L2 remainder expires at its date (and the loaves' vouchers at theirs)"
    run_due_again 2027-06-10T09:00:00Z
}

# An adjustment taking points away, dated before lots expired and posted after run-due expired
# them, takes what was valid at its date as a redemption does; points earned since do not count.
late_adjustment_spends_expired_points() {
    init_db bakery # 1 point per euro, lots expire 12 months after they were earned
    enrol ola 2026-01-05T09:00:00Z                                                 # L0: 5, to 2027-01-05
    order o1 2026-01-10T09:00:00Z ola O1 "[$(line BAGUETTE bread 2 1000)]"         # L1: 20, to 2027-01-10
    order o2 2026-06-10T09:00:00Z ola O2 "[$(line BAGUETTE bread 4 1000)]"         # L2: 40, to 2027-06-10
    run_due 2027-01-10T09:00:00Z
    assert_eq "confirmed 0/0 expired 25/2 tiers 0 vouchers 0" "$(due_summary)" "L0 and L1 expire"
    NOW=2027-01-10T10:00:00Z order o3 2027-01-10T10:00:00Z ola O3 "[$(line BAGUETTE bread 3 1000)]" # L3: 30, earned after
    # a correction of 50 dated 4 January, when L0, L1 and L2 were valid: 5, 20, then 25 of L2
    NOW=2027-01-11T09:00:00Z post '{"type":"adjustment","key":"j1","at":"2027-01-04T12:00:00Z","customer":"ola","points":-50,"reason":"Double scan","author":"it"}'
    assert_balance ola "45 0 95 0"
    assert_eq "expire points 5 0 - v1 expiry
expire points 20 0 - v1 expiry
adjust points -50 0 - v1 adjustment=-50" "$(ledger_table ola | tail -n 3)" "the expiries give back what it takes"
    assert_eq "1:5 2:20 3:25" "$(sql "SELECT group_concat(u.lot_id || ':' || u.amount, ' ') FROM lot_uses u
        JOIN ledger l ON l.id = u.ledger_id WHERE l.kind = 'adjust'")" "the lots valid on 4 January"
    # 20 dated 6 January: L0 had expired, L1 is spent, 15 of L2 are left; L3 came later
    local before
    before=$(snapshot)
    NOW=2027-01-11T09:00:00Z post_fails 2 '{"type":"adjustment","key":"j2","at":"2027-01-06T12:00:00Z","customer":"ola","points":-20,"reason":"Double scan","author":"it"}'
    assert_stderr_names /at "45 available today, 15 on 6 January"
    assert_contains "$ERR" "only 15 of those available" "the points it could take then"
    assert_unchanged "$before" "a refused adjustment writes nothing"
    # dated today, it takes today's lots
    NOW=2027-01-11T09:00:00Z post '{"type":"adjustment","key":"j3","customer":"ola","points":-45,"reason":"Double scan","author":"it"}'
    assert_balance ola "0 0 95 0"
    run_due_again 2027-01-11T09:00:00Z
}

# An order dated before a balance's deadline for inactivity, which reaches Fidele after run-due
# expired that balance, was activity in time: the expiry is given back, and the balance's
# deadline counts from the order.
late_order_undoes_inactivity_expiry() {
    init_db cafe # the whole balance expires after 12 months without activity
    local who
    for who in noa qui; do
        enrol "$who" 2026-01-05T09:00:00Z                                               # 20
        order "o1-$who" 2026-02-03T09:00:00Z "$who" "O1-$who" "[$(line CROISSANT pastry 5 200)]" # 100 + 20
    done
    run_due 2027-02-03T09:00:00Z
    assert_eq "confirmed 0/0 expired 280/4 tiers 0 vouchers 0" "$(due_summary)" "both balances expire"
    # noa bought on 20 January 2027, synced on 5 February
    NOW=2027-02-05T09:00:00Z order o2-noa 2027-01-20T09:00:00Z noa O2-noa "[$(line CROISSANT pastry 1 300)]" # 30
    assert_json '.[0].balance.available' 170 "140 given back, 30 earned"
    assert_eq "expire points 20 0 - v1 expiry
expire points 120 0 - v1 expiry" "$(ledger_table noa | grep '^expire points [0-9]')" "the two lots given back"
    assert_eq "$(epoch 2027-02-03T09:00:00Z)" "$(sql "SELECT DISTINCT at FROM ledger WHERE kind = 'expire' AND amount > 0")" \
        "dated at the deadline they undo"
    assert_eq "$(epoch 2028-01-20T09:00:00Z)" "$(sql "SELECT next_due_at FROM customers WHERE ref = 'noa'")" \
        "the balance is due 12 months after the late order"
    # qui's order is dated before her last activity: the deadline it gives passed already
    NOW=2027-02-05T09:00:00Z order o2-qui 2026-01-20T09:00:00Z qui O2-qui "[$(line CROISSANT pastry 1 300)]" # 30
    assert_balance qui "30 0 170 0"
    run_due 2027-02-05T09:00:00Z
    assert_eq "confirmed 0/0 expired 30/1 tiers 0 vouchers 0" "$(due_summary)" \
        "qui's new points expire: their deadline (January 2027) is past"
    run_due 2028-01-20T09:00:00Z
    assert_eq "confirmed 0/0 expired 170/3 tiers 0 vouchers 0" "$(due_summary)" "noa's, 12 months after it"
    run_due_again 2028-01-20T09:00:00Z

    # points pending at the deadline, doomed to expire when confirmed, are no longer doomed
    write p.json '{"earning": {"points": 1, "per_minor": 100}, "pending_days": 40,
        "enrolment": {"bonus_points": 20}, "expiry": {"mode": "inactivity", "months": 1}}'
    init_db p.json
    NOW=2026-02-01T09:00:00Z enrol bo 2026-02-01T09:00:00Z
    NOW=2026-02-02T09:00:00Z order b1 2026-02-02T09:00:00Z bo B1 "[$(line X x 1 10000)]" # 100 until 14 March
    run_due 2026-03-03T00:00:00Z
    assert_eq "confirmed 0/0 expired 20/1 tiers 0 vouchers 0" "$(due_summary)" "the bonus expires on 2 March"
    assert_eq "$(epoch 2026-03-02T09:00:00Z)" "$(sql "SELECT expires_at FROM lots WHERE state = 'pending'")" \
        "B1's pending points are doomed"
    NOW=2026-03-04T00:00:00Z order b2 2026-03-01T09:00:00Z bo B2 "[$(line X x 1 5000)]" # 50 until 10 April
    assert_balance bo "20 150 20 0"
    assert_eq "2 0" "$(sql "SELECT COUNT(*) || ' ' || COUNT(expires_at) FROM lots WHERE state = 'pending'")" \
        "no pending lot is doomed any more"
    run_due 2026-03-15T00:00:00Z
    assert_eq "confirmed 100/1 expired 0/0 tiers 0 vouchers 0" "$(due_summary)" "B1 confirms and stays"
    run_due 2026-04-02T00:00:00Z
    assert_eq "confirmed 0/0 expired 120/2 tiers 0 vouchers 0" "$(due_summary)" \
        "a month after B2, as when posted in time"
    run_due_again 2026-04-02T00:00:00Z
}

# A late activity followed by none for the programme's months: the balance as it stood at that
# deadline expires then, the late points with it, though the activity recorded since had moved the
# member's deadline past it; as when the events come in time.
late_activity_before_a_gap() {
    write p.json '{"earning": {"points": 1, "per_minor": 1}, "enrolment": {"bonus_points": 0},
        "rewards": [{"id": "r10", "kind": "fixed_discount", "value_minor": 10, "cost_points": 10,
                     "valid_days": 10}],
        "expiry": {"mode": "inactivity", "months": 1}}'
    NOW=2024-12-01T00:00:00Z init_db p.json --timezone Europe/Paris
    local who
    for who in ada bea cyd dot eve; do NOW=2025-01-01T00:00:00Z enrol "$who" 2025-01-01T00:00:00Z; done
    # ada: 500 on 10 January expired on 10 February; the late order of 20 January gives them back,
    # and nothing follows it before 20 March: 550 expire on 20 February
    NOW=2025-01-10T09:00:00Z order a1 2025-01-10T09:00:00Z ada A1 "[$(line X "" 1 500)]"
    NOW=2025-03-20T09:00:00Z order a2 2025-03-20T09:00:00Z ada A2 "[$(line X "" 1 100)]"
    NOW=2025-03-25T09:00:00Z order a3 2025-01-20T09:00:00Z ada A3 "[$(line X "" 1 50)]"
    assert_balance ada "100 0 650 0" "ada: only the order of 20 March is left"
    assert_eq "$(epoch 2025-02-20T09:00:00Z) -550" \
        "$(sql "SELECT l.at || ' ' || SUM(l.amount) FROM ledger l JOIN customers c ON c.id = l.customer_id
                WHERE c.ref = 'ada' AND l.kind = 'expire' AND l.amount < 0 AND l.at > $(epoch 2025-02-10T09:00:00Z)")" \
        "ada: the whole balance of 20 February, dated then"
    # bea: nothing had expired (no balance on 1 February); the late order's own points lapse
    NOW=2025-03-20T09:00:00Z order b2 2025-03-20T09:00:00Z bea B2 "[$(line X "" 1 100)]"
    NOW=2025-03-25T09:00:00Z order b3 2025-01-20T09:00:00Z bea B3 "[$(line X "" 1 50)]"
    assert_balance bea "100 0 150 0" "bea: the late order's points lapse on 20 February"
    # cyd: a redemption on 25 January moved the deadline to 25 February, which expired 490: the
    # late order's points were in that balance too
    NOW=2025-01-10T09:00:00Z order c1 2025-01-10T09:00:00Z cyd C1 "[$(line X "" 1 500)]"
    NOW=2025-01-25T09:00:00Z expect_exit 0 fidele redeem cyd r10 --key c-r
    NOW=2025-03-20T09:00:00Z order c2 2025-03-20T09:00:00Z cyd C2 "[$(line X "" 1 100)]"
    NOW=2025-03-25T09:00:00Z order c3 2025-01-20T09:00:00Z cyd C3 "[$(line X "" 1 50)]"
    assert_balance cyd "100 0 650 0" "cyd: the late points lapse with the balance of 25 February"
    # dot: a late redemption, then nothing for a month: what it left lapses a month after it
    NOW=2025-01-10T09:00:00Z order d1 2025-01-10T09:00:00Z dot D1 "[$(line X "" 1 500)]"
    NOW=2025-03-20T09:00:00Z order d2 2025-03-20T09:00:00Z dot D2 "[$(line X "" 1 100)]"
    NOW=2025-03-25T09:00:00Z expect_exit 0 fidele redeem dot r10 --key d-r --at 2025-01-20T09:00:00Z
    assert_balance dot "100 0 600 0" "dot: 490 lapse on 20 February"
    # eve: the order after the late one comes within the month: nothing lapses before 15 March
    NOW=2025-01-10T09:00:00Z order e1 2025-01-10T09:00:00Z eve E1 "[$(line X "" 1 500)]"
    NOW=2025-02-15T09:00:00Z order e2 2025-02-15T09:00:00Z eve E2 "[$(line X "" 1 100)]"
    NOW=2025-03-01T09:00:00Z order e3 2025-01-20T09:00:00Z eve E3 "[$(line X "" 1 50)]"
    assert_balance eve "650 0 650 0" "eve: the late order gives back the expiry of 10 February"
    run_due 2025-03-25T09:00:00Z
    assert_eq "confirmed 0/0 expired 650/3 tiers 0 vouchers 2" "$(due_summary)" \
        "eve's whole balance on 15 March (the others had lapsed already) and two vouchers"
    run_due 2025-03-25T09:00:00Z
    assert_eq "confirmed 0/0 expired 0/0 tiers 0 vouchers 0" "$(due_summary)" "a second run"
}

# expiries_by_instant MEMBER: "EPOCH AMOUNT,..." of the member's expiries summed by instant, in
# time order, leaving out instants where what expired was all given back.
expiries_by_instant() {
    sql "SELECT group_concat(at || ' ' || amount) FROM (SELECT l.at, SUM(l.amount) AS amount
         FROM ledger l JOIN customers c ON c.id = l.customer_id WHERE c.ref = '$1' AND
         l.kind = 'expire' GROUP BY l.at HAVING SUM(l.amount) != 0 ORDER BY l.at)"
}

# Late orders whose points were pending when a balance lapsed: they were doomed by that deadline
# and expire once confirmed, or at the deadline when confirmed before it (they were then in the
# balance), also after a later late order gave their expiry back and found a gap of its own.
late_pending_points_before_a_gap() {
    write p.json '{"earning": {"points": 1, "per_minor": 100}, "pending_days": 5,
        "rewards": [{"id": "big", "kind": "fixed_discount", "value_minor": 600, "cost_points": 60}],
        "expiry": {"mode": "inactivity", "months": 1}}'
    NOW=2026-01-01T00:00:00Z init_db p.json --timezone UTC
    local who
    for who in fay gil; do NOW=2026-01-01T00:00:00Z enrol "$who" 2026-01-01T00:00:00Z; done
    # fay: 23 of 26 January (confirmed 31 January) lapse on 26 February, before the order of 6
    # March: a redemption of 20 March finds 48, not 71
    NOW=2026-03-21T00:00:00Z order f2 2026-03-06T00:00:00Z fay F2 "[$(line A "" 1 4800)]"
    NOW=2026-03-21T00:00:00Z order f1 2026-01-26T00:00:00Z fay F1 "[$(line A "" 1 2300)]"
    NOW=2026-03-21T00:00:00Z expect_exit 2 fidele redeem fay big --key f-r --at 2026-03-20T00:00:00Z
    assert_contains "$ERR" "the available balance is 48" "fay: the 23 lapsed on 26 February"
    run_due 2026-12-01T00:00:00Z
    assert_eq "$(epoch 2026-02-26T00:00:00Z) -23,$(epoch 2026-04-06T00:00:00Z) -48" \
        "$(expiries_by_instant fay)" \
        "fay: 23 on 26 February, 48 a month after 6 March"
    # gil, with 40 days pending: 48 of 4 January (pending to 13 February) are doomed by the
    # deadline of 4 February, found by the adjustment of 22 February, and expire as confirmed;
    # the order of 7 January gives that expiry back and lapses on 7 February, the 48 still
    # pending then: they expire as confirmed again, with the 8 of 7 January
    write p40.json '{"earning": {"points": 1, "per_minor": 100}, "pending_days": 40,
        "expiry": {"mode": "inactivity", "months": 1}}'
    NOW=2026-01-01T00:00:00Z init_db p40.json --timezone UTC
    NOW=2026-01-01T00:00:00Z enrol gil 2026-01-01T00:00:00Z
    NOW=2026-03-21T00:00:00Z post '{"type":"adjustment","key":"g3","customer":"gil","points":4,"reason":"x","author":"y","at":"2026-02-22T00:00:00Z"}'
    NOW=2026-03-21T00:00:00Z order g0 2026-01-04T00:00:00Z gil G0 "[$(line A "" 1 4800)]"
    run_due 2026-03-21T00:00:00Z
    NOW=2026-03-21T00:00:00Z order g1 2026-01-07T00:00:00Z gil G1 "[$(line A "" 1 800)]"
    run_due 2026-12-01T00:00:00Z
    assert_eq "$(epoch 2026-02-13T00:00:00Z) -48,$(epoch 2026-02-16T00:00:00Z) -8,$(epoch 2026-03-22T00:00:00Z) -4" \
        "$(expiries_by_instant gil)" \
        "gil: the 48 and the 8, pending on 7 February, expire as confirmed; the 4 a month after"
}

# A lapse already recorded, then a late event that adds points (so the balance is not empty),
# then activity before that lapse's deadline: the lapse is given back all the same.
late_activity_after_late_points() {
    write p.json '{"earning": {"points": 1, "per_minor": 100},
        "expiry": {"mode": "inactivity", "months": 2}}'
    NOW=2026-01-01T00:00:00Z init_db p.json --timezone UTC
    NOW=2026-01-01T00:00:00Z enrol hal 2026-01-01T00:00:00Z
    NOW=2026-12-01T00:00:00Z post '{"type":"adjustment","key":"h7","customer":"hal","points":30,"reason":"x","author":"y","at":"2026-04-01T10:00:00Z"}'
    run_due 2026-12-01T00:00:00Z
    NOW=2026-12-01T00:00:00Z post '{"type":"adjustment","key":"h2","customer":"hal","points":21,"reason":"x","author":"y","at":"2026-02-03T10:00:00Z"}'
    NOW=2026-12-01T00:00:00Z order h8 2026-04-02T10:00:00Z hal H8 "[$(line A "" 1 3000)]"
    run_due 2026-12-01T00:00:00Z
    assert_eq "$(epoch 2026-06-02T10:00:00Z) -81" \
        "$(expiries_by_instant hal)" \
        "hal: the lapse of 1 June given back, 81 lapse two months after the order of 2 April"
}

# Points pending when a lapse found late by run-due took the balance: confirmed after that lapse,
# they expire as confirmed, and activity dated later than the lapse (but before the member's
# newest) does not give them back, as in time order (they were pending at the deadline).
late_points_pending_at_a_lapse_found_late() {
    write p.json '{"earning": {"points": 1, "per_minor": 100}, "pending_days": 40,
        "expiry": {"mode": "inactivity", "months": 1}}'
    NOW=2026-01-01T00:00:00Z init_db p.json --timezone UTC
    NOW=2026-01-01T00:00:00Z enrol ivo 2026-01-01T00:00:00Z
    NOW=2026-12-01T00:00:00Z order i1 2026-03-12T10:00:00Z ivo I1 "[$(line A "" 1 2200)]" # 22 till 21 April
    run_due 2026-12-01T00:00:00Z # the lapse of 12 April: the 22 expire on 21 April
    NOW=2026-12-01T00:00:00Z order i3 2026-05-19T10:00:00Z ivo I3 "[$(line A "" 1 3900)]" # 39 till 28 June
    run_due 2026-12-01T00:00:00Z
    NOW=2026-12-01T00:00:00Z post '{"type":"adjustment","key":"i2","customer":"ivo","points":24,"reason":"x","author":"y","at":"2026-04-19T10:00:00Z"}'
    run_due 2026-12-01T00:00:00Z
    assert_eq "$(epoch 2026-04-21T10:00:00Z) -22,$(epoch 2026-06-19T10:00:00Z) -24,$(epoch 2026-06-28T10:00:00Z) -39" \
        "$(expiries_by_instant ivo)" \
        "ivo: the 22 pending at the lapse of 12 April stay expired; 24 lapse on 19 June, the 39 as confirmed"
    assert_balance ivo "0 0 61 0"
}

# What a late event gives back, and what it does not: a late redemption under inactivity sets the
# next deadline from itself; no lot of an order refunded since, nothing to a member in debt; a
# lot doomed while pending gets its own date back under a programme that once dated lots.
late_events_at_the_edges() {
    init_db cafe # inactivity, 12 months; a pastry costs 200 points
    enrol raf 2026-01-05T09:00:00Z                                               # 20
    order o1 2026-02-03T09:00:00Z raf R1 "[$(line CROISSANT pastry 15 200)]" # 300 + 20
    run_due 2027-02-10T00:00:00Z
    assert_eq "confirmed 0/0 expired 340/2 tiers 0 vouchers 0" "$(due_summary)" "raf's balance expires"
    NOW=2027-02-10T00:00:00Z post '{"type":"redeem","key":"r1","at":"2027-01-20T09:00:00Z","customer":"raf","reward":"pastry"}'
    assert_balance raf "140 0 340 0"
    assert_eq "$(epoch 2028-01-20T09:00:00Z)" "$(sql "SELECT next_due_at FROM customers WHERE ref = 'raf'")" \
        "the balance left is due 12 months after the late redemption"
    run_due 2028-01-20T09:00:00Z
    assert_eq "confirmed 0/0 expired 140/1 tiers 0 vouchers 1" "$(due_summary)" \
        "and expires then (the pastry's voucher lapsed before)"
    run_due_again 2028-01-20T09:00:00Z

    # an order refunded after its points expired: the refund took nothing back, so its expired
    # points are not spent by a redemption dated before the expiry
    init_db bakery # per lot, 12 months; a loaf costs 60 points
    enrol ola 2026-01-05T09:00:00Z                                                 # 5
    order o1 2026-01-10T09:00:00Z ola A "[$(line BAGUETTE bread 10 1000)]"     # 100
    order o2 2026-06-10T09:00:00Z ola C "[$(line BAGUETTE bread 3 1000)]"      # 30
    run_due 2027-04-01T00:00:00Z
    NOW=2027-04-01T09:00:00Z post "$(refund_json f1 2027-04-01T09:00:00Z A '"amount_minor":10000')"
    assert_balance ola "30 0 135 0"
    local before
    before=$(sql "SELECT COUNT(*) FROM ledger")
    NOW=2027-04-02T09:00:00Z post_fails 2 '{"type":"redeem","key":"r1","at":"2027-01-07T09:00:00Z","customer":"ola","reward":"free-loaf"}'
    assert_stderr_names /reward "refused: the refunded order's points stay expired"
    assert_eq "$before" "$(sql "SELECT COUNT(*) FROM ledger")" "nothing written"

    # a member in debt gets nothing back (the points would repay the debt first)
    write p.json '{"earning": {"points": 1, "per_minor": 100}, "enrolment": {"bonus_points": 20},
        "refunds": {"allow_negative_balance": true}, "expiry": {"mode": "inactivity", "months": 12},
        "rewards": [{"id": "pastry", "name": "Pastry", "kind": "free_product", "sku": "P", "cost_points": 200}]}'
    NOW=2025-01-01T00:00:00Z init_db p.json
    NOW=2025-01-05T09:00:00Z enrol mia 2025-01-05T09:00:00Z                                 # 20
    NOW=2025-02-01T09:00:00Z order a 2025-02-01T09:00:00Z mia A "[$(line X x 1 32000)]" # 320
    NOW=2025-03-01T09:00:00Z post '{"type":"redeem","key":"r0","at":"2025-03-01T09:00:00Z","customer":"mia","reward":"pastry"}'
    run_due 2026-03-20T00:00:00Z # 140 expire on 1 March 2026
    NOW=2026-04-01T09:00:00Z post "$(refund_json f1 2026-04-01T09:00:00Z A '"amount_minor":32000')"
    assert_balance mia "-180 0 160 0"
    NOW=2026-04-02T09:00:00Z order b 2026-02-01T09:00:00Z mia B "[$(line X x 1 10000)]" # 100
    assert_balance mia "-80 0 260 0"

    # a programme that dated lots, then expired balances: a lot doomed while pending gets back
    # the date it was earned with, none when earned under the inactivity rule
    init_db bakery
    write idle.json '{"earning": {"points": 1, "per_minor": 100}, "pending_days": 40,
        "enrolment": {"bonus_points": 20}, "expiry": {"mode": "inactivity", "months": 1}}'
    NOW=2026-01-01T00:00:01Z expect_exit 0 fidele --json program set idle.json
    NOW=2026-02-01T09:00:00Z enrol bo 2026-02-01T09:00:00Z                               # 20
    NOW=2026-02-02T09:00:00Z order b1 2026-02-02T09:00:00Z bo B1 "[$(line X x 1 10000)]" # 100 pending
    run_due 2026-03-06T00:00:00Z
    assert_eq "confirmed 0/0 expired 20/1 tiers 0 vouchers 0" "$(due_summary)" "the bonus expires on 2 March"
    NOW=2026-03-06T00:00:00Z post '{"type":"adjustment","key":"j1","at":"2026-03-01T09:00:00Z","customer":"bo","points":5,"reason":"Goodwill","author":"it"}'
    assert_eq "1 0" "$(sql "SELECT COUNT(*) || ' ' || COUNT(expires_at) FROM lots WHERE state = 'pending'")" \
        "B1 is no longer doomed"
    run_due 2026-03-20T00:00:00Z
    assert_balance bo "125 0 120 0"
    run_due_again 2026-03-20T00:00:00Z

    # an expiry made under an earlier rule stands, whatever activity comes in late; an order
    # imported as history earns nothing and gives nothing back
    init_db cafe
    NOW=2026-01-05T09:00:00Z enrol kai 2026-01-05T09:00:00Z                                # 20
    NOW=2026-02-03T09:00:00Z order o1 2026-02-03T09:00:00Z kai K1 "[$(line X x 1 3000)]" # 320
    NOW=2026-02-03T09:00:00Z enrol lea 2026-02-03T09:00:00Z                               # 20
    run_due 2027-03-01T00:00:00Z
    assert_eq "confirmed 0/0 expired 360/3 tiers 0 vouchers 0" "$(due_summary)" "both balances expire"
    write h.csv "customer,order_id,date,amount
lea,H1,2026-12-01,12.00"
    NOW=2027-03-02T00:00:00Z expect_exit 0 fidele import orders h.csv
    assert_balance lea "0 0 20 0"
    fidele init --template cafe --print | jq '.expiry.months = 24' >long.json
    NOW=2027-03-05T00:00:00Z expect_exit 0 fidele --json program set long.json
    NOW=2027-03-06T00:00:00Z order o2 2027-01-20T09:00:00Z kai K2 "[$(line X x 1 1000)]" # 100
    assert_balance kai "100 0 440 0"
    assert_eq 0 "$(sql "SELECT COUNT(*) FROM ledger WHERE kind = 'expire' AND amount > 0")" "nothing given back"

    # lots dated by an earlier rule expire with the balance when its deadline comes first
    init_db bakery # per lot, 12 months
    NOW=2026-01-05T09:00:00Z enrol ivy 2026-01-05T09:00:00Z                                       # 5
    NOW=2026-01-10T09:00:00Z order o1 2026-01-10T09:00:00Z ivy I1 "[$(line BAGUETTE bread 10 1000)]" # 100
    fidele init --template bakery --print | jq '.expiry = {"mode": "inactivity", "months": 3}' >idle.json
    NOW=2026-01-11T00:00:00Z expect_exit 0 fidele --json program set idle.json
    run_due 2027-02-01T00:00:00Z
    assert_eq "confirmed 0/0 expired 105/2 tiers 0 vouchers 0" "$(due_summary)" "both lots expire"
    assert_eq "$(epoch 2026-04-10T08:00:00Z)" "$(sql "SELECT DISTINCT at FROM ledger WHERE kind = 'expire'")" \
        "at the balance's deadline (10:00 in Paris), before their own dates in January 2027"
    run_due_again 2027-02-01T00:00:00Z
}

# ---------------------------------------------------------------------------------------------
inactivity_expiry() {
    init_db cafe # the whole balance expires after 12 months without activity
    local who
    for who in noa oli qui; do
        enrol "$who" 2026-01-05T09:00:00Z                                               # 20
        order "o1-$who" 2026-02-03T09:00:00Z "$who" "O1-$who" "[$(line CROISSANT pastry 5 200)]" # 100 + 20
    done
    order o2-oli 2026-12-01T09:00:00Z oli O2-oli "[$(line CROISSANT pastry 5 100)]" # 50
    # 12 months after the enrolment nothing expires: the orders were activity
    run_due 2027-01-05T09:00:00Z
    assert_eq "confirmed 0/0 expired 0/0 tiers 0 vouchers 0" "$(due_summary)" "12 months after enrolment"
    run_due 2027-02-03T08:59:59Z
    assert_eq "confirmed 0/0 expired 0/0 tiers 0 vouchers 0" "$(due_summary)" "one second early"
    run_due 2027-02-03T09:00:00Z
    # noa and qui: 140 each, in two lots (welcome bonus, O1); oli was active in December
    assert_eq "confirmed 0/0 expired 280/4 tiers 0 vouchers 0" "$(due_summary)" "noa and qui expire"
    assert_balance noa "0 0 140 0"
    assert_balance oli "190 0 190 0"
    expect_exit 0 fidele --json ledger noa
    assert_json '[.entries[] | select(.kind == "expire") | "\(.amount) \(.at) \(.explanation[0].label)"]' \
        '["-20 2027-02-03T09:00:00Z No activity: balance expired","-120 2027-02-03T09:00:00Z No activity: balance expired"]' \
        "expiry entries dated at the deadline"
    run_due_again 2027-02-03T09:00:00Z
    run_due 2027-12-01T09:00:00Z
    assert_eq "confirmed 0/0 expired 190/3 tiers 0 vouchers 0" "$(due_summary)" "oli, a year after December"
    run_due_again 2027-12-01T09:00:00Z
}

inactivity_before_event() {
    init_db cafe
    enrol rex 2026-01-05T09:00:00Z
    order o1 2026-02-03T09:00:00Z rex O1 "[$(line CROISSANT pastry 5 200)]" # 140 in all
    # no run-due: the next order, after the deadline, first expires the old balance
    NOW=2027-03-02T09:00:00Z order o2 2027-03-02T09:00:00Z rex O2 "[$(line CROISSANT pastry 1 300)]" # 30
    assert_json '.[0].balance | "\(.available) \(.lifetime)"' "30 170" \
        "the old balance expired before the new order earned"
    assert_eq "earn points 20 0 - v1 enrolment=20
earn points 120 0 O1 v1 base=100,first_order=20
expire points -20 0 - v1 expiry
expire points -120 0 - v1 expiry
earn points 30 0 O2 v1 base=30" "$(ledger_table rex)" "rex's ledger"
    assert_eq "$(epoch 2027-02-03T09:00:00Z)" "$(sql "SELECT DISTINCT at FROM ledger WHERE kind = 'expire'")" \
        "dated at the deadline, not at the order"
    run_due 2027-03-02T09:00:00Z
    run_due_again 2027-03-02T09:00:00Z
}

# ---------------------------------------------------------------------------------------------
inactivity_after_adjustment() {
    init_db cafe
    enrol sue 2026-01-05T09:00:00Z # 20
    run_due 2027-01-05T09:00:00Z
    assert_eq "confirmed 0/0 expired 20/1 tiers 0 vouchers 0" "$(due_summary)" "the welcome bonus expires"
    # the balance is empty, nothing is due; points given by hand must still expire one day
    NOW=2027-02-01T09:00:00Z post '{"type":"adjustment","key":"gift","at":"2027-02-01T09:00:00Z","customer":"sue","points":300,"reason":"Goodwill","author":"it"}'
    assert_eq "$(epoch 2028-02-01T09:00:00Z)" "$(sql "SELECT next_due_at FROM customers")" \
        "the adjustment is activity: the balance is due 12 months later"
    run_due 2028-02-01T08:59:59Z
    assert_eq "confirmed 0/0 expired 0/0 tiers 0 vouchers 0" "$(due_summary)" "not yet"
    run_due 2028-03-01T00:00:00Z
    assert_eq "confirmed 0/0 expired 300/1 tiers 0 vouchers 0" "$(due_summary)" \
        "points credited by an adjustment expire after 12 months without activity"
    expect_exit 0 fidele --json ledger sue
    assert_json '.entries[-1] | "\(.kind) \(.amount) \(.at)"' "expire -300 2028-02-01T09:00:00Z" \
        "dated at the deadline"
    run_due_again 2028-03-01T00:00:00Z
}

# Points still pending at an expiry instant were not in the balance then: when they are confirmed
# after it, they expire at their confirmation, never dated before it (the liability of the month
# between would show a negative available balance).
pending_past_expiry() {
    local mode
    for mode in inactivity per_lot; do
        write p.json "{\"earning\": {\"points\": 1, \"per_minor\": 100}, \"pending_days\": 60,
            \"expiry\": {\"mode\": \"$mode\", \"months\": 1}}"
        init_db p.json
        enrol ann 2026-01-05T09:00:00Z
        order o1 2026-01-06T09:00:00Z ann O1 "[$(line X x 1 10000)]" # 100 pending until 7 March
        run_due 2026-02-07T00:00:00Z
        assert_eq "confirmed 0/0 expired 0/0 tiers 0 vouchers 0" "$(due_summary)" \
            "$mode: nothing available to expire in February"
        run_due 2026-03-08T00:00:00Z
        assert_eq "confirmed 100/1 expired 100/1 tiers 0 vouchers 0" "$(due_summary)" \
            "$mode: confirmed, then expired"
        expect_exit 0 fidele --json ledger ann
        assert_json '[.entries[] | "\(.kind) \(.amount) \(.at)"] | join(", ")' \
            "earn_pending 0 2026-01-06T09:00:00Z, confirm 100 2026-03-07T09:00:00Z, expire -100 2026-03-07T09:00:00Z" \
            "$mode: the expiry is dated at the confirmation, not before it"
        expect_exit 0 fidele --json liability --from 2026-02-01 --to 2026-03-01
        assert_json '.closing_split | "\(.available) \(.pending)"' "0 100" \
            "$mode: at the end of February the points are pending, none available"
        run_due_again 2026-03-08T00:00:00Z
    done

    # the balance expires after a month without activity (2 March) while an order's points are
    # pending: they were not in it then and expire when confirmed, although bo comes back on
    # 5 March, before they are; his new order's points, pending after the expiry, follow the
    # deadline his activity sets (a third order on 1 April keeps them)
    write p.json '{"earning": {"points": 1, "per_minor": 100}, "pending_days": 40,
        "enrolment": {"bonus_points": 20}, "expiry": {"mode": "inactivity", "months": 1}}'
    init_db p.json
    NOW=2026-06-01T00:00:00Z enrol bo 2026-02-01T09:00:00Z
    NOW=2026-06-01T00:00:00Z order b1 2026-02-02T09:00:00Z bo B1 "[$(line X x 1 10000)]"
    NOW=2026-06-01T00:00:00Z order b2 2026-03-05T09:00:00Z bo B2 "[$(line X x 1 5000)]"
    run_due 2026-03-20T00:00:00Z
    assert_eq "confirmed 100/1 expired 100/1 tiers 0 vouchers 0" "$(due_summary)" \
        "the points pending at the expiry expire when confirmed"
    expect_exit 0 fidele --json ledger bo
    assert_json '[.entries[] | "\(.kind) \(.amount) \(.at)"] | join(", ")' \
        "earn 20 2026-02-01T09:00:00Z, earn_pending 0 2026-02-02T09:00:00Z, expire -20 2026-03-02T09:00:00Z, earn_pending 0 2026-03-05T09:00:00Z, confirm 100 2026-03-14T09:00:00Z, expire -100 2026-03-14T09:00:00Z" \
        "the balance at the expiry, the pending points at their confirmation"
    NOW=2026-06-01T00:00:00Z order b3 2026-04-01T09:00:00Z bo B3 "[$(line X x 1 1000)]"
    run_due 2026-04-15T00:00:00Z
    assert_eq "confirmed 50/1 expired 0/0 tiers 0 vouchers 0" "$(due_summary)" \
        "the points of the order after the expiry are kept"
    run_due_again 2026-04-15T00:00:00Z

    # the same without the welcome bonus: nothing available at the deadline, only points
    # pending; they are doomed all the same (they were kept when no point was available)
    write p.json '{"earning": {"points": 1, "per_minor": 100}, "pending_days": 40,
        "expiry": {"mode": "inactivity", "months": 1}}'
    init_db p.json
    NOW=2026-06-01T00:00:00Z enrol cy 2026-02-01T09:00:00Z
    NOW=2026-06-01T00:00:00Z order c1 2026-02-02T09:00:00Z cy C1 "[$(line X x 1 10000)]"
    NOW=2026-06-01T00:00:00Z order c2 2026-03-05T09:00:00Z cy C2 "[$(line X x 1 5000)]"
    run_due 2026-03-20T00:00:00Z
    assert_eq "confirmed 100/1 expired 100/1 tiers 0 vouchers 0" "$(due_summary)" \
        "pending alone at the expiry: expired when confirmed"
    run_due_again 2026-03-20T00:00:00Z
}

# ---------------------------------------------------------------------------------------------
voucher_expiry() {
    init_db cafe
    enrol rae 2026-03-02T09:00:00Z
    order o1 2026-03-03T09:00:00Z rae O1 "[$(line CROISSANT pastry 10 700)]" # 700 + 20 (+20 welcome)
    local codes=() i
    for i in 1 2 3; do
        expect_exit 0 fidele --json redeem rae pastry --at 2026-03-10T09:00:00Z
        codes+=("$(jout '.vouchers[0].code')")
    done
    assert_json '.balance.available' 140 "three pastries for 600 of 740 points"
    # 30 days from 10 March 10:00 CET: 9 April 10:00 CEST, 08:00Z
    NOW=2026-03-10T10:00:00Z expect_exit 0 fidele --json voucher show "${codes[0]}"
    check_json "voucher" '"\(.state) \(.reward) \(.source)"' "issued pastry redeem" \
        .issued_at 2026-03-10T09:00:00Z .valid_until 2026-04-09T08:00:00Z
    run_due 2026-04-09T07:59:59Z
    assert_eq "confirmed 0/0 expired 0/0 tiers 0 vouchers 0" "$(due_summary)" "one second early"
    expect_exit 0 fidele --json voucher use "${codes[0]}" --at 2026-04-09T07:59:59Z --order T1
    assert_json .code "${codes[0]}" "the last second of validity"
    local before
    before=$(snapshot)
    expect_exit 2 fidele --json voucher use "${codes[2]}" --at 2026-04-09T08:00:00Z
    assert_contains "$ERR" "expired on 2026-04-09 10:00:00+02:00" "at valid_until the voucher is expired"
    assert_unchanged "$before" "an expired voucher is not used"
    run_due 2026-04-09T08:00:00Z
    assert_eq "confirmed 0/0 expired 0/0 tiers 0 vouchers 2" "$(due_summary)" "two vouchers lapse"
    assert_eq "${codes[0]}|used ${codes[1]}|expired ${codes[2]}|expired" \
        "$(for i in 0 1 2; do sql "SELECT code || '|' || state FROM vouchers WHERE code = '${codes[$i]}'"; done | paste -sd' ')" \
        "voucher states"
    before=$(snapshot)
    expect_exit 2 fidele --json voucher use "${codes[1]}" --at 2026-04-10T08:00:00Z
    assert_stderr_names "/code"
    assert_unchanged "$before" "an expired voucher stays expired"
    # a use recorded late, dated while the voucher was valid, stands whether or not the
    # scheduled work has marked it expired since
    expect_exit 0 fidele --json voucher use "${codes[1]}" --at 2026-04-08T12:00:00Z --order T2
    assert_eq "used|$(epoch 2026-04-08T12:00:00Z)" \
        "$(sql "SELECT state || '|' || used_at FROM vouchers WHERE code = '${codes[1]}'")" \
        "used before it lapsed"
    run_due_again 2026-04-09T08:00:00Z
}

# ---------------------------------------------------------------------------------------------
# Orders dated before the last tier change: the history stays in time order, each change from
# the tier the one before left, and segments at a date read the tier held then.
tier_history_with_backdated_orders() {
    NOW=2025-01-01T00:00:00Z init_db ecommerce --timezone Europe/Paris
    "$FIDELE" --db "$DB" init --template ecommerce --print | jq '
        .tiers.window = "calendar_year" | .tiers.grace_days = 0
        | .segments = {"custom": [{"id": "gold", "all": [{"tier": ["gold"]}]},
                                  {"id": "silver", "all": [{"tier": ["silver"]}]}]}' >p.json
    NOW=2025-01-01T00:00:00Z expect_exit 0 fidele program set p.json
    history() {
        expect_exit 0 fidele --json member show "$1"
        jout '[.tier_history[] | "\(.at) \(.previous)>\(.tier) \(.reason)"] | join(", ")'
    }
    # dan: gold in March, refunded, down at the review; then an order of June posted late
    enrol dan 2026-01-05T10:00:00Z
    order d1 2026-03-01T10:00:00Z dan D1 "[$(line X x 1 80000)]"
    post "$(refund_json d1r 2026-03-02T10:00:00Z D1 '"amount_minor":80000')"
    run_due 2027-02-01T00:00:00Z
    order d2 2026-06-01T10:00:00Z dan D2 "[$(line X x 1 30000)]"
    assert_eq "2026-03-01T10:00:00Z >gold reached, 2026-12-31T23:00:00Z gold> review, 2026-12-31T23:00:00Z >silver review" \
        "$(history dan)" "the late order's silver is the review it follows, made again"
    expect_exit 0 fidele --json balance dan
    assert_json .tier silver "dan is silver"
    expect_exit 0 fidele --json segments --at 2026-09-01 --list gold
    check_json "gold on 1 September: held until the review" .customers '["dan"]'
    # eve: silver in June, then an order of March posted late takes her to gold
    enrol eve 2026-01-05T10:00:00Z
    order e1 2026-06-01T10:00:00Z eve E1 "[$(line X x 1 30000)]"
    order e2 2026-03-01T10:00:00Z eve E2 "[$(line X x 1 50000)]"
    assert_eq "2026-06-01T10:00:00Z >silver reached, 2026-06-01T10:00:00Z silver>gold reached" \
        "$(history eve)" "gold follows silver"
    verify_catches tier_history_chains "UPDATE tier_changes SET previous = '' WHERE tier = 'gold' AND previous = 'silver'"
    verify_catches tier_history_chains "UPDATE tier_changes SET at = 0 WHERE tier = 'gold' AND previous = 'silver'"
    # fay: 200 EUR in November, 10 in January; 100 of December posted late is silver from then,
    # as posting in date order gives (the window ending at her latest order holds 10 EUR)
    enrol fay 2025-01-05T10:00:00Z
    order f1 2025-11-10T10:00:00Z fay F1 "[$(line X x 1 20000)]"
    order f3 2026-01-10T10:00:00Z fay F3 "[$(line X x 1 1000)]"
    order f2 2025-12-01T10:00:00Z fay F2 "[$(line X x 1 10000)]"
    assert_json '.[0].tier_upgrade.tier' silver "fay's late order lifts her"
    assert_eq "2025-12-01T10:00:00Z >silver reached" "$(history fay)" "silver from the late order's instant"
    # gil: an order posted late into a year gone by counts for that year
    enrol gil 2025-01-05T10:00:00Z
    order g1 2025-03-01T10:00:00Z gil G1 "[$(line X x 1 20000)]"
    run_due 2026-01-15T00:00:00Z
    order g2 2025-06-01T10:00:00Z gil G2 "[$(line X x 1 10000)]"
    assert_eq "2025-06-01T10:00:00Z >silver reached" "$(history gil)" "silver in June 2025"
    # hal: a tier reached at the epoch keeps its instant (a row's 0 means "none", a change's not)
    enrol hal 1970-01-01T00:00:00Z
    order h1 1970-01-01T00:00:00Z hal H1 "[$(line X x 1 80000)]"
    assert_eq "1970-01-01T00:00:00Z >gold reached" "$(history hal)" "gold at the epoch"
}

# silver_and_gold WINDOW GRACE_DAYS: a database whose tiers are silver at 50 EUR of spend and gold
# at 100, judged over WINDOW, 1 point per euro.
silver_and_gold() {
    write p.json "{\"earning\": {\"points\": 1, \"per_minor\": 100},
      \"tiers\": {\"metric\": \"spend\", \"window\": \"$1\", \"grace_days\": $2,
                \"levels\": [{\"id\": \"silver\", \"name\": \"Silver\", \"threshold\": 5000, \"multiplier_pct\": 150},
                           {\"id\": \"gold\", \"name\": \"Gold\", \"threshold\": 10000, \"multiplier_pct\": 200}]}}"
    init_db p.json
}

# Late orders dated before a member's last tier change count in the windows ending at them and at
# the orders between: a tier they reach above the one held then, which its review would not have
# taken away before that change, is the member's from the change, reviewed from the order.
late_orders_before_the_last_change() {
    silver_and_gold rolling_12_months 30
    history() {
        expect_exit 0 fidele --json member show "$1"
        jout '[.tier_history[] | "\(.at) \(.previous)>\(.tier) \(.reason)"] | join(", ")'
    }
    local who
    for who in amy bob; do
        enrol "$who" 2025-01-01T09:00:00Z
        NOW=2027-03-07T13:00:00Z order "c-$who" 2027-03-07T12:00:00Z "$who" "C-$who" "[$(line X x 1 6000)]"
        assert_json '.[0].tier_upgrade.tier' silver "$who: silver"
    done
    # amy's of February 2026, a year before: the window at B holds A and B, 10000 (gold), and
    # gold reached then would be reviewed on 14 March 2027, after the change
    NOW=2027-03-07T13:00:00Z order b-amy 2026-02-12T12:00:00Z amy B-amy "[$(line X x 1 5000)]"
    assert_json '.[0] | has("tier_upgrade")' false "B alone: silver, as held"
    NOW=2027-03-07T13:00:00Z order a-amy 2026-02-01T12:00:00Z amy A-amy "[$(line X x 1 5000)]"
    assert_json '.[0].tier_upgrade.tier' gold "A and B: gold at B"
    assert_eq "2027-03-07T12:00:00Z >silver reached, 2027-03-07T12:00:00Z silver>gold reached" \
        "$(history amy)" "dated at the last change"
    assert_eq "$(epoch 2027-03-14T12:00:00Z)" "$(sql "SELECT tier_review_at FROM customers WHERE ref = 'amy'")" \
        "reviewed twelve months and the grace after B"
    # bob's of 2025: gold at B would have been reviewed in March 2026, before the change
    NOW=2027-03-07T13:00:00Z order b-bob 2025-02-12T12:00:00Z bob B-bob "[$(line X x 1 5000)]"
    NOW=2027-03-07T13:00:00Z order a-bob 2025-02-01T12:00:00Z bob A-bob "[$(line X x 1 5000)]"
    assert_json '.[0] | has("tier_upgrade")' false "reviewed away before the change"
    assert_eq "2027-03-07T12:00:00Z >silver reached" "$(history bob)" "bob stays silver"
    run_due 2027-03-14T12:00:00Z
    assert_eq "confirmed 0/0 expired 0/0 tiers 1 vouchers 0" "$(due_summary)" "amy's gold reviewed"
    expect_exit 0 fidele --json balance amy
    assert_json .tier silver "B in the window before the grace, C in the one ending at the review: silver"
    run_due_again 2027-03-14T12:00:00Z
    # cy's of June 2026 is in the windows of B (March 2027) and of the change (C, April): gold
    # either way, reached at B, so reviewed from B, as in time order
    enrol cy 2025-01-01T09:00:00Z
    NOW=2027-04-01T13:00:00Z order b-cy 2027-03-01T12:00:00Z cy B-cy "[$(line X x 1 4000)]"
    NOW=2027-04-01T13:00:00Z order c-cy 2027-04-01T12:00:00Z cy C-cy "[$(line X x 1 1500)]"
    NOW=2027-04-01T13:00:00Z order a-cy 2026-06-01T12:00:00Z cy A-cy "[$(line X x 1 6000)]"
    assert_eq "2027-04-01T12:00:00Z >silver reached, 2027-04-01T12:00:00Z silver>gold reached" \
        "$(history cy)" "gold from the change"
    assert_eq "$(epoch 2028-03-31T11:00:00Z)" "$(sql "SELECT tier_review_at FROM customers WHERE ref = 'cy'")" \
        "reviewed twelve months and the grace after B (13:00 in Paris), not after C"
}

# The same under calendar years: a tier a late order's window reaches before the last change, kept
# by the review between (which judges the year it was reached in), is the member's from the change.
late_orders_before_the_last_change_calendar() {
    silver_and_gold calendar_year 31
    enrol dot 2026-01-01T09:00:00Z
    NOW=2027-02-01T00:05:00Z order b-dot 2026-12-01T12:00:00Z dot B-dot "[$(line X x 1 4000)]"
    # C a minute after the review of 1 February 00:00 (Paris) that judges 2026: silver
    NOW=2027-02-01T00:05:00Z order c-dot 2027-02-01T00:01:00Z dot C-dot "[$(line X x 1 5500)]"
    assert_json '.[0].tier_upgrade.tier' silver "2027 so far: silver"
    # June 2026, late: 2026 holds 10000 at B, gold, which that review keeps
    NOW=2027-02-01T00:05:00Z order a-dot 2026-06-01T12:00:00Z dot A-dot "[$(line X x 1 6000)]"
    assert_json '.[0].tier_upgrade.tier' gold "gold, kept by the review of 2026"
    assert_eq "$(epoch 2028-01-31T23:00:00Z)" "$(sql "SELECT tier_review_at FROM customers WHERE ref = 'dot'")" \
        "reviewed a year after the review that kept it, as in time order"
}

# A late order cannot bring back what a review took away on a window without it.
late_order_after_a_review() {
    init_db ecommerce # rolling 12 months, grace 30 days; silver 250, gold 750 EUR
    enrol dee 2024-01-02T10:00:00Z
    order d1 2024-01-05T10:00:00Z dee D1 "[$(line X x 1 80000)]"
    order d2 2025-02-01T10:00:00Z dee D2 "[$(line X x 1 50000)]"
    order d3 2026-01-25T10:00:00Z dee D3 "[$(line X x 1 30000)]"
    run_due 2026-04-15T00:00:00Z
    expect_exit 0 fidele --json balance dee
    assert_json .tier silver "the review of 6 March 2026 judges 500 + 300 EUR: silver"
    order d4 2025-06-01T10:00:00Z dee D4 "[$(line X x 1 100)]"
    assert_json '.[0] | has("tier_upgrade")' false "1 EUR more in that window is still silver"
    expect_exit 0 fidele --json balance dee
    assert_json .tier silver "still silver"
    # ned: silver, lost at the review of 10 March 2028; two orders of the year it judged posted
    # late, each making that review again: 300 EUR, then 500 more is gold, as posting them
    # before the review would have given
    enrol ned 2026-01-01T09:00:00Z
    order n1 2026-01-10T10:00:00Z ned N1 "[$(line X x 1 30000)]"
    run_due 2028-04-01T00:00:00Z
    NOW=2028-04-01T00:00:00Z order n2 2027-06-01T10:00:00Z ned N2 "[$(line X x 1 30000)]"
    NOW=2028-04-01T00:00:00Z order n3 2027-03-01T10:00:00Z ned N3 "[$(line X x 1 50000)]"
    assert_json '.[0].tier_upgrade.tier' gold "the second late order makes the review again too"
    expect_exit 0 fidele --json member show ned
    check_json "recorded as reviews" '[.tier_history[] | "\(.at) \(.previous)>\(.tier) \(.reason)"] | join(", ")' \
        "2026-01-10T10:00:00Z >silver reached, 2028-03-10T10:00:00Z silver> review, 2028-03-10T10:00:00Z >silver review, 2028-03-10T10:00:00Z silver>gold review"
}

# A new expiry rule judges the balances already held: members are due at once, and a balance
# whose deadline under the new rule has passed expires when the rule was saved, not before.
expiry_rule_changes() {
    rule() {
        printf '{"earning":{"points":1,"per_minor":100},"enrolment":{"bonus_points":0},"expiry":%s}' "$1"
    }
    rule '{"mode":"none"}' >none.json
    rule '{"mode":"inactivity","months":24}' >long.json
    rule '{"mode":"inactivity","months":12}' >year.json
    rule '{"mode":"inactivity","months":3}' >short.json
    # change WHO FROM TO SAVED_AT DUE_AT EXPECTED MESSAGE: WHO buys on 2 January under FROM, TO
    # is saved at SAVED_AT, run-due runs at DUE_AT; EXPECTED is WHO's expiry entries
    change() {
        init_db "$2" --timezone Etc/UTC
        enrol "$1" 2026-01-01T10:00:00Z
        order "$1-o" 2026-01-02T10:00:00Z "$1" "$1-1" "[$(line A a 1 10000)]"
        NOW=$4 expect_exit 0 fidele program set "$3"
        run_due "$5"
        expect_exit 0 fidele --json ledger "$1"
        assert_eq "$6" "$(jout '[.entries[] | select(.kind == "expire") | "\(.amount) \(.at)"] | join(", ")')" "$7"
    }
    change amy none.json year.json 2026-02-01T00:00:00Z 2028-06-01T00:00:00Z \
        "-100 2027-01-02T10:00:00Z" "none -> 12 months: the balance held expires a year after it"
    change bob long.json short.json 2026-02-01T00:00:00Z 2026-06-01T00:00:00Z \
        "-100 2026-04-02T10:00:00Z" "24 -> 3 months: due at once, the shorter rule's deadline"
    # saved in June, April's deadline had passed: the balance expires when the rule was saved,
    # and not before the scheduled work runs
    change cal long.json short.json 2026-06-01T00:00:00Z 2026-05-31T00:00:00Z "" "not yet"
    run_due 2026-07-01T00:00:00Z
    expect_exit 0 fidele --json ledger cal
    assert_eq "-100 2026-06-01T00:00:00Z" \
        "$(jout '[.entries[] | select(.kind == "expire") | "\(.amount) \(.at)"] | join(", ")')" \
        "when the rule was saved"
    run_due_again 2026-07-01T00:00:00Z
    # 12 -> 24 months saved after the year's deadline passed, no scheduled work in between:
    # what fell due under the rule in force then is done under it, as a run before would have
    change dee year.json long.json 2027-06-01T00:00:00Z 2027-07-01T00:00:00Z \
        "-100 2027-01-02T10:00:00Z" "expired under the rule it fell due under"
}

# An order recorded late counts in the windows ending at each later order that still holds it:
# the threshold may be crossed at an order in between, neither at the late order nor at the last.
late_order_between_orders() {
    init_db ecommerce # rolling 12 months; silver 250, gold 750 EUR
    history() {
        expect_exit 0 fidele --json member show "$1"
        jout '[.tier_history[] | "\(.at) \(.previous)>\(.tier) \(.reason)"] | join(", ")'
    }
    enrol ivy 2025-01-02T10:00:00Z
    order i1 2025-01-10T10:00:00Z ivy I1 "[$(line X x 1 30000)]"
    order i2 2025-06-01T10:00:00Z ivy I2 "[$(line X x 1 10000)]"
    order i3 2026-05-10T10:00:00Z ivy I3 "[$(line X x 1 1000)]"
    # 20 May 2025: 300 + 400 at its own instant, 400 + 100 + 10 at the last order; 800 on 1 June
    order i4 2025-05-20T10:00:00Z ivy I4 "[$(line X x 1 40000)]"
    assert_json '.[0].tier_upgrade.tier' gold "gold, reached at the June order"
    assert_eq "2025-01-10T10:00:00Z >silver reached, 2025-06-01T10:00:00Z silver>gold reached" \
        "$(history ivy)" "dated at the order in between"
    # the same in calendar years: the year's last order holds the year's highest sum
    "$FIDELE" --db "$DB" init --template ecommerce --print | jq '.tiers.window = "calendar_year"' >p.json
    expect_exit 0 fidele program set p.json
    enrol jo 2025-01-02T10:00:00Z
    order j1 2025-01-10T10:00:00Z jo J1 "[$(line X x 1 30000)]"
    order j2 2025-11-01T10:00:00Z jo J2 "[$(line X x 1 10000)]"
    order j3 2026-02-01T10:00:00Z jo J3 "[$(line X x 1 1000)]"
    order j4 2025-05-20T10:00:00Z jo J4 "[$(line X x 1 40000)]"
    assert_eq "2025-01-10T10:00:00Z >silver reached, 2025-11-01T10:00:00Z silver>gold reached" \
        "$(history jo)" "gold at the year's last order"
    # a later order in another year does not add the late one to its own year
    enrol kim 2025-01-02T10:00:00Z
    order k1 2025-01-10T10:00:00Z kim K1 "[$(line X x 1 30000)]"
    order k2 2026-01-10T10:00:00Z kim K2 "[$(line X x 1 70000)]"
    order k3 2025-05-20T10:00:00Z kim K3 "[$(line X x 1 40000)]"
    assert_eq "2025-01-10T10:00:00Z >silver reached" "$(history kim)" "700 in each year: silver"
}

# An enrolment dated before orders already recorded judges the tier at each of them in turn.
enrolment_before_recorded_orders() {
    init_db ecommerce
    "$FIDELE" --db "$DB" init --template ecommerce --print | jq '.tiers.window = "calendar_year"' >p.json
    expect_exit 0 fidele program set p.json
    order c1 2025-11-10T10:00:00Z cy C1 "[$(line X x 1 20000)]"
    order c2 2025-12-01T10:00:00Z cy C2 "[$(line X x 1 10000)]"
    order c3 2026-01-10T10:00:00Z cy C3 "[$(line X x 1 1000)]"
    post '{"type":"enrol","key":"e-cy","customer":"cy","at":"2025-10-01T10:00:00Z"}'
    assert_json '.[0].tier_upgrade.tier' silver "silver, reached in December"
    expect_exit 0 fidele --json member show cy
    check_json "reached on the December order" '[.tier_history[] | "\(.at) \(.tier) \(.reason)"]' \
        '["2025-12-01T10:00:00Z silver reached"]'
    # over a rolling year the window ending at the latest order holds the first too: the tier is
    # still reached at the first order that crosses, and the review judges the year from there
    "$FIDELE" --db "$DB" init --template ecommerce --print >rolling.json
    expect_exit 0 fidele program set rolling.json
    order z1 2026-03-01T10:00:00Z zoe Z1 "[$(line X x 1 30000)]"
    order z2 2026-09-01T10:00:00Z zoe Z2 "[$(line X x 1 100)]"
    post '{"type":"enrol","key":"e-zoe","customer":"zoe","at":"2026-02-01T10:00:00Z"}'
    expect_exit 0 fidele --json member show zoe
    check_json "reached on the March order" '[.tier_history[] | "\(.at) \(.tier) \(.reason)"]' \
        '["2026-03-01T10:00:00Z silver reached"]'
    run_due 2027-12-01T00:00:00Z
    expect_exit 0 fidele --json balance zoe
    assert_json .tier silver "the review of 31 March 2027 judges the year from March: kept"
}

# ---------------------------------------------------------------------------------------------
tier_review_calendar_year() {
    init_db bookshop # spend, calendar year, grace 31 days; bookworm from 300 EUR
    local who
    for who in uma vic wes xan yan zed; do
        enrol "$who" 2026-01-10T10:00:00Z
    done
    assert_eq "reader" "$(sql "SELECT DISTINCT tier FROM customers")" "everyone starts as a reader"
    order u1 2026-03-01T10:00:00Z uma U1 "[$(line BOOK fiction 1 20000)]"
    assert_json '.[0] | has("tier_upgrade")' false "200 EUR: still a reader"
    order u2 2026-05-01T10:00:00Z uma U2 "[$(line BOOK fiction 1 10000)]"
    assert_json '.[0].tier_upgrade.tier' bookworm "300 EUR in 2026: bookworm at once"
    order v1 2026-06-01T10:00:00Z vic V1 "[$(line BOOK fiction 1 29999)]"
    assert_json '.[0] | has("tier_upgrade")' false "299.99 EUR is below the threshold"
    # 23:59:59 on 31 December in Paris is still 2026; one second later is 2027
    order w1 2026-06-01T10:00:00Z wes W1 "[$(line BOOK fiction 1 20000)]"
    NOW=2027-01-16T00:00:00Z order w2 2026-12-31T22:59:59Z wes W2 "[$(line BOOK fiction 1 10000)]"
    assert_json '.[0].tier_upgrade.tier' bookworm "the last second of 2026 (local) counts for 2026"
    order x1 2026-06-01T10:00:00Z xan X1 "[$(line BOOK fiction 1 20000)]"
    NOW=2027-01-16T00:00:00Z order x2 2026-12-31T23:00:00Z xan X2 "[$(line BOOK fiction 1 10000)]"
    assert_json '.[0] | has("tier_upgrade")' false "midnight in Paris is 2027: a new year"
    # spend in the grace period of 2027 counts for 2027
    NOW=2027-01-16T00:00:00Z order y1 2027-01-15T10:00:00Z yan Y1 "[$(line BOOK fiction 1 30000)]"
    assert_json '.[0].tier_upgrade.tier' bookworm "yan: bookworm in January 2027"
    # reached, then partly refunded: kept until the review
    order z1 2026-06-01T10:00:00Z zed Z1 "[$(line BOOK fiction 1 30000)]"
    post "$(refund_json z1r 2026-06-10T10:00:00Z Z1 '"amount_minor":5000')"
    tiers() { sql "SELECT group_concat(ref || ':' || tier, ' ') FROM (SELECT * FROM customers ORDER BY ref)"; }
    assert_eq "uma:bookworm vic:reader wes:bookworm xan:reader yan:bookworm zed:bookworm" "$(tiers)" \
        "tiers after the activity"
    # the review of a tier reached in 2026: 1 February 2027 00:00 in Paris
    assert_eq "$(epoch 2027-01-31T23:00:00Z)" "$(sql "SELECT tier_review_at FROM customers WHERE ref = 'uma'")" \
        "uma's review: 1 January + 31 days, local midnight"
    assert_eq "$(epoch 2028-01-31T23:00:00Z)" "$(sql "SELECT tier_review_at FROM customers WHERE ref = 'yan'")" \
        "yan reached the tier in 2027: reviewed on 1 February 2028"

    run_due 2027-01-31T22:59:59Z
    assert_json .tier_changes 0 "one second before the review"
    assert_eq "uma:bookworm vic:reader wes:bookworm xan:reader yan:bookworm zed:bookworm" "$(tiers)" \
        "nothing reviewed before 1 February"
    run_due 2027-01-31T23:00:00Z
    assert_json .tier_changes 1 "the review judges 2026"
    assert_eq "uma:bookworm vic:reader wes:bookworm xan:reader yan:bookworm zed:reader" "$(tiers)" \
        "zed's 2026 spend, net of the refund, is 250 EUR: down to reader; the others keep their tier"
    assert_eq "$(epoch 2028-01-31T23:00:00Z)" "$(sql "SELECT tier_review_at FROM customers WHERE ref = 'uma'")" \
        "uma's tier is confirmed until the review of 2027"
    run_due_again 2027-01-31T23:00:00Z
    expect_exit 0 fidele --json member show zed
    check_json "zed's tier history" \
        '[.tier_history[] | "\(.at) \(.previous)>\(.tier) \(.reason)"]' \
        '["2026-01-10T10:00:00Z >reader reached","2026-06-01T10:00:00Z reader>bookworm reached","2027-01-31T23:00:00Z bookworm>reader review"]'
    expect_exit 0 fidele member show zed
    assert_contains "$OUT" "2027-02-01 00:00:00+01:00  Bookworm     -> Reader       review" \
        "the text lists the changes, tiers by name, at local midnight"
    verify_catches tier_equals_its_history "UPDATE customers SET tier = 'bookworm' WHERE ref = 'zed'"
    verify_catches tier_equals_its_history "DELETE FROM tier_changes WHERE reason = 'review'"
    # nothing bought in 2027: still bookworm through the grace period of 2028
    run_due 2028-01-15T00:00:00Z
    assert_json .tier_changes 0 "15 January 2028: the grace period runs"
    expect_exit 0 fidele --json balance uma
    assert_json .tier bookworm "uma keeps bookworm on 15 January 2028"
    run_due 2028-01-31T22:59:59Z
    assert_json .tier_changes 0 "the last second before the 2028 review"
    run_due 2028-01-31T23:00:00Z
    assert_json .tier_changes 2 "the 2028 review judges 2027"
    assert_eq "uma:reader vic:reader wes:reader xan:reader yan:bookworm zed:reader" "$(tiers)" \
        "uma and wes bought nothing in 2027; yan spent 300 EUR in 2027"
    assert_eq "$(epoch 2028-01-31T23:00:00Z)" "$(sql "SELECT tier_since FROM customers WHERE ref = 'uma'")" \
        "the downgrade is dated at the review"
    run_due_again 2028-01-31T23:00:00Z
}

# ---------------------------------------------------------------------------------------------
tier_review_rolling() {
    init_db ecommerce # spend over rolling 12 months, grace 30 days; silver from 250 EUR
    enrol zed 2026-01-05T09:00:00Z
    enrol amy 2026-01-05T09:00:00Z
    order z1 2026-03-04T10:00:00Z zed Z1 "[$(line SOFA home 1 30000)]"
    assert_json '.[0].tier_upgrade.tier' silver "zed: silver at once"
    order a1 2026-03-04T10:00:00Z amy A1 "[$(line SOFA home 1 25000)]"
    assert_json '.[0].tier_upgrade.tier' silver "amy: exactly the threshold"
    order z2 2026-12-01T10:00:00Z zed Z2 "[$(line LAMP home 1 5000)]"
    # review: 12 months after the upgrade (4 March 2027 11:00 CET) plus 30 days, 3 April 11:00
    # CEST = 09:00Z, judging [4 March 2026 10:00Z, 4 March 2027 10:00Z)
    assert_eq "$(epoch 2027-04-03T09:00:00Z)" "$(sql "SELECT DISTINCT tier_review_at FROM customers")" \
        "both are reviewed 12 months + 30 days after their upgrade"
    tiers() { sql "SELECT group_concat(ref || ':' || tier, ' ') FROM (SELECT * FROM customers ORDER BY ref)"; }
    run_due 2027-04-03T08:59:59Z
    assert_json .tier_changes 0 "one second before the review"
    run_due 2027-04-03T09:00:00Z
    assert_json .tier_changes 0 "the window holds 350 and 250 EUR: both confirmed"
    assert_eq "amy:silver zed:silver" "$(tiers)" "confirmed"
    # confirmed on 3 April 2027 11:00 CEST: next review 3 May 2028 11:00 CEST, judging the
    # twelve months from the confirmation, when neither bought anything
    assert_eq "$(epoch 2028-05-03T09:00:00Z)" "$(sql "SELECT DISTINCT tier_review_at FROM customers")" \
        "the next review"
    run_due_again 2027-04-03T09:00:00Z
    run_due 2028-05-03T08:59:59Z
    assert_json .tier_changes 0 "still silver one second before"
    run_due 2028-05-03T09:00:00Z
    assert_json .tier_changes 2 "nothing bought: both lose silver"
    assert_eq "amy: zed:" "$(tiers)" "below the first level: no tier"
    assert_eq "0 0" "$(sql "SELECT group_concat(COALESCE(tier_review_at, 0), ' ') FROM customers")" \
        "no tier, no review"
    expect_exit 0 fidele --json balance zed
    assert_json .tier "" "balance shows no tier"
    run_due_again 2028-05-03T09:00:00Z

    # silver reached in an hour the clocks repeat (02:30 CEST on 25 October 2026, the first
    # time) or skip a year later (02:30 CET on 28 March 2026: 28 March 2027 has no 02:30): the
    # review's window starts at that order, not at twelve months back from a wall clock
    init_db ecommerce
    NOW=2026-11-01T00:00:00Z enrol fal 2026-01-05T09:00:00Z
    NOW=2026-11-01T00:00:00Z enrol spr 2026-01-05T09:00:00Z
    NOW=2026-11-01T00:00:00Z order f1 2026-10-25T00:30:00Z fal F1 "[$(line SOFA home 1 30000)]"
    NOW=2026-11-01T00:00:00Z order s1 2026-03-28T01:30:00Z spr S1 "[$(line SOFA home 1 30000)]"
    run_due 2028-01-01T00:00:00Z
    assert_json .tier_changes 0 "both confirmed at their review"
    assert_eq "fal:silver spr:silver" "$(tiers)" "their windows hold the orders that reached silver"
}

# ---------------------------------------------------------------------------------------------
# A review judges the window that closed, but never takes a member below the tier their activity
# since (the grace period, the new year) already reaches: that member would only climb back at
# their next order, which would earn without the tier's bonus.
review_keeps_the_tier_reached_since() {
    init_db bookshop # spend, calendar year, grace 31 days; bookworm from 300 EUR, bibliophile 800
    enrol amy 2025-01-10T10:00:00Z
    NOW=2025-03-01T10:00:00Z order a1 2025-03-01T10:00:00Z amy A1 "[$(line BOOK fiction 1 80000)]"
    assert_json '.[0].tier_upgrade.tier' bibliophile "800 EUR in 2025"
    # confirmed by 2025 on 1 February 2026; nothing bought in 2026; 300 EUR in January 2027
    NOW=2027-01-15T10:00:00Z order a2 2027-01-15T10:00:00Z amy A2 "[$(line BOOK fiction 1 30000)]"
    run_due 2027-01-31T23:00:00Z
    expect_exit 0 fidele --json member show amy
    check_json "the 2027 review judges 2026, but January 2027 already reaches bookworm" .tier bookworm \
        '[.tier_history[] | "\(.at) \(.previous)>\(.tier) \(.reason)"] | .[-1]' \
        "2027-01-31T23:00:00Z bibliophile>bookworm review"
    assert_eq "$(epoch 2028-01-31T23:00:00Z)" "$(sql "SELECT tier_review_at FROM customers")" \
        "kept by 2027's spend: judged again on 1 February 2028"
    NOW=2027-02-15T10:00:00Z order a3 2027-02-15T10:00:00Z amy A3 "[$(line BOOK fiction 1 1000)]"
    check_json "the next order earns the bookworm bonus" \
        '.[0].breakdown | map("\(.rule)=\(.points)") | join(" ")' "base=10 tier:bookworm=2" \
        '.[0] | has("tier_upgrade")' false
    run_due_again 2027-02-15T10:00:00Z

    # rolling window: an order in the grace period counts at the review
    init_db ecommerce # spend over rolling 12 months, grace 30 days; silver from 250 EUR
    enrol zed 2026-01-05T09:00:00Z
    NOW=2026-03-04T10:00:00Z order z1 2026-03-04T10:00:00Z zed Z1 "[$(line SOFA home 1 30000)]"
    assert_json '.[0].tier_upgrade.tier' silver "zed: silver at once"
    # the review of 3 April 2027 judges [4 March 2026, 4 March 2027): 300 EUR; then nothing
    # until 20 May 2028, in the grace period of the review of 3 May 2028
    run_due 2027-04-03T09:00:00Z
    NOW=2028-05-01T10:00:00Z order z2 2028-05-01T10:00:00Z zed Z2 "[$(line SOFA home 1 30000)]"
    run_due 2028-05-03T09:00:00Z
    expect_exit 0 fidele --json balance zed
    assert_json .tier silver "300 EUR in the grace period keeps silver at the review"
}

# ---------------------------------------------------------------------------------------------
# A tier the programme no longer has is judged at the review like any other: the member leaves
# it even when the window reaches no level (it stayed on the member for ever).
review_of_a_tier_removed() {
    init_db ecommerce # spend over rolling 12 months, grace 30 days; gold from 750 EUR
    enrol zed 2026-01-05T09:00:00Z
    order z1 2026-03-04T10:00:00Z zed Z1 "[$(line SOFA home 1 80000)]"
    assert_json '.[0].tier_upgrade.tier' gold "zed: gold at once"
    "$FIDELE" --db "$DB" init --template ecommerce --print |
        jq '.tiers.levels |= map(if .id == "gold" then .id = "or" | .name = "Or" else . end)
            | .rewards |= map(if .tiers then .tiers = ["or", "platinum"] else . end)' >p.json
    NOW=2026-03-05T00:00:00Z expect_exit 0 fidele program set p.json
    run_due 2027-04-03T09:00:00Z
    expect_exit 0 fidele --json balance zed
    assert_json .tier or "the review moves zed to the renamed level the window reaches"
    run_due 2028-05-03T09:00:00Z
    expect_exit 0 fidele --json balance zed
    assert_json .tier "" "nothing bought since: no tier"

    # renamed, then an order before the review: the member moves to the renamed level, and the
    # review keeps its date, judging the year with the order that reached the old tier
    init_db ecommerce
    enrol bea 2026-01-01T09:00:00Z
    order b1 2026-03-01T10:00:00Z bea B1 "[$(line SOFA home 1 80000)]"
    NOW=2026-04-01T00:00:00Z expect_exit 0 fidele program set p.json
    order b2 2026-05-01T10:00:00Z bea B2 "[$(line CUP home 1 1000)]"
    assert_json '.[0].tier_upgrade.tier' or "bea takes the renamed level at her next order"
    run_due 2027-06-01T00:00:00Z
    expect_exit 0 fidele --json member show bea
    check_json "confirmed at the review of 31 March 2027" .tier or \
        '[.tier_history[] | "\(.at) \(.previous)>\(.tier) \(.reason)"] | join(", ")' \
        "2026-03-01T10:00:00Z >gold reached, 2026-05-01T10:00:00Z gold>or reached"

    # removed outright, with a window below every level
    init_db ecommerce
    enrol amy 2026-01-05T09:00:00Z
    order a1 2026-03-04T10:00:00Z amy A1 "[$(line SOFA home 1 80000)]"
    post "$(refund_json ra 2026-03-10T10:00:00Z A1 '"amount_minor":80000')"
    "$FIDELE" --db "$DB" init --template ecommerce --print | jq 'del(.tiers.levels[1])
        | .rewards |= map(if .tiers then .tiers = ["platinum"] else . end)' >p.json
    NOW=2026-03-11T00:00:00Z expect_exit 0 fidele program set p.json
    run_due 2027-04-03T09:00:00Z
    assert_json .tier_changes 1 "the review of the tier removed"
    expect_exit 0 fidele --json member show amy
    check_json "gold is gone" .tier "" '.tier_history[-1] | "\(.previous)>\(.tier) \(.reason)"' "gold> review"
    run_due_again 2027-04-03T09:00:00Z
}

scenario pending_period pending_period
scenario per_lot_expiry per_lot_expiry
scenario per_lot_dates_outlive_their_rule per_lot_dates_outlive_their_rule
scenario late_redemption_spends_expired_points late_redemption_spends_expired_points
scenario late_adjustment_spends_expired_points late_adjustment_spends_expired_points
scenario late_order_undoes_inactivity_expiry late_order_undoes_inactivity_expiry
scenario late_activity_before_a_gap late_activity_before_a_gap
scenario late_pending_points_before_a_gap late_pending_points_before_a_gap
scenario late_activity_after_late_points late_activity_after_late_points
scenario late_points_pending_at_a_lapse_found_late late_points_pending_at_a_lapse_found_late
scenario late_events_at_the_edges late_events_at_the_edges
scenario inactivity_expiry inactivity_expiry
scenario inactivity_before_event inactivity_before_event
scenario inactivity_after_adjustment inactivity_after_adjustment
scenario pending_past_expiry pending_past_expiry
scenario voucher_expiry voucher_expiry
scenario tier_history_with_backdated_orders tier_history_with_backdated_orders
scenario late_order_after_a_review late_order_after_a_review
scenario late_order_between_orders late_order_between_orders
scenario late_orders_before_the_last_change late_orders_before_the_last_change
scenario late_orders_before_the_last_change_calendar late_orders_before_the_last_change_calendar
scenario expiry_rule_changes expiry_rule_changes
scenario enrolment_before_recorded_orders enrolment_before_recorded_orders
scenario tier_review_calendar_year tier_review_calendar_year
scenario tier_review_rolling tier_review_rolling
scenario review_keeps_the_tier_reached_since review_keeps_the_tier_reached_since
scenario review_of_a_tier_removed review_of_a_tier_removed
finish
