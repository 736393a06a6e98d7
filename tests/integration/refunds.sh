#!/usr/bin/env bash
# Refunds: full and partial (by line, by amount), refunds above what was paid, clawback of points
# already spent (forgiven or a debt), of pending points, of stamps and of cashback. The figures
# follow docs/events.md: by lines, what the order earned minus what its remaining lines earn; by
# amount, a share of what the remaining lines earn in proportion to the merchandise they hold; a
# full refund takes back everything.
. "$(dirname "$0")/lib.sh"

# The programme of most scenarios: 10 points per euro, a 25-point first-order bonus, a 400-point
# reward, no pending period, no expiry. $1 = allow_negative_balance.
refund_programme() {
    write p.json "{\"earning\": {\"points\": 10, \"per_minor\": 100, \"first_order_bonus\": 25,
        \"multipliers\": [{\"id\": \"beans\", \"name\": \"Beans x1.5\", \"factor_pct\": 150,
                           \"categories\": [\"beans\"]}]},
      \"rewards\": [{\"id\": \"gift\", \"name\": \"Gift\", \"kind\": \"experience\", \"cost_points\": 400}],
      \"refunds\": {\"allow_negative_balance\": $1}}"
    init_db p.json
}

# ---------------------------------------------------------------------------------------------
full_refund() {
    refund_programme false
    enrol ada 2026-03-01T09:00:00Z
    # gross 3400, discount 400, shipping 500: paid 3500, basis 3000 -> 300 + 25 first order
    local lines
    lines="[$(line A x 2 1000),$(line B x 1 500),$(line C x 3 300)]"
    order f1 2026-03-02T09:00:00Z ada F1 "$lines" '"discount_minor":400,"shipping_minor":500'
    assert_json '.[0].points' 325 "F1 earns 325"
    post "$(refund_json f1r 2026-03-03T09:00:00Z F1 '"amount_minor":3500')"
    check_json "full refund by amount" '.[0].refunded.amount_minor' 3500 '.[0].points_clawed_back' 325 \
        '.[0].balance | "\(.available) \(.lifetime)"' "0 0"
    local before
    before=$(snapshot)
    post_fails 2 "$(refund_json f1r2 2026-03-03T10:00:00Z F1 '"amount_minor":1')"
    assert_stderr_names "/amount_minor"
    assert_contains "$ERR" "above the 35.00 EUR paid" "the message says what was paid, in money"
    assert_unchanged "$before" "a refund beyond what was paid writes nothing"

    # a full refund by lines: every line back; shipping is not merchandise
    order g1 2026-03-04T09:00:00Z ada G1 "$lines" '"discount_minor":400,"shipping_minor":500'
    assert_json '.[0].points' 300 "G1 earns 300 (no first-order bonus)"
    post "$(refund_json g1r 2026-03-05T09:00:00Z G1 \
        '"lines":[{"sku":"C","quantity":3},{"sku":"A","quantity":2},{"sku":"B","quantity":1}]')"
    check_json "full refund by lines" '.[0].refunded.amount_minor' 3000 '.[0].points_clawed_back' 300
    post "$(refund_json g1r2 2026-03-05T10:00:00Z G1 '"amount_minor":500')"
    check_json "the shipping refunded afterwards takes nothing more" '.[0].refunded.amount_minor' 500 \
        '.[0] | has("points_clawed_back")' false
    assert_eq "earn points 325 0 F1 v1 base=300,first_order=25
clawback points -325 0 F1 v1 refund=-325
earn points 300 0 G1 v1 base=300
clawback points -300 0 G1 v1 refund=-300" "$(ledger_table ada)" "ada's ledger"
    assert_eq "F1|3500|3500|325|325 G1|3500|3500|300|300" \
        "$(sql "SELECT group_concat(ref || '|' || paid_minor || '|' || refunded_minor || '|' ||
            points_earned || '|' || points_clawed, ' ') FROM (SELECT * FROM orders ORDER BY id)")" \
        "orders: refunded and clawed"
    assert_eq "3500 3000 500" "$(sql "SELECT group_concat(amount_minor, ' ') FROM (SELECT * FROM refunds ORDER BY id)")" \
        "one refunds row per refund"
    assert_balance ada "0 0 0 0"
}

