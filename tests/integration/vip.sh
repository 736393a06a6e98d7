#!/usr/bin/env bash
# VIP refunds: a refund of a VIP payment, in full or in part, shortens the membership by the share
# of the time that payment bought, takes back the payment's unused welcome voucher, and is
# refused, writing nothing, when it names no payment of the member or more than is left of it.
# The ecommerce template's plan "club" costs 4900 a year, gives 150% points and a welcome voucher;
# cash_club below gives its welcome as a cashback credit instead, which a full refund takes back.
. "$(dirname "$0")/lib.sh"

# pay KEY AT MEMBER [AMOUNT PERIODS]: a VIP payment for the club.
pay() {
    post "{\"type\":\"vip_payment\",\"key\":\"$1\",\"at\":\"$2\",\"customer\":\"$3\",\"plan\":\"club\",\"amount_minor\":${4:-4900},\"periods\":${5:-1}}"
}

# vip_refund_json KEY AT MEMBER PAYMENT AMOUNT [EXTRA]: a VIP refund event.
vip_refund_json() {
    printf '{"type":"vip_refund","key":"%s","at":"%s","customer":"%s","payment":"%s","amount_minor":%s%s}' \
        "$1" "$2" "$3" "$4" "$5" "${6:+,$6}"
}

# iso SECONDS: the instant as the JSON outputs write it.
iso() {
    date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ
}

# rules: the rules of the last order's breakdown, space-separated.
rules() {
    jout '.[0].breakdown | map(.rule) | join(" ")'
}

bag() {
    echo "[$(line BAG bags 1 5000)]"
}

# ---------------------------------------------------------------------------------------------
# A full refund ends the membership at the refund's instant: orders dated after it earn without
# the plan's multiplier, orders dated before keep it (and the points already earned stay).
full_refund_ends_the_membership() {
    local NOW=2026-06-01T00:00:00Z
    init_db ecommerce
    enrol uma 2026-03-01T09:00:00Z
    pay vip1 2026-03-10T10:00:00Z uma
    local code
    code=$(jout '.[0].vouchers[0].code')
    order o1 2026-03-11T10:00:00Z uma O1 "$(bag)"
    assert_eq "base vip:club first_order" "$(rules)" "a member's order earns the club's bonus"
    expect_exit 0 fidele member show uma
    assert_contains "$OUT" "VIP        Club until 2027-03-10 11:00:00+01:00, free delivery" \
        "member show: a running membership and what it gives"
    expect_exit 0 fidele --json member show uma
    assert_json .vip_active true "the member's JSON: running"
    post "$(vip_refund_json rf1 2026-03-15T10:00:00Z uma vip1 4900)"
    check_json "the full refund" '.[0].type' vip_refund '.[0].refunded_minor' 4900 \
        '.[0].vip_until' 2026-03-15T10:00:00Z '.[0].vip' false \
        '.[0].welcome_voucher' "{\"code\":\"$code\",\"taken_back\":true,\"state\":\"expired\"}"
    expect_exit 0 fidele member show uma
    assert_contains "$OUT" "VIP        Club ended 2026-03-15 11:00:00+01:00" "member show: the new end"
    assert_true "an ended membership gives nothing" test "${OUT/free delivery/}" = "$OUT"
    expect_exit 0 fidele --json member show uma
    assert_json .vip_until 2026-03-15T10:00:00Z "the member's JSON: the new end"
    assert_json .vip_active false "the member's JSON: ended"
    order o2 2026-03-16T10:00:00Z uma O2 "$(bag)"
    assert_eq "base" "$(rules)" "an order after the refund earns without the multiplier"
    order o0 2026-03-12T10:00:00Z uma O0 "$(bag)"
    assert_eq "base vip:club" "$(rules)" "an order dated before the refund, recorded late, keeps it"
    expect_exit 0 fidele --json ledger uma
    assert_json '[.entries[] | select(.kind == "clawback")] | length' 0 "points earned as VIP stay"
    # the welcome voucher is taken back, and says so
    expect_exit 2 fidele --json voucher use "$code" --order O3
    assert_contains "$ERR" "taken back by the VIP refund \\\"rf1\\\"" "a withdrawn voucher is refused"
    expect_exit 0 fidele voucher show "$code"
    assert_contains "$OUT" "taken back 2026-03-15 11:00:00+01:00 by the VIP refund rf1" "voucher show"
    expect_exit 0 fidele --json voucher show "$code"
    check_json "the voucher's JSON" .state expired .withdrawn_by rf1 .withdrawn_at 2026-03-15T10:00:00Z
    assert_eq "vip1|4900|1|payment rf1|-4900|0|1" \
        "$(sql "SELECT group_concat(event_key || '|' || amount_minor || '|' || periods || '|' || COALESCE(refund_of, 'payment'), ' ') FROM (SELECT * FROM vip_payments ORDER BY id)")" \
        "the refund is a row of its own, naming its payment"
}

