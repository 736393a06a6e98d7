#!/usr/bin/env bash
# Idempotency and batching: the same key with the same body is a replay that writes nothing; with
# another body it is a conflict; an order id belongs to one key. A file of events posted as one
# batch or one by one gives the same database, row for row. --each applies the good events and
# reports the bad ones. FIDELE_DB names the database when --db is absent.
. "$(dirname "$0")/lib.sh"

ORDER1='{"type":"order","key":"k1","at":"2026-03-03T08:00:00Z","customer":"ann","order_id":"A1","lines":[{"sku":"ESPRESSO","category":"coffee","quantity":2,"unit_price_minor":250}]}'

# ---------------------------------------------------------------------------------------------
replay() {
    init_db cafe
    enrol ann 2026-03-02T08:00:00Z
    post "$ORDER1"
    local first
    first=$(jq -c '.[0]' <<<"$OUT")
    assert_json '.[0] | "\(.status) \(.points)"' "applied 70" "first post"
    local before
    before=$(snapshot)
    post "$ORDER1"
    assert_eq "$(jq -c '.status = "replayed"' <<<"$first")" "$(jq -c '.[0]' <<<"$OUT")" \
        "a replay answers the first result, marked replayed"
    # the record keeps the result as its shape's number and values, in under a quarter of its bytes
    assert_eq "1|1" "$(sql "SELECT COUNT(*), length(result) * 4 < ${#first} FROM events WHERE key = 'k1' AND unicode(result) = 28")" \
        "kept by shape, in under a quarter of the bytes"
    # the record read back by key: the first result as it was answered
    expect_exit 0 fidele --json event show k1
    assert_eq "$first" "$(jq -c . <<<"$OUT")" "event show answers the first result"
    expect_exit 2 fidele event show no-such-key
    assert_stderr_names KEY "an unknown key is named"
    # the same body with another key order and layout is the same event
    post "$(jq '{lines, order_id, customer, at, key, type}' <<<"$ORDER1")"
    assert_json '.[0].status' replayed "keys reordered, whitespace changed: still a replay"
    expect_exit 0 fidele event post - <<<"$ORDER1"
    assert_eq "0 applied, 1 replayed, 0 failed." "$OUT" "the text summary counts the replay"
    assert_unchanged "$before" "replays write nothing"

    # the stored result is answered even after the programme changed
    fidele init --template cafe --print | jq '.earning.points = 100' >rich.json
    expect_exit 0 fidele program set rich.json
    before=$(snapshot)
    post "$ORDER1"
    assert_json '.[0] | "\(.status) \(.points)"' "replayed 70" "a replay is not recomputed"
    assert_unchanged "$before" "nothing written"

    # a replay inside a batch, next to a new event
    post "[$ORDER1, $(jq -c '.key = "k2" | .order_id = "A2"' <<<"$ORDER1")]"
    assert_json 'map(.status)' '["replayed","applied"]' "replay and new event in one batch"
    # the same key twice in one batch: the second is a replay of the first
    local k3
    k3=$(jq -c '.key = "k3" | .order_id = "A3"' <<<"$ORDER1")
    post "[$k3, $k3]"
    assert_json 'map(.status)' '["applied","replayed"]' "the same event twice in one batch"
    assert_eq 3 "$(sql "SELECT COUNT(*) FROM orders")" "three orders in all"

    # without "at" the event takes the clock: a retry later is still a replay of the first
    local noat='{"type":"adjustment","key":"adj-1","customer":"ann","points":5,"reason":"r","author":"a"}'
    NOW=2026-03-04T10:00:00Z post "$noat"
    assert_json '.[0].at' 2026-03-04T10:00:00Z "dated by the clock"
    before=$(snapshot)
    NOW=2026-03-05T10:00:00Z post "$noat"
    assert_json '.[0] | "\(.status) \(.at)"' "replayed 2026-03-04T10:00:00Z" "retried a day later"
    assert_unchanged "$before" "nothing written"

    # commands with a key: enrol (key enrol:MEMBER) and redeem --key
    NOW=2026-03-06T10:00:00Z expect_exit 0 fidele --json member add bob --email bob@example.org
    local card
    card=$(jout .card_code)
    before=$(snapshot)
    NOW=2026-03-07T10:00:00Z expect_exit 0 fidele --json member add bob --email bob@example.org
    check_json "member add again" .status replayed .card_code "$card"
    assert_unchanged "$before" "enrolling twice with the same details is a replay"
    # a phone as people type it is kept in international form, and found as typed
    NOW=2026-03-06T10:00:00Z expect_exit 0 fidele --json member add cat --phone "+33 6 12 34 56 78"
    expect_exit 0 fidele --json member show "+33 (0)6 12-34-56-78"
    check_json "found by the phone as typed" .id cat .phone "+33612345678"
    # a member's e-mail names one member: a second is refused, naming the first, and nothing is
    # written
    before=$(snapshot)
    NOW=2026-03-06T10:00:00Z expect_exit 2 fidele --json member add dan --email BOB@example.org
    assert_contains "$ERR" 'the e-mail \"bob@example.org\" is member \"bob\"'"'"'s already' \
        "the member who has it named"
    assert_unchanged "$before" "a refused enrolment writes nothing"
    NOW=2026-03-06T10:00:00Z expect_exit 2 fidele --json member add dan --phone "+33612345678" \
        --email dan@example.org
    assert_contains "$ERR" 'the phone number \"+33612345678\" is member \"cat\"'"'"'s already' \
        "a phone too"
    assert_contains "$ERR" '"field": "/phone"' "the field named"
    # an import keeps bob's e-mail off another customer; one two customers share (older data)
    # names neither: one of them is not guessed
    printf 'customer,email,order_id,date,amount\ndan,bob@example.org,D1,2026-03-05,3.00\n' >dan.csv
    NOW=2026-03-06T10:00:00Z expect_exit 0 fidele import orders dan.csv
    assert_eq "" "$(sql "SELECT email FROM customers WHERE ref = 'dan'")" "not given bob's e-mail"
    sql "UPDATE customers SET email = 'bob@example.org' WHERE ref = 'dan'"
    expect_exit 2 fidele balance bob@example.org
    assert_contains "$ERR" "2 customers have the e-mail or phone" "a shared e-mail is refused"
    expect_exit 0 fidele --json balance bob
    expect_exit 0 fidele --json member show "$card"
    assert_json .id bob "the card code still names bob"
    local adjust_body='{"type":"adjustment","key":"adj-2","at":"2026-03-06T10:00:00Z","customer":"ann","points":1000,"reason":"r","author":"a"}'
    post "$adjust_body"
    expect_exit 0 fidele --json redeem ann five-off --key till-42 --at 2026-03-06T11:00:00Z
    local code
    code=$(jout '.vouchers[0].code')
    before=$(snapshot)
    expect_exit 0 fidele --json redeem ann five-off --key till-42 --at 2026-03-06T11:00:00Z
    check_json "redeem retried" .status replayed '.vouchers[0].code' "$code"
    assert_unchanged "$before" "a retried redemption spends nothing more"
    assert_eq 1 "$(sql "SELECT COUNT(*) FROM vouchers")" "one voucher"
}

# ---------------------------------------------------------------------------------------------
conflicts() {
    init_db cafe
    enrol ann 2026-03-02T08:00:00Z
    post "$ORDER1"
    local before
    before=$(snapshot)
    # same key, another body
    post_fails 2 "$(jq -c '.lines[0].quantity = 3' <<<"$ORDER1")"
    assert_stderr_names "/key"
    assert_contains "$ERR" "idempotency key \\\"k1\\\" was already used for a different event" \
        "the conflict is explained"
    expect_exit 2 fidele event post - <<<"$(jq -c '.lines[0].quantity = 3' <<<"$ORDER1")"
    assert_contains "$ERR" "fidele: event 1: /key: idempotency key \"k1\" was already used" "text form"
    post_fails 2 '{"type":"adjustment","key":"k1","customer":"ann","points":5,"reason":"r","author":"a"}'
    assert_stderr_names "/key" "the same key for another type of event"
    # the same order under another key
    post_fails 2 "$(jq -c '.key = "k9"' <<<"$ORDER1")"
    assert_stderr_names "/order_id"
    assert_contains "$ERR" "already recorded under another idempotency key" "the order id conflict"
    # a conflict inside a batch: the new event before it is not written either
    local k2
    k2=$(jq -c '.key = "k2" | .order_id = "A2"' <<<"$ORDER1")
    post_fails 2 "[$k2, $(jq -c '.lines[0].quantity = 3' <<<"$ORDER1")]"
    assert_stderr_names "event 2: /key" "the conflict is named by its position"
    # two events of one batch with one key and different bodies; one order id under two keys
    post_fails 2 "[$k2, $(jq -c '.lines[0].quantity = 3' <<<"$k2")]"
    assert_stderr_names "event 2: /key"
    post_fails 2 "[$k2, $(jq -c '.key = "k3"' <<<"$k2")]"
    assert_stderr_names "event 2: /order_id"
    assert_unchanged "$before" "conflicts write nothing"
    # and the key still answers its first result
    post "$ORDER1"
    assert_json '.[0] | "\(.status) \(.points)"' "replayed 70" "k1 is still k1"
}

# ---------------------------------------------------------------------------------------------
# A day in an e-shop: enrolments, orders of members and not, refunds, redemptions, a VIP plan,
# adjustments, events that trigger due work for their member.
EVENTS_DAY1='{"type":"enrol","key":"e-ann","at":"2026-03-01T09:00:00Z","customer":"ann","email":"Ann@Example.org","consents":["email"]}
{"type":"enrol","key":"e-ben","at":"2026-03-01T09:05:00Z","customer":"ben"}
{"type":"order","key":"o-a1","at":"2026-03-01T10:00:00Z","customer":"ann","order_id":"A1","channel":"online","lines":[{"sku":"SHOE","category":"shoes","quantity":2,"unit_price_minor":6000},{"sku":"SOCK","category":"socks","quantity":3,"unit_price_minor":900}],"discount_minor":1000,"shipping_minor":500,"tax_minor":2000}
{"type":"order","key":"o-c1","at":"2026-03-01T10:30:00Z","customer":"cid","order_id":"C1","lines":[{"sku":"HAT","quantity":1,"unit_price_minor":2500}]}
{"type":"enrol","key":"e-cid","at":"2026-03-01T12:00:00Z","customer":"cid","phone":"+33612345678"}
{"type":"adjustment","key":"adj-ann","at":"2026-03-01T12:00:00Z","customer":"ann","points":2000,"reason":"Launch gift","author":"it"}
{"type":"redeem","key":"r-ann-1","at":"2026-03-01T12:05:00Z","customer":"ann","reward":"ten-off"}
{"type":"vip_payment","key":"vip-ben","at":"2026-03-01T13:00:00Z","customer":"ben","plan":"club","amount_minor":4900}
{"type":"order","key":"o-b1","at":"2026-03-01T14:00:00Z","customer":"ben","order_id":"B1","lines":[{"sku":"SOFA","category":"home","quantity":1,"unit_price_minor":80000}]}
{"type":"adjustment","key":"adj-ben","at":"2026-03-01T14:10:00Z","customer":"ben","points":3000,"reason":"Sorry","author":"it"}
{"type":"redeem","key":"r-ben-1","at":"2026-03-01T14:20:00Z","customer":"ben","reward":"fifteen-pct"}
{"type":"refund","key":"rf-a1","at":"2026-03-02T09:00:00Z","order_id":"A1","lines":[{"sku":"SOCK","quantity":2}]}
{"type":"order","key":"o-x1","at":"2026-03-02T10:00:00Z","customer":"walkin","order_id":"X1","lines":[{"sku":"HAT","quantity":2,"unit_price_minor":2500}]}
{"type":"redeem","key":"r-ann-2","at":"2026-03-02T11:00:00Z","customer":"ann","reward":"cashback-5"}
{"type":"order","key":"o-a2","at":"2026-04-15T10:00:00Z","customer":"ann","order_id":"A2","lines":[{"sku":"BAG","category":"bags","quantity":1,"unit_price_minor":4000}]}
{"type":"refund","key":"rf-b1","at":"2026-04-16T10:00:00Z","order_id":"B1","amount_minor":20000}
{"type":"adjustment","key":"adj-cid","at":"2026-04-16T11:00:00Z","customer":"cid","points":40,"reason":"Stamps","author":"it","account":"cashback"}'

# post_one_by_one FILE: each line of FILE in its own `fidele event post`; prints the results as
# one array.
post_one_by_one() {
    local line results="[" rc=0 out
    while IFS= read -r line; do
        [ -z "$line" ] && continue
        out=$(fidele --json --seed 42 --now 2026-05-01T00:00:00Z event post - <<<"$line") || rc=1
        results+="$(jq -c '.[0]' <<<"$out" 2>/dev/null || echo null),"
    done <"$1"
    printf '%s' "${results%,}]"
    return $rc
}

batch_vs_one_by_one() {
    init_db ecommerce
    local batch_db=$DB
    init_db ecommerce
    local single_db=$DB
    printf '%s\n' "$EVENTS_DAY1" >day1.ndjson
    DB=$batch_db
    expect_exit 0 fidele --json --seed 42 --now 2026-05-01T00:00:00Z event post day1.ndjson
    local batch_results
    batch_results=$(jq -c . <<<"$OUT")
    assert_json 'map(.status) | unique' '["applied"]' "every event of the batch applied"
    assert_json 'length' "$(grep -c . day1.ndjson)" "one result per event"
    DB=$single_db
    local single_results
    single_results=$(post_one_by_one day1.ndjson)
    assert_eq 0 $? "each event applies on its own"
    assert_eq "$batch_results" "$single_results" "the same results, event by event"
    # second part: the voucher codes drawn above are the same in both databases (same seed, same
    # keys), so a file using them applies to both
    DB=$batch_db
    local voucher
    voucher=$(sql "SELECT code FROM vouchers WHERE reward_id = 'ten-off'")
    printf '%s\n' \
        "{\"type\":\"voucher_use\",\"key\":\"vu-1\",\"at\":\"2026-04-20T10:00:00Z\",\"code\":\"$voucher\",\"order_id\":\"A3\"}" \
        '{"type":"order","key":"o-a3","at":"2026-04-20T10:00:00Z","customer":"ann","order_id":"A3","lines":[{"sku":"BAG","category":"bags","quantity":1,"unit_price_minor":4000}],"discount_minor":1000}' \
        '{"type":"refund","key":"rf-a1-2","at":"2026-04-21T10:00:00Z","order_id":"A1","amount_minor":3000}' >day2.ndjson
    expect_exit 0 fidele --json --seed 42 --now 2026-05-02T00:00:00Z event post day2.ndjson
    batch_results=$(jq -c . <<<"$OUT")
    DB=$single_db
    single_results=$(
        while IFS= read -r line; do
            fidele --json --seed 42 --now 2026-05-02T00:00:00Z event post - <<<"$line"
        done <day2.ndjson | jq -sc 'map(.[0])'
    )
    assert_eq "$batch_results" "$single_results" "day 2: the same results"
    assert_eq "$(snapshot "$batch_db")" "$(snapshot "$single_db")" \
        "batch and one by one give the same database, row for row"
    # and the database holds what the day was about
    assert_eq "ann:member:0 ben:member:0 cid:member:0 walkin:-:1" \
        "$(sql "SELECT group_concat(ref || ':' || CASE is_member WHEN 1 THEN 'member' ELSE '-' END || ':' ||
            (SELECT COUNT(*) FROM orders o WHERE o.customer_id = c.id AND o.member_at_order = 0 AND c.is_member = 0), ' ')
            FROM (SELECT * FROM customers ORDER BY ref) c")" "customers"
    assert_eq 1 "$(sql "SELECT COUNT(*) FROM vouchers WHERE state = 'used'")" "the voucher was used"
}

# ---------------------------------------------------------------------------------------------
each_mode() {
    init_db cafe
    local each_db=$DB
    local good1 bad1 good2 bad2 good3
    good1='{"type":"enrol","key":"e-ann","at":"2026-03-02T08:00:00Z","customer":"ann"}'
    bad1='{"type":"redeem","key":"r-nobody","at":"2026-03-02T08:10:00Z","customer":"nobody","reward":"pastry"}'
    good2='{"type":"order","key":"o1","at":"2026-03-03T08:00:00Z","customer":"ann","order_id":"A1","lines":[{"sku":"ESPRESSO","category":"coffee","quantity":12,"unit_price_minor":250}]}'
    bad2='{"type":"order","key":"o2","at":"2026-03-03T08:00:00Z","customer":"ann","order_id":"A2","lines":[{"sku":"ESPRESSO","quantity":-1,"unit_price_minor":250}]}'
    good3='{"type":"redeem","key":"r-ann","at":"2026-03-03T09:00:00Z","customer":"ann","reward":"pastry"}'
    local bad3='{"type":"redeem","key":"r-ann-2","at":"2026-03-03T09:10:00Z","customer":"ann","reward":"five-off"}'
    # a line cut short and a line that is no object stand among the events
    printf '%s\n' "$good1" "$bad1" '{"type":"enrol","key":"e-cut",' "$good2" '[1]' "$bad2" "$good3" \
        "$bad3" >mixed.ndjson
    expect_exit 2 fidele --json --seed 5 --now 2026-03-04T00:00:00Z event post mixed.ndjson --each
    check_json "--each results" 'map(.status)' \
        '["applied","error","error","applied","error","error","applied","error"]' \
        'map(select(.status == "error") | "\(.key) \(.error.type) \(.error.field)")' \
        '["r-nobody not_found /customer","null invalid_input line 3","null invalid_input line 5","o2 invalid_input /lines/0/quantity","r-ann-2 insufficient /reward"]'
    expect_exit 2 fidele --seed 5 --now 2026-03-04T00:00:00Z event post mixed.ndjson --each
    assert_eq "0 applied, 3 replayed, 5 failed." "$OUT" "posted again: the good ones replay, the bad ones fail again"
    assert_contains "$ERR" "fidele: event 2 (key r-nobody): /customer: no member \"nobody\"" "bad events on stderr"
    assert_contains "$ERR" "fidele: event 6 (key o2): /lines/0/quantity" "with their field"
    assert_contains "$ERR" "fidele: line 3: malformed JSON" "a line cut short, by its number"
    assert_contains "$ERR" "fidele: line 5: expected one event object per line" "a line that is no object"
    # the good events alone, in another database, give the same rows: failures leave no trace
    init_db cafe
    printf '%s\n' "$good1" "$good2" "$good3" >good.ndjson
    expect_exit 0 fidele --json --seed 5 --now 2026-03-04T00:00:00Z event post good.ndjson
    local good_only=$DB
    DB=$each_db
    assert_eq 0 "$(sql "SELECT COUNT(*) FROM events WHERE key IN ('r-nobody', 'o2', 'r-ann-2')")" \
        "failed events are not recorded"
    assert_eq "$(snapshot "$good_only")" "$(snapshot "$each_db")" "--each wrote exactly the good events"
    # without --each the same file writes nothing at all
    init_db cafe
    local before
    before=$(snapshot)
    expect_exit 2 fidele --json --seed 5 --now 2026-03-04T00:00:00Z event post mixed.ndjson
    assert_stderr_names "line 3"
    assert_unchanged "$before" "all or nothing by default"
}

# ---------------------------------------------------------------------------------------------
fidele_db_variable() {
    new_db env
    local env_db=$DB
    new_db flag
    local flag_db=$DB
    FIDELE_DB=$env_db expect_exit 0 "$FIDELE" --now 2026-03-01T00:00:00Z init --template bakery
    assert_true "init with FIDELE_DB creates its database" [ -s "$env_db" ]
    FIDELE_DB=$env_db expect_exit 0 "$FIDELE" --json --now 2026-03-02T08:00:00Z member add ann
    FIDELE_DB=$env_db expect_exit 0 "$FIDELE" --json balance ann
    assert_json .available 5 "balance through FIDELE_DB"
    # --db wins over FIDELE_DB
    FIDELE_DB=$env_db expect_exit 0 "$FIDELE" --db "$flag_db" --now 2026-03-01T00:00:00Z init --template cafe
    FIDELE_DB=$env_db expect_exit 2 "$FIDELE" --db "$flag_db" balance ann
    assert_contains "$ERR" 'no customer matching "ann"' "ann is not in the --db database"
    DB=$env_db
    assert_eq 1 "$(sql "SELECT COUNT(*) FROM customers")" "FIDELE_DB's database has ann"
    DB=$flag_db
    assert_eq 0 "$(sql "SELECT COUNT(*) FROM customers")" "--db's database has nobody"
    # neither: fidele.db in the current directory; an empty FIDELE_DB counts as unset
    mkdir -p cwd
    cd cwd || return
    IT_DBS+=("$PWD/fidele.db")
    expect_exit 0 "$FIDELE" --now 2026-03-01T00:00:00Z init --template cafe
    FIDELE_DB='' expect_exit 0 "$FIDELE" --json member add zoe --at 2026-03-02T08:00:00Z
    DB=$PWD/fidele.db
    assert_eq zoe "$(sql "SELECT ref FROM customers")" "no --db, empty FIDELE_DB: ./fidele.db"
    cd .. || return
}

# ---------------------------------------------------------------------------------------------
concurrent_retries() {
    init_db cafe
    enrol ann 2026-03-02T08:00:00Z
    # eight processes post the same event at once: one applies it, seven answer the replay
    # The pids are kept as started: a non-interactive bash drops finished jobs from `jobs -p`
    # when it starts the next one.
    local i pid pids=()
    for i in 1 2 3 4 5 6 7 8; do
        "$FIDELE" --db "$DB" --json event post - <<<"$ORDER1" >"same-$i.out" 2>"same-$i.err" &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid" || fail "a concurrent retry failed: $(cat same-*.err)"; done
    assert_eq "applied:1 replayed:7" "$(jq -rs 'map(.[0].status) | group_by(.) | map("\(.[0]):\(length)") | join(" ")' same-*.out)" \
        "one applied, seven replayed"
    assert_eq 1 "$(jq -s 'map(.[0] | del(.status)) | unique | length' same-*.out)" "all answer the same result"
    # eight keys for one order id at once: one order, seven conflicts
    pids=()
    for i in 1 2 3 4 5 6 7 8; do
        "$FIDELE" --db "$DB" event post - <<<"$(jq -c ".key = \"race-$i\" | .order_id = \"R1\"" <<<"$ORDER1")" \
            >"race-$i.out" 2>"race-$i.err" &
        pids+=($!)
    done
    local codes=()
    for pid in "${pids[@]}"; do
        wait "$pid"
        codes+=($?)
    done
    assert_eq "0 2 2 2 2 2 2 2" "$(printf '%s\n' "${codes[@]}" | sort | paste -sd' ')" "one order id, one winner"
    assert_eq 7 "$(cat race-*.err | grep -c '/order_id')" "the losers are told about the order id"
    assert_eq "A1 R1" "$(sql "SELECT group_concat(ref, ' ') FROM (SELECT ref FROM orders ORDER BY ref)")" "two orders"
    assert_balance ann "$((20 + 70 + 50)) 0 $((20 + 70 + 50)) 0" "each order earned once"
}