# ---------------------------------------------------------------------------------------------
partial_refunds_add_up() {
    refund_programme false
    enrol ben 2026-03-01T09:00:00Z
    # gross 4000 (coffee 1000, beans 1200, mugs 1800), discount 400, basis 3600:
    # base 360, beans' share 1080 x 50% -> 54, first order 25: 439
    order p1 2026-03-02T09:00:00Z ben P1 \
        "[$(line COFFEE coffee 4 250),$(line BEANS beans 1 1200),$(line MUG gift 2 900)]" \
        '"discount_minor":400'
    assert_json '.[0].breakdown | map("\(.rule)=\(.points)") | join(" ")' \
        "base=360 multiplier:beans=54 first_order=25" "P1 breakdown"
    # 1. the beans: remaining lines 2800 - 280 discount = 2520 -> 252 + 25 = 277; 439 - 277 = 162
    #    money: the beans' share of the goods, 1200 x 3600 / 4000 = 1080
    post "$(refund_json r1 2026-03-03T09:00:00Z P1 '"lines":[{"sku":"BEANS","quantity":1}]')"
    check_json "refund 1 (beans)" '.[0].refunded.amount_minor' 1080 '.[0].points_clawed_back' 162
    # 2. one mug: remaining 1900 - 190 = 1710 -> 171 + 25 = 196; target 243, 81 more
    #    money: 2100 x 0.9 = 1890 in all, 810 now
    post "$(refund_json r2 2026-03-03T10:00:00Z P1 '"lines":[{"sku":"MUG","quantity":1}]')"
    check_json "refund 2 (a mug)" '.[0].refunded.amount_minor' 810 '.[0].points_clawed_back' 81
    # 3. 500 by amount, a share of what the lines left earn (196) as of the merchandise left
    #    (3600 - 1890 = 1710): 196 x 500 / 1710 = 57.3 -> 57: target 300, 57 more
    post "$(refund_json r3 2026-03-03T11:00:00Z P1 '"amount_minor":500')"
    check_json "refund 3 (500 by amount)" '.[0].refunded.amount_minor' 500 '.[0].points_clawed_back' 57
    # the rest of the lines would refund 1710 more: 2390 + 1710 = 4100 > 3600 paid
    local before
    before=$(snapshot)
    post_fails 2 "$(refund_json r4x 2026-03-03T12:00:00Z P1 \
        '"lines":[{"sku":"COFFEE","quantity":4},{"sku":"MUG","quantity":1}]')"
    assert_stderr_names "/lines"
    assert_contains "$ERR" "above the 36.00 EUR paid" "refunds never exceed what was paid"
    assert_unchanged "$before" "refused refund writes nothing"
    # 4. the coffees: remaining one mug 900 - 90 = 810 -> 81 + 25 = 106; lines take 333, and the
    #    500 by amount 106 x 500 / 810 = 65.4 -> 65 of the mug's merchandise (3600 - 2790):
    #    target 398, 98 more. money 3100 x 0.9 = 2790 in all, 900 now
    post "$(refund_json r4 2026-03-03T12:00:00Z P1 '"lines":[{"sku":"COFFEE","quantity":4}]')"
    check_json "refund 4 (the coffees)" '.[0].refunded.amount_minor' 900 '.[0].points_clawed_back' 98
    # 5. the last 310: everything paid is refunded, everything earned is taken back: 41 more
    post "$(refund_json r5 2026-03-03T13:00:00Z P1 '"amount_minor":310')"
    check_json "refund 5 (the rest)" '.[0].refunded.amount_minor' 310 '.[0].points_clawed_back' 41 \
        '.[0].balance.available' 0
    assert_eq "439|439|3600|3600" "$(sql "SELECT points_earned || '|' || points_clawed || '|' ||
        refunded_minor || '|' || paid_minor FROM orders WHERE ref = 'P1'")" \
        "162 + 81 + 57 + 98 + 41 = 439 clawed; 1080 + 810 + 500 + 900 + 310 = 3600 refunded"
    assert_eq "3600" "$(sql "SELECT SUM(amount_minor) FROM refunds")" "refund rows add up"
    assert_eq "-439" "$(sql "SELECT SUM(amount) FROM ledger WHERE kind = 'clawback'")" \
        "clawback entries add up to the earning"
    # the last mug's units are still on the order, but its money is refunded
    before=$(snapshot)
    post_fails 2 "$(refund_json r6 2026-03-03T14:00:00Z P1 '"lines":[{"sku":"MUG","quantity":1}]')"
    assert_unchanged "$before" "nothing left to refund"
    assert_balance ben "0 0 0 0"
}

# ---------------------------------------------------------------------------------------------
refund_refused() {
    refund_programme false
    enrol cat 2026-03-01T09:00:00Z
    order o1 2026-03-02T09:00:00Z cat O1 "[$(line A x 2 1000),$(line B x 1 1000)]"
    local before
    before=$(snapshot)
    # name KEY BODY FIELD AT
    local cases=(
        "amount above the order|\"amount_minor\":3001|/amount_minor"
        "more units than ordered|\"lines\":[{\"sku\":\"A\",\"quantity\":3}]|/lines/0/quantity"
        "a SKU not on the order|\"lines\":[{\"sku\":\"Z\",\"quantity\":1}]|/lines/0/sku"
        "lines and amount together|\"lines\":[{\"sku\":\"A\",\"quantity\":1}],\"amount_minor\":5|/lines"
        "neither lines nor amount|\"lines\":[]|/lines"
        "zero amount|\"amount_minor\":0|/amount_minor"
    )
    local c
    for c in "${cases[@]}"; do
        IFS='|' read -r what body field <<<"$c"
        post_fails 2 "$(refund_json bad 2026-03-03T09:00:00Z O1 "$body")"
        assert_stderr_names "$field" "$what: the message names $field"
        assert_unchanged "$before" "$what: nothing written"
    done
    post_fails 2 "$(refund_json bad 2026-03-01T09:00:00Z O1 '"amount_minor":100')"
    assert_stderr_names "/at" "a refund dated before its order"
    post_fails 2 "$(refund_json bad 2026-03-03T09:00:00Z NO-SUCH-ORDER '"amount_minor":100')"
    assert_stderr_names "/order_id" "refund of an unknown order"
    assert_contains "$ERR" "NO-SUCH-ORDER" "the message names the order"
    assert_unchanged "$before" "refused refunds write nothing"
    # several units of one line in several refunds, then one too many
    post "$(refund_json a1 2026-03-03T09:00:00Z O1 '"lines":[{"sku":"A","quantity":1}]')"
    post "$(refund_json a2 2026-03-03T09:00:00Z O1 '"lines":[{"sku":"A","quantity":1}]')"
    before=$(snapshot)
    post_fails 2 "$(refund_json a3 2026-03-03T09:00:00Z O1 '"lines":[{"sku":"A","quantity":1}]')"
    assert_stderr_names "/lines/0/quantity"
    assert_unchanged "$before" "the third unit of a two-unit line is refused"
}