# ---------------------------------------------------------------------------------------------
# A renewal paid at the very instant the paid time ends continues the membership (no second
# welcome voucher, the day kept); paid at the instant a refund ended one, it starts a new one.
renewed_at_the_end() {
    local NOW=2028-06-01T00:00:00Z
    init_db ecommerce
    enrol uma 2026-03-01T09:00:00Z
    pay vip1 2026-03-10T10:00:00Z uma
    check_json "the first payment" '.[0].vip_until' 2027-03-10T10:00:00Z '.[0].vouchers | length' 1
    pay vip2 2027-03-10T10:00:00Z uma
    check_json "renewed on time: continued" '.[0].vip_until' 2028-03-10T10:00:00Z \
        '.[0].vouchers | length' 0
    enrol ada 2026-03-01T09:00:00Z
    pay vip3 2026-03-10T10:00:00Z ada
    post "$(vip_refund_json rf3 2026-04-01T10:00:00Z ada vip3 4900)"
    pay vip4 2026-04-01T10:00:00Z ada
    check_json "paid when a refund ended it: a new membership" '.[0].vip_until' \
        2027-04-01T10:00:00Z '.[0].vouchers | length' 1
}

# ---------------------------------------------------------------------------------------------
# A partial refund removes floor(span x refunded / paid) seconds, counted over the payment's
# refunds together; the welcome voucher stays until the payment is refunded in full.
partial_refund_shortens_proportionally() {
    local NOW=2026-12-01T00:00:00Z
    init_db ecommerce
    enrol uma 2026-03-01T09:00:00Z
    pay vip1 2026-03-10T10:00:00Z uma
    local paid_until span=31536000 # 2026-03-10 to 2027-03-10: 365 days
    paid_until=$(epoch 2027-03-10T10:00:00Z)
    post "$(vip_refund_json rp1 2026-03-15T10:00:00Z uma vip1 1000)"
    # 31536000 x 1000 / 4900 = 6435918.37: the member keeps the fraction of a second
    check_json "a fifth back" '.[0].seconds_removed' 6435918 \
        '.[0].vip_until' "$(iso $((paid_until - 6435918)))" '.[0].vip' true '.[0].welcome_voucher' null
    post "$(vip_refund_json rp2 2026-03-16T10:00:00Z uma vip1 1450)"
    check_json "half back in all: half the year" '.[0].refunded_minor' 2450 \
        '.[0].seconds_removed' $((span / 2 - 6435918)) '.[0].vip_until' 2026-09-08T22:00:00Z
    expect_exit 0 fidele --now 2026-03-17T00:00:00Z --json voucher list uma
    assert_json '.vouchers | map(.source)' '["vip_welcome"]' "the welcome voucher stays usable"
    order o1 2026-09-08T21:00:00Z uma O1 "$(bag)"
    assert_eq "base vip:club first_order" "$(rules)" "an order before the new end"
    expect_exit 0 fidele run-due
    order o2 2026-09-08T22:00:00Z uma O2 "$(bag)"
    assert_eq "base" "$(rules)" "an order at the new end"
    expect_exit 0 fidele --json member show uma
    assert_json .vip_until 2026-09-08T22:00:00Z "the member's JSON"
}

