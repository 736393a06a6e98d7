#!/usr/bin/env bash
# Earning rules end to end: every figure below is computed by hand from the programme, then
# checked against the order's --json result and the ledger's explanation lines.
# Europe/Paris is UTC+1 in winter and UTC+2 from 2026-03-29 01:00Z to 2026-10-25 01:00Z.
. "$(dirname "$0")/lib.sh"

# ---------------------------------------------------------------------------------------------
base_and_rounding() {
    write floor.json '{"earning": {"points": 3, "per_minor": 200, "rounding": "floor"}}'
    write nearest.json '{"earning": {"points": 3, "per_minor": 200, "rounding": "nearest"}}'
    write ceil.json '{"earning": {"points": 3, "per_minor": 200, "rounding": "ceil"}}'
    # after_discounts false, shipping in, tax out: 5000 + 400 - 750 = 4650
    write basis.json '{"earning": {"points": 1, "per_minor": 100,
        "basis": {"after_discounts": false, "include_shipping": true, "include_tax": false}}}'
    # the default basis: after discounts, no shipping, tax in: 5000 - 500 = 4500
    write default-basis.json '{"earning": {"points": 1, "per_minor": 100}}'
    init_db floor.json
    enrol alice 2026-01-05T09:00:00Z
    assert_json '.[0].welcome_points' 0 "no enrolment section: no welcome points"

    # order_check KEY ORDER_ID AMOUNT EXPECTED_POINTS
    order_check() {
        order "$1" 2026-01-06T09:00:00Z alice "$2" "[$(line BOOK book 1 "$3")]"
        check_json "$2: $3 minor" '.[0].points' "$4" \
            '.[0].breakdown' "[{\"rule\":\"base\",\"label\":\"Base points\",\"points\":$4}]"
    }
    order_check r1 R1 1250 18 # 18.75 floored
    order_check r2 R2 1300 19 # 19.5 floored
    expect_exit 0 fidele --json program set nearest.json
    assert_json .version 2 "nearest is version 2"
    order_check r3 R3 1250 19 # 18.75 -> 19
    order_check r4 R4 1300 20 # 19.5: halves away from zero
    order_check r5 R5 1210 18 # 18.15 -> 18
    expect_exit 0 fidele --json program set ceil.json
    order_check r6 R6 1210 19 # 18.15 -> 19
    order_check r7 R7 1200 18 # exactly 18 stays 18

    expect_exit 0 fidele --json program set basis.json
    order b1 2026-01-07T09:00:00Z alice B1 "[$(line BOOK book 2 2500)]" \
        '"discount_minor":500,"shipping_minor":400,"tax_minor":750'
    assert_json '.[0].points' 46 "basis without discount, with shipping, without tax: 4650"
    expect_exit 0 fidele --json program set default-basis.json
    order b2 2026-01-07T10:00:00Z alice B2 "[$(line BOOK book 2 2500)]" \
        '"discount_minor":500,"shipping_minor":400,"tax_minor":750'
    assert_json '.[0].points' 45 "default basis: after discount, no shipping, with tax: 4500"
    assert_eq "4650 4500" "$(sql "SELECT group_concat(basis_minor, ' ') FROM (SELECT basis_minor
        FROM orders WHERE ref IN ('B1','B2') ORDER BY ref)")" "orders.basis_minor"
    assert_eq "4900 4900" "$(sql "SELECT group_concat(paid_minor, ' ') FROM orders
        WHERE ref IN ('B1','B2')")" "paid = gross - discount + shipping"
    # every entry names the programme version that produced it
    assert_eq "earn points 18 0 R1 v1 base=18
earn points 19 0 R2 v1 base=19
earn points 19 0 R3 v2 base=19
earn points 20 0 R4 v2 base=20
earn points 18 0 R5 v2 base=18
earn points 19 0 R6 v3 base=19
earn points 18 0 R7 v3 base=18
earn points 46 0 B1 v4 base=46
earn points 45 0 B2 v5 base=45" "$(ledger_table alice)" "alice's ledger"
    # 18 + 19 + 19 + 20 + 18 + 19 + 18 + 46 + 45
    assert_balance alice "222 0 222 0"
}

# ---------------------------------------------------------------------------------------------
sku_category_multiplier() {
    write p.json '{"earning": {"points": 1, "per_minor": 100, "multipliers": [
        {"id": "local", "name": "Local authors x2", "factor_pct": 200, "categories": ["local"]},
        {"id": "signed", "name": "Signed copies x3", "factor_pct": 300, "skus": ["SIGNED-1"]}]}}'
    init_db p.json
    enrol bea 2026-01-05T09:00:00Z
    # gross 6000, discount 600, basis 5400: base 54; local lines 3000 of 6000 -> share 2700 of
    # the basis -> +27; the signed line 1000 -> share 900 -> +2 x 9 = +18
    order m1 2026-01-06T09:00:00Z bea M1 \
        "[$(line BOOK-A local 2 1500),$(line SIGNED-1 novel 1 1000),$(line MUG gift 1 2000)]" \
        '"discount_minor":600'
    check_json "M1" '.[0].breakdown | map("\(.rule)=\(.points)") | join(" ")' \
        "base=54 multiplier:local=27 multiplier:signed=18" '.[0].points' 99
    assert_eq "Base points|54 Local authors x2|27 Signed copies x3|18" \
        "$(fidele --json ledger bea | jq -r '.entries[] | select(.order_id == "M1")
            | .explanation | map("\(.label)|\(.points)") | join(" ")')" "M1 explanation in the ledger"
    order m2 2026-01-06T10:00:00Z bea M2 "[$(line MUG gift 1 2000)]"
    assert_json '.[0].breakdown | map("\(.rule)=\(.points)") | join(" ")' "base=20" \
        "M2: no matching line, no multiplier line"
    # one line matching both rules: both apply to it
    order m3 2026-01-06T11:00:00Z bea M3 "[$(line SIGNED-1 local 1 1000)]"
    assert_json '.[0].breakdown | map("\(.rule)=\(.points)") | join(" ")' \
        "base=10 multiplier:local=10 multiplier:signed=20" "M3: a line matching both rules"
    # each part is rounded on its own: 13.33 -> 13, 3.33 -> 3
    order m4 2026-01-06T12:00:00Z bea M4 "[$(line BOOK-B local 1 333),$(line MUG gift 1 1000)]"
    assert_json '.[0].breakdown | map("\(.rule)=\(.points)") | join(" ")' \
        "base=13 multiplier:local=3" "M4: each part floored"
    assert_eq "earn points 99 0 M1 v1 base=54,multiplier:local=27,multiplier:signed=18