# One SKU sold at two prices (a unit at a discount, say): a refund by line names the price of the
# unit it gives back; once one price's units are all refunded, the SKU alone says which.
one_sku_at_two_prices() {
    refund_programme true
    enrol dan 2026-03-01T09:00:00Z
    order o1 2026-03-02T09:00:00Z dan O1 "[$(line X x 2 100),$(line X x 1 1000)]" # 10 + 2x1 + 25 first
    local before
    before=$(snapshot)
    post_fails 2 "$(refund_json r1 2026-03-03T09:00:00Z O1 '"lines":[{"sku":"X","quantity":1}]')"
    assert_stderr_names "/lines/0/unit_price_minor" "which unit is said"
    assert_contains "$ERR" "several prices" "and why"
    post_fails 2 "$(refund_json r1 2026-03-03T09:00:00Z O1 '"lines":[{"sku":"X","quantity":1,"unit_price_minor":500}]')"
    assert_contains "$ERR" "no line of X at 500" "a price the order has not"
    assert_unchanged "$before" "refused refunds write nothing"
    post "$(refund_json r1 2026-03-03T09:00:00Z O1 '"lines":[{"sku":"X","quantity":1,"unit_price_minor":1000}]')"
    assert_json '.[0].points_clawed_back' 100 "the dear unit's 100 points"
    post "$(refund_json r2 2026-03-03T10:00:00Z O1 '"lines":[{"sku":"X","quantity":1}]')"
    assert_json '.[0].points_clawed_back' 10 "then the SKU alone: a cheap unit's 10"
}

# ---------------------------------------------------------------------------------------------
spent_points_forgiven() {
    refund_programme false
    enrol dan 2026-03-01T09:00:00Z
    order o1 2026-03-02T09:00:00Z dan O1 "[$(line A x 1 5000)]" # 500 + 25
    expect_exit 0 fidele --json redeem dan gift --at 2026-03-02T10:00:00Z
    assert_json '.balance.available' 125 "525 - 400 spent"
    post "$(refund_json r1 2026-03-03T09:00:00Z O1 '"amount_minor":5000')"
    check_json "full refund after spending: stops at zero" '.[0].points_clawed_back' 125 \
        '.[0].points_forgiven' 400 '.[0].balance | "\(.available) \(.pending) \(.lifetime)"' "0 0 400"
    expect_exit 0 fidele --json ledger dan
    assert_json '.entries[-1] | [.kind, .amount, .explanation]' \
        '["clawback",-125,[{"rule":"refund","label":"Refund clawback","points":-125,"forgiven":400}]]' \
        "the clawback entry shows what was forgiven"
    expect_exit 0 fidele ledger dan
    assert_contains "$OUT" "  -125  Refund clawback" "the text's line has the entry's sign"
    assert_contains "$OUT" "400 more forgiven" "and says what was forgiven"
    assert_eq "525|525" "$(sql "SELECT points_earned || '|' || points_clawed FROM orders WHERE ref = 'O1'")" \
        "the order is fully clawed (partly forgiven)"
    assert_eq 0 "$(sql "SELECT COALESCE(SUM(remaining), 0) FROM lots")" "no points left in lots"
}

# Everything a refund would take was spent: the refund still leaves an entry per account (0, what
# was forgiven), and a partial take says what it forgave of stamps too.
all_forgiven_in_the_ledger() {
    cat >p.json <<'JSON'
{"earning": {"points": 1, "per_minor": 100}, "enrolment": {"bonus_points": 0},
 "stamp_cards": [{"id": "coffee", "name": "Coffee", "stamps_required": 5, "reward": "r50", "per": "unit"}],
 "rewards": [{"id": "r50", "name": "R50", "kind": "fixed_discount", "value_minor": 500, "cost_points": 50}],
 "refunds": {"allow_negative_balance": false}}
JSON
    init_db p.json
    enrol amy 2026-01-01T09:00:00Z
    order o1 2026-01-02T10:00:00Z amy O1 "[$(line LATTE x 5 1000)]" # 50 points, a full card
    expect_exit 0 fidele --json redeem amy r50 --at 2026-01-03T00:00:00Z
    post "$(refund_json r1 2026-01-04T00:00:00Z O1 '"amount_minor":5000')"
    check_json "nothing left to take" '.[0].points_forgiven' 50 '.[0].stamps_forgiven.coffee' 5
    expect_exit 0 fidele --json ledger amy
    check_json "the refund's entries" \
        '[.entries[] | select(.kind == "clawback") | "\(.account) \(.amount) \(.explanation[0] | del(.rule, .label))"]' \
        '["points 0 {\"points\":0,\"forgiven\":50}","stamps 0 {\"stamps\":0,\"forgiven\":5}"]'
    expect_exit 0 fidele ledger amy
    assert_contains "$OUT" "clawback     0 points" "no sign on nothing"
    assert_contains "$OUT" "50 forgiven: the balance may not go below zero" "what was forgiven"
    # a stamp earned since: one taken, the rest of the card forgiven
    order o2 2026-01-05T10:00:00Z amy O2 "[$(line LATTE x 1 100)]"
    order o3 2026-01-05T11:00:00Z amy O3 "[$(line LATTE x 5 100)]"
    post "$(refund_json r3 2026-01-06T00:00:00Z O3 '"amount_minor":500')"
    expect_exit 0 fidele --json ledger amy
    check_json "stamps taken and forgiven" \
        '[.entries[] | select(.kind == "clawback" and .account == "stamps")][-1] | "\(.amount) \(.explanation[0].forgiven)"' \
        '-1 4'
}

