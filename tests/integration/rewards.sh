#!/usr/bin/env bash
# Rewards and vouchers: stamp cards rolling over into vouchers, voucher use (once), eligibility by
# tier and VIP, stock, cashback credits and cashback-paid rewards, VIP payments, manual
# adjustments, and redemptions the balance cannot pay. Every refusal exits 2 and writes nothing.
. "$(dirname "$0")/lib.sh"

# adjust MEMBER POINTS AT [extra fields]: a manual adjustment event (reason and author given).
adjust() {
    post "{\"type\":\"adjustment\",\"key\":\"adj-$1-$2-$3\",\"at\":\"$3\",\"customer\":\"$1\",\"points\":$2,\"reason\":\"test credit\",\"author\":\"it\"${4:+,$4}}"
}

# ---------------------------------------------------------------------------------------------
stamp_card_rollover() {
    init_db cafe # a stamp per coffee unit, 10 stamps for a free coffee valid 60 days
    enrol tom 2026-03-02T08:00:00Z
    # weekdays at 09:00 in Paris: no afternoon multiplier
    order t1 2026-03-03T08:00:00Z tom T1 "[$(line ESPRESSO coffee 6 250)]"
    check_json "T1: 6 stamps" '.[0].stamps.coffee' 6 '.[0].vouchers' '[]'
    order t2 2026-03-04T08:00:00Z tom T2 "[$(line ESPRESSO coffee 5 250)]"
    # 11 stamps: a full card, one stamp on the next; valid 60 days from 4 March 09:00 CET
    check_json "T2: the card is full" '.[0].vouchers | map("\(.reward) \(.source) \(.valid_until)")' \
        '["free-coffee stamp_card 2026-05-03T07:00:00Z"]' '.[0].balance.stamps.coffee.stamps' 1
    local first
    first=$(jout '.[0].vouchers[0].code')
    order t3 2026-03-05T08:00:00Z tom T3 "[$(line CAPPUCCINO coffee 25 300)]"
    check_json "T3: 26 stamps fill two cards" '.[0].vouchers | length' 2 \
        '.[0].balance.stamps.coffee' '{"stamps":6,"required":10}'
    local second third
    second=$(jout '.[0].vouchers[0].code')
    third=$(jout '.[0].vouchers[1].code')
    assert_eq "6|3" "$(sql "SELECT stamps || '|' || cards_completed FROM stamp_balances")" "stamp balance"
    assert_eq "earn stamps:coffee 6 0 T1 v1 
earn stamps:coffee 5 0 T2 v1 
redeem stamps:coffee -10 0 T2 v1 stamp_card:coffee
earn stamps:coffee 25 0 T3 v1 
redeem stamps:coffee -10 0 T3 v1 stamp_card:coffee
redeem stamps:coffee -10 0 T3 v1 stamp_card:coffee" "$(ledger_table tom | grep ' stamps:')" "tom's stamp entries"
    assert_eq 3 "$(sql "SELECT COUNT(DISTINCT code) FROM vouchers WHERE source = 'stamp_card' AND state = 'issued'")" \
        "three distinct vouchers"

    # use: once
    expect_exit 0 fidele --json voucher use "$first" --order TILL-1 --at 2026-03-06T08:00:00Z
    check_json "voucher used" '"\(.code) \(.reward) \(.customer)"' "$first free-coffee tom"
    expect_exit 0 fidele --json voucher show "$first"
    check_json "voucher show" .state used .used_at 2026-03-06T08:00:00Z .used_order TILL-1
    expect_exit 0 fidele voucher show "$first"
    assert_contains "$OUT" "issued 2026-03-04 09:00:00+01:00, valid until 2026-05-03 09:00:00+02:00" \
        "the text gives the voucher's times in Paris, summer time in May"
    assert_contains "$OUT" "used 2026-03-06 09:00:00+01:00 on order TILL-1" "and when it was used"
    local before
    before=$(snapshot)
    expect_exit 2 fidele --json voucher use "$first" --at 2026-03-06T09:00:00Z
    assert_contains "$ERR" "already used on 2026-03-06 09:00:00+01:00" "used twice: refused"
    assert_stderr_names "/code"
    expect_exit 2 fidele --json voucher use "$first" --key other-key --order TILL-2
    assert_contains "$ERR" "already used" "used twice under another key: refused"
    assert_unchanged "$before" "a second use writes nothing"
    # codes are read forgivingly: lower case, no dashes
    local sloppy
    sloppy=$(tr 'A-Z' 'a-z' <<<"${second//-/}")
    expect_exit 0 fidele --json voucher use "$sloppy" --at 2026-03-06T10:00:00Z
    assert_json .code "$second" "a code typed in lower case without dashes"
    # expired: valid until 3 May 2026 07:00Z for the T3 vouchers too (60 days from 5 March)
    before=$(snapshot)
    expect_exit 2 fidele --json voucher use "$third" --at 2026-05-04T07:00:00Z
    assert_contains "$ERR" "expired on 2026-05-04 09:00:00+02:00" "an expired voucher is refused"
    expect_exit 2 fidele --json voucher use "$third" --at 2026-03-05T07:59:59Z
    assert_stderr_names "/at" "a voucher used before it was issued"
    expect_exit 2 fidele --json voucher use ZZZZ-ZZZZ-ZZZZ-ZZZZ
    assert_stderr_names "code" "an unknown voucher"
    expect_exit 2 fidele --json voucher use 'not a code!'
    assert_stderr_names "code" "a malformed code"
    assert_unchanged "$before" "refused uses write nothing"
    expect_exit 0 fidele voucher list tom --state all
    assert_contains "$OUT" "$first  Free coffee                  used     used 2026-03-06 09:00:00+01:00" \
        "voucher list: a used voucher says when it was used, in Paris too"
    assert_contains "$OUT" "$third  Free coffee                  expired  valid until 2026-05-04 09:00:00+02:00" \
        "voucher list: the others until when they hold"

    # what tom holds, as the till asks it: usable now by default, the others on asking
    NOW=2026-03-07T08:00:00Z expect_exit 0 fidele --json voucher list tom
    check_json "usable on 7 March" '[.vouchers[].code]' "[\"$third\"]" .member tom
    NOW=2026-03-07T08:00:00Z expect_exit 0 fidele --json voucher list tom --state used
    check_json "used" '[.vouchers[].code] | sort' "$(jq -cn --arg a "$first" --arg b "$second" '[$a, $b] | sort')"
    NOW=2026-05-04T07:00:00Z expect_exit 0 fidele --json voucher list tom --state expired
    check_json "past its validity, before run-due marks it" '[.vouchers[] | "\(.code) \(.state)"]' "[\"$third expired\"]"
    NOW=2026-05-04T07:00:00Z expect_exit 0 fidele --json voucher show "$third"
    check_json "voucher show says so too" .state expired
    NOW=2026-05-04T06:59:59Z expect_exit 0 fidele --json voucher show "$third"
    check_json "a second before, issued" .state issued
    NOW=2026-05-04T07:00:00Z expect_exit 0 fidele voucher list tom
    assert_contains "$OUT" "tom has no usable voucher." "the text says so when there is none"
    NOW=2026-03-07T08:00:00Z expect_exit 0 fidele voucher list tom --state all
    assert_contains "$OUT" "$third  Free coffee" "the text lists code and reward"
    expect_exit 2 fidele voucher list tom --state old
    assert_stderr_names "--state"
    expect_exit 2 fidele voucher list nobody
    assert_contains "$ERR" "nobody" "an unknown member is named"
}