earn points 20 0 M2 v1 base=20
earn points 40 0 M3 v1 base=10,multiplier:local=10,multiplier:signed=20
earn points 16 0 M4 v1 base=13,multiplier:local=3" "$(ledger_table bea)" "bea's ledger"
    assert_balance bea "$((99 + 20 + 40 + 16)) 0 $((99 + 20 + 40 + 16)) 0"
}

# ---------------------------------------------------------------------------------------------
time_windows_paris() {
    write p.json '{"earning": {"points": 1, "per_minor": 100, "multipliers": [
        {"id": "afternoon", "name": "Double 14-16 on weekdays", "factor_pct": 200,
         "weekdays": ["mon", "tue", "wed", "thu", "fri"], "hours": {"from": "14:00", "to": "16:00"}},
        {"id": "saturday", "name": "Saturday x1.5", "factor_pct": 150, "weekdays": ["sat"]},
        {"id": "night", "name": "Night x3", "factor_pct": 300, "hours": {"from": "22:00", "to": "02:00"}}]}}'
    init_db p.json --timezone Europe/Paris
    enrol cleo 2025-12-01T09:00:00Z
    # Each order is 10.00 EUR: base 10, afternoon +10, saturday +5, night +20.
    local cases=(
        # UTC instant          local time (Paris)          expected rules
        "2026-03-04T13:30:00Z|Wed 14:30 CET|base afternoon"
        "2026-03-04T12:59:59Z|Wed 13:59:59 CET|base"
        "2026-03-04T13:00:00Z|Wed 14:00 CET (from is inclusive)|base afternoon"
        "2026-03-04T14:59:59Z|Wed 15:59:59 CET|base afternoon"
        "2026-03-04T15:00:00Z|Wed 16:00 CET (to is exclusive)|base"
        "2026-03-07T13:30:00Z|Sat 14:30 CET|base saturday"
        "2026-03-06T23:30:00Z|Sat 00:30 CET (Friday in UTC)|base saturday night"
        "2026-03-07T23:30:00Z|Sun 00:30 CET (Saturday in UTC)|base night"
        "2026-03-04T21:00:00Z|Wed 22:00 CET|base night"
        "2026-03-05T00:59:59Z|Thu 01:59:59 CET|base night"
        "2026-03-05T01:00:00Z|Thu 02:00 CET|base"
        "2026-03-27T14:30:00Z|Fri 15:30 CET, before the change|base afternoon"
        "2026-03-29T00:30:00Z|Sun 01:30 CET, the night of the change|base night"
        "2026-03-29T01:00:00Z|Sun 03:00 CEST, 02:00-03:00 never happened|base"
        "2026-03-30T14:30:00Z|Mon 16:30 CEST (15:30 in winter)|base"
        "2026-03-30T12:30:00Z|Mon 14:30 CEST (13:30 in winter)|base afternoon"
        "2026-03-30T11:59:59Z|Mon 13:59:59 CEST|base"
        "2026-10-23T13:30:00Z|Fri 15:30 CEST|base afternoon"
        "2026-10-23T14:30:00Z|Fri 16:30 CEST|base"
        "2026-10-26T14:30:00Z|Mon 15:30 CET, after the change back|base afternoon"
        "2026-10-26T15:00:00Z|Mon 16:00 CET|base"
    )
    local events="" i=0 c
    for c in "${cases[@]}"; do
        events+="$(order_json "w$i" "${c%%|*}" cleo "W$i" "[$(line CAKE cake 1 1000)]")"$'\n'
        i=$((i + 1))
    done
    post "$events"
    declare -A extra=([base]=10 [afternoon]=10 [saturday]=5 [night]=20)
    local want="" total=0
    i=0
    for c in "${cases[@]}"; do
        local at=${c%%|*} rest=${c#*|}
        local what=${rest%%|*} rules=${rest#*|} parts="" r points=0
        for r in $rules; do
            [ "$r" = base ] && parts+=" base=10" || parts+=" multiplier:$r=${extra[$r]}"
            points=$((points + extra[$r]))
        done
        want+="W$i $at $points${parts} ($what)"$'\n'
        total=$((total + points))
        i=$((i + 1))
    done
    local got
    got=$(jq -r --argjson cases "$(printf '%s\n' "${cases[@]}" | jq -R . | jq -s .)" \
        'to_entries[] | .key as $i | .value | "\(.order_id) \(.at) \(.points) \(.breakdown
         | map("\(.rule)=\(.points)") | join(" ")) (\($cases[$i] | split("|")[1]))"' <<<"$OUT")
    assert_eq "${want%$'\n'}" "$got" "multipliers by local weekday and hour"
    assert_balance cleo "$total 0 $total 0"
}

# ---------------------------------------------------------------------------------------------
# The text output speaks the merchant's time: an order at 14:30Z in March is 15:30 in Paris
# (+01:00), one at 12:00Z in July is 14:00 (+02:00); --json stays UTC.
times_in_the_merchants_zone() {
    init_db bookshop --timezone Europe/Paris
    NOW=2026-08-01T00:00:00Z
    enrol zoe 2026-03-01T09:00:00Z
    order z1 2026-03-03T14:30:00Z zoe Z1 "[$(line BOOK book 1 30000)]"
    order z2 2026-07-14T12:00:00Z zoe Z2 "[$(line BOOK book 1 1000)]"
    expect_exit 0 fidele ledger zoe
    assert_contains "$OUT" "2026-03-03 15:30:00+01:00  earn_pending +300 pending" \
        "the ledger shows the March order at 15:30 in Paris"
    assert_contains "$OUT" "2026-07-14 14:00:00+02:00  earn_pending" \
        "and the July order at 14:00, in summer time"
    expect_exit 0 fidele member show zoe
    assert_contains "$OUT" "enrolled   2026-03-01 10:00:00+01:00" "member show: the enrolment"
    assert_contains "$OUT" "tier       Bookworm since 2026-03-03 15:30:00+01:00" \
        "member show: the tier since the order"
    assert_contains "$OUT" "  2026-03-03 15:30:00+01:00  Reader       -> Bookworm     reached" \
        "member show: the tier history"
    expect_exit 0 fidele --json ledger zoe
    assert_json '.entries[] | select(.order_id == "Z1" and .kind == "earn_pending") | .at' \
        "2026-03-03T14:30:00Z" "--json stays in UTC"

    NOW=""
    init_db bookshop --timezone Asia/Kolkata
    NOW=2026-08-01T00:00:00Z
    enrol ravi 2026-03-01T09:00:00Z
    order r1 2026-03-03T14:30:00Z ravi R1 "[$(line BOOK book 1 1000)]"
    expect_exit 0 fidele ledger ravi
    assert_contains "$OUT" "2026-03-03 20:00:00+05:30  earn_pending" "a half-hour offset in Kolkata"
}

# ---------------------------------------------------------------------------------------------
campaign_and_merchant_timezone() {
    write p.json '{"earning": {"points": 1, "per_minor": 100, "multipliers": [
        {"id": "spring", "name": "Spring week x3", "factor_pct": 300,
         "from": "2026-03-20T00:00:00+01:00", "until": "2026-03-27T00:00:00+01:00"},
        {"id": "afternoon", "name": "Double 14-16", "factor_pct": 200,
         "hours": {"from": "14:00", "to": "16:00"}}]}}'
    init_db p.json --timezone Europe/Paris
    enrol ana 2026-01-05T09:00:00Z
    # the campaign runs [from, until): 10 EUR earn 10, +20 during the campaign
    post "$(order_json s1 2026-03-19T22:59:59Z ana S1 "[$(line A x 1 1000)]")
