#!/usr/bin/env bash
# Crashes and concurrent writers, through the real binary on real files.
# - `fidele event post --each` and `fidele import orders` killed (SIGKILL) at random points of a
#   large input, several times: after each kill `fidele verify` holds and what was committed is
#   whole batches; posting or importing the file again applies exactly what was not committed
#   (the rest replayed or "already imported"), and the database then holds the same balances,
#   ledger sums and aggregates as one uninterrupted run on a fresh copy, whatever the kill points.
# - `fidele run-due` killed mid-way and run again, or two at once: each lot expires once.
# - `fidele serve` killed while it takes orders, its journal of customers' images not folded:
#   every order it acknowledged is there, and posting them all again completes the run.
# - Two writers at once on one database (two `event post --each`, a CLI writer beside a running
#   `fidele serve` taking orders over HTTP, `fidele run-due` beside it): every writer succeeds
#   (the busy timeout makes them wait their turn), no event is lost or applied twice, and the
#   ledger holds exactly what each side reported.
# - Nothing is reported before it is on disk: `event post --each` and `import`, traced with
#   strace, write their summary only after their last write to the log was synced (skipped where
#   strace cannot trace).
# Kill -9 leaves the page cache: these tests see commits and atomicity, not what a power loss
# would do to unsynced data (the unit tests of store/wal_buffer and store/log_syncer count syncs).
. "$(dirname "$0")/lib.sh"

# stop_at_exit PID: kills PID (and waits for it) when the scenario's subshell exits, passed or
# not, or is interrupted, so that no writer or server outlives its test.
CRASH_PIDS=()
stop_at_exit() {
    CRASH_PIDS+=("$1")
    trap 'for p in "${CRASH_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done' EXIT
    trap 'exit 1' INT TERM HUP PIPE
}

# state DB: what must not depend on where the writers were killed or how they interleaved: each
# customer's aggregates and balances, the ledger's sums by kind and account, lots, events,
# orders and imported history (no ids, codes or instants of writing).
state() {
    sqlite3 -batch -separator '|' "$1" \
        "SELECT ref, is_member, order_count, spend_minor, first_order_at, last_order_at,
                points_available, points_pending, points_lifetime, cashback_minor, tier, stamps,
                next_due_at FROM customers ORDER BY ref;
         SELECT kind, account, card_id, COUNT(*), SUM(amount), SUM(pending_delta) FROM ledger
             GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
         SELECT state, COUNT(*), SUM(amount), SUM(remaining) FROM lots GROUP BY 1 ORDER BY 1;
         SELECT 'events', COUNT(*) FROM events;
         SELECT 'orders', COUNT(*), SUM(paid_minor), SUM(points_earned) FROM orders;
         SELECT 'history', COALESCE(SUM(n), 0) FROM order_history;"
}

# assert_same_state EXPECTED_DB MESSAGE: $DB's state equals EXPECTED_DB's.
assert_same_state() {
    local want got
    want=$(state "$1")
    got=$(state "$DB")
    if [ "$want" == "$got" ]; then
        pass
        return 0
    fi
    fail "$2; diff expected/actual:"
    diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | head -20 | sed 's/^/       | /' >&2
    return 1
}

# REPORTED (jq -s over files of results) and EARNED (SQL): the points and stamps the orders of
# those results earned, as their writers reported them and as the ledger holds them.
REPORTED='[.[][] | select(.type == "order" and .status == "applied")]
    | "\(map(.points) | add) \(map(.stamps.coffee // 0) | add)"'
EARNED="SELECT (SELECT SUM(amount + pending_delta) FROM ledger WHERE account = 'points'
        AND kind IN ('earn', 'earn_pending') AND order_id IS NOT NULL) || ' ' ||
    (SELECT SUM(amount) FROM ledger WHERE account = 'stamps' AND kind = 'earn')"