# ---------------------------------------------------------------------------------------------
eligibility_and_vip() {
    local NOW=2027-06-01T00:00:00Z # after every event of the scenario
    init_db ecommerce
    enrol uma 2026-03-01T09:00:00Z
    adjust uma 5000 2026-03-01T10:00:00Z
    local before
    before=$(snapshot)
    expect_exit 2 fidele --json redeem uma fifteen-pct --at 2026-03-02T09:00:00Z
    assert_contains "$ERR" "for the tiers gold, platinum only; the member's tier is none" "15% is for gold and platinum"
    assert_stderr_names "/reward"
    expect_exit 2 fidele --json redeem uma partner-cinema --at 2026-03-02T09:00:00Z
    assert_contains "$ERR" "VIP members only" "the cinema ticket is for VIP members"
    expect_exit 2 fidele --json redeem uma no-such-reward --at 2026-03-02T09:00:00Z
    assert_stderr_names "/reward" "an unknown reward"
    assert_unchanged "$before" "ineligible redemptions write nothing"

    # VIP: price x periods, welcome voucher on the first grant only
    post '{"type":"vip_payment","key":"vip1","at":"2026-03-10T10:00:00Z","customer":"uma","plan":"club","amount_minor":4900}'
    check_json "VIP granted for a year" '.[0].vip_until' 2027-03-10T10:00:00Z \
        '.[0].vouchers | map("\(.reward) \(.source)")' '["free-shipping vip_welcome"]'
    expect_exit 0 fidele member show uma
    assert_contains "$OUT" "VIP        Club ended 2027-03-10 11:00:00+01:00" \
        "member show says the plan, and when it ended in Paris (the clock is after it)"
    expect_exit 0 fidele member show uma --now 2026-03-11T00:00:00Z
    assert_contains "$OUT" "VIP        Club until 2027-03-10 11:00:00+01:00" \
        "member show says until when a running membership runs"
    expect_exit 0 fidele --json redeem uma partner-cinema --at 2026-03-11T09:00:00Z
    assert_json '.balance.available' 3600 "a VIP member gets the cinema ticket (5100 - 1500)"
    # the club multiplier: 5000 online -> 250 + 50 online + 125 club + 100 first order
    order o1 2026-03-11T10:00:00Z uma O1 "[$(line BAG bags 1 5000)]" '"channel":"online"'
    assert_json '.[0].breakdown | map("\(.rule)=\(.points)") | join(" ")' \
        "base=250 multiplier:app-orders=50 vip:club=125 first_order=100" "the VIP perk"
    # renewal before the end: from the current end, no second welcome voucher
    post '{"type":"vip_payment","key":"vip2","at":"2026-12-01T10:00:00Z","customer":"uma","plan":"club","amount_minor":9800,"periods":2}'
    check_json "renewed for two years" '.[0].vip_until' 2029-03-10T10:00:00Z '.[0].vouchers' '[]'
    assert_eq "2|$(epoch 2026-03-10T10:00:00Z)|4900|1|$(epoch 2027-03-10T10:00:00Z) $(epoch 2026-12-01T10:00:00Z)|9800|2|$(epoch 2029-03-10T10:00:00Z)" \
        "$(sql "SELECT COUNT(*) FROM vip_payments")|$(sql "SELECT group_concat(at || '|' || amount_minor || '|' || periods || '|' || valid_until, ' ')
            FROM (SELECT * FROM vip_payments ORDER BY id)")" "vip_payments rows"
    before=$(snapshot)
    post_fails 2 '{"type":"vip_payment","key":"vip3","at":"2026-12-02T10:00:00Z","customer":"uma","plan":"club","amount_minor":4800}'
    assert_stderr_names "/amount_minor" "the amount must be price x periods"
    post_fails 2 '{"type":"vip_payment","key":"vip4","at":"2026-12-02T10:00:00Z","customer":"uma","plan":"gold-club","amount_minor":4900}'
    assert_stderr_names "/plan" "an unknown plan"
    post_fails 2 '{"type":"vip_payment","key":"vip5","at":"2026-12-02T10:00:00Z","customer":"nobody","plan":"club","amount_minor":4900}'
    assert_stderr_names "/customer" "a VIP payment for an unknown member"
    post_fails 2 '{"type":"vip_payment","key":"vip7","at":"2026-12-02T10:00:00Z","customer":"uma","plan":"club","amount_minor":490000,"periods":100}'
    assert_stderr_names "/periods" "a membership paid more than a century ahead"
    assert_unchanged "$before" "refused VIP payments write nothing"
    # a change of plan takes effect now and keeps what was paid: a month of "monthly" after the
    # club's paid years (it ended the club at once before)
    "$FIDELE" --db "$DB" init --template ecommerce --print | jq '.vip_plans += [{"id": "monthly",
        "name": "Monthly", "price_minor": 500, "period": "month", "multiplier_pct": 110}]' >p-monthly.json
    expect_exit 0 fidele program set p-monthly.json
    post '{"type":"vip_payment","key":"vip6","at":"2026-12-03T10:00:00Z","customer":"uma","plan":"monthly","amount_minor":500}'
    check_json "the paid time stands, a month more (the same local hour, summer time)" '.[0].vip_until' 2029-04-10T09:00:00Z         '.[0].plan' monthly '.[0].vouchers' '[]'

    # a lapsed plan: paid again later, from the payment, with a new welcome voucher
    enrol vee 2026-03-01T09:00:00Z
    post '{"type":"vip_payment","key":"vee1","at":"2026-03-10T10:00:00Z","customer":"vee","plan":"club","amount_minor":4900}'
    order v1 2027-03-20T10:00:00Z vee V1 "[$(line BAG bags 1 5000)]"
    assert_json '.[0].breakdown | map(.rule) | join(" ")' "base first_order" "the plan lapsed: no VIP perk"
    post '{"type":"vip_payment","key":"vee2","at":"2027-04-01T10:00:00Z","customer":"vee","plan":"club","amount_minor":4900}'
    check_json "paid again after the lapse" '.[0].vip_until' 2028-04-01T10:00:00Z \
        '.[0].vouchers | map(.source)' '["vip_welcome"]'

    # tier eligibility: 80000 spent reaches gold at once
    order g1 2026-03-12T10:00:00Z uma G1 "[$(line SOFA home 1 80000)]"
    assert_json '.[0].tier_upgrade.tier' gold "80000 + 5000: gold"
    expect_exit 0 fidele --json redeem uma fifteen-pct --at 2026-03-12T11:00:00Z
    check_json "gold members get 15% off" .reward fifteen-pct '.vouchers[0].reward' fifteen-pct
}