$(order_json s2 2026-03-19T23:00:00Z ana S2 "[$(line A x 1 1000)]")
$(order_json s3 2026-03-26T22:59:59Z ana S3 "[$(line A x 1 1000)]")
$(order_json s4 2026-03-26T23:00:00Z ana S4 "[$(line A x 1 1000)]")"
    assert_json 'map("\(.order_id)=\(.points)") | join(" ")' "S1=10 S2=30 S3=30 S4=10" \
        "the campaign starts at from and ends before until"
    # the hours are the merchant's: 05:30Z is 06:30 in Paris and 14:30 in Tokyo
    order t1 2026-03-04T05:30:00Z ana T1 "[$(line A x 1 1000)]"
    assert_json '.[0].points' 10 "06:30 in Paris"
    init_db p.json --timezone Asia/Tokyo
    enrol ana 2026-01-05T09:00:00Z
    order t1 2026-03-04T05:30:00Z ana T1 "[$(line A x 1 1000)]"
    assert_json '.[0].breakdown | map(.rule) | join(" ")' "base multiplier:afternoon" "14:30 in Tokyo"
    order t2 2026-03-04T07:00:00Z ana T2 "[$(line A x 1 1000)]"
    assert_json '.[0].points' 10 "16:00 in Tokyo"
}

# ---------------------------------------------------------------------------------------------
channel_multiplier() {
    write p.json '{"earning": {"points": 1, "per_minor": 100, "multipliers": [
        {"id": "web", "name": "Online x1.5", "factor_pct": 150, "channels": ["online"]}]}}'
    init_db p.json
    enrol dina 2026-01-05T09:00:00Z
    order c1 2026-01-06T09:00:00Z dina C1 "[$(line TEA tea 1 2000)]" '"channel":"store"'
    order c2 2026-01-06T10:00:00Z dina C2 "[$(line TEA tea 1 2000)]"
    order c3 2026-01-06T11:00:00Z dina C3 "[$(line TEA tea 1 2000)]" '"channel":"online"'
    assert_eq "earn points 20 0 C1 v1 base=20