# orders_ndjson PREFIX N MEMBERS [DAY [ENROL]]: N order events (keys PREFIX0.., order ids
# PREFIX-O0..) spread over customers m0..m(MEMBERS-1), one a minute from 2026-01-DAY (2 unless
# given), after the enrolment of every member when ENROL is set. (Files applied after one
# another start on later days: an order dated before a customer's newest costs far more.)
orders_ndjson() {
    awk -v p="$1" -v n="$2" -v m="$3" -v day="${4:-2}" -v enrol="${5:-}" 'BEGIN {
        if (enrol) for (c = 0; c < m; c++)
            printf "{\"type\":\"enrol\",\"key\":\"enrol:m%d\",\"at\":\"2026-01-01T08:00:00Z\",\"customer\":\"m%d\"}\n", c, c
        for (i = 0; i < n; i++)
            printf "{\"type\":\"order\",\"key\":\"%s%d\",\"at\":\"2026-01-%02dT%02d:%02d:00Z\",\"customer\":\"m%d\",\"order_id\":\"%s-O%d\",\"lines\":[{\"sku\":\"ESPRESSO\",\"category\":\"coffee\",\"quantity\":%d,\"unit_price_minor\":%d}]}\n",
                p, i, day + int(i / 1440), int(i % 1440 / 60), i % 60, (i * 7919) % m, p, i, 1 + i % 3, 150 + i % 7 * 50
    }'
}

# kill_midway QUERY TOTAL CMD...: runs CMD in the background and kills it (SIGKILL) once QUERY
# on $DB (a count of what is committed, TOTAL at the end) has moved to a random point of the
# first nine tenths of what is left, or when it ends by itself. Prints QUERY's value after the
# kill.
kill_midway() {
    local query=$1 total=$2
    shift 2
    local from span
    from=$(sqlite3 -batch "$DB" "$query")
    span=$(((total - from) * 9 / 10))
    [ "$span" -ge 1 ] || span=1
    local at=$((from + 1 + (RANDOM * 32768 + RANDOM) % span))
    "$@" >/dev/null 2>killed.err &
    local pid=$! n=0
    stop_at_exit "$pid"
    while kill -0 "$pid" 2>/dev/null; do
        n=$(sqlite3 -batch "$DB" "$query" 2>/dev/null || echo 0)
        [ "${n:-0}" -ge "$at" ] && break
        sleep 0.01
    done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    sqlite3 -batch "$DB" "$query"
}

# ---------------------------------------------------------------------------------------------
# 1. `event post --each` killed four times; each time the committed events are whole batches
# of 1,000 and verify holds; the fifth run applies the rest.
event_post_killed() {
    local total=20300 # 300 enrolments, 20,000 orders
    orders_ndjson o 20000 300 2 enrol >events.ndjson
    NOW=2026-01-01T00:00:00Z init_db cafe
    local fresh=$DB
    NOW=2026-01-01T00:00:00Z init_db cafe
    local reference=$DB
    NOW=2026-03-01T00:00:00Z
    expect_exit 0 fidele event post --each events.ndjson
    assert_eq "$total applied, 0 replayed, 0 failed." "$OUT" "the uninterrupted run"

    new_db crashed
    cp "$fresh" "$DB"
    local round committed=0 midway=0
    for round in 1 2 3 4; do
        committed=$(kill_midway "SELECT COUNT(*) FROM events" $total \
            "$FIDELE" --db "$DB" --now "$NOW" event post --each events.ndjson)
        if [ $((committed % 1000)) -eq 0 ] || [ "$committed" -eq $total ]; then
            pass
        else
            fail "kill $round: $committed events committed, not whole batches of 1,000"
        fi
        [ "$committed" -gt 0 ] && [ "$committed" -lt $total ] && midway=$((midway + 1))
        verify_clean
    done
    expect_exit 0 fidele event post --each events.ndjson
    assert_eq "$((total - committed)) applied, $committed replayed, 0 failed." "$OUT" \
        "after the kills, what was not committed is applied and the rest replayed"
    assert_same_state "$reference" "killed and posted again = one uninterrupted run"
    expect_exit 0 fidele event post --each events.ndjson
    assert_eq "0 applied, $total replayed, 0 failed." "$OUT" "then everything replays"
    echo "  (event post: $midway of 4 kills landed mid-way, $committed events committed at the last)"
    DB=$fresh
}

