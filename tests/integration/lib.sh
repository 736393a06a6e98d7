# Helpers shared by the integration scripts (sourced, never run on its own).
#
# Each script drives the real `fidele` binary ($FIDELE) on real SQLite files in a temporary
# directory that is removed on exit. A script is a list of scenarios; each scenario runs in its own
# subshell with fresh databases (new_db), and the runner calls verify_clean on every database the
# scenario created once its body has run: the ledger invariants are checked after every scenario.
# Checks never stop a scenario: every failure is reported with the command's stdout and stderr.
# The script ends with "N passed, M failed" (scenarios) and exits non-zero when any failed.
#
# Conventions (details above each function):
#   scenario NAME FN        runs FN in a fresh directory, then verify_clean on its databases
#   init_db TEMPLATE|FILE   a new database ($DB) with a merchant and that programme
#   fidele ARGS...          "$FIDELE" --db "$DB" [--now "$NOW" when NOW is set] ARGS...
#   expect_exit CODE CMD... runs CMD, stdout in $OUT, stderr in $ERR, exit code in $RC
#   post JSON [ARGS...]     expect_exit 0 fidele --json event post - ARGS <<< JSON
#   check_json MSG F V...   jq filters on $OUT and their expected values, one jq run
#   ledger_table MEMBER     the ledger one entry a line, to compare with an expected table
#   snapshot [DB]           canonical dump of every table, for "the database is unchanged"
#   verify_clean [DB]       `fidele verify` must exit 0 and report no violation
# A check that fails because of a product bug not fixed yet says so: "KNOWN BUG (...): ...";
# finish counts them apart so that a new failure does not hide among known ones.

set -uo pipefail

if [ -z "${FIDELE:-}" ]; then
    echo "lib.sh: set FIDELE to the fidele binary (ctest does)" >&2
    exit 2