earn points 20 0 C2 v1 base=20
earn points 30 0 C3 v1 base=20,multiplier:web=10" "$(ledger_table dina)" \
        "only the online order has the channel multiplier (no channel = store)"
    assert_eq "C1|store C2|store C3|online" \
        "$(sql "SELECT group_concat(ref || '|' || channel, ' ') FROM (SELECT * FROM orders ORDER BY id)")" \
        "orders.channel"
    assert_balance dina "70 0 70 0"
}

# ---------------------------------------------------------------------------------------------
first_order_and_minimum() {
    write p.json '{"earning": {"points": 1, "per_minor": 100, "min_order_minor": 1000,
        "first_order_bonus": 30}}'
    init_db p.json
    enrol eli 2026-01-05T09:00:00Z
    order f1 2026-01-06T09:00:00Z eli F1 "[$(line A x 1 2550)]"
    assert_json '.[0].breakdown | map("\(.rule)=\(.label)=\(.points)") | join(" ")' \
        "base=Base points=25 first_order=First order bonus=30" "first order earns the bonus"
    order f2 2026-01-07T09:00:00Z eli F2 "[$(line A x 1 2550)]"
    # minimum order: the basis must reach 1000
    order f3 2026-01-08T09:00:00Z eli F3 "[$(line A x 1 999)]"
    check_json "999 is below the minimum" '.[0].points' 0 \
        '.[0].breakdown | map([.rule, .label, .points])' \
        '[["base","Below the minimum order: no points",0]]'
    assert_eq 0 "$(sql "SELECT COUNT(*) FROM ledger l JOIN orders o ON o.id = l.order_id
        WHERE o.ref = 'F3'")" "no ledger entry for an order that earned nothing"
    order f4 2026-01-08T10:00:00Z eli F4 "[$(line A x 1 1200)]" '"discount_minor":201'
    assert_json '.[0].points' 0 "discount brings the basis to 999, below the minimum"
    order f5 2026-01-08T11:00:00Z eli F5 "[$(line A x 1 1000)]"
    assert_json '.[0].points' 10 "exactly the minimum earns"
    assert_eq "earn points 55 0 F1 v1 base=25,first_order=30
earn points 25 0 F2 v1 base=25
earn points 10 0 F5 v1 base=10" "$(ledger_table eli)" "eli's ledger: no bonus on F2, nothing for F3 and F4"
    assert_balance eli "$((55 + 25 + 10)) 0 $((55 + 25 + 10)) 0"

    # Orders dated before enrolment, posted after it, at the same instant: one first order.
    enrol gus 2026-01-10T09:00:00Z
    order g1 2026-01-09T09:00:00Z gus G1 "[$(line A x 1 1000)]"
    order g2 2026-01-09T09:00:00Z gus G2 "[$(line A x 1 1000)]"
    order g3 2026-01-09T09:00:00Z gus G3 "[$(line A x 1 1000)]"
    assert_eq "earn points 40 0 G1 v1 base=10,first_order=30
earn points 10 0 G2 v1 base=10
earn points 10 0 G3 v1 base=10" "$(ledger_table gus | grep -v enrolment)" \
        "gus's ledger: the bonus once, whatever the orders' instants"
}

# A card of stamps alone (no points per unit): a first order's fixed bonus is still paid, and
# its breakdown does not speak of a minimum.
first_order_bonus_without_rate() {
    write p.json '{"earning": {"points": 0, "per_minor": 100, "first_order_bonus": 50},
        "stamp_cards": [{"id": "coffee", "name": "Coffee", "stamps_required": 10, "reward": "fc",
            "per": "unit"}],
        "rewards": [{"id": "fc", "name": "Free coffee", "kind": "free_product", "sku": "ESP"}]}'
    init_db p.json
    enrol ida 2026-01-05T09:00:00Z
    order i1 2026-01-06T09:00:00Z ida I1 "[$(line LATTE x 1 380)]"
    check_json "the first order's bonus" '.[0].points' 50 \
        '.[0].breakdown | map("\(.rule)=\(.label)=\(.points)") | join(" ")' \
        "base=Base points=0 first_order=First order bonus=50" '.[0].stamps.coffee' 1
    order i2 2026-01-07T09:00:00Z ida I2 "[$(line LATTE x 1 380)]"
    assert_json '.[0].points' 0 "the next order earns stamps only"
    # a hundred full cards at once at most (each a voucher): a quantity typed wrong is refused
    local before
    before=$(snapshot)
    post_fails 2 "$(order_json i3 2026-01-08T09:00:00Z ida I3 "[$(line LATTE x 1008 0)]")"
    assert_contains "$ERR" 'would fill 101 cards' "101 cards refused"
    assert_unchanged "$before" "nothing written"
    order i4 2026-01-08T09:00:00Z ida I4 "[$(line LATTE x 998 0)]"
    assert_json '.[0].vouchers | length' 100 "a hundred"
}