# ---------------------------------------------------------------------------------------------
# The refund of the earlier of two payments: the later one, which extended from its end, slides
# earlier by the refunded time (in seconds: a year of 365 days off a year with 29 February).
refund_of_the_earlier_of_two_payments() {
    local NOW=2027-06-01T00:00:00Z
    init_db ecommerce
    enrol uma 2026-03-01T09:00:00Z
    pay vip1 2026-03-10T10:00:00Z uma
    pay vip2 2026-12-01T10:00:00Z uma
    assert_json '.[0].vip_until' 2028-03-10T10:00:00Z "two years paid"
    post "$(vip_refund_json rf1 2026-12-05T10:00:00Z uma vip1 4900)"
    # the welcome voucher ran out in June (90 days): nothing to take back
    check_json "the first year off" '.[0].vip_until' 2027-03-11T10:00:00Z '.[0].vip' true \
        '.[0].seconds_removed' 31536000 '.[0].welcome_voucher.taken_back' false \
        '.[0].welcome_voucher.state' expired
    order o1 2026-12-06T10:00:00Z uma O1 "$(bag)"
    assert_eq "base vip:club first_order" "$(rules)" "still a member"
    order o2 2027-03-11T10:00:00Z uma O2 "$(bag)"
    assert_eq "base" "$(rules)" "no longer once the shortened membership ended"
    # a refund of a later payment after the refund of the earlier one
    post "$(vip_refund_json rf2 2027-03-01T10:00:00Z uma vip2 4900)"
    check_json "the second year off too" '.[0].vip_until' 2027-03-01T10:00:00Z '.[0].vip' false \
        '.[0].welcome_voucher' null

    # a payment of a membership that ended since (a new one began) shortens nothing
    enrol vee 2026-03-01T09:00:00Z
    pay vee1 2026-03-10T10:00:00Z vee
    pay vee2 2027-04-01T10:00:00Z vee
    post "$(vip_refund_json vrf 2027-04-02T10:00:00Z vee vee1 4900)"
    check_json "the lapsed year ran already" '.[0].vip_until' 2028-04-01T10:00:00Z \
        '.[0].seconds_removed' 0 '.[0].vip' true
}

# ---------------------------------------------------------------------------------------------
# A change of plan refunded in full gives back the plan paid before it: the time left is the
# earlier plan's. Orders dated while the new plan ran keep its perks; a partial refund keeps it.
refund_of_a_change_of_plan() {
    local NOW=2026-12-01T00:00:00Z
    "$FIDELE" --now "$NOW" init --template ecommerce --print --locale en |
        jq '.vip_plans += [.vip_plans[0] | .id = "gold" | .name = "Gold" | .price_minor = 9900
            | .multiplier_pct = 300 | .welcome_reward = ""]' >two-plans.json
    init_db two-plans.json
    enrol uma 2026-01-01T09:00:00Z
    pay vip1 2026-01-10T10:00:00Z uma
    post '{"type":"vip_payment","key":"gold1","at":"2026-06-01T10:00:00Z","customer":"uma","plan":"gold","amount_minor":9900}'
    assert_json '.[0].vip_until' 2028-01-10T10:00:00Z "the gold year counts from the club's end"
    post "$(vip_refund_json rg 2026-07-01T10:00:00Z uma gold1 9900)"
    check_json "the gold year off" '.[0].vip_until' 2027-01-10T10:00:00Z '.[0].vip' true
    expect_exit 0 fidele --json member show uma
    check_json "the club's time is left" .vip_plan club .vip_active true
    order o1 2026-07-02T10:00:00Z uma O1 "$(bag)"
    assert_eq "base vip:club first_order" "$(rules)" "an order after the refund earns the club's bonus"
    order o0 2026-06-15T10:00:00Z uma O0 "$(bag)"
    assert_eq "base vip:gold" "$(rules)" "an order dated while gold ran, recorded late, keeps gold"
    # a change of plan refunded in part keeps the new plan
    enrol vee 2026-01-01T09:00:00Z
    pay vee1 2026-01-10T10:00:00Z vee
    post '{"type":"vip_payment","key":"gold2","at":"2026-06-01T10:00:00Z","customer":"vee","plan":"gold","amount_minor":9900}'
    post "$(vip_refund_json rv 2026-07-01T10:00:00Z vee gold2 4950)"
    expect_exit 0 fidele --json member show vee
    assert_json .vip_plan gold "half of gold refunded: gold stays"
}