# ---------------------------------------------------------------------------------------------
stock_runs_out() {
    write p.json '{"earning": {"points": 1, "per_minor": 100},
        "stamp_cards": [{"id": "c", "stamps_required": 1, "reward": "poster", "per": "order"}],
        "rewards": [{"id": "poster", "name": "Signed poster", "kind": "free_product",
                     "cost_points": 10, "stock": 2}]}'
    init_db p.json
    local who
    for who in amy bob cal; do
        enrol "$who" 2026-03-01T09:00:00Z
        adjust "$who" 100 2026-03-01T10:00:00Z
    done
    expect_exit 0 fidele --json rewards
    assert_json '.[0] | "\(.id) \(.stock) \(.cost_points)"' "poster 2 10" "the catalogue shows the stock"
    expect_exit 0 fidele --json redeem amy poster --at 2026-03-02T09:00:00Z
    expect_exit 0 fidele --json redeem bob poster --at 2026-03-02T09:00:00Z
    local before
    before=$(snapshot)
    expect_exit 2 fidele --json redeem cal poster --at 2026-03-02T09:00:00Z
    assert_contains "$ERR" "out of stock" "the third poster"
    expect_exit 2 fidele --json redeem amy poster --at 2026-03-02T09:00:00Z
    assert_unchanged "$before" "no redemption beyond the stock"
    # a full stamp card still issues its reward: stock limits redemptions only
    order o1 2026-03-03T09:00:00Z cal O1 "[$(line A x 1 100)]"
    assert_json '.[0].vouchers | map("\(.reward) \(.source)")' '["poster stamp_card"]' \
        "the stamp card's reward is not taken from the stock"
    assert_balance cal "101 0 1 0"
}

# A cashback credit issues no voucher; its redemptions count against the reward's stock too.
cashback_credit_stock() {
    write p.json '{"earning": {"points": 1, "per_minor": 100},
        "rewards": [{"id": "cb", "name": "5 EUR back", "kind": "cashback_credit", "value_minor": 500,
                     "cost_points": 10, "stock": 1}]}'
    init_db p.json
    enrol amy 2026-03-01T09:00:00Z
    adjust amy 100 2026-03-01T10:00:00Z
    expect_exit 0 fidele --json redeem amy cb --at 2026-03-02T09:00:00Z
    local before
    before=$(snapshot)
    expect_exit 2 fidele --json redeem amy cb --at 2026-03-02T09:00:00Z
    assert_contains "$ERR" "out of stock" "the second credit"
    assert_unchanged "$before" "no credit beyond the stock"
    assert_balance amy "90 0 0 500"
    verify_catches reward_stock "INSERT INTO reward_credits VALUES (1, 'cb', 999)"
}