# ---------------------------------------------------------------------------------------------
enrolment_bonus_quick() {
    init_db cafe
    # Orders at 08:00Z on Monday 2 March 2026 (09:00 in Paris), customers not yet members.
    enrol ann 2026-03-02T10:00:00Z
    assert_json '.[0].welcome_points' 20 "no purchase: the normal bonus"
    local who
    for who in ben cat dan; do
        order "o-$who" 2026-03-02T08:00:00Z "$who" "O-$who" "[$(line ESPRESSO coffee 1 250)]"
        check_json "$who buys as a non-member" '.[0].member' false '.[0] | has("points")' false
    done
    enrol ben 2026-03-03T08:00:00Z # exactly 24 h later
    assert_json '.[0].welcome_points' 50 "enrolled exactly 24 h after the purchase: quick bonus"
    enrol cat 2026-03-03T08:00:01Z # 24 h and 1 s later
    assert_json '.[0].welcome_points' 20 "24 h + 1 s: the normal bonus"
    enrol dan 2026-03-02T08:30:00Z
    assert_json '.[0].welcome_points' 50 "half an hour later: quick bonus"
    expect_exit 0 fidele --json ledger ben
    assert_json '.entries | map(.explanation[0] | "\(.label)|\(.points)")' \
        '["Welcome bonus (joined within a day of buying)|50"]' "the quick bonus is explained"
    expect_exit 0 fidele --json ledger ann
    assert_json '.entries | map(.explanation[0] | "\(.label)|\(.points)")' \
        '["Welcome bonus|20"]' "the normal bonus is explained"
    assert_eq "ann|20 ben|50 cat|20 dan|50" "$(sql "SELECT group_concat(ref || '|' || points_available, ' ')
        FROM (SELECT * FROM customers ORDER BY ref)")" "balances"
    # enrolled at the till before the order reached Fidele: the order, dated five minutes
    # before and the first, makes the bonus the larger one; a second such order, nothing more
    enrol eve 2026-03-04T10:05:00Z
    assert_json '.[0].welcome_points' 20 "no purchase known yet: the normal bonus"
    order e1 2026-03-04T10:00:00Z eve E1 "[$(line ESPRESSO coffee 1 250)]"
    order e2 2026-03-04T09:00:00Z eve E2 "[$(line ESPRESSO coffee 1 250)]"
    expect_exit 0 fidele --json ledger eve
    assert_json '[.entries[] | .explanation[] | select(.rule == "enrolment") | .points] | sort' '[20,30]' \
        "the difference, once, at the enrolment's instant"
    assert_json '[.entries[] | select(.explanation[0].rule == "enrolment") | .at] | unique' \
        '["2026-03-04T10:05:00Z"]' "dated at the enrolment"
    expect_exit 2 fidele member add ann --key enrol-again
    assert_stderr_names "already a member"
    expect_exit 2 fidele member add ann --email ann@example.org
    assert_contains "$ERR" '"ann" is already a member, enrolled with other details' \
        "added again with other details: said as such, not as a key's conflict"
    # an e-mail is kept folded in every script and found however it is typed
    expect_exit 0 fidele member add elo --email ÉLODIE@Example.FR
    expect_exit 0 fidele --json member find élodie@example.fr
    assert_contains "$OUT" '"email": "élodie@example.fr"' "kept folded, found"
    expect_exit 0 fidele --json balance Élodie@EXAMPLE.fr
    assert_json .customer elo "an event or a look-up names her by it in any case"
    # a name is found whatever its case, in every script (SQLite's lower() lowers ASCII alone)
    expect_exit 0 fidele member add zoe --name "Zoé Léger"
    expect_exit 0 fidele --json member find "ZOÉ LÉGER"
    assert_json '[.[].id]' '["zoe"]' "found by her name in capitals"
}

# ---------------------------------------------------------------------------------------------
# Past orders credited at enrolment as they would have earned: the first-order bonus goes to the
# customer's first order (none when that one was refunded in full, not the next one), an order
# discounted to nothing still earns its stamps, and an enrolment dated before an order recorded
# earlier credits it at the order's instant (its card's voucher valid from then).
credit_past_orders_cafe() {
    NOW=2026-01-01T00:00:00Z init_db cafe # first order +20, enrolment +20, coffee card of 10
    "$FIDELE" --db "$DB" init --template cafe --print | jq '.enrolment.credit_past_orders = true' >p.json
    NOW=2026-01-01T00:00:00Z expect_exit 0 fidele program set p.json
    NOW=2026-06-05T12:00:00Z
    order b1 2026-06-01T08:00:00Z bob B1 "[$(line LATTE coffee 1 380)]"
    post "$(refund_json b1r 2026-06-01T09:00:00Z B1 '"amount_minor":380')"
    order b2 2026-06-02T08:00:00Z bob B2 "[$(line LATTE coffee 1 380)]"
    order b3 2026-06-02T09:00:00Z bob B3 "[$(line LATTE coffee 3 380)]" '"discount_minor":1140'
    enrol bob 2026-06-02T10:00:00Z
    assert_eq "earn points 20 0 - v2 enrolment=20
earn points 38 0 B2 v2 base=38
earn stamps:coffee 1 0 B2 v2 
earn stamps:coffee 3 0 B3 v2 " "$(ledger_table bob)" \
        "no first-order bonus for B2; B3's stamps"
    # enrolled on 10 January, an order of 1 June recorded before: credited on 1 June
    order c1 2026-06-01T10:00:00Z cy C1 "[$(line LATTE coffee 10 380)]"
    enrol cy 2026-01-10T09:00:00Z
    assert_eq "$(epoch 2026-06-01T10:00:00Z)" \
        "$(sql "SELECT MAX(l.at) FROM ledger l JOIN customers c ON c.id = l.customer_id WHERE c.ref = 'cy'")" \
        "credited at the order"
    expect_exit 0 fidele --json voucher list cy
    check_json "the card's voucher, valid 60 days from the order" \
        '.vouchers | map("\(.issued_at) \(.valid_until)") | join(",")' \
        "2026-06-01T10:00:00Z 2026-07-31T10:00:00Z"
}