# ---------------------------------------------------------------------------------------------
spent_points_debt() {
    refund_programme true
    enrol eva 2026-03-01T09:00:00Z
    order o1 2026-03-02T09:00:00Z eva O1 "[$(line A x 1 5000)]" # 525
    expect_exit 0 fidele --json redeem eva gift --at 2026-03-02T10:00:00Z
    post "$(refund_json r1 2026-03-03T09:00:00Z O1 '"amount_minor":5000')"
    check_json "full refund after spending: a debt" '.[0].points_clawed_back' 525 \
        '.[0] | has("points_forgiven")' false '.[0].balance | "\(.available) \(.lifetime)"' "-400 0"
    # the next order (300) repays the debt first: its lot holds nothing
    order o2 2026-03-04T09:00:00Z eva O2 "[$(line A x 1 3000)]"
    assert_json '.[0] | "\(.points) \(.balance.available)"' "300 -100" "300 repay 300 of the debt"
    assert_eq "300|0" "$(sql "SELECT l.amount || '|' || l.remaining FROM lots l JOIN orders o ON o.id = l.order_id
        WHERE o.ref = 'O2'")" "O2's lot is used up by the debt"
    assert_eq "300" "$(sql "SELECT u.amount FROM lot_uses u JOIN lots l ON l.id = u.lot_id
        JOIN orders o ON o.id = l.order_id WHERE o.ref = 'O2'")" "the repayment is a lot use"
    order o3 2026-03-05T09:00:00Z eva O3 "[$(line A x 1 2000)]"
    assert_json '.[0].balance | "\(.available) \(.lifetime)"' "100 500" "200 repay the last 100"
    assert_eq "200|100" "$(sql "SELECT l.amount || '|' || l.remaining FROM lots l JOIN orders o ON o.id = l.order_id
        WHERE o.ref = 'O3'")" "O3's lot keeps what the debt did not take"
    local before
    before=$(snapshot)
    expect_exit 2 fidele --json redeem eva gift --at 2026-03-05T10:00:00Z
    assert_unchanged "$before" "100 points cannot pay a 400-point reward"
}

# ---------------------------------------------------------------------------------------------
pending_and_cashback() {
    init_db ecommerce # pending 30 days, 5 points per euro, first order +100, 1% cashback
    enrol fay 2026-03-01T09:00:00Z
    order a1 2026-03-02T10:00:00Z fay A1 "[$(line DRESS dresses 1 10000)]"
    assert_json '.[0] | "\(.points) \(.pending) \(.cashback.amount_minor)"' "600 true 100" "A1"
    post "$(refund_json a1r 2026-03-03T10:00:00Z A1 '"amount_minor":10000')"
    check_json "full refund while pending" '.[0].points_clawed_back' 600 \
        '.[0].cashback_clawed_back.amount_minor' 100 \
        '.[0].balance | "\(.available) \(.pending) \(.lifetime) \(.cashback.amount_minor)"' "100 0 100 0"
    assert_eq "cancelled|0" "$(sql "SELECT l.state || '|' || l.remaining FROM lots l JOIN orders o ON o.id = l.order_id
        WHERE o.ref = 'A1'")" "the pending lot is cancelled"
    # B1: 4000 -> 200 pending, cashback 40; a quarter refunded while pending
    order b1 2026-03-02T11:00:00Z fay B1 "[$(line SCARF scarves 2 2000)]"
    assert_json '.[0] | "\(.points) \(.cashback.amount_minor)"' "200 40" "B1"
    post "$(refund_json b1r 2026-03-04T10:00:00Z B1 '"amount_minor":1000')"
    check_json "quarter refund while pending" '.[0].points_clawed_back' 50 \
        '.[0].cashback_clawed_back.amount_minor' 10 '.[0].balance | "\(.available) \(.pending)"' "100 150"
    # 30 days in Paris: 2026-03-02 12:00 CET -> 2026-04-01 12:00 CEST = 10:00Z
    expect_exit 0 fidele --json --now 2026-04-01T09:59:59Z run-due
    assert_json .points_confirmed 0 "not yet"
    expect_exit 0 fidele --json --now 2026-04-01T10:00:00Z run-due
    assert_json .points_confirmed 150 "the rest confirms after 30 days (local time, across DST)"
    post "$(refund_json b1r2 2026-04-02T10:00:00Z B1 '"amount_minor":3000')"
    check_json "the rest refunded after confirmation" '.[0].points_clawed_back' 150 \
        '.[0].cashback_clawed_back.amount_minor' 30 \
        '.[0].balance | "\(.available) \(.pending) \(.lifetime) \(.cashback.amount_minor)"' "100 0 100 0"
    assert_eq "earn points 100 0 - v1 enrolment=100
earn_pending points 0 600 A1 v1 base=500,first_order=100
earn cashback 100 0 A1 v1 cashback
clawback points 0 -600 A1 v1 refund
clawback cashback -100 0 A1 v1 refund
earn_pending points 0 200 B1 v1 base=200
earn cashback 40 0 B1 v1 cashback
clawback points 0 -50 B1 v1 refund
clawback cashback -10 0 B1 v1 refund
confirm points 150 -150 B1 v1 pending_period
clawback points -150 0 B1 v1 refund=-150
clawback cashback -30 0 B1 v1 refund" "$(ledger_table fay)" "fay's ledger"
}