# ---------------------------------------------------------------------------------------------
# A welcome voucher already used stays used when its payment is refunded.
welcome_voucher_kept_when_used() {
    local NOW=2026-06-01T00:00:00Z
    init_db ecommerce
    enrol uma 2026-03-01T09:00:00Z
    pay vip1 2026-03-10T10:00:00Z uma
    local code
    code=$(jout '.[0].vouchers[0].code')
    post "{\"type\":\"voucher_use\",\"key\":\"use-1\",\"at\":\"2026-03-12T10:00:00Z\",\"code\":\"$code\",\"order_id\":\"O9\"}"
    post "$(vip_refund_json rf1 2026-03-15T10:00:00Z uma vip1 4900)"
    check_json "kept" '.[0].welcome_voucher' "{\"code\":\"$code\",\"taken_back\":false,\"state\":\"used\"}" \
        '.[0].vip' false
    expect_exit 0 fidele --json voucher show "$code"
    check_json "the voucher" .state used .used_order O9 .withdrawn_by null
}

# ---------------------------------------------------------------------------------------------
# Refusals name the field and write nothing; a replay answers the first result, another body
# under the same key is a conflict.
refusals_write_nothing() {
    local NOW=2026-06-01T00:00:00Z
    init_db ecommerce
    enrol uma 2026-03-01T09:00:00Z
    enrol bob 2026-03-01T09:00:00Z
    pay vip1 2026-03-10T10:00:00Z uma
    pay vipb 2026-03-10T10:00:00Z bob
    post "$(vip_refund_json r1 2026-03-15T10:00:00Z uma vip1 1000)"
    local first=$OUT before
    before=$(snapshot)
    post_fails 2 "$(vip_refund_json r2 2026-03-16T10:00:00Z uma vip1 3901)"
    assert_stderr_names "/amount_minor" "more than is left of the payment"
    assert_contains "$ERR" "3900 is left to refund" "says how much is left"
    post_fails 2 "$(vip_refund_json r2 2026-03-16T10:00:00Z uma nope 100)"
    assert_stderr_names "/payment" "an unknown payment"
    post_fails 2 "$(vip_refund_json r2 2026-03-16T10:00:00Z uma vipb 100)"
    assert_stderr_names "/payment" "another member's payment"
    assert_contains "$ERR" "another customer's" "says whose"
    post_fails 2 "$(vip_refund_json r2 2026-03-16T10:00:00Z uma r1 100)"
    assert_stderr_names "/payment" "a refund is no payment"
    post_fails 2 "$(vip_refund_json r2 2026-03-16T10:00:00Z uma vip1 100 '"currency":"USD"')"
    assert_stderr_names "/currency" "another currency"
    post_fails 2 "$(vip_refund_json r2 2026-03-14T10:00:00Z uma vip1 100)"
    assert_stderr_names "/at" "dated before the member's last refund"
    assert_contains "$ERR" "last VIP payment or refund (2026-03-15 11:00:00+01:00)" \
        "the message gives the last one in the merchant's time"
    # a payment dated before the last refund (or payment) would count its year from a
    # membership that had not begun: 29 months of perks for 24 paid
    post_fails 2 "{\"type\":\"vip_payment\",\"key\":\"vip0\",\"at\":\"2026-03-12T10:00:00Z\",\"customer\":\"uma\",\"plan\":\"club\",\"amount_minor\":4900}"
    assert_stderr_names "/at" "a payment dated before the member's last refund"
    assert_contains "$ERR" "a VIP payment is dated at or after the member's last VIP payment or refund (2026-03-15 11:00:00+01:00)" \
        "the message says which"
    post_fails 2 "$(vip_refund_json r2 2026-03-16T10:00:00Z nobody vip1 100)"
    assert_stderr_names "/customer" "an unknown member"
    post_fails 2 "$(vip_refund_json r2 2026-03-16T10:00:00Z uma vip1 0)"
    assert_stderr_names "/amount_minor" "nothing refunded"
    assert_unchanged "$before" "refused VIP refunds write nothing"
    # replay and conflict
    post "$(vip_refund_json r1 2026-03-15T10:00:00Z uma vip1 1000)"
    check_json "a replay" '.[0].status' replayed '.[0].vip_until' "$(jq -r '.[0].vip_until' <<<"$first")"
    post_fails 2 "$(vip_refund_json r1 2026-03-15T10:00:00Z uma vip1 1200)"
    assert_stderr_names "/key" "the same key for another refund"
    assert_unchanged "$before" "a replay and a conflict write nothing"
    # what is left, then nothing
    post "$(vip_refund_json r2 2026-03-16T10:00:00Z uma vip1 3900 '"currency":"EUR"')"
    assert_json '.[0].refunded_minor' 4900 "refunded in full"
    before=$(snapshot)
    post_fails 2 "$(vip_refund_json r3 2026-03-17T10:00:00Z uma vip1 1)"
    assert_stderr_names "/payment" "a payment refunded in full"
    assert_contains "$ERR" "refunded in full already" "says so"
    assert_unchanged "$before" "nothing written"
}