# 2. `import orders` killed mid-way (customers: 50 members, whose orders go through the engine,
# and 450 others, whose orders are columnar history), then run again to its end.
import_killed() {
    local total=200000
    awk -v n=$total 'BEGIN { print "customer,order_id,date,amount"
        for (i = 0; i < n; i++)
            printf "c%d,H%d,2026-%02d-%02dT10:00:00Z,%d.%02d\n", i * 7 % 500, i, 1 + int(i / 10000) % 12,
                1 + i % 28, 1 + i % 40, i % 100 }' >orders.csv
    local enrolments=""
    local c
    for c in $(seq 0 10 490); do
        enrolments+="{\"type\":\"enrol\",\"key\":\"enrol:c$c\",\"at\":\"2025-01-02T00:00:00Z\",\"customer\":\"c$c\"}"$'\n'
    done
    NOW=2025-01-01T00:00:00Z init_db cafe --timezone Etc/UTC
    NOW=2025-01-03T00:00:00Z post "$enrolments"
    local fresh=$DB
    NOW=2025-01-01T00:00:00Z init_db cafe --timezone Etc/UTC
    local reference=$DB
    cp "$fresh" "$reference"
    NOW=2027-01-15T00:00:00Z
    expect_exit 0 fidele import orders orders.csv --commit-every 5000
    assert_contains "$OUT" "$total orders imported, 0 already imported, 0 refused" "uninterrupted"

    new_db crashed
    cp "$fresh" "$DB"
    local round committed=0 midway=0
    local query="SELECT (SELECT COUNT(*) FROM orders) + (SELECT COALESCE(SUM(n), 0) FROM order_history)"
    for round in 1 2 3; do
        committed=$(kill_midway "$query" $total \
            "$FIDELE" --db "$DB" --now "$NOW" import orders orders.csv --commit-every 5000)
        [ "$committed" -gt 0 ] && [ "$committed" -lt $total ] && midway=$((midway + 1))
        verify_clean
    done
    expect_exit 0 fidele import orders orders.csv --commit-every 5000
    assert_contains "$OUT" \
        "$((total - committed)) orders imported, $committed already imported, 0 refused" \
        "after the kills, what was not committed is imported and the rest known"
    assert_same_state "$reference" "killed and imported again = one uninterrupted import"
    echo "  (import: $midway of 3 kills landed mid-way, $committed orders committed at the last)"
    DB=$fresh
}

# 3. Two `event post --each` of different files at once, on the same members: both succeed,
# every event is applied once, and the ledger is what the two reported.
two_posters() {
    orders_ndjson a 6000 100 2 enrol >a.ndjson
    orders_ndjson b 6000 100 7 >b.ndjson
    NOW=2026-01-01T00:00:00Z init_db cafe
    local reference=$DB
    NOW=2026-03-01T00:00:00Z
    expect_exit 0 fidele event post --each a.ndjson
    expect_exit 0 fidele event post --each b.ndjson

    NOW=2026-01-01T00:00:00Z init_db cafe
    NOW=2026-03-01T00:00:00Z
    # b's orders wait for a's enrolments: b's members are customers until then
    fidele --json event post --each a.ndjson >a.json 2>a.err &
    local a=$!
    stop_at_exit "$a"
    fidele --json event post --each b.ndjson >b.json 2>b.err &
    local b=$!
    stop_at_exit "$b"
    wait "$a"
    assert_eq 0 $? "the first writer succeeds (stderr: $(head -c 300 a.err))"
    wait "$b"
    assert_eq 0 $? "the second writer succeeds (stderr: $(head -c 300 b.err))"
    assert_eq "6100 0" "$(jq -r '[map(select(.status == "applied")) | length,
        map(select(.status != "applied")) | length] | join(" ")' a.json)" "a: all applied"
    assert_eq "6000 0" "$(jq -r '[map(select(.status == "applied")) | length,
        map(select(.status != "applied")) | length] | join(" ")' b.json)" "b: all applied"
    assert_eq "12000|12100" "$(sql "SELECT (SELECT COUNT(*) FROM orders) || '|' ||
        (SELECT COUNT(*) FROM events)")" "every order once, every event once"
    # what each side reported earning is what the ledger holds
    assert_eq "$(jq -rs "$REPORTED" a.json b.json)" "$(sql "$EARNED")" \
        "points and stamps reported = points and stamps earned in the ledger"
    assert_eq "$(DB=$reference sql "SELECT ref, order_count, spend_minor FROM customers ORDER BY ref")" \
        "$(sql "SELECT ref, order_count, spend_minor FROM customers ORDER BY ref")" \
        "each customer's orders and spend, as posted one after the other"
}

# serve_beside: starts `fidele serve` on $DB on a free port, its stderr in server.log; sets PORT
# and SERVER (stopped at exit) and KEY (a pos key).
serve_beside() {
    expect_exit 0 fidele --json key create --scope pos
    KEY=$(jq -r .key <<<"$OUT")
    rm -f ready
    "$FIDELE" --db "$DB" serve --listen 127.0.0.1:0 --ready-file ready "$@" >server.out 2>server.log &
    SERVER=$!
    stop_at_exit "$SERVER"
    local i
    for i in $(seq 200); do
        [ "$(wc -l 2>/dev/null <ready)" == 1 ] && break # "HOST:PORT\n", once whole
        sleep 0.025
    done
    PORT=$(cut -d: -f2 ready 2>/dev/null)
    assert_true "the server is ready" [ -n "$PORT" ]
}

