#!/usr/bin/env bash
# Several merchants in one database: every command acts on the merchant named by --merchant (or
# FIDELE_MERCHANT), the first one otherwise, and never sees another's members; `fidele verify`
# and `fidele run-due` cover every merchant unless one is named, and a violation says whose it is.
. "$(dirname "$0")/lib.sh"

# two_merchants: a cafe (1) and an ecommerce shop (2, pending points for 30 days) in one file.
two_merchants() {
    init_db cafe --name "Cafe"
    expect_exit 0 fidele merchant add "Shop" --template ecommerce
    expect_exit 0 fidele --merchant 2 --json event post - <<<'{"type":"enrol","key":"e-ann","at":"2026-03-01T09:00:00Z","customer":"ann"}'
    expect_exit 0 fidele --json event post - <<<'{"type":"enrol","key":"e-bob","at":"2026-03-01T09:00:00Z","customer":"bob"}'
}

# ---------------------------------------------------------------------------------------------
commands_act_on_the_named_merchant() {
    two_merchants
    expect_exit 0 fidele --json member list
    assert_json '[.[].id] | join(",")' "bob" "merchant 1 lists its own member only"
    expect_exit 0 fidele --merchant 2 --json member list
    assert_json '[.[].id] | join(",")' "ann" "merchant 2 lists its own member only"
    FIDELE_MERCHANT=2 expect_exit 0 fidele --json member show ann
    assert_json .id ann "FIDELE_MERCHANT names the merchant too"
    expect_exit 2 fidele --json balance ann
    assert_stderr_names "ann" "merchant 1 does not know merchant 2's member"
    # The same idempotency key in two merchants: two events, not a replay.
    local before
    expect_exit 0 fidele --merchant 2 --json event post - <<<"$(order_json o-1 2026-03-02T10:00:00Z ann A1 "[$(line LAMP home 1 10000)]")"
    assert_json '.[0].status' applied "merchant 2's order"
    expect_exit 0 fidele --json event post - <<<"$(order_json o-1 2026-03-02T10:00:00Z bob A1 "[$(line LATTE coffee 1 400)]")"
    assert_json '.[0].status' applied "merchant 1's order with the same key and order id"
    before=$(snapshot)
    expect_exit 2 fidele --merchant 3 --json member list
    assert_stderr_names "merchant" "an unknown merchant is refused"
    expect_exit 2 fidele --merchant two --json member list
    assert_stderr_names "--merchant" "a merchant id is a number"
    expect_exit 2 fidele --merchant 0 --json member list
    assert_stderr_names "--merchant" "merchant ids start at 1"
    assert_unchanged "$before" "refused commands write nothing"
}

verify_covers_every_merchant() {
    two_merchants
    expect_exit 0 fidele verify
    assert_contains "$OUT" "All invariants hold (2 merchants)." "verify names how many merchants it checked"
    sql "UPDATE customers SET points_available = points_available + 5 WHERE merchant_id = 2" >/dev/null
    expect_exit 1 fidele --json verify
    assert_json '[.violations[] | .merchant] | unique | join(",")' "2" "the violation is merchant 2's"
    assert_json .merchants 2 "both merchants checked"
    expect_exit 1 fidele verify
    assert_contains "$ERR" "(merchant 2)" "the text names the merchant"
    expect_exit 0 fidele --merchant 1 --json verify
    assert_json .merchants 1 "--merchant 1 checks merchant 1 only"
    expect_exit 1 fidele --merchant 2 --json verify
    sql "UPDATE customers SET points_available = points_available - 5 WHERE merchant_id = 2" >/dev/null
}

run_due_covers_every_merchant() {
    two_merchants
    expect_exit 0 fidele merchant add "Shop two" --template ecommerce
    expect_exit 0 fidele --merchant 3 --json event post - <<<'{"type":"enrol","key":"e-cy","at":"2026-03-01T09:00:00Z","customer":"cy"}'
    expect_exit 0 fidele --merchant 2 --json event post - <<<"$(order_json o-1 2026-03-02T10:00:00Z ann A1 "[$(line LAMP home 1 10000)]")"
    expect_exit 0 fidele --merchant 3 --json event post - <<<"$(order_json o-1 2026-03-02T10:00:00Z cy C1 "[$(line SOFA home 1 20000)]")"
    expect_exit 0 fidele --merchant 2 --json balance ann
    assert_json .pending 600 "merchant 2's order is pending"
    expect_exit 0 fidele --merchant 2 --json --now 2026-04-01T09:00:00Z run-due
    assert_json '"\(.merchants) \(.lots_confirmed)"' "1 1" "--merchant 2: its lot only"
    expect_exit 0 fidele --merchant 3 --json balance cy
    assert_json .pending 1100 "merchant 3 still pending"
    expect_exit 0 fidele --json --now 2026-04-01T09:00:00Z run-due
    assert_json '"\(.merchants) \(.lots_confirmed) \(.points_confirmed)"' "3 1 1100" "every merchant's due work"
    expect_exit 0 fidele --merchant 3 --json balance cy
    assert_json '"\(.available) \(.pending)"' "1200 0" "merchant 3 confirmed"
    expect_exit 0 fidele --now 2026-04-01T09:00:00Z run-due
    assert_contains "$OUT" "(3 merchants)." "the text says how many merchants"
    assert_contains "$OUT" "Due work up to 2026-04-01 11:00:00+02:00:" "the clock as the merchants read it"
    expect_exit 0 fidele merchant add "Tokyo" --template cafe --timezone Asia/Tokyo
    expect_exit 0 fidele --now 2026-04-01T09:00:00Z run-due
    assert_contains "$OUT" "Due work up to 2026-04-01 09:00:00+00:00:" "in UTC when their zones differ"
    expect_exit 0 fidele --merchant 4 --now 2026-04-01T09:00:00Z run-due
    assert_contains "$OUT" "Due work up to 2026-04-01 18:00:00+09:00:" "one merchant: its own zone"
}