# ---------------------------------------------------------------------------------------------
# verify_clean ends every scenario: here, proof that it is not vacuous. Each tampering of a copy
# of a good database must make `fidele verify` exit 1 and name the broken invariant.
verify_catches_tampering() {
    init_db cafe
    enrol ann 2026-03-02T08:00:00Z
    post "$(jq -c '.lines[0].quantity = 12' <<<"$ORDER1")" # 300 + 20 points, a full coffee card
    local cases=(
        "points_available_equals_ledger|UPDATE customers SET points_available = points_available + 1"
        "points_pending_equals_ledger|UPDATE customers SET points_pending = 7"
        "points_lifetime_equals_ledger|UPDATE customers SET points_lifetime = 0"
        "lots_cover_available_balance|UPDATE lots SET remaining = remaining - 1, amount = amount - 1 WHERE id = 1"
        "lot_remaining_equals_uses|INSERT INTO lot_uses SELECT merchant_id, 1, id, 1 FROM lots WHERE id = 2"
        "expiry_given_back_within_it|INSERT INTO ledger SELECT merchant_id, 97, id, 0, 'expire', 'points', '', 0, 0, NULL, NULL, 1, 1, '[]', NULL, NULL, last_ledger_id FROM customers; INSERT INTO lot_uses SELECT merchant_id, 97, 1, -1 FROM lots WHERE id = 1; UPDATE customers SET last_ledger_id = 97"
        "stamps_equal_ledger|UPDATE customers SET stamps = json_set(stamps, '\$.coffee[0]', json_extract(stamps, '\$.coffee[0]') + 1) WHERE stamps != '{}'"
        "stamps_equal_ledger|UPDATE customers SET stamps = '{}'"
        "stamps_are_json_objects|UPDATE customers SET stamps = 'not json' WHERE stamps != '{}'"
        "no_order_earned_twice|INSERT INTO ledger SELECT merchant_id, 99, customer_id, at, kind, account, card_id, 0, pending_delta, event_key, order_id, lot_id, program_version, explanation, reason, author, (SELECT MAX(id) FROM ledger) FROM ledger WHERE kind = 'earn' AND order_id IS NOT NULL AND account = 'points'; UPDATE customers SET last_ledger_id = 99"
        "entries_name_applied_events|DELETE FROM events WHERE key = 'k1'"
        "order_clawback_within_earning|UPDATE orders SET points_clawed = points_earned + 1"
        "orders_refunded_in_full_by_their_refunds|UPDATE orders SET refunded_in_full = 1"
        "orders_refunded_in_full_by_their_refunds|UPDATE orders SET refunded_minor = paid_minor"
        "vouchers_used_once|UPDATE vouchers SET state = 'used'"
        "rows_name_their_customers|UPDATE orders SET customer_id = 42"
        "rows_name_their_customers|UPDATE ledger SET customer_id = 42 WHERE id = 1"
        "rows_name_their_customers|UPDATE lots SET customer_id = 42 WHERE id = 1"
        "rows_name_their_customers|UPDATE vouchers SET customer_id = 42"
        "explanations_are_json_arrays|UPDATE ledger SET explanation = '[{\"rule\":' WHERE id = 1"
        "results_fill_their_shape|UPDATE events SET result = substr(result, 1, length(result) - 2) WHERE key = 'k1'"
        "results_fill_their_shape|UPDATE events SET result = result || '7' || char(31) WHERE key = 'k1'"
        "results_fill_their_shape|DELETE FROM result_shapes"
        "order_aggregates_equal_orders|UPDATE customers SET order_count = order_count + 1"
        "no_negative_balance|UPDATE customers SET cashback_minor = -1; INSERT INTO ledger SELECT merchant_id, 98, id, 0, 'adjust', 'cashback', '', -1, 0, NULL, NULL, NULL, 1, '[]', NULL, NULL, last_ledger_id FROM customers; UPDATE customers SET last_ledger_id = 98"
        "ledger_chain_links_entries|UPDATE ledger SET prev_id = NULL WHERE id = (SELECT MAX(id) FROM ledger)"
        "ledger_chain_starts_at_newest|UPDATE customers SET last_ledger_id = last_ledger_id - 1"
        "lot_chain_links_lots|UPDATE lots SET prev_id = 7 WHERE id = (SELECT MAX(id) FROM lots)"
        "lot_chain_starts_at_newest|UPDATE customers SET last_lot_id = NULL"
        "lot_chain_starts_at_newest|UPDATE customers SET open_lots_from = last_lot_id + 1"
        "order_chain_links_orders|UPDATE orders SET prev_id = 5 WHERE id = (SELECT MAX(id) FROM orders)"
        "order_names_its_lot|UPDATE orders SET lot_id = NULL"
        "order_names_its_lot|UPDATE orders SET lot_id = lot_id + 1"
        "order_periods_equal_orders|UPDATE customers SET order_periods = NULL"
        "order_periods_equal_orders|UPDATE orders SET points_earned = points_earned + 1"
        "order_periods_equal_orders|UPDATE customers SET order_periods = x'07' WHERE order_periods IS NOT NULL"
        "database_file_intact|PRAGMA writable_schema = ON; UPDATE sqlite_schema SET rootpage = (SELECT rootpage FROM sqlite_schema WHERE name = 'orders_at') WHERE name = 'customers_email'"
    )
    local c
    for c in "${cases[@]}"; do
        verify_catches "${c%%|*}" "${c#*|}"
    done
}