# ---------------------------------------------------------------------------------------------
stamps_clawback() {
    init_db cafe # coffee card: a stamp per coffee unit, 10 for a free coffee; beans x1.5
    enrol sam 2026-03-02T08:00:00Z
    # Tuesday 09:00 in Paris: no afternoon multiplier. 1000 coffee + 1200 beans:
    # base 220, beans +60, first order +20 = 300; 4 stamps
    order s1 2026-03-03T08:00:00Z sam S1 "[$(line ESPRESSO coffee 4 250),$(line BEANS beans 1 1200)]"
    check_json "S1" '.[0].points' 300 '.[0].stamps.coffee' 4
    # the beans back: the coffees still earn 100 + 20, the stamps stay
    post "$(refund_json s1r 2026-03-03T09:00:00Z S1 '"lines":[{"sku":"BEANS","quantity":1}]')"
    check_json "beans refunded" '.[0].points_clawed_back' 180 '.[0].stamps_clawed_back' '{}'
    # two coffees back: 50 points and 2 stamps
    post "$(refund_json s1r2 2026-03-03T10:00:00Z S1 '"lines":[{"sku":"ESPRESSO","quantity":2}]')"
    check_json "two coffees refunded" '.[0].points_clawed_back' 50 '.[0].stamps_clawed_back' '{"coffee":2}' \
        '.[0].balance.stamps.coffee.stamps' 2 '.[0] | has("stamps_forgiven")' false
    # nine coffees: 11 stamps, a full card issues a free coffee, one stamp left
    order s2 2026-03-04T08:00:00Z sam S2 "[$(line ESPRESSO coffee 9 250)]"
    check_json "S2 fills the card" '.[0].stamps.coffee' 9 '.[0].vouchers | map(.reward)' '["free-coffee"]' \
        '.[0].balance.stamps.coffee.stamps' 1
    # S2 refunded in full: 9 stamps to take back, the card holds 1 (no negative balances)
    post "$(refund_json s2r 2026-03-05T08:00:00Z S2 '"lines":[{"sku":"ESPRESSO","quantity":9}]')"
    check_json "S2 refunded" '.[0].stamps_clawed_back' '{"coffee":1}' '.[0].points_clawed_back' 225 \
        '.[0].balance.stamps.coffee.stamps' 0 '.[0].stamps_forgiven' '{"coffee":8}'
    assert_eq "earn stamps:coffee 4 0 S1 v1 
clawback stamps:coffee -2 0 S1 v1 refund
earn stamps:coffee 9 0 S2 v1 
redeem stamps:coffee -10 0 S2 v1 stamp_card:coffee
clawback stamps:coffee -1 0 S2 v1 refund" "$(ledger_table sam | grep ' stamps:')" "sam's stamp entries"
    assert_eq "issued" "$(sql "SELECT state FROM vouchers")" "the voucher of the full card stays valid"
    assert_eq "0|1" "$(sql "SELECT stamps || '|' || cards_completed FROM stamp_balances")" "stamp balance"
}

# ---------------------------------------------------------------------------------------------
own_lot_first() {
    init_db bakery # lots expire 12 months after they were earned; no negative balances
    enrol ola 2026-01-05T09:00:00Z                                        # L0: 5
    order o1 2026-01-10T09:00:00Z ola O1 "[$(line BAGUETTE bread 3 1000)]" # L1: 30
    order o2 2026-02-10T09:00:00Z ola O2 "[$(line TART pastry 1 4000)]"    # L2: 40
    lot_of() { sql "SELECT l.id FROM lots l JOIN orders o ON o.id = l.order_id WHERE o.ref = '$1'"; }
    local l0=1 l1 l2
    l1=$(lot_of O1)
    l2=$(lot_of O2)
    # a quarter of O2 back: 10 points from O2's own lot, not from L0 which expires first
    post "$(refund_json r1 2026-02-10T10:00:00Z O2 '"amount_minor":1000')"
    assert_json '.[0].points_clawed_back' 10 "a quarter of 40"
    assert_eq "$l2:10" "$(sql "SELECT group_concat(u.lot_id || ':' || u.amount, ' ') FROM lot_uses u
        JOIN ledger l ON l.id = u.ledger_id WHERE l.kind = 'clawback'")" "taken from the order's own lot"
    # spend 60: L0 5, L1 30, L2 25 (soonest expiry first); O3 forms L3
    expect_exit 0 fidele --json redeem ola free-loaf --at 2026-02-11T09:00:00Z
    order o3 2026-02-12T09:00:00Z ola O3 "[$(line BAGUETTE bread 1 1000)]" # L3: 10
    local l3
    l3=$(lot_of O3)
    # the rest of O2: 30 to take, O2's lot holds 5, then L3 10; 15 forgiven
    post "$(refund_json r2 2026-02-13T09:00:00Z O2 '"amount_minor":3000')"
    check_json "the rest of O2" '.[0].points_clawed_back' 15 '.[0].points_forgiven' 15 \
        '.[0].balance.available' 0
    assert_eq "$l2:5 $l3:10" "$(sql "SELECT group_concat(lot_id || ':' || amount, ' ') FROM (SELECT u.lot_id, u.amount
        FROM lot_uses u JOIN ledger l ON l.id = u.ledger_id WHERE l.kind = 'clawback' AND l.event_key = 'r2'
        ORDER BY u.lot_id)")" "own lot first, then the others"
    assert_eq "$l0:0 $l1:0 $l2:0 $l3:0" "$(sql "SELECT group_concat(id || ':' || remaining, ' ') FROM (SELECT * FROM lots ORDER BY id)")" \
        "every lot is empty"
}