# ---------------------------------------------------------------------------------------------
credit_past_orders_bookshop() {
    init_db bookshop
    # Two orders before enrolment. P1: basis 2250 (shipping excluded) -> 22.
    # P2: 2 local books 3600 - 200 discount = 3400 -> 34, local x2 -> +34: 68.
    order p1 2026-02-10T10:00:00Z lea P1 "[$(line NOVEL fiction 1 2250)]" '"shipping_minor":500'
    assert_json '.[0].member' false "P1 recorded for a non-member"
    order p2 2026-02-12T10:00:00Z lea P2 "[$(line LOCAL-1 local 2 1800)]" '"discount_minor":200'
    assert_eq "0 0" "$(sql "SELECT group_concat(points_earned, ' ') FROM orders")" \
        "nothing earned before enrolment"
    enrol lea 2026-02-20T10:00:00Z
    check_json "enrolment with past orders" '.[0].welcome_points' 50 \
        '.[0].past_orders_credited | "\(.orders) \(.points)"' "2 90" \
        '.[0].balance | "\(.available) \(.pending)"' "50 90"
    # past orders' points are pending like any order's (pending_days 14), credited at enrolment
    assert_eq "earn points 50 0 - v1 enrolment=50
earn_pending points 0 22 P1 v1 base=22
earn_pending points 0 68 P2 v1 base=34,multiplier:local-authors=34" "$(ledger_table lea)" "lea's ledger"
    assert_eq "$(epoch 2026-02-20T10:00:00Z)" "$(sql "SELECT group_concat(DISTINCT at) FROM ledger")" \
        "entries dated at enrolment"
    assert_eq "22 68" "$(sql "SELECT group_concat(points_earned, ' ') FROM (SELECT * FROM orders ORDER BY id)")" \
        "orders.points_earned"
    assert_eq "$(epoch 2026-03-06T10:00:00Z)" "$(sql "SELECT DISTINCT available_at FROM lots WHERE state = 'pending'")" \
        "pending lots become available 14 days after enrolment"
    expect_exit 0 fidele --json --now 2026-03-06T10:00:00Z run-due
    assert_json .points_confirmed 90 "run-due confirms the credited points"
    assert_balance lea "140 0 140 0"
    # a second enrolment is refused: past orders are credited once
    expect_exit 2 fidele member add lea --key enrol-again
    assert_stderr_names "already a member"
    # an order made as a member is not a past order
    order p3 2026-03-07T10:00:00Z lea P3 "[$(line NOVEL fiction 1 1000)]"
    assert_json '.[0].points' 10 "member order"

    # A pre-enrolment order partly refunded before enrolment earns on what was kept:
    # 5000 paid, 3000 refunded -> points for 2000 of goods = 20, not 50.
    order q1 2026-02-10T10:00:00Z max Q1 "[$(line NOVEL fiction 1 5000)]"
    post "$(refund_json q1r 2026-02-11T10:00:00Z Q1 '"amount_minor":3000')"
    # a past order refunded in full earns nothing
    order q2 2026-02-12T10:00:00Z max Q2 "[$(line NOVEL fiction 1 4000)]"
    post "$(refund_json q2r 2026-02-13T10:00:00Z Q2 '"amount_minor":4000')"
    enrol max 2026-02-20T10:00:00Z
    assert_json '.[0].past_orders_credited.orders' 1 "the fully refunded order is not credited"
    # the 3000 refunded before enrolment earn nothing: 20 points on the 2000 kept, not 50
    assert_json '.[0].balance.pending' 20 \
        "points credited for a partly refunded past order cover only what was kept"
    # refunding the rest takes back exactly what is left
    post "$(refund_json q1r2 2026-02-21T10:00:00Z Q1 '"amount_minor":2000')"
    assert_json '.[0].balance | "\(.available) \(.pending)"' "50 0" \
        "after the full refund only the welcome bonus remains"
}

# An enrolment dated before orders already recorded, with their points credited: each order earns
# the bonus of the tier held at its instant, reached by the orders before it.
credit_past_orders_at_their_tier() {
    write p.json '{"earning": {"points": 1, "per_minor": 100}, "enrolment": {"credit_past_orders": true},
      "tiers": {"metric": "spend", "window": "calendar_year", "grace_days": 31,
                "levels": [{"id": "silver", "name": "Silver", "threshold": 10000, "multiplier_pct": 150}]}}'
    init_db p.json
    order c1 2026-03-01T10:00:00Z cy C1 "[$(line BOOK x 1 10000)]"
    order c2 2026-04-01T10:00:00Z cy C2 "[$(line BOOK x 1 2000)]"
    NOW=2026-05-01T12:00:00Z post '{"type":"enrol","key":"e-cy","customer":"cy","at":"2026-02-01T10:00:00Z"}'
    check_json "credited" '.[0].past_orders_credited | "\(.orders) \(.points)"' "2 130" \
        '.[0].tier_upgrade.tier' silver
    # C1 crosses the threshold (no bonus yet), C2 earns silver's
    assert_eq "earn points 100 0 C1 v1 base=100
earn points 30 0 C2 v1 base=20,tier:silver=10" "$(ledger_table cy | grep '^earn')" "cy's ledger"
    expect_exit 0 fidele --json member show cy
    assert_json '.tier_history | map("\(.tier) \(.at)") | join(",")' "silver 2026-03-01T10:00:00Z" \
        "silver from C1"
}