# verify judges what was written by the versions of the programme it was written under: a debt
# left by a refund while debts were allowed, vouchers issued before the stock was lowered.
verify_across_programme_versions() {
    write p.json '{"earning": {"points": 1, "per_minor": 100},
        "rewards": [{"id": "t", "name": "T", "kind": "experience", "cost_points": 10, "stock": 5}],
        "refunds": {"allow_negative_balance": true}}'
    init_db p.json
    enrol bea 2026-01-01T09:00:00Z
    order o1 2026-01-02T09:00:00Z bea O1 "[$(line X x 1 5000)]" # 50
    expect_exit 0 fidele --json redeem bea t --at 2026-01-03T09:00:00Z
    expect_exit 0 fidele --json redeem bea t --at 2026-01-03T09:00:00Z
    post "$(refund_json r1 2026-01-04T09:00:00Z O1 '"amount_minor":5000')"
    assert_balance bea "-20 0 0 0" "the refund leaves a debt, as version 1 allows"
    jq '.refunds.allow_negative_balance = false | .rewards[0].stock = 1' p.json >p2.json
    expect_exit 0 fidele --json program set p2.json
    expect_exit 0 fidele --json verify
    assert_json .ok true "the debt and the two vouchers stand under version 2"
    expect_exit 2 fidele --json redeem bea t --at 2026-01-05T09:00:00Z
    assert_contains "$ERR" "out of stock" "version 2's stock of 1 is spent"
    verify_catches reward_stock "INSERT INTO vouchers (merchant_id, code, customer_id, reward_id, source,
        state, issued_at, valid_until, used_at, used_order, ledger_id, event_key)
        SELECT merchant_id, code || '-' || n.n, customer_id,
        reward_id, source, state, issued_at, valid_until, used_at, used_order, ledger_id, event_key
        FROM vouchers, (SELECT 1 AS n UNION SELECT 2 UNION SELECT 3 UNION SELECT 4) n"
}

# ---------------------------------------------------------------------------------------------
# A voucher is worth what it was issued as: a later version that lowers the reward's value, or
# drops the reward, changes neither its use nor how it shows.
vouchers_keep_their_issue() {
    write p.json '{"earning": {"points": 1, "per_minor": 100},
        "rewards": [{"id": "ten-off", "name": "10 EUR off", "kind": "fixed_discount",
                     "value_minor": 1000, "cost_points": 10}]}'
    init_db p.json
    enrol bea 2026-01-01T09:00:00Z
    adjust bea 100 2026-01-01T10:00:00Z
    expect_exit 0 fidele --json redeem bea ten-off --at 2026-01-02T09:00:00Z
    local code
    code=$(jout '.voucher.code // .vouchers[0].code')
    jq '.rewards[0].value_minor = 500 | .rewards[0].name = "5 EUR off"' p.json >p2.json
    NOW=2026-01-03T00:00:00Z expect_exit 0 fidele program set p2.json
    NOW=2026-01-03T12:00:00Z expect_exit 0 fidele --json voucher list bea
    check_json "listed as issued" '.vouchers[0] | "\(.name) \(.value.amount_minor)"' "10 EUR off 1000"
    expect_exit 0 fidele --json voucher use "$code" --order TILL-9 --at 2026-01-04T09:00:00Z
    check_json "the till is told what it was issued as" '"\(.name) \(.value.amount_minor)"' \
        "10 EUR off 1000"
    jq '.rewards = []' p.json >p3.json
    NOW=2026-01-05T00:00:00Z expect_exit 0 fidele program set p3.json
    expect_exit 0 fidele voucher show "$code"
    assert_contains "$OUT" "$code  10 EUR off  used" "a reward dropped since still shows"
}

# ---------------------------------------------------------------------------------------------
# A cashback credit given by a full stamp card or a VIP welcome goes to the cashback account, as a
# redeemed one does (they were issued as vouchers that credited nothing when used).
cashback_rewards_given() {
    init_db ecommerce
    "$FIDELE" --db "$DB" init --template ecommerce --print | jq '
        .vip_plans[0].welcome_reward = "cashback-5"
        | .stamp_cards = [{"id": "lamps", "stamps_required": 2, "reward": "cashback-5",
                           "per": "unit", "categories": ["lamps"]}]' >p.json
    expect_exit 0 fidele program set p.json
    enrol ivy 2026-03-01T09:00:00Z
    post '{"type":"vip_payment","key":"v1","customer":"ivy","plan":"club","amount_minor":4900,"at":"2026-03-01T10:00:00Z"}'
    check_json "no voucher for the welcome" '.[0].vouchers' '[]'
    expect_exit 0 fidele --json balance ivy
    assert_json .cashback.amount_minor 500 "the welcome is credited"
    order o1 2026-03-02T09:00:00Z ivy O1 "[$(line LAMP lamps 2 100)]" # 1 % cashback: 2
    check_json "a full card credits 5 EUR" '.[0].vouchers' '[]' '.[0].balance.cashback.amount_minor' 1002
    expect_exit 0 fidele --json ledger ivy
    check_json "the credits explain themselves" \
        '[.entries[] | select(.account == "cashback" and .amount == 500) | .explanation[0].rule]' \
        '["vip_welcome:club","stamp_card:lamps"]'
    assert_eq 0 "$(sql "SELECT COUNT(*) FROM vouchers")" "no voucher"
    assert_eq 0 "$(sql "SELECT COUNT(*) FROM reward_credits")" "gifts do not count against the stock"
}