# http_orders FILE BATCH: posts the events of FILE (NDJSON) to the server, BATCH a request,
# one request after the other; each answer 200 is appended to http.json; prints the count of
# requests answered otherwise (or not at all).
http_orders() {
    local bad=0 body code
    : >http.json
    while IFS= read -r body; do
        rm -f answer.json
        code=$(curl -s -o answer.json -w '%{http_code}' -H "Authorization: Bearer $KEY" \
            -H 'Content-Type: application/json' --data-binary "$body" \
            "http://127.0.0.1:$PORT/v1/events/batch")
        if [ "$code" == 200 ]; then
            cat answer.json >>http.json
        else
            bad=$((bad + 1))
        fi
    done < <(jq -c --argjson n "$2" -n '[inputs] | range(0; length; $n) as $i | {events: .[$i:$i+$n]}' "$1")
    echo "$bad"
}

# stop_server: SIGTERM, and the server must stop cleanly.
stop_server() {
    kill -TERM "$SERVER"
    wait "$SERVER"
    assert_eq 0 $? "the server stops cleanly ($(tail -c 300 server.log))"
}

# 4. A CLI writer beside a running server that takes orders over HTTP, on the same members.
cli_beside_server() {
    orders_ndjson c 6000 100 2 >cli.ndjson
    orders_ndjson h 2000 100 7 >http.ndjson
    NOW=2026-01-01T00:00:00Z init_db cafe
    NOW=2026-01-02T00:00:00Z post "$(orders_ndjson x 0 100 2 enrol)"
    serve_beside
    NOW=2026-03-01T00:00:00Z
    fidele --json event post --each cli.ndjson >cli.json 2>cli.err &
    local cli=$!
    stop_at_exit "$cli"
    local bad
    bad=$(http_orders http.ndjson 50)
    assert_eq 0 "$bad" "every HTTP batch answered 200 ($(head -c 300 answer.json))"
    wait "$cli"
    assert_eq 0 $? "the CLI writer succeeds beside the server ($(head -c 300 cli.err))"
    stop_server
    assert_eq 2000 "$(jq -s '[.[].results[] | select(.status == "applied")] | length' http.json)" \
        "the server applied every order it took"
    assert_eq 6000 "$(jq '[.[] | select(.status == "applied")] | length' cli.json)" \
        "the CLI applied every order of its file"
    assert_eq "8000" "$(sql "SELECT COUNT(*) FROM orders")" "no order lost or doubled"
    assert_eq "$(jq -rs "$REPORTED" cli.json <(jq -s '[.[].results[]]' http.json))" \
        "$(sql "$EARNED")" "points and stamps reported by both = earned in the ledger"
}

# 5. `fidele run-due` beside a server taking orders: the run's expiries and the orders commit
# one after the other, whichever comes first.
run_due_beside_server() {
    orders_ndjson d 2000 100 >http.ndjson
    orders_ndjson e 2000 100 4 >again.ndjson
    NOW=2026-01-01T00:00:00Z init_db cafe
    NOW=2026-01-02T00:00:00Z post "$(orders_ndjson x 0 100 2 enrol)"
    NOW=2026-03-01T00:00:00Z expect_exit 0 fidele event post --each "$(pwd)/http.ndjson"
    # more orders over HTTP while every lot comes due
    serve_beside
    fidele --now 2029-01-01T00:00:00Z --json run-due >due.json 2>due.err &
    local due=$!
    stop_at_exit "$due"
    local bad
    bad=$(http_orders again.ndjson 100)
    assert_eq 0 "$bad" "every HTTP batch answered 200 ($(head -c 300 answer.json))"
    wait "$due"
    assert_eq 0 $? "run-due succeeds beside the server ($(head -c 300 due.err))"
    stop_server
    assert_eq 2000 "$(jq -s '[.[].results[] | select(.status == "applied")] | length' http.json)" \
        "the server applied every order it took"
    assert_eq 4000 "$(sql "SELECT COUNT(*) FROM orders")" "no order lost or doubled"
}