# ---------------------------------------------------------------------------------------------
debt_repaid_at_confirmation() {
    init_db bookshop # pending 14 days, negative balances allowed
    enrol kit 2026-03-01T10:00:00Z                                      # 50
    order k1 2026-03-02T10:00:00Z kit K1 "[$(line BOOK fiction 1 30000)]" # 300 pending, bookworm
    assert_json '.[0].tier_upgrade.tier' bookworm "300 EUR: bookworm"
    expect_exit 0 fidele --json --now 2026-03-16T10:00:00Z run-due
    assert_json .points_confirmed 300 "K1 confirmed after 14 days"
    expect_exit 0 fidele --json redeem kit tote --at 2026-03-16T11:00:00Z
    assert_json .balance.available 100 "350 - 250"
    post "$(refund_json k1r 2026-03-17T10:00:00Z K1 '"amount_minor":30000')"
    assert_json '.[0].balance | "\(.available) \(.lifetime)"' "-200 50" "the spent points become a debt"
    # bookworm until the review: 100 + 20% = 120, pending until 3 April 11:00 CEST (09:00Z)
    order k2 2026-03-20T10:00:00Z kit K2 "[$(line BOOK fiction 1 10000)]"
    assert_json '.[0].breakdown | map("\(.rule)=\(.points)") | join(" ")' "base=100 tier:bookworm=20" "K2"
    assert_json '.[0].balance | "\(.available) \(.pending)"' "-200 120" \
        "pending points do not repay the debt yet"
    expect_exit 0 fidele --json --now 2026-04-03T09:00:00Z run-due
    assert_json .points_confirmed 120 "K2 confirmed"
    assert_balance kit "-80 0 170 0" "the confirmed points repaid 120 of the debt"
    assert_eq "120|0|120" "$(sql "SELECT l.amount || '|' || l.remaining || '|' || u.amount FROM lots l
        JOIN orders o ON o.id = l.order_id JOIN lot_uses u ON u.lot_id = l.id
        JOIN ledger g ON g.id = u.ledger_id AND g.kind = 'confirm' WHERE o.ref = 'K2'")" \
        "the repayment is a use of K2's lot by its confirmation"
}

# ---------------------------------------------------------------------------------------------
refund_under_old_programme() {
    refund_programme false
    enrol uli 2026-03-01T09:00:00Z
    # coffee 500 + beans 1000: base 150, beans +50 (x1.5), first order 25 = 225
    order p1 2026-03-02T09:00:00Z uli P1 "[$(line COFFEE coffee 2 250),$(line BEANS beans 1 1000)]"
    assert_json '.[0].points' 225 "P1 under version 1"
    jq '.earning.multipliers[0].factor_pct = 300' p.json >v2.json
    expect_exit 0 fidele --json program set v2.json
    # the coffees back: the beans alone earned 100 + 50 + 25 = 175 under version 1, so 50 come
    # back (under version 2 the beans would earn 100 + 200 + 25 and nothing would)
    post "$(refund_json r1 2026-03-03T09:00:00Z P1 '"lines":[{"sku":"COFFEE","quantity":2}]')"
    assert_json '.[0].points_clawed_back' 50 "the refund recomputes under the order's own version"
    expect_exit 0 fidele --json ledger uli
    assert_json '.entries[-1] | "\(.kind) \(.amount) v\(.program_version)"' "clawback -50 v2" \
        "the clawback entry is written by the current version"
}

# ---------------------------------------------------------------------------------------------
# Points of the order that expired left the balance already: refunds take back at most what the
# order earned less what of it expired, whether spent (from other lots) or still in its lot.
refund_after_expiry() {
    write p.json '{"earning": {"points": 1, "per_minor": 100},
      "rewards": [{"id": "r", "name": "R", "kind": "experience", "cost_points": 30}],
      "expiry": {"mode": "per_lot", "months": 1}}'
    init_db p.json
    enrol ivy 2026-01-01T09:00:00Z
    order o1 2026-01-02T09:00:00Z ivy O1 "[$(line X x 1 5000)]" # 50, expire 2 February
    order o2 2026-01-20T09:00:00Z ivy O2 "[$(line X x 1 5000)]" # 50, expire 20 February
    expect_exit 0 fidele --json redeem ivy r --at 2026-01-21T09:00:00Z # 30 of O1's lot
    expect_exit 0 fidele --json --now 2026-02-02T09:00:00Z run-due      # O1's last 20 expire
    assert_balance ivy "50 0 100 0"
    # 40% of O1 back: 20 points, all of them the spent part
    post "$(refund_json r1 2026-02-03T09:00:00Z O1 '"amount_minor":2000')"
    check_json "a partial refund takes the spent part" '.[0].points_clawed_back' 20 \
        '.[0].balance.available' 30
    # the rest of O1: 30 more would be due, 10 of them spent, 20 expired
    post "$(refund_json r2 2026-02-03T10:00:00Z O1 '"amount_minor":3000')"
    check_json "the expired points are not taken again" '.[0].points_clawed_back' 10 \
        '.[0].balance.available' 20
    assert_eq "O1|50|50" "$(sql "SELECT ref || '|' || points_earned || '|' || points_clawed FROM orders
        WHERE ref = 'O1'")" "the order counts its earning cancelled in full"
    # a partial refund after part of an order's own lot expired: its lot's remainder goes first
    order o3 2026-02-04T09:00:00Z ivy O3 "[$(line X x 1 10000)]" # 100, expire 4 March
    expect_exit 0 fidele --json redeem ivy r --at 2026-02-05T09:00:00Z # 20 of O2's lot, 10 of O3's
    expect_exit 0 fidele --json --now 2026-03-04T09:00:00Z run-due      # O3's 90 expire
    assert_balance ivy "0 0 170 0"
    post "$(refund_json r3 2026-03-05T09:00:00Z O3 '"amount_minor":10000')"
    check_json "of O3's 100, 90 expired: 10 to take back, spent, so forgiven" \
        '.[0].points_clawed_back' 0 '.[0].points_forgiven' 10 '.[0].balance.available' 0
}