# ---------------------------------------------------------------------------------------------
cashback_rewards() {
    init_db ecommerce
    enrol ivy 2026-03-01T09:00:00Z
    adjust ivy 1100 2026-03-01T10:00:00Z # 100 welcome + 1100
    expect_exit 0 fidele --json redeem ivy cashback-5 --at 2026-03-02T09:00:00Z
    check_json "600 points for 5 EUR of cashback" .vouchers '[]' \
        '.balance | "\(.available) \(.cashback.amount_minor)"' "600 500"
    expect_exit 0 fidele --json redeem ivy cashback-5 --at 2026-03-02T09:01:00Z
    assert_json '.balance | "\(.available) \(.cashback.amount_minor)"' "0 1000" "twice"
    local before
    before=$(snapshot)
    expect_exit 2 fidele --json redeem ivy cashback-5 --at 2026-03-02T09:02:00Z
    assert_contains "$ERR" "costs 600 points; the available balance is 0" "no points left"
    assert_unchanged "$before" "refused"
    # 10 EUR of cashback pays a 10 EUR voucher
    expect_exit 0 fidele --json redeem ivy cashback-voucher --at 2026-03-02T10:00:00Z
    check_json "cashback spent on a voucher" .cost_cashback.amount_minor 1000 '.vouchers | map(.reward)' \
        '["cashback-voucher"]' '.balance.cashback.amount_minor' 0
    before=$(snapshot)
    expect_exit 2 fidele --json redeem ivy cashback-voucher --at 2026-03-02T10:01:00Z
    assert_contains "$ERR" "costs 10.00 EUR of cashback; the cashback balance is 0.00 EUR" "no cashback left, in money"
    assert_unchanged "$before" "refused"
    assert_eq "earn points 100 0 - v1 enrolment=100
adjust points 1100 0 - v1 adjustment=1100
redeem points -600 0 - v1 reward
earn cashback 500 0 - v1 reward
redeem points -600 0 - v1 reward
earn cashback 500 0 - v1 reward
redeem cashback -1000 0 - v1 reward" "$(ledger_table ivy)" "ivy's ledger"
}

# ---------------------------------------------------------------------------------------------
adjustments() {
    init_db cafe
    enrol wil 2026-03-01T09:00:00Z # 20
    post '{"type":"adjustment","key":"a1","at":"2026-03-02T09:00:00Z","customer":"wil","points":150,"reason":"Birthday gesture","author":"claire"}'
    assert_json '.[0].balance.available' 170 "+150"
    post '{"type":"adjustment","key":"a2","at":"2026-03-02T10:00:00Z","customer":"wil","points":-50,"reason":"Double-counted visit","author":"marc"}'
    assert_json '.[0].balance | "\(.available) \(.lifetime)"' "120 20" "-50; adjustments are not lifetime earning"
    expect_exit 0 fidele --json ledger wil
    assert_json '[.entries[] | select(.kind == "adjust") | "\(.amount) \(.reason) \(.author) \(.explanation[0].label)"]' \
        '["150 Birthday gesture claire Birthday gesture","-50 Double-counted visit marc Double-counted visit"]' \
        "reason and author in the ledger"
    expect_exit 0 fidele ledger wil
    assert_contains "$OUT" "Birthday gesture
                                by claire" "the text ledger shows the reason once, then the author"
    assert_contains "$OUT" "Double-counted visit
                                by marc" "and for the debit"
    # A reason at its longest, every byte escaped in the explanation: still whole JSON.
    local quotes
    quotes=$(printf '\\"%.0s' $(seq 1 250))
    post "{\"type\":\"adjustment\",\"key\":\"a-long\",\"at\":\"2026-03-02T10:30:00Z\",\"customer\":\"wil\",\"points\":1,\"reason\":\"$quotes\",\"author\":\"marc\"}"
    expect_exit 0 fidele --json ledger wil
    assert_json '[.entries[] | select(.event_key == "a-long") | .explanation[0].label | length]' '[250]' \
        "a long reason's explanation is kept whole"
    post '{"type":"adjustment","key":"a-back","at":"2026-03-02T10:31:00Z","customer":"wil","points":-1,"reason":"undo","author":"marc"}'
    local before
    before=$(snapshot)
    post_fails 2 '{"type":"adjustment","key":"a3","at":"2026-03-02T11:00:00Z","customer":"wil","points":-121,"reason":"Too much","author":"claire"}'
    assert_contains "$ERR" "121 points needed but only 120 available" "beyond the balance"
    assert_stderr_names "/points"
    post_fails 2 '{"type":"adjustment","key":"a4","at":"2026-03-02T11:00:00Z","customer":"wil","points":10,"author":"claire"}'
    assert_stderr_names "/reason" "an adjustment needs a reason"
    post_fails 2 '{"type":"adjustment","key":"a5","at":"2026-03-02T11:00:00Z","customer":"wil","points":10,"reason":"x"}'
    assert_stderr_names "/author" "an adjustment needs an author"
    post_fails 2 '{"type":"adjustment","key":"a6","at":"2026-03-02T11:00:00Z","customer":"wil","points":0,"reason":"x","author":"y"}'
    assert_stderr_names "/points" "zero is not an adjustment"
    post_fails 2 '{"type":"adjustment","key":"a7","at":"2026-03-02T11:00:00Z","customer":"nobody","points":10,"reason":"x","author":"y"}'
    assert_stderr_names "/customer" "unknown member"
    post_fails 2 '{"type":"adjustment","key":"a8","at":"2026-03-02T11:00:00Z","customer":"wil","points":-1,"reason":"x","author":"y","account":"cashback"}'
    assert_contains "$ERR" "cannot go below zero" "cashback cannot go negative"
    post_fails 2 '{"type":"adjustment","key":"a9","at":"2026-03-02T11:00:00Z","customer":"wil","points":1,"reason":"x","author":"y","account":"stamps","card":"tea"}'
    assert_stderr_names "/card" "unknown stamp card"
    post_fails 2 '{"type":"adjustment","key":"a10","at":"2026-03-02T11:00:00Z","customer":"wil","points":-1,"reason":"x","author":"y","account":"stamps","card":"coffee"}'
    assert_contains "$ERR" "the card holds 0 stamps" "stamps cannot go negative"
    assert_unchanged "$before" "refused adjustments write nothing"
    # cashback and stamps accounts; stamps that fill a card issue its reward
    post '{"type":"adjustment","key":"a11","at":"2026-03-02T12:00:00Z","customer":"wil","points":300,"reason":"Goodwill","author":"claire","account":"cashback"}'
    post '{"type":"adjustment","key":"a12","at":"2026-03-02T12:00:00Z","customer":"wil","points":12,"reason":"Lost card","author":"claire","account":"stamps","card":"coffee"}'
    check_json "12 stamps by hand" '.[0].vouchers | map(.reward)' '["free-coffee"]' \
        '.[0].balance.stamps.coffee.stamps' 2
    expect_exit 0 fidele --json ledger wil
    check_json "stamps given by hand say who and why" \
        '[.entries[] | select(.account == "stamps" and .amount == 12) | "\(.kind) \(.reason) \(.author) \(.explanation[0].label)"]' \
        '["adjust Lost card claire Lost card"]'
    post '{"type":"adjustment","key":"a13","at":"2026-03-02T13:00:00Z","customer":"wil","points":-2,"reason":"Typo","author":"claire","account":"stamps","card":"coffee"}'
    assert_json '.[0].balance.stamps.coffee.stamps' 0 "stamps taken back by hand"
    assert_balance wil "120 0 20 300"
    expect_exit 0 fidele ledger wil
    assert_contains "$OUT" "+3.00 EUR cashback" "cashback in money"
    assert_contains "$OUT" "+12 stamps (Coffee card)" "stamps on the card named as the programme names it"
}