# --each commits every 1,000 events: a file of 2,500 with two bad events (one in the second batch)
# gives the same database as its good events posted at once, and posting it again replays.
each_in_batches() {
    init_db cafe
    local i
    {
        echo '{"type":"enrol","key":"e-ann","at":"2026-03-02T08:00:00Z","customer":"ann"}'
        for i in $(seq 1 2499); do
            if [ "$i" = 7 ] || [ "$i" = 1200 ]; then
                printf '{"type":"order","key":"o%d","at":"2026-03-03T08:00:00Z","customer":"ann","order_id":"A%d","lines":[{"sku":"TEA","quantity":0,"unit_price_minor":300}]}\n' "$i" "$i"
            else
                printf '{"type":"order","key":"o%d","at":"2026-03-03T08:00:00Z","customer":"ann","order_id":"A%d","lines":[{"sku":"ESPRESSO","category":"coffee","quantity":1,"unit_price_minor":250}]}\n' "$i" "$i"
            fi
        done
    } >all.ndjson
    grep -v '"TEA"' all.ndjson >good.ndjson
    expect_exit 2 fidele --json --seed 5 --now 2026-03-04T00:00:00Z event post all.ndjson --each
    check_json "results of 2,500 events" length 2500 'map(.status) | group_by(.) | map("\(.[0]) \(length)") | join(", ")' \
        "applied 2498, error 2" '[.[] | select(.status == "error") | .key] | join(" ")' "o7 o1200"
    expect_exit 2 fidele --seed 5 --now 2026-03-04T00:00:00Z event post all.ndjson --each
    assert_eq "0 applied, 2498 replayed, 2 failed." "$OUT" "posted again: everything replays"
    local each_db=$DB
    init_db cafe
    expect_exit 0 fidele --json --seed 5 --now 2026-03-04T00:00:00Z event post good.ndjson
    assert_eq "$(snapshot "$DB")" "$(snapshot "$each_db")" "batches of --each wrote what one transaction writes"
}

scenario replay replay
scenario each_in_batches each_in_batches
scenario conflicts conflicts
scenario batch_vs_one_by_one batch_vs_one_by_one
scenario each_mode each_mode
scenario concurrent_retries concurrent_retries
scenario fidele_db_variable fidele_db_variable
scenario verify_catches_tampering verify_catches_tampering
finish