# 6. Nothing is reported before it is on disk: traced (strace), `event post --each` and `import`
# (its engine path, and its columnar history) write their summary only after a sync of the log
# that follows their last write to the log. Another connection holds the database open
# meanwhile, as a running server would: without it the last connection's close would
# checkpoint, which syncs the log whatever the writer did.
reported_once_synced() {
    if ! command -v strace >/dev/null || ! strace -f -o /dev/null true 2>/dev/null; then
        echo "  (reported_once_synced: skipped, strace cannot trace here)"
        return 0
    fi
    init_db cafe
    orders_ndjson s 3000 100 2 enrol >events.ndjson
    traced_summary_synced "--each" "3100 applied, 0 replayed, 0 failed." applied \
        event post --each events.ndjson
    # members' orders with line items go through the engine in batches; shoppers' to the history
    awk 'BEGIN { print "customer,order_id,date,amount,sku"
        for (i = 0; i < 2500; i++) printf "m%d,I%d,2026-02-%02d 10:00,%d.50,LATTE\n", i % 100, i, 1 + i % 28, 2 + i % 5 }' >members.csv
    traced_summary_synced "import through the engine" "2500 orders imported" "orders imported" \
        import orders members.csv
    awk 'BEGIN { print "customer,order_id,date,amount"
        for (i = 0; i < 20000; i++) printf "h%d,H%d,2025-%02d-%02d 10:00,%d.50\n", i % 3000, i, 1 + i % 12, 1 + i % 28, 2 + i % 5 }' >history.csv
    traced_summary_synced "import to the history" "20000 orders imported" "orders imported" \
        import orders history.csv
}