# ---------------------------------------------------------------------------------------------
redeem_refused() {
    init_db cafe
    enrol xia 2026-03-01T09:00:00Z # 20
    order o1 2026-03-02T08:00:00Z walkin O1 "[$(line ESPRESSO coffee 1 250)]"
    local before
    before=$(snapshot)
    expect_exit 2 fidele --json redeem xia latte-art --at 2026-03-02T09:00:00Z
    assert_contains "$ERR" "for the tiers family only" "the workshop is for the family tier"
    expect_exit 2 fidele redeem xia five-off --at 2026-03-01T09:30:00Z
    assert_contains "$ERR" "costs 500 points; the available balance is 20" \
        "redemption above the balance"
    expect_exit 2 fidele redeem nobody five-off
    assert_contains "$ERR" "/customer" "unknown member"
    expect_exit 2 fidele redeem walkin five-off
    assert_contains "$ERR" "no member \"walkin\"" "a customer who is not a member"
    expect_exit 2 fidele redeem xia
    assert_contains "$ERR" "missing argument" "the reward is required"
    assert_unchanged "$before" "refused redemptions write nothing"
    adjust xia 480 2026-03-02T08:30:00Z # 500 in all
    # posted late, dated before the adjustment: the points it gave were not there yet
    before=$(snapshot)
    expect_exit 2 fidele redeem xia five-off --at 2026-03-02T08:00:00Z
    assert_stderr_names "/at" "a redemption dated before the points it needs"
    assert_contains "$ERR" "only 20 of those available on 2026-03-02 09:00:00+01:00 are left" \
        "says what was there then"
    assert_unchanged "$before" "nothing written"
    expect_exit 0 fidele --json redeem xia five-off --at 2026-03-02T09:00:00Z
    check_json "exactly the balance" '.balance.available' 0 '.vouchers[0].valid_until' 2026-05-31T08:00:00Z
    assert_eq "redeem|-500" "$(sql "SELECT l.kind || '|' || l.amount FROM ledger l JOIN vouchers v ON v.ledger_id = l.id")" \
        "the voucher names its ledger entry"
    before=$(snapshot)
    expect_exit 2 fidele redeem xia pastry --at 2026-03-02T09:01:00Z
    assert_unchanged "$before" "nothing left"
}

# ---------------------------------------------------------------------------------------------
stamp_rules_and_stamp_rewards() {
    write p.json '{"earning": {"points": 1, "per_minor": 100},
        "stamp_cards": [
          {"id": "bread", "stamps_required": 3, "reward": "loaf", "per": "order", "categories": ["bread"]},
          {"id": "big", "stamps_required": 2, "reward": "bag", "per": "order_above", "min_amount_minor": 1000}],
        "rewards": [
          {"id": "loaf", "name": "Free loaf", "kind": "free_product", "sku": "BOULE"},
          {"id": "bag", "name": "Tote bag", "kind": "free_product", "sku": "BAG"},
          {"id": "mini", "name": "Mini cake", "kind": "free_product", "cost_stamps": 2, "stamp_card": "bread"}]}'
    init_db p.json
    enrol bea 2026-03-01T09:00:00Z
    # per order: one stamp for an order with bread lines, however many; order_above: 10 EUR
    order s1 2026-03-02T09:00:00Z bea S1 "[$(line BAGUETTE bread 2 120),$(line BOULE bread 1 300)]"
    assert_json '.[0].stamps' '{"bread":1}' "two bread lines: one stamp; 5.40 EUR is below 10"
    order s2 2026-03-02T10:00:00Z bea S2 "[$(line CAKE cake 1 1000)]"
    assert_json '.[0].stamps' '{"big":1}' "no bread; exactly 10 EUR"
    order s3 2026-03-02T11:00:00Z bea S3 "[$(line BOULE bread 1 999)]"
    assert_json '.[0].stamps' '{"bread":1}' "9.99 EUR: no big stamp"
    expect_exit 0 fidele --json redeem bea mini --at 2026-03-02T12:00:00Z
    check_json "2 bread stamps for a mini cake" .cost_stamps 2 '.balance.stamps.bread.stamps' 0 \
        '.balance.available' 24
    local before
    before=$(snapshot)
    expect_exit 2 fidele --json redeem bea mini --at 2026-03-02T12:01:00Z
    assert_contains "$ERR" "costs 2 stamps; the card holds 0" "no stamps left"
    assert_unchanged "$before" "refused"
    order s4 2026-03-02T13:00:00Z bea S4 "[$(line BOULE bread 4 300)]"
    check_json "S4 fills the big card" '.[0].stamps' '{"bread":1,"big":1}' \
        '.[0].vouchers | map(.reward)' '["bag"]' '.[0].balance.stamps' \
        '{"bread":{"stamps":1,"required":3},"big":{"stamps":0,"required":2}}'
    assert_eq "redeem stamps:bread -2 0 - v1 reward" "$(ledger_table bea | grep '^redeem stamps:bread')" \
        "the stamp redemption entry"
}