fi
case "$FIDELE" in /*) ;; *) FIDELE="$PWD/$FIDELE" ;; esac
if [ ! -x "$FIDELE" ]; then
    echo "lib.sh: FIDELE=$FIDELE is not an executable" >&2
    exit 2
fi
for tool in jq sqlite3; do
    command -v "$tool" >/dev/null || { echo "lib.sh: $tool is missing (scripts/bootstrap)" >&2; exit 2; }
done
unset FIDELE_DB # every call names its database; idempotency.sh sets FIDELE_DB on purpose

IT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/fidele-it.XXXXXX") || exit 2
trap 'rm -rf "$IT_TMP"' EXIT
IT_SCRIPT=$(basename "$0" .sh)
IT_PASSED=0
IT_FAILED=0
IT_FAILED_NAMES=()
: >"$IT_TMP/checks"
: >"$IT_TMP/known"

DB=""
NOW=""
OUT=""
ERR=""
RC=0
IT_FAILS=0
IT_DBS=()
IT_SCENARIO=""

# ---- running scenarios ---------------------------------------------------------------------

# scenario NAME FUNCTION: runs FUNCTION in a subshell inside its own directory, then verify_clean on
# every database it created. Counts the scenario as passed when no check failed.
scenario() {
    local name=$1 fn=$2 started
    started=$(date +%s%N)
    mkdir -p "$IT_TMP/$name"
    (
        IT_SCENARIO=$name
        IT_FAILS=0
        IT_DBS=()
        DB=""
        NOW=""
        cd "$IT_TMP/$name" || exit 1
        "$fn"
        if [ ${#IT_DBS[@]} -eq 0 ]; then
            fail "scenario created no database (use new_db)"
        fi
        local db
        for db in "${IT_DBS[@]}"; do
            [ -e "$db" ] && verify_clean "$db"
        done
        exit $((IT_FAILS > 0))
    )
    local status=$? took
    took=$((($(date +%s%N) - started) / 1000000))
    if [ $status -eq 0 ]; then
        IT_PASSED=$((IT_PASSED + 1))
        echo "ok   $IT_SCRIPT/$name (${took} ms)"
    else
        IT_FAILED=$((IT_FAILED + 1))
        IT_FAILED_NAMES+=("$name")
        echo "FAIL $IT_SCRIPT/$name (${took} ms)"
    fi
}

# finish: the final line, and the exit status of the script.
finish() {
    local checks failed known
    checks=$(wc -c <"$IT_TMP/checks")
    failed=$(tr -d . <"$IT_TMP/checks" | wc -c)
    known=$(wc -c <"$IT_TMP/known")
    if [ "$IT_FAILED" -gt 0 ]; then
        echo "failed scenarios: ${IT_FAILED_NAMES[*]}"
    fi
    echo "$IT_SCRIPT: $((checks)) checks, $((failed)) failed ($((known)) of them marked KNOWN BUG)"
    echo "$IT_PASSED passed, $IT_FAILED failed"
    [ "$IT_FAILED" -eq 0 ]
    exit $?
}

# new_db [NAME]: a fresh database path in the scenario's directory (fidele.db, fidele-2.db, ...
# unless NAME is given); becomes $DB.
new_db() {
    local n=$((${#IT_DBS[@]} + 1))
    DB="$PWD/${1:-fidele$([ "$n" -gt 1 ] && echo "-$n")}.db"
    rm -f "$DB" "$DB-wal" "$DB-shm"
    IT_DBS+=("$DB")
}

# ---- checks --------------------------------------------------------------------------------

pass() {
    printf . >>"$IT_TMP/checks"
}

# fail MESSAGE: reports a failed check (the scenario goes on), with the script line that made it.
# A check that shows a product bug not fixed yet says so in its message: "KNOWN BUG (...): ...".
fail() {
    IT_FAILS=$((IT_FAILS + 1))
    printf x >>"$IT_TMP/checks"
    case "$1" in *"KNOWN BUG"*) printf x >>"$IT_TMP/known" ;; esac
    {
        echo "  FAIL [$IT_SCRIPT/$IT_SCENARIO] $1"
        local frame=0 line func file where=""
        while read -r line func file < <(caller "$frame" 2>/dev/null); do
            frame=$((frame + 1))
            [ "$(basename "$file")" = lib.sh ] && continue
            [ "$func" = main ] && break
            where+="${where:+ <- }$(basename "$file"):$line ($func)"
        done
        [ -n "$where" ] && echo "       at $where"
    } >&2
}

# show_output: the last command's output, indented, for failure messages.
show_output() {
    echo "       --- stdout ---"
    printf '%s\n' "$OUT" | head -60 | sed 's/^/       | /'
    echo "       --- stderr ---"
    printf '%s\n' "$ERR" | head -30 | sed 's/^/       | /'
}

# assert_eq EXPECTED ACTUAL MESSAGE
assert_eq() {
    if [ "$1" == "$2" ]; then
        pass
        return 0
    fi
    fail "$3: expected [$1], got [$2]"
    return 1
}

# assert_contains HAYSTACK NEEDLE MESSAGE (fixed string)
assert_contains() {
    if grep -qF -- "$2" <<<"$1"; then
        pass
        return 0
    fi
    fail "$3: [$2] not found in:"
    printf '%s\n' "$1" | head -20 | sed 's/^/       | /' >&2
    return 1
}

# assert_true MESSAGE CMD...: CMD (a test such as [ -e file ]) must succeed.
assert_true() {
    local message=$1
    shift
    if "$@"; then
        pass
        return 0
    fi
    fail "$message: [$*] is false"
    return 1
}

# expect_exit CODE CMD...: runs CMD; stdout -> $OUT, stderr -> $ERR, status -> $RC. A different
# exit code is a failure that shows the command, both outputs and the code.
expect_exit() {
    local want=$1
    shift
    "$@" >"$IT_TMP/$IT_SCENARIO.out" 2>"$IT_TMP/$IT_SCENARIO.err"
    RC=$?
    OUT=$(cat "$IT_TMP/$IT_SCENARIO.out")
    ERR=$(cat "$IT_TMP/$IT_SCENARIO.err")
    if [ "$RC" == "$want" ]; then
        pass
        return 0
    fi
    fail "expected exit $want, got $RC from: $*"
    show_output >&2
    return 1
}

# jout FILTER: jq -r FILTER applied to the last command's stdout.
jout() {
    jq -r "$1" <<<"$OUT" 2>/dev/null || echo "<jq failed: $1>"
}

# check_json MESSAGE FILTER EXPECTED [FILTER EXPECTED]...: each jq FILTER applied to $OUT must print
# EXPECTED (strings raw, anything else as compact JSON). One jq process for all the pairs: jq
# starts slowly, and a scenario checks many fields of one result.
check_json() {
    local message=$1 program="" n=0 i
    shift
    local filters=() wants=()
    while [ $# -ge 2 ]; do
        filters+=("$1")
        wants+=("$2")
        program+="${program:+, }([$1] | if length == 1 then .[0] else . end)"
        shift 2
    done
    local got=()
    mapfile -t got < <(jq -r "[$program] | .[] | if type == \"string\" then gsub(\"\n\"; \"\\\\n\") else tojson end" <<<"$OUT" 2>&1)
    for i in "${!filters[@]}"; do
        if [ "${got[$i]-<missing>}" == "${wants[$i]}" ]; then
            pass
        else
            fail "$message: ${filters[$i]} expected [${wants[$i]}], got [${got[$i]-<no output>}]"
            n=$((n + 1))
        fi
    done
    if [ "$n" -gt 0 ]; then
        show_output >&2
        return 1
    fi
    return 0
}

# assert_json FILTER EXPECTED MESSAGE: one check_json pair.
assert_json() {
    check_json "$3" "$1" "$2"
}

# assert_stderr_names FIELD: the last command's error message names FIELD (a JSON pointer,
# "line N", an option...).
assert_stderr_names() {
    assert_contains "$ERR" "$1" "${2:-error message names the field}"
}

# ---- driving fidele ------------------------------------------------------------------------

# fidele ARGS...: the binary on $DB, with --now $NOW when NOW is set (a later --now wins).
fidele() {
    if [ -n "$NOW" ]; then
        "$FIDELE" --db "$DB" --now "$NOW" "$@"
    else
        "$FIDELE" --db "$DB" "$@"
    fi
}

# post JSON [OPTIONS...]: posts events (object, array or NDJSON) with --json and expects exit 0.
post() {
    local body=$1
    shift
    expect_exit 0 fidele --json event post - "$@" <<<"$body"
}

# post_fails CODE JSON [OPTIONS...]: posts events and expects exit CODE.
post_fails() {
    local code=$1 body=$2
    shift 2
    expect_exit "$code" fidele --json event post - "$@" <<<"$body"
}

# sql QUERY: one query on $DB, '|'-separated rows.
sql() {
    sqlite3 -batch -noheader "$DB" "$1"
}

# epoch ISO-TIME: seconds since the epoch (what the database stores).
epoch() {
    date -u -d "$1" +%s
}

# init_db TEMPLATE|FILE [options...]: new database (new_db) with a merchant; a FILE argument is a
# programme document. The clock is 2026-01-01 unless NOW is set; the merchant speaks English
# (the tests' expectations are written in it) unless the options give a --locale.
init_db() {
    local what=$1
    shift
    new_db
    local now=${NOW:-2026-01-01T00:00:00Z}
    [[ " $* " == *" --locale "* ]] || set -- "$@" --locale en
    if [ -f "$what" ]; then
        expect_exit 0 "$FIDELE" --db "$DB" --now "$now" init --program "$what" "$@"
    else
        expect_exit 0 "$FIDELE" --db "$DB" --now "$now" init --template "$what" "$@"
    fi
}

# enrol MEMBER AT [extra JSON fields]: enrolment event, key enrol:MEMBER.
enrol() {
    post "{\"type\":\"enrol\",\"key\":\"enrol:$1\",\"at\":\"$2\",\"customer\":\"$1\"${3:+,$3}}"
}

# line SKU CATEGORY QTY UNIT_PRICE: one order line.
line() {
    if [ -n "$2" ]; then
        printf '{"sku":"%s","category":"%s","quantity":%s,"unit_price_minor":%s}' "$1" "$2" "$3" "$4"
    else
        printf '{"sku":"%s","quantity":%s,"unit_price_minor":%s}' "$1" "$3" "$4"
    fi
}

# order_json KEY AT CUSTOMER ORDER_ID LINES [EXTRA]: an order event; LINES is a JSON array and
# EXTRA more fields ("\"channel\":\"online\"").
order_json() {
    printf '{"type":"order","key":"%s","at":"%s","customer":"%s","order_id":"%s","lines":%s%s}' \
        "$1" "$2" "$3" "$4" "$5" "${6:+,$6}"
}

# order KEY AT CUSTOMER ORDER_ID LINES [EXTRA]: posts one order and expects exit 0; the result
# object is in $OUT as a one-element array.
order() {
    post "$(order_json "$@")"
}

# refund_json KEY AT ORDER_ID BODY: BODY is "\"amount_minor\":N" or "\"lines\":[...]".
refund_json() {
    printf '{"type":"refund","key":"%s","at":"%s","order_id":"%s",%s}' "$1" "$2" "$3" "$4"
}

# balance_of MEMBER: prints "available pending lifetime cashback" from `balance --json`.
balance_of() {
    "$FIDELE" --db "$DB" --json balance "$1" |
        jq -r '"\(.available) \(.pending) \(.lifetime) \(.cashback.amount_minor)"'
}

# assert_balance MEMBER "AVAILABLE PENDING LIFETIME CASHBACK" MESSAGE
assert_balance() {
    assert_eq "$2" "$(balance_of "$1")" "${3:-balance of $1 (available pending lifetime cashback)}"
}

# ledger_table MEMBER: the member's ledger, one entry a line:
#   KIND ACCOUNT[:CARD] AMOUNT PENDING_DELTA ORDER|- vVERSION RULE=POINTS,...
# (RULE alone when the explanation line carries no points), e.g.
#   earn points 442 0 A1 v1 base=179,multiplier:quiet-afternoon=179,first_order=20
ledger_table() {
    "$FIDELE" --db "$DB" --json ledger "$1" | jq -r '.entries[] | [.kind,
        (.account + (if .card then ":" + .card else "" end)), .amount, .pending_delta,
        (.order_id // "-"), "v\(.program_version)",
        (.explanation | map(.rule + (if has("points") then "=\(.points)" else "" end)) | join(","))]
        | map(tostring) | join(" ")'
}

# program_version: the current programme version number.
program_version() {
    "$FIDELE" --db "$DB" --json program show | jq -r .version
}

# ---- database snapshots and invariants -----------------------------------------------------

IT_TABLES=(
    "merchants:id"
    "programs:merchant_id, version"
    "customers:merchant_id, id"
    "ledger:merchant_id, id"
    "lots:merchant_id, id"
    "lot_uses:merchant_id, ledger_id, lot_id"
    "vouchers:merchant_id, code"
    "orders:merchant_id, id"
    "refunds:merchant_id, id"
    "events:merchant_id, key"
    "result_shapes:id"
    "stamp_balances:merchant_id, customer_id, card_id"
    "vip_payments:merchant_id, id"
    "order_history:merchant_id, block:merchant_id, block, n, first_at, last_at, hex(columns)"
)

# snapshot [DB]: every table, every column, in primary-key order, in one sqlite3 run (a third
# part of a table's spec names its columns: blobs as hex).
snapshot() {
    local db=${1:-$DB} spec table rest columns args=()
    if [ ! -e "$db" ]; then
        echo "(no database at $db)"
        return 0
    fi
    for spec in "${IT_TABLES[@]}"; do
        table=${spec%%:*}
        rest=${spec#*:}
        columns='*'
        if [[ $rest == *:* ]]; then
            columns=${rest#*:}
            rest=${rest%%:*}
        fi
        args+=(".print '== $table'" "SELECT $columns FROM $table ORDER BY $rest;")
    done
    sqlite3 -batch -header -separator '|' "$db" "${args[@]}" 2>&1
}

# assert_unchanged BEFORE MESSAGE: the database equals the snapshot BEFORE.
assert_unchanged() {
    local after
    after=$(snapshot)
    if [ "$1" == "$after" ]; then
        pass
        return 0
    fi
    fail "${2:-database changed}; diff before/after:"
    diff <(printf '%s\n' "$1") <(printf '%s\n' "$after") | head -30 | sed 's/^/       | /' >&2
    return 1
}

# verify_clean [DB]: `fidele verify` exits 0 and lists no violation.
verify_clean() {
    local db=${1:-$DB} out rc
    out=$("$FIDELE" --db "$db" --json verify 2>&1)
    rc=$?
    if [ "$rc" -eq 0 ] && [ "$(jq -r '.ok' <<<"$out" 2>/dev/null)" == "true" ]; then
        pass
        return 0
    fi
    fail "fidele verify on $(basename "$db") exited $rc:"
    printf '%s\n' "$out" | head -40 | sed 's/^/       | /' >&2
    return 1
}

# verify_catches CHECK SQL: on a copy of $DB changed by SQL, `fidele verify` exits 1 and names
# CHECK among its violations ($DB itself is left as it was).
verify_catches() {
    rm -f tampered.db
    sqlite3 "$DB" ".backup tampered.db"
    sqlite3 tampered.db "$2" || fail "could not tamper: $2"
    expect_exit 1 "$FIDELE" --db "$PWD/tampered.db" --json verify
    check_json "verify after: $2" .ok false "[.violations[].check] | index(\"$1\") != null" true
    rm -f tampered.db
}

# write FILE CONTENT: writes a file in the scenario directory (programmes, event files).
write() {
    printf '%s\n' "$2" >"$1"
}