# ---------------------------------------------------------------------------------------------
non_member_orders() {
    init_db cafe
    order n1 2026-03-02T08:00:00Z bob N1 "[$(line ESPRESSO coffee 3 250)]"
    assert_json '.[0] | "\(.member) \(has("points")) \(has("balance"))"' "false false false" \
        "a non-member order: recorded, nothing earned"
    order n2 2026-03-03T08:00:00Z bob N2 "[$(line CROISSANT pastry 2 180)]"
    assert_eq "0|2|1110" "$(sql "SELECT is_member || '|' || order_count || '|' || spend_minor
        FROM customers WHERE ref = 'bob'")" "the customer row counts the orders (KPIs)"
    assert_eq "N1|0|0 N2|0|0" "$(sql "SELECT group_concat(ref || '|' || member_at_order || '|' || points_earned, ' ')
        FROM (SELECT * FROM orders ORDER BY id)")" "orders recorded, no earning"
    assert_eq 0 "$(sql "SELECT COUNT(*) FROM ledger")" "no ledger entry"
    assert_eq 0 "$(sql "SELECT COUNT(*) FROM lots")" "no lot"
    assert_eq 0 "$(sql "SELECT COUNT(*) FROM stamp_balances")" "no stamps for a non-member"
    expect_exit 2 fidele balance bob
    assert_stderr_names "not a member"
    expect_exit 0 fidele member show bob
    assert_contains "$OUT" "bob (not a member)" "member show says so"
    # enrolling later (cafe: no credit of past orders) does not credit them
    enrol bob 2026-03-10T08:00:00Z
    check_json "bob enrols a week later" '.[0].welcome_points' 20 \
        '.[0] | has("past_orders_credited")' false
    assert_balance bob "20 0 20 0"
}

# ---------------------------------------------------------------------------------------------
cashback_ecommerce() {
    init_db ecommerce
    enrol zoe 2026-03-02T09:00:00Z
    assert_json '.[0].welcome_points' 100 "ecommerce welcome bonus"
    # basis = 12000 - 1000 discount - 1833 tax (shipping and tax excluded) = 9167
    # points: 458.35 -> 458, online x1.2 -> 91.67 -> 91, first order 100 = 649 (pending 30 days)
    # cashback: 1% of 9167 = 91.67 -> 91
    order e1 2026-03-03T10:00:00Z zoe E1 "[$(line SHOE shoes 2 6000)]" \
        '"channel":"online","discount_minor":1000,"shipping_minor":500,"tax_minor":1833'
    check_json "E1" '.[0].breakdown | map("\(.rule)=\(.points)") | join(" ")' \
        "base=458 multiplier:app-orders=91 first_order=100" \
        '.[0] | "\(.points) \(.pending) \(.cashback.amount_minor)"' "649 true 91"
    assert_balance zoe "100 649 100 91"
    # 20000 in store: 1000 points, 200 cashback; spend 11500 + 20000 reaches silver (25000)
    order e2 2026-03-04T10:00:00Z zoe E2 "[$(line COAT coats 1 20000)]"
    assert_json '.[0] | "\(.points) \(.cashback.amount_minor) \(.tier_upgrade.tier)"' "1000 200 silver" \
        "E2: points, cashback and the upgrade to silver"
    # silver adds 10%: 1000 -> 50 + 5
    order e3 2026-03-05T10:00:00Z zoe E3 "[$(line SOCK socks 1 1000)]"
    check_json "E3 earns the silver perk" '.[0].breakdown | map("\(.rule)=\(.points)") | join(" ")' \
        "base=50 tier:silver=5" '.[0].cashback.amount_minor' 10
    # a non-member earns no cashback either
    order e4 2026-03-05T11:00:00Z walkin E4 "[$(line SOCK socks 1 1000)]"
    assert_json '.[0] | has("cashback")' false "no cashback for a non-member"
    assert_eq "earn points 100 0 - v1 enrolment=100
earn_pending points 0 649 E1 v1 base=458,multiplier:app-orders=91,first_order=100
earn cashback 91 0 E1 v1 cashback
earn_pending points 0 1000 E2 v1 base=1000
earn cashback 200 0 E2 v1 cashback
earn_pending points 0 55 E3 v1 base=50,tier:silver=5
earn cashback 10 0 E3 v1 cashback" "$(ledger_table zoe)" "zoe's ledger"
    assert_balance zoe "100 $((649 + 1000 + 55)) 100 301"
}

# The engine's own lines of explanation speak the merchant's language, and a French shop's
# template names its rewards, cards and tiers in French.
labels_in_the_merchants_language() {
    init_db cafe --locale fr
    enrol amy 2026-02-01T08:00:00Z
    order a1 2026-02-02T08:00:00Z amy A1 "[$(line ESPRESSO coffee 1 250)]"
    check_json "the order's breakdown" '[.[0].breakdown[].label]' \
        '["Points de base","Bonus de première commande"]'
    post "$(refund_json r1 2026-02-03T08:00:00Z A1 '"amount_minor":250')"
    expect_exit 0 fidele --json ledger amy
    check_json "the ledger's own lines" '[.entries[] | select(.account == "points") | .explanation[0].label]' \
        '["Bonus de bienvenue","Points de base","Reprise sur remboursement"]'
    expect_exit 0 fidele --json rewards
    check_json "the template's rewards" '[.[].name]' \
        '["Café offert","Viennoiserie offerte","5 € de remise","Atelier latte art"]'
    expect_exit 0 fidele --json program show
    check_json "its card and tiers" '[.program.stamp_cards[0].name, .program.tiers.levels[].name]' \
        '["Carte café","Habitué","Famille"]'
}