# ---------------------------------------------------------------------------------------------
vip_monthly_renewals() {
    local NOW=2027-01-01T00:00:00Z # after every event of the scenario
    write p.json '{"earning": {"points": 1, "per_minor": 100},
        "vip_plans": [{"id": "monthly", "name": "Monthly club", "price_minor": 500, "period": "month"}]}'
    init_db p.json
    enrol pay 2026-01-30T10:00:00Z
    enrol pre 2026-01-30T10:00:00Z
    post '{"type":"vip_payment","key":"pre","at":"2026-01-31T10:00:00Z","customer":"pre","plan":"monthly","amount_minor":6000,"periods":12}'
    assert_json '.[0].vip_until' 2027-01-31T10:00:00Z "twelve months paid at once, from 31 January"
    post '{"type":"vip_payment","key":"pay-1","at":"2026-01-31T10:00:00Z","customer":"pay","plan":"monthly","amount_minor":500}'
    assert_json '.[0].vip_until' 2026-02-28T10:00:00Z "one month from 31 January ends with February"
    # renewals count months from the day the membership started, so they keep the 31st
    local i events=""
    for i in 02 03 04 05 06 07 08 09 10 11 12; do
        events+="{\"type\":\"vip_payment\",\"key\":\"pay-$i\",\"at\":\"2026-$i-15T10:00:00Z\",\"customer\":\"pay\",\"plan\":\"monthly\",\"amount_minor\":500}"$'\n'
    done
    post "$events"
    assert_json '.[1].vip_until' 2026-04-30T09:00:00Z \
        "the third month paid ends on 30 April, not 28 April"
    assert_json '.[-1].vip_until' 2027-01-31T10:00:00Z \
        "twelve monthly renewals end where twelve months paid at once do"
}

# ---------------------------------------------------------------------------------------------
concurrent_redemptions() {
    init_db cafe
    enrol kim 2026-03-01T09:00:00Z # 20
    adjust kim 580 2026-03-01T10:00:00Z # 600: three pastries at 200
    # The pids are kept as started: a non-interactive bash drops finished jobs from `jobs -p`
    # when it starts the next one, and a quick refusal can finish that soon.
    local i pids=()
    for i in 1 2 3 4 5 6 7 8; do
        "$FIDELE" --db "$DB" --now 2026-03-02T09:00:00Z redeem kim pastry >"par-$i.out" 2>"par-$i.err" &
        pids+=($!)
    done
    local codes=() pid
    for pid in "${pids[@]}"; do
        wait "$pid"
        codes+=($?)
    done
    assert_eq "0 0 0 2 2 2 2 2" "$(printf '%s\n' "${codes[@]}" | sort | paste -sd' ')" \
        "eight redemptions at once: exactly three are paid, five refused"
    assert_eq 5 "$(cat par-*.err | grep -c 'costs 200 points')" "the five refusals say why"
    assert_balance kim "0 0 20 0" "the balance never went below zero"
    assert_eq 3 "$(sql "SELECT COUNT(*) FROM vouchers")" "three vouchers"
}

# A reward without a price is given by a full card or a VIP welcome, never redeemed for nothing.
reward_without_a_cost() {
    write p.json '{"earning": {"points": 1, "per_minor": 100}, "enrolment": {"bonus_points": 0},
        "stamp_cards": [{"id": "coffee", "name": "Coffee card", "stamps_required": 2,
                         "reward": "free-coffee", "per": "unit"}],
        "rewards": [{"id": "free-coffee", "name": "Free coffee", "kind": "free_product",
                     "sku": "ESPRESSO", "value_minor": 250}]}'
    init_db p.json
    enrol bob 2026-01-01T09:00:00Z
    local before
    before=$(snapshot)
    expect_exit 2 fidele --json redeem bob free-coffee --at 2026-01-02T09:00:00Z
    assert_stderr_names "/reward"
    assert_contains "$ERR" "has no cost" "says why"
    assert_unchanged "$before" "nothing issued"
    order o1 2026-01-03T09:00:00Z bob O1 "[$(line ESPRESSO coffee 2 250)]"
    check_json "the full card gives it" '.[0].vouchers | map(.reward)' '["free-coffee"]'
}

# ---------------------------------------------------------------------------------------------
# vouchers_per_order caps the vouchers a customer uses on one order: the next is refused by
# /order_id and writes nothing; another order, or a use naming no order, is not capped; without
# the setting vouchers stack.
vouchers_per_order() {
    write p.json '{"earning": {"points": 1, "per_minor": 100}, "enrolment": {"bonus_points": 0},
        "vouchers_per_order": 1,
        "rewards": [{"id": "five-off", "name": "5 off", "kind": "fixed_discount",
                     "value_minor": 500, "cost_points": 10}]}'
    init_db p.json
    enrol bob 2026-01-01T09:00:00Z
    adjust bob 100 2026-01-01T10:00:00Z
    local codes=() i
    for i in 1 2 3 4; do
        expect_exit 0 fidele --json redeem bob five-off --at 2026-01-02T09:0$i:00Z
        codes+=("$(jout '.vouchers[0].code')")
    done
    expect_exit 0 fidele --json voucher use "${codes[0]}" --order TILL-1 --at 2026-01-03T09:00:00Z
    local before
    before=$(snapshot)
    expect_exit 2 fidele --json voucher use "${codes[1]}" --order TILL-1 --at 2026-01-03T09:01:00Z
    assert_stderr_names "/order_id"
    assert_contains "$ERR" 'order \"TILL-1\" has 1 voucher used already: the programme allows 1 per order' \
        "says why"
    assert_unchanged "$before" "the refused use writes nothing"
    expect_exit 0 fidele --json voucher use "${codes[1]}" --order TILL-2 --at 2026-01-03T09:02:00Z
    expect_exit 0 fidele --json voucher use "${codes[2]}" --at 2026-01-03T09:03:00Z
    # a later version without the cap lets them stack
    jq 'del(.vouchers_per_order)' p.json >p2.json
    expect_exit 0 fidele program set p2.json
    expect_exit 0 fidele --json voucher use "${codes[3]}" --order TILL-1 --at 2026-01-03T09:04:00Z
    assert_eq 2 "$(sql "SELECT COUNT(*) FROM vouchers WHERE used_order = 'TILL-1'")" "stacked"
    # the setting is checked
    jq '.vouchers_per_order = 0' p.json >bad.json
    expect_exit 2 fidele program set bad.json
    assert_contains "$ERR" "/vouchers_per_order" "the field named"
}