# An order whose lines are free and whose shipping is paid: its refunds divide by the lines'
# total, which is zero (the program died of a division by zero, and the server with it).
free_lines_and_shipping() {
    init_db ecommerce
    enrol ann 2026-03-01T09:00:00Z
    order o1 2026-03-02T09:00:00Z ann O1 "[$(line GIFT x 1 0)]" '"shipping_minor":500'
    post "$(refund_json r1 2026-03-03T09:00:00Z O1 '"lines":[{"sku":"GIFT","quantity":1}]')"
    assert_json '.[0].status' applied "the free line is refunded: no money"
    post "$(refund_json r2 2026-03-03T10:00:00Z O1 '"amount_minor":500')"
    assert_json '.[0].status' applied "the shipping is refunded"
    assert_eq 500 "$(sql "SELECT refunded_minor FROM orders WHERE ref = 'O1'")" "all that was paid"
    post_fails 2 "$(refund_json r3 2026-03-03T11:00:00Z O1 '"amount_minor":1')"
}

# ---------------------------------------------------------------------------------------------
# Refunds by lines and by amount together add up to the whole earning in either order; tax added
# on top is part of what the lines were paid; an order that paid shipping alone (earning on it
# here) gives its cashback back in full; a free line refunded takes back the stamp it earned.
mixed_refunds_add_up() {
    write p.json '{"earning": {"points": 10, "per_minor": 100, "basis": {"include_shipping": true},
        "multipliers": [{"id": "beans", "name": "Beans x1.5", "factor_pct": 150,
                         "categories": ["beans"]}]},
      "cashback": {"percent_bp": 1000},
      "stamp_cards": [{"id": "coffee", "name": "Coffee card", "stamps_required": 10,
                       "reward": "gift", "per": "unit", "categories": ["coffee"]}],
      "rewards": [{"id": "gift", "name": "Gift", "kind": "experience", "cost_points": 400}]}'
    init_db p.json
    enrol eve 2026-03-01T09:00:00Z
    # 1000 of mugs (100 points) and 1000 of beans (150): 250, cashback 200
    local lines="[$(line MUG gift 1 1000),$(line BEANS beans 1 1000)]"
    order m1 2026-03-02T09:00:00Z eve M1 "$lines"
    assert_json '.[0] | "\(.points) \(.cashback.amount_minor)"' "250 200" "M1"
    # the mug by line: 250 - 150 (the beans left); then 1000 by amount, the rest of the
    # merchandise: the order counts as refunded, everything goes back
    post "$(refund_json m1a 2026-03-03T09:00:00Z M1 '"lines":[{"sku":"MUG","quantity":1}]')"
    check_json "the mug" '.[0].points_clawed_back' 100 '.[0].cashback_clawed_back.amount_minor' 100
    post "$(refund_json m1b 2026-03-03T10:00:00Z M1 '"amount_minor":1000')"
    check_json "the rest of the merchandise by amount" '.[0].points_clawed_back' 150 \
        '.[0].cashback_clawed_back.amount_minor' 100
    # the other way round: 1000 by amount first takes 250 x 1000 / 2000 = 125; the beans by line
    # then leave the mug's 100 on its 1000 of merchandise, which the 1000 refunded covers
    order m2 2026-03-04T09:00:00Z eve M2 "$lines"
    post "$(refund_json m2a 2026-03-05T09:00:00Z M2 '"amount_minor":1000')"
    check_json "1000 by amount" '.[0].points_clawed_back' 125 '.[0].cashback_clawed_back.amount_minor' 100
    post "$(refund_json m2b 2026-03-05T10:00:00Z M2 '"lines":[{"sku":"BEANS","quantity":1}]')"
    check_json "then the beans" '.[0].points_clawed_back' 125 '.[0].cashback_clawed_back.amount_minor' 100
    assert_eq "M1|250|250|200|200 M2|250|250|200|200" \
        "$(sql "SELECT group_concat(ref || '|' || points_earned || '|' || points_clawed || '|' ||
            cashback_earned || '|' || cashback_clawed, ' ') FROM (SELECT * FROM orders ORDER BY id)")" \
        "both orders give back all they earned"

    # tax of 200 added on top of 2000 of lines: paid 2200, 220 points; half the money by amount
    # takes half; a line refund gives back its price with its tax (1100), which ends the order
    order t1 2026-03-06T09:00:00Z eve T1 "[$(line MUG gift 2 1000)]" \
        '"tax_included":false,"tax_minor":200'
    assert_json '.[0] | "\(.points) \(.cashback.amount_minor)"' "220 220" "T1"
    post "$(refund_json t1a 2026-03-07T09:00:00Z T1 '"amount_minor":1100')"
    check_json "half the money" '.[0].points_clawed_back' 110 '.[0].cashback_clawed_back.amount_minor' 110
    post "$(refund_json t1b 2026-03-07T10:00:00Z T1 '"lines":[{"sku":"MUG","quantity":1}]')"
    check_json "a mug with its tax" '.[0].refunded.amount_minor' 1100 \
        '.[0].points_clawed_back' 110 '.[0].cashback_clawed_back.amount_minor' 110
    assert_eq "2200|2200" "$(sql "SELECT refunded_minor || '|' || paid_minor FROM orders
        WHERE ref = 'T1'")" "all that was paid is refunded"

    # the merchandise discounted to nothing, 500 of shipping earning 50 points and 50 of cashback
    order s1 2026-03-08T09:00:00Z eve S1 "[$(line MUG gift 1 1000)]" \
        '"discount_minor":1000,"shipping_minor":500'
    assert_json '.[0] | "\(.points) \(.cashback.amount_minor)"' "50 50" "S1"
    post "$(refund_json s1a 2026-03-09T09:00:00Z S1 '"amount_minor":500')"
    check_json "all it paid" '.[0].points_clawed_back' 50 '.[0].cashback_clawed_back.amount_minor' 50

    # a free espresso earns its stamp like the paid latte; refunding it takes that stamp back
    order f1 2026-03-10T09:00:00Z eve F1 "[$(line LATTE coffee 1 380),$(line ESPRESSO coffee 1 0)]"
    assert_json '.[0].stamps.coffee' 2 "F1 earns two stamps"
    post "$(refund_json f1a 2026-03-11T09:00:00Z F1 '"lines":[{"sku":"ESPRESSO","quantity":1}]')"
    check_json "the free espresso" '.[0].refunded.amount_minor' 0 '.[0].stamps_clawed_back.coffee' 1
    assert_balance eve "38 0 38 38"
}