# ---------------------------------------------------------------------------------------------
# An order recorded late earns the tier bonus of the tier held when it was placed, not of one
# reached since; a refund of it takes back that bonus, no more.
late_order_earns_its_own_tier() {
    init_db ecommerce # rolling 12 months; silver from 250 EUR (+10%), gold from 750 EUR (+25%)
    enrol zoe 2026-03-02T09:00:00Z
    order e1 2026-03-03T10:00:00Z zoe E1 "[$(line COAT coats 1 30000)]"
    assert_json '.[0].tier_upgrade.tier' silver "300 EUR: silver"
    order e2 2026-06-03T10:00:00Z zoe E2 "[$(line SOFA home 1 50000)]"
    assert_json '.[0].tier_upgrade.tier' gold "800 EUR: gold"
    order e3 2026-06-04T10:00:00Z zoe E3 "[$(line SOCK socks 1 2000)]"
    assert_json '.[0].breakdown | map("\(.rule)=\(.points)") | join(" ")' "base=100 tier:gold=25" \
        "a gold member's order"
    # placed in April, while silver, recorded after the upgrade to gold
    order e4 2026-04-10T10:00:00Z zoe E4 "[$(line SOCK socks 1 2000)]"
    assert_json '.[0].breakdown | map("\(.rule)=\(.points)") | join(" ")' "base=100 tier:silver=10" \
        "the silver bonus it was placed with"
    # placed before silver was reached
    order e5 2026-03-02T12:00:00Z zoe E5 "[$(line SOCK socks 1 2000)]"
    assert_json '.[0].breakdown | map("\(.rule)=\(.points)") | join(" ")' "base=100" \
        "no tier yet on 2 March"
    post "$(refund_json r4 2026-06-05T10:00:00Z E4 '"amount_minor":2000')"
    assert_json '.[0].points_clawed_back' 110 "the refund takes back what it earned"
    # a tier's reward, redeemed at a till that syncs late, is judged by the tier held then
    post '{"type":"adjustment","key":"a1","at":"2026-03-02T10:00:00Z","customer":"zoe","points":3000,"reason":"test","author":"it"}'
    expect_exit 2 fidele --json redeem zoe fifteen-pct --at 2026-04-11T10:00:00Z
    assert_contains "$ERR" "the member's tier is silver" "15% is for gold: zoe was silver in April"
    expect_exit 0 fidele --json redeem zoe fifteen-pct --at 2026-06-05T10:00:00Z
}

# A lifetime window only grows, but an order recorded late dates the tier at the first later
# order whose total reaches it, not at the latest: the orders between earn its bonus.
late_order_dates_a_lifetime_tier() {
    cat >lifetime.json <<'JSON'
{"earning": {"points": 1, "per_minor": 100},
 "tiers": {"metric": "spend", "window": "lifetime", "grace_days": 0,
           "levels": [{"id": "silver", "name": "Silver", "threshold": 10000, "multiplier_pct": 150}]}}
JSON
    init_db lifetime.json
    enrol mia 2026-01-01T00:00:00Z
    order b 2026-04-22T10:00:00Z mia B "[$(line A "" 1 3000)]"
    order c 2026-06-10T10:00:00Z mia C "[$(line A "" 1 1000)]"
    # dated in January, recorded in July: 7000 + 3000 reach silver at B (22 April)
    order a 2026-01-04T10:00:00Z mia A "[$(line A "" 1 7000)]"
    assert_json '.[0].tier_upgrade.tier' silver "the late order brings silver"
    expect_exit 0 fidele --json member show mia
    assert_json '.tier_history | map("\(.tier) \(.at)") | join(",")' "silver 2026-04-22T10:00:00Z" \
        "silver from B, the first order whose total reaches it"
    # an order of May, recorded later still, falls while silver was held
    order d 2026-05-01T10:00:00Z mia D "[$(line A "" 1 1000)]"
    assert_json '.[0].breakdown | map("\(.rule)=\(.points)") | join(" ")' "base=10 tier:silver=5" \
        "a May order earns silver's bonus"
}

scenario base_and_rounding base_and_rounding
scenario sku_category_multiplier sku_category_multiplier
scenario time_windows_paris time_windows_paris
scenario times_in_the_merchants_zone times_in_the_merchants_zone
scenario campaign_and_merchant_timezone campaign_and_merchant_timezone
scenario channel_multiplier channel_multiplier
scenario first_order_and_minimum first_order_and_minimum
scenario first_order_bonus_without_rate first_order_bonus_without_rate
scenario enrolment_bonus_quick enrolment_bonus_quick
scenario credit_past_orders_bookshop credit_past_orders_bookshop
scenario credit_past_orders_cafe credit_past_orders_cafe
scenario credit_past_orders_at_their_tier credit_past_orders_at_their_tier
scenario non_member_orders non_member_orders
scenario cashback_ecommerce cashback_ecommerce
scenario labels_in_the_merchants_language labels_in_the_merchants_language
scenario late_order_earns_its_own_tier late_order_earns_its_own_tier
scenario late_order_dates_a_lifetime_tier late_order_dates_a_lifetime_tier
finish