# ---------------------------------------------------------------------------------------------
# The VIP perks of an order or a redemption recorded late are those of its own instant: before
# the membership began, or while it had lapsed, there were none.
vip_perks_at_the_event_instant() {
    local NOW=2027-09-01T00:00:00Z # after every event of the scenario
    init_db ecommerce
    enrol uma 2026-01-10T09:00:00Z
    adjust uma 5000 2026-01-10T10:00:00Z
    post '{"type":"vip_payment","key":"vip1","at":"2026-02-01T10:00:00Z","customer":"uma","plan":"club","amount_minor":4900}'
    order o1 2026-03-01T10:00:00Z uma O1 "[$(line BAG bags 1 5000)]"
    assert_json '.[0].breakdown | map(.rule) | join(" ")' "base vip:club first_order" "a member's order"
    order o0 2026-01-20T10:00:00Z uma O0 "[$(line BAG bags 1 5000)]"
    assert_json '.[0].breakdown | map(.rule) | join(" ")' "base" "an order from before the membership, recorded late"
    local before
    before=$(snapshot)
    expect_exit 2 fidele --json redeem uma partner-cinema --at 2026-01-25T09:00:00Z
    assert_contains "$ERR" "VIP members only" "a redemption dated before the membership"
    assert_unchanged "$before" "refused: nothing written"
    # lapsed on 1 February 2027, paid again on 1 June 2027
    post '{"type":"vip_payment","key":"vip2","at":"2027-06-01T10:00:00Z","customer":"uma","plan":"club","amount_minor":4900}'
    order o2 2027-04-01T10:00:00Z uma O2 "[$(line BAG bags 1 5000)]"
    assert_json '.[0].breakdown | map(.rule) | join(" ")' "base" "an order of the lapse, recorded late"
    order o3 2027-01-20T10:00:00Z uma O3 "[$(line BAG bags 1 5000)]"
    assert_json '.[0].breakdown | map(.rule) | join(" ")' "base vip:club" "an order of the first year, recorded late"
    order o4 2027-06-02T10:00:00Z uma O4 "[$(line BAG bags 1 5000)]"
    assert_json '.[0].breakdown | map(.rule) | join(" ")' "base vip:club" "after the new payment"
    # a refund of a late order takes back what it earned, without the perk it did not have
    post "$(refund_json r2 2027-07-01T10:00:00Z O2 '"amount_minor":5000')"
    assert_json '.[0].points_clawed_back' 250 "the base points only"
}

# ---------------------------------------------------------------------------------------------
# The benefits the programme names for a tier and a VIP plan are shown on the member.
benefits_shown() {
    init_db ecommerce # platinum: "Priority support", "Early access"
    "$FIDELE" --db "$DB" init --template ecommerce --locale en --print |
        jq '.vip_plans[0].benefits = ["Private sales"]' >p.json
    expect_exit 0 fidele program set p.json
    enrol uma 2026-03-01T09:00:00Z
    order o1 2026-03-02T10:00:00Z uma O1 "[$(line SOFA home 1 200000)]"
    assert_json '.[0].tier_upgrade.tier' platinum "2000 EUR: platinum"
    post '{"type":"vip_payment","key":"vip1","at":"2026-03-10T10:00:00Z","customer":"uma","plan":"club","amount_minor":4900}'
    expect_exit 0 fidele member show uma
    assert_contains "$OUT" "  benefits   Priority support; Early access" "the tier's benefits"
    assert_contains "$OUT" "VIP        Club until 2027-03-10 11:00:00+01:00, free delivery" "the plan's free delivery"
    assert_contains "$OUT" "  benefits   Private sales" "the plan's benefits"
    expect_exit 0 fidele --json member show uma
    check_json "benefits in JSON" '.tier_benefits' '["Priority support","Early access"]' \
        '.vip_benefits' '["Private sales"]'
}

scenario stamp_card_rollover stamp_card_rollover
scenario vouchers_per_order vouchers_per_order
scenario eligibility_and_vip eligibility_and_vip
scenario stock_runs_out stock_runs_out
scenario cashback_credit_stock cashback_credit_stock
scenario verify_across_programme_versions verify_across_programme_versions
scenario vouchers_keep_their_issue vouchers_keep_their_issue
scenario cashback_rewards cashback_rewards
scenario cashback_rewards_given cashback_rewards_given
scenario adjustments adjustments
scenario redeem_refused redeem_refused
scenario stamp_rules_and_stamp_rewards stamp_rules_and_stamp_rewards
scenario vip_monthly_renewals vip_monthly_renewals
scenario concurrent_redemptions concurrent_redemptions
scenario reward_without_a_cost reward_without_a_cost
scenario vip_perks_at_the_event_instant vip_perks_at_the_event_instant
scenario benefits_shown benefits_shown
finish