# ---------------------------------------------------------------------------------------------
# An order whose merchandise is all refunded counts as refunded in full though its shipping was
# kept: it no longer counts towards a tier judged on orders, as one refunded to the last cent.
merchandise_refunded_shipping_kept() {
    write p.json '{"earning": {"points": 1, "per_minor": 100},
      "tiers": {"metric": "orders", "window": "calendar_year", "grace_days": 30,
                "levels": [{"id": "silver", "name": "Silver", "threshold": 2, "multiplier_pct": 110}]}}'
    init_db p.json
    enrol ann 2026-06-01T10:00:00Z
    order o1 2026-06-01T10:05:00Z ann O1 "[$(line X x 1 30000)]" '"shipping_minor":500'
    post "$(refund_json o1r 2026-06-01T11:00:00Z O1 '"lines":[{"sku":"X","quantity":1}]')"
    check_json "the merchandise refunded" '.[0].refunded.amount_minor' 30000 '.[0].points_clawed_back' 300
    assert_eq "1|500" "$(sql "SELECT refunded_in_full || '|' || (paid_minor - refunded_minor) FROM orders")" \
        "refunded in full, the shipping kept"
    order o2 2026-06-01T11:30:00Z ann O2 "[$(line Y x 1 1000)]"
    assert_json '.[0] | has("tier_upgrade")' false "O1 no longer counts: one order"
    order o3 2026-06-01T12:00:00Z ann O3 "[$(line Y x 1 1000)]"
    assert_json '.[0].tier_upgrade.tier' silver "two orders"
    # refunded by amount down to the shipping, the same
    enrol bea 2026-06-01T10:00:00Z
    order p1 2026-06-01T10:05:00Z bea P1 "[$(line X x 1 30000)]" '"shipping_minor":500'
    post "$(refund_json p1r 2026-06-01T11:00:00Z P1 '"amount_minor":29999')"
    assert_eq 0 "$(sql "SELECT refunded_in_full FROM orders WHERE ref = 'P1'")" "a cent of merchandise kept"
    post "$(refund_json p1r2 2026-06-01T11:01:00Z P1 '"amount_minor":1')"
    assert_eq 1 "$(sql "SELECT refunded_in_full FROM orders WHERE ref = 'P1'")" "the last cent"
    order p2 2026-06-01T11:30:00Z bea P2 "[$(line Y x 1 1000)]"
    assert_json '.[0] | has("tier_upgrade")' false "P1 no longer counts"
    assert_eq "ann:silver bea:" "$(sql "SELECT group_concat(ref || ':' || tier, ' ') FROM (SELECT * FROM customers ORDER BY ref)")" \
        "the tiers"
}

scenario full_refund full_refund
scenario partial_refunds_add_up partial_refunds_add_up
scenario refund_refused refund_refused
scenario one_sku_at_two_prices one_sku_at_two_prices
scenario spent_points_forgiven spent_points_forgiven
scenario all_forgiven_in_the_ledger all_forgiven_in_the_ledger
scenario spent_points_debt spent_points_debt
scenario pending_and_cashback pending_and_cashback
scenario stamps_clawback stamps_clawback
scenario own_lot_first own_lot_first
scenario debt_repaid_at_confirmation debt_repaid_at_confirmation
scenario refund_under_old_programme refund_under_old_programme
scenario refund_after_expiry refund_after_expiry
scenario free_lines_and_shipping free_lines_and_shipping
scenario mixed_refunds_add_up mixed_refunds_add_up
scenario merchandise_refunded_shipping_kept merchandise_refunded_shipping_kept
finish