# ---------------------------------------------------------------------------------------------
# The club's welcome as a cashback credit of 15.00 ("welcome-cash", a reward only given), with
# refunds.allow_negative_balance as given (true or false): the programme file cash-club.json.
cash_club() {
    "$FIDELE" --now 2026-01-01T00:00:00Z init --template ecommerce --print --locale en |
        jq --argjson negative "$1" '.rewards += [{"id": "welcome-cash", "name": "Welcome credit",
            "kind": "cashback_credit", "value_minor": 1500}]
            | .vip_plans[0].welcome_reward = "welcome-cash"
            | .refunds.allow_negative_balance = $negative' >cash-club.json
}

# money AMOUNT: a money object of the merchant's currency, as results write it.
money() {
    printf '{"amount_minor":%s,"currency":"EUR"}' "$1"
}

# welcome_cashback CREDITED TAKEN FORGIVEN: the result's "welcome_cashback", compact.
welcome_cashback() {
    printf '{"credited":%s,"taken_back":%s,"forgiven":%s}' "$(money "$1")" "$(money "$2")" \
        "$(money "$3")"
}

# cashback_entries MEMBER: the member's cashback entries, one a line: KIND AMOUNT EVENT RULE
# LABEL FORGIVEN.
cashback_entries() {
    expect_exit 0 fidele --json ledger "$1"
    jout '.entries[] | select(.account == "cashback") | [.kind, .amount, .event_key,
        .explanation[0].rule, .explanation[0].label, (.explanation[0].forgiven // "-")]
        | map(tostring) | join(" ")'
}

# A full refund of a payment whose welcome was a cashback credit takes the credit back: an
# entry of its own, dated at the refund and naming it, explained in the merchant's language; the
# result says what it took. A replay changes nothing; the cashback orders earned stays.
welcome_cashback_taken_back() {
    local NOW=2026-06-01T00:00:00Z
    cash_club false
    init_db cash-club.json
    enrol uma 2026-03-01T09:00:00Z
    order o1 2026-03-02T10:00:00Z uma O1 "$(bag)"
    assert_json '.[0].cashback.amount_minor' 50 "an order earns 1% cashback"
    pay vip1 2026-03-10T10:00:00Z uma
    assert_json '.[0].vouchers' '[]' "a cashback welcome issues no voucher"
    assert_balance uma "100 350 100 1550" "the welcome credit is in the cashback account"
    # a later version makes the credit larger: what the payment credited is what is taken back
    jq '(.rewards[] | select(.id == "welcome-cash") | .value_minor) = 2500' cash-club.json >v2.json
    expect_exit 0 fidele program set v2.json
    post "$(vip_refund_json rf1 2026-03-15T10:00:00Z uma vip1 4900)"
    check_json "the full refund" '.[0].vip' false '.[0].welcome_voucher' null \
        '.[0].welcome_cashback' "$(welcome_cashback 1500 1500 0)"
    # (setting the programme did the work due by its clock first: the order's points confirmed)
    assert_balance uma "450 0 450 50" "the order's cashback stays"
    assert_eq "earn 50 o1 cashback Cashback on spend -
earn 1500 vip1 vip_welcome:club VIP welcome -
clawback -1500 rf1 vip_refund VIP refund: welcome credit taken back 0" "$(cashback_entries uma)" \
        "the credit and its take-back, each an entry of its event"
    assert_eq "$(epoch 2026-03-15T10:00:00Z)" \
        "$(sql "SELECT at FROM ledger WHERE event_key = 'rf1' AND account = 'cashback'")" \
        "dated at the refund"
    expect_exit 0 fidele ledger uma
    assert_contains "$OUT" "VIP refund: welcome credit taken back" "the ledger's line"
    local before first
    first=$(jq -c '.[0] | del(.status)' <<<"$OUT")
    before=$(snapshot)
    post "$(vip_refund_json rf1 2026-03-15T10:00:00Z uma vip1 4900)"
    check_json "a replay answers the first result" '.[0].status' replayed \
        '.[0].welcome_cashback' "$(welcome_cashback 1500 1500 0)"
    assert_unchanged "$before" "a replay takes nothing back again"
    post_fails 2 "$(vip_refund_json rf2 2026-03-16T10:00:00Z uma vip1 1)"
    assert_stderr_names "/payment" "refunded in full already"
    assert_unchanged "$before" "a refused refund writes nothing"
    verify_catches vip_take_back_within_welcome_credit \
        "UPDATE ledger SET amount = -1600 WHERE event_key = 'rf1' AND account = 'cashback'"
    verify_catches vip_take_back_within_welcome_credit \
        "UPDATE ledger SET amount = 10 WHERE event_key = 'rf1' AND account = 'cashback'"
    verify_catches vip_take_back_within_welcome_credit \
        "UPDATE ledger SET event_key = 'o1' WHERE event_key = 'vip1' AND account = 'cashback'"

    # in French, the line is in French
    cash_club false
    init_db cash-club.json --locale fr
    enrol zoe 2026-03-01T09:00:00Z
    pay vz 2026-03-10T10:00:00Z zoe
    post "$(vip_refund_json rz 2026-03-11T10:00:00Z zoe vz 4900)"
    assert_eq "earn 1500 vz vip_welcome:club Bienvenue VIP -
clawback -1500 rz vip_refund Remboursement VIP : crédit de bienvenue repris 0" \
        "$(cashback_entries zoe)" "the French merchant's lines"
}

# Part of the credit spent, debts forbidden (the template's rule): the refund takes what the
# cashback balance holds and forgives the rest, as an order's refund does; the entry says what
# it forgave. All of it spent: an entry of 0 that forgives it all.
welcome_cashback_spent_stops_at_zero() {
    local NOW=2026-06-01T00:00:00Z
    cash_club false
    init_db cash-club.json
    enrol uma 2026-03-01T09:00:00Z
    pay vip1 2026-03-10T10:00:00Z uma
    post '{"type":"redeem","key":"spend-1","at":"2026-03-11T10:00:00Z","customer":"uma","reward":"cashback-voucher"}'
    assert_balance uma "100 0 100 500" "10.00 of the 15.00 spent"
    post "$(vip_refund_json rf1 2026-03-15T10:00:00Z uma vip1 4900)"
    assert_json '.[0].welcome_cashback' "$(welcome_cashback 1500 500 1000)" "what is left is taken"
    assert_balance uma "100 0 100 0" "the balance stops at zero"
    assert_eq "earn 1500 vip1 vip_welcome:club VIP welcome -
redeem -1000 spend-1 reward Spend 10 EUR of cashback -
clawback -500 rf1 vip_refund VIP refund: welcome credit taken back 1000" "$(cashback_entries uma)" \
        "the take-back forgives what was spent"
    expect_exit 0 fidele ledger uma
    assert_contains "$OUT" "1000 more forgiven: the balance may not go below zero" "the ledger says so"

    enrol vee 2026-03-01T09:00:00Z
    pay vipv 2026-03-10T10:00:00Z vee
    post '{"type":"adjustment","key":"adj-v","at":"2026-03-11T10:00:00Z","customer":"vee","account":"cashback","points":-1500,"reason":"Paid out","author":"till"}'
    post "$(vip_refund_json rv 2026-03-15T10:00:00Z vee vipv 4900)"
    assert_json '.[0].welcome_cashback' "$(welcome_cashback 1500 0 1500)" "all of it spent"
    assert_balance vee "100 0 100 0" "nothing below zero"
    assert_eq "1|0|1500" "$(sql "SELECT COUNT(*) || '|' || SUM(amount) || '|' || json_extract(explanation, '\$[0].forgiven') FROM ledger WHERE event_key = 'rv'")" \
        "an entry of 0 records the refund and what it forgave"
}

# Part of the credit spent, debts allowed: the whole credit is taken back and the cashback
# balance goes below zero, a debt the next cashback repays.
welcome_cashback_spent_goes_negative() {
    local NOW=2026-06-01T00:00:00Z
    cash_club true
    init_db cash-club.json
    enrol uma 2026-03-01T09:00:00Z
    pay vip1 2026-03-10T10:00:00Z uma
    post '{"type":"redeem","key":"spend-1","at":"2026-03-11T10:00:00Z","customer":"uma","reward":"cashback-voucher"}'
    post "$(vip_refund_json rf1 2026-03-15T10:00:00Z uma vip1 4900)"
    assert_json '.[0].welcome_cashback' "$(welcome_cashback 1500 1500 0)" "all of it is taken"
    assert_balance uma "100 0 100 -1000" "a debt of what was spent"
    order o1 2026-03-16T10:00:00Z uma O1 "$(bag)"
    assert_balance uma "100 350 100 -950" "new cashback repays it"
}

# A partial refund leaves the credit, as it leaves the welcome voucher; the refund that
# completes the payment takes it back. Refused refunds write nothing.
welcome_cashback_stays_on_partial_refund() {
    local NOW=2026-06-01T00:00:00Z
    cash_club false
    init_db cash-club.json
    enrol uma 2026-03-01T09:00:00Z
    pay vip1 2026-03-10T10:00:00Z uma
    post "$(vip_refund_json rp1 2026-03-15T10:00:00Z uma vip1 2450)"
    check_json "half refunded" '.[0].refunded_minor' 2450 '.[0].welcome_cashback' null \
        '.[0].welcome_voucher' null
    assert_balance uma "100 0 100 1500" "the credit stays"
    local before
    before=$(snapshot)
    post_fails 2 "$(vip_refund_json rp2 2026-03-16T10:00:00Z uma vip1 2451)"
    assert_stderr_names "/amount_minor" "more than is left"
    post_fails 2 "$(vip_refund_json rp2 2026-03-14T10:00:00Z uma vip1 2450)"
    assert_stderr_names "/at" "dated before the last refund"
    assert_unchanged "$before" "refused refunds write nothing"
    post "$(vip_refund_json rp2 2026-03-16T10:00:00Z uma vip1 2450)"
    assert_json '.[0].welcome_cashback' "$(welcome_cashback 1500 1500 0)" \
        "the refund that completes the payment takes it back"
    assert_balance uma "100 0 100 0" "taken back once"
    assert_eq "1" "$(sql "SELECT COUNT(*) FROM ledger WHERE kind = 'clawback'")" "one take-back"
}

# ---------------------------------------------------------------------------------------------
verify_catches_tampered_refunds() {
    local NOW=2026-06-01T00:00:00Z
    init_db ecommerce
    enrol uma 2026-03-01T09:00:00Z
    pay vip1 2026-03-10T10:00:00Z uma
    post "$(vip_refund_json r1 2026-03-15T10:00:00Z uma vip1 1000)"
    verify_catches vip_refunds_within_payment \
        "UPDATE vip_payments SET amount_minor = -5000 WHERE refund_of IS NOT NULL"
    verify_catches vip_refunds_within_payment \
        "UPDATE vip_payments SET amount_minor = 1000 WHERE refund_of IS NOT NULL"
    verify_catches vip_refunds_within_payment "UPDATE vip_payments SET refund_of = 99 WHERE refund_of IS NOT NULL"
    verify_catches vip_until_equals_its_history \
        "UPDATE customers SET vip_until = vip_until + 86400 WHERE ref = 'uma'"
}

scenario full_refund_ends_the_membership full_refund_ends_the_membership
scenario renewed_at_the_end renewed_at_the_end
scenario partial_refund_shortens_proportionally partial_refund_shortens_proportionally
scenario refund_of_the_earlier_of_two_payments refund_of_the_earlier_of_two_payments
scenario refund_of_a_change_of_plan refund_of_a_change_of_plan
scenario welcome_voucher_kept_when_used welcome_voucher_kept_when_used
scenario refusals_write_nothing refusals_write_nothing
scenario verify_catches_tampered_refunds verify_catches_tampered_refunds
scenario welcome_cashback_taken_back welcome_cashback_taken_back
scenario welcome_cashback_spent_stops_at_zero welcome_cashback_spent_stops_at_zero
scenario welcome_cashback_spent_goes_negative welcome_cashback_spent_goes_negative
scenario welcome_cashback_stays_on_partial_refund welcome_cashback_stays_on_partial_refund
finish