# API keys: created with their id shown, listed per merchant, revoked by id.
keys_per_merchant() {
    two_merchants
    expect_exit 0 fidele key list
    assert_contains "$OUT" "No API key yet" "none at first"
    expect_exit 0 fidele key create --scope pos --label "till 1"
    local id
    id=$(sed -n 's/^fk_\([0-9a-z]*\)_.*/\1/p' <<<"$OUT")
    assert_contains "$OUT" "key id $id, scope pos" "the key's id is said beside the key"
    expect_exit 0 fidele --merchant 2 key create --scope read
    expect_exit 0 fidele --json key list
    check_json "merchant 1 lists its own key" '[.[] | "\(.id) \(.scope) \(.label)"]' "[\"$id pos till 1\"]"
    expect_exit 0 fidele key revoke "$id"
    expect_exit 0 fidele --json key list
    assert_json '.[0].revoked_at != null' true "revoked, and listed as such"
    expect_exit 2 fidele --merchant 2 key revoke "$id"
    assert_contains "$ERR" "$id" "another merchant's key is not found"
    # a label is printed on its key's line: a newline would forge a row of the list
    expect_exit 2 fidele key create --scope read --label $'x\nzzzzzzzzzzzzzzzz  admin  created 2026-01-01T00:00:00Z  root'
    assert_stderr_names "--label"
    expect_exit 2 fidele key create --scope read --label $'tab\there'
    assert_stderr_names "--label"
    expect_exit 2 fidele key create --scope read --label "$(printf 'l%.0s' $(seq 121))"
    assert_stderr_names "--label"
    expect_exit 0 fidele --json key list
    check_json "nothing made" 'length' 1
    # the text gives a key's times in its merchant's zone
    NOW=2026-03-03T14:30:00Z expect_exit 0 fidele key create --scope read --label "back office"
    id=$(sed -n 's/^fk_\([0-9a-z]*\)_.*/\1/p' <<<"$OUT")
    NOW=2026-07-01T10:00:00Z expect_exit 0 fidele --json key revoke "$id"
    check_json "--json says which key" '"\(.id) \(.revoked)"' "$id true"
    expect_exit 0 fidele key list
    assert_contains "$OUT" "$id  read   created 2026-03-03 15:30:00+01:00, revoked 2026-07-01 12:00:00+02:00  back office" \
        "key list: created and revoked in Paris time"
}

# Several merchants at once, each with a key when asked: all or none.
merchants_at_once() {
    init_db cafe
    local before
    before=$(snapshot)
    expect_exit 2 fidele merchant add "Shop A" $'Shop\nB'
    assert_stderr_names "--name"
    expect_exit 2 fidele merchant add "Shop A" --key root
    assert_stderr_names "--key"
    assert_unchanged "$before" "a bad name or scope among them: no merchant made"
    expect_exit 0 fidele --json merchant add "Shop A" "Shop B" --template bookshop --key pos
    check_json "ids in order, a pos key each" '[.[] | "\(.id) \(.name) \(.key.scope)"]' \
        '["2 Shop A pos","3 Shop B pos"]'
    local key
    key=$(jout '.[1].key.id')
    expect_exit 0 fidele --merchant 3 --json key list
    check_json "the key is merchant 3's" '[.[].id]' "[\"$key\"]"
    expect_exit 0 fidele --json merchant add "Shop C"
    check_json "one merchant answers an object, as before" '"\(.id) \(.name)"' "4 Shop C"
}

# A template's rewards that speak of money say their own amount in the merchant's currency.
templates_in_the_merchants_currency() {
    two_merchants
    expect_exit 0 fidele merchant add "Tokyo" --template ecommerce --currency JPY --timezone Asia/Tokyo \
        --locale en
    expect_exit 0 fidele --merchant 3 --json program show
    check_json "yen, as many as the minor units" '[.program.rewards[] | select(.value_minor) | "\(.name)=\(.value_minor)"]' \
        '["1000 JPY off=1000","500 JPY cashback=500","Spend 1000 JPY of cashback=1000"]'
    expect_exit 0 fidele init --template cafe --currency KWD --print --locale en
    assert_contains "$OUT" '"name": "0.500 KWD off"' "three decimals"
    expect_exit 0 fidele init --template cafe --currency KWD --print
    assert_contains "$OUT" '"name": "0.500 KWD de remise"' "in French by default"
    expect_exit 2 fidele init --template cafe --print --locale de
    assert_stderr_names "--locale"
    expect_exit 2 fidele init --template cafe --currency XYZ --print
    assert_stderr_names "--currency"
}

scenario commands_act_on_the_named_merchant commands_act_on_the_named_merchant
scenario templates_in_the_merchants_currency templates_in_the_merchants_currency
scenario keys_per_merchant keys_per_merchant
scenario merchants_at_once merchants_at_once
scenario verify_covers_every_merchant verify_covers_every_merchant
scenario run_due_covers_every_merchant run_due_covers_every_merchant
finish