# traced_summary_synced LABEL EXPECTED SUMMARY_WORDS ARGS...: runs fidele ARGS under strace, with
# another connection holding $DB open, and checks that the line of stdout with SUMMARY_WORDS is
# written after a sync of the log that follows the last write to it.
traced_summary_synced() {
    local label=$1 expected=$2 words=$3
    shift 3
    local fifo=$PWD/hold.fifo
    rm -f "$fifo"
    mkfifo "$fifo"
    sqlite3 "$DB" <"$fifo" >/dev/null &
    stop_at_exit $!
    exec 3>"$fifo"
    echo "SELECT COUNT(*) FROM merchants;" >&3
    # LeakSanitizer cannot run under ptrace: the sanitized build leaves leaks to the other runs.
    # Output line by line, as on a terminal: a summary held in stdio's buffer until the exit
    # would be written after the engine closed (which syncs), whatever the command did before.
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0:verify_asan_link_order=0" \
        NOW=2026-03-01T00:00:00Z expect_exit 0 strace -f -qq -s 256 -o trace.txt \
        -e trace=openat,close,write,pwrite64,fdatasync,fsync \
        stdbuf -oL "$FIDELE" --db "$DB" --now 2026-03-01T00:00:00Z "$@"
    exec 3>&-
    assert_contains "$OUT" "$expected" "$label: done"
    # per line of the trace: the log's descriptors, the last write to one, then a sync of one
    local verdict
    verdict=$(awk -v words="$words" '
        /openat\(.*-wal"/ && / = [0-9]+$/ { log_fd[$NF] = 1; next }
        /openat\(.*-wal".*<unfinished/ { opening[$1] = 1; next }
        /<\.\.\. openat resumed>/ { if (($1 in opening) && / = [0-9]+$/) log_fd[$NF] = 1
            delete opening[$1]; next }
        /close\([0-9]+\)/ { fd = $0; sub(/.*close\(/, "", fd); sub(/\).*/, "", fd); delete log_fd[fd] }
        /pwrite64\([0-9]+,/ { fd = $0; sub(/.*pwrite64\(/, "", fd); sub(/,.*/, "", fd)
            if (fd in log_fd) { written = 1; synced = 0; writes++ } }
        # a sync another thread interrupted is printed in two lines: once resumed, it covers the
        # writes made before it began
        /f(data)?sync\([0-9]+ <unfinished/ { fd = $0; sub(/.*sync\(/, "", fd); sub(/ .*/, "", fd)
            pending[$1] = fd; writes_then[$1] = writes; next }
        /<\.\.\. f(data)?sync resumed>/ { if (($1 in pending) && (pending[$1] in log_fd) && written &&
                writes_then[$1] == writes) synced = 1
            delete pending[$1]; next }
        /f(data)?sync\([0-9]+\)/ { fd = $0; sub(/.*sync\(/, "", fd); sub(/\).*/, "", fd)
            if ((fd in log_fd) && written) synced = 1 }
        /write\(1, / && index($0, words) { print (written ? (synced ? "synced" : "NOT synced") : "no log write"); exit }
    ' trace.txt)
    assert_eq synced "$verdict" "$label: the summary is written after the last commit is synced"
}

# 7. The server killed (SIGKILL) while it takes orders over HTTP, its customers' images still in
# its journal: every order it acknowledged is in the database, verify holds (it folds the
# journal), and the CLI posting every order again applies exactly the others and ends with the
# balances of one uninterrupted run.
server_killed() {
    orders_ndjson k 6000 100 2 enrol >events.ndjson
    NOW=2026-01-01T00:00:00Z init_db cafe
    local reference=$DB
    NOW=2026-03-01T00:00:00Z expect_exit 0 fidele event post --each events.ndjson
    NOW=2026-01-01T00:00:00Z init_db cafe
    serve_beside
    local at=$((1 + RANDOM % 5000))
    http_orders events.ndjson 100 >/dev/null &
    local client=$!
    stop_at_exit "$client"
    while kill -0 "$client" 2>/dev/null &&
        [ "$(sqlite3 -batch "$DB" "SELECT COUNT(*) FROM events" 2>/dev/null || echo 0)" -lt "$at" ]; do
        sleep 0.01
    done
    kill -9 "$SERVER"
    wait "$SERVER" 2>/dev/null
    wait "$client"
    local acked missing
    acked=$(jq -r '.results[]? | select(.status == "applied") | .key' http.json | sort)
    missing=$(comm -23 <(printf '%s\n' "$acked") <(sql "SELECT key FROM events" | sort))
    assert_eq "" "$missing" "every order the server acknowledged is in the database"
    verify_clean
    local committed
    committed=$(sql "SELECT COUNT(*) FROM events")
    NOW=2026-03-01T00:00:00Z expect_exit 0 fidele event post --each events.ndjson
    assert_eq "$((6100 - committed)) applied, $committed replayed, 0 failed." "$OUT" \
        "posted again: what the server had not committed is applied"
    assert_same_state "$reference" "killed server and posted again = one uninterrupted run"
    echo "  (server: killed after $committed events committed, $(grep -c . <<<"$acked") acknowledged)"
}

# 8. `fidele run-due` killed mid-way, then run again; and two run at once: each customer's due
# work (here every lot expiring) is done once, as by one uninterrupted run.
run_due_killed() {
    orders_ndjson r 6000 6000 2 enrol >events.ndjson
    NOW=2026-01-01T00:00:00Z init_db cafe
    NOW=2026-03-01T00:00:00Z expect_exit 0 fidele event post --each events.ndjson
    local base=$DB
    NOW=2029-01-01T00:00:00Z
    new_db reference
    cp "$base" "$DB"
    expect_exit 0 fidele --json run-due
    check_json "one run" .customers_processed 6000 .lots_expired 12000
    local reference=$DB

    new_db crashed
    cp "$base" "$DB"
    local round committed
    for round in 1 2; do
        committed=$(kill_midway "SELECT COUNT(*) FROM ledger WHERE kind = 'expire'" 12000 \
            "$FIDELE" --db "$DB" --now "$NOW" run-due)
        verify_clean
    done
    expect_exit 0 fidele --json run-due
    assert_json .lots_expired $((12000 - committed)) "run again: the lots not expired yet"
    assert_same_state "$reference" "killed and run again = one run"

    new_db twice
    cp "$base" "$DB"
    fidele --json run-due >due1.json 2>due1.err &
    local one=$!
    stop_at_exit "$one"
    fidele --json run-due >due2.json 2>due2.err &
    local two=$!
    stop_at_exit "$two"
    wait "$one"
    assert_eq 0 $? "the first run succeeds ($(head -c 300 due1.err))"
    wait "$two"
    assert_eq 0 $? "the second run succeeds ($(head -c 300 due2.err))"
    assert_eq "6000 12000" "$(jq -rs '"\(map(.customers_processed) | add) \(map(.lots_expired) | add)"' \
        due1.json due2.json)" "between them, each customer and lot once"
    assert_same_state "$reference" "two runs at once = one run"
    echo "  (run-due: killed after $committed lots expired)"
}

scenario event_post_killed event_post_killed
scenario import_killed import_killed
scenario two_posters two_posters
scenario cli_beside_server cli_beside_server
scenario run_due_beside_server run_due_beside_server
scenario reported_once_synced reported_once_synced
scenario server_killed server_killed
scenario run_due_killed run_due_killed
finish
