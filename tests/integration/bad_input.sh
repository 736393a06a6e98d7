#!/usr/bin/env bash
# Bad input, as a table: every case must exit 2, name the offending field (a JSON pointer, "line
# N" or the option) in its message, and leave the database exactly as it was.
. "$(dirname "$0")/lib.sh"

# bad DESCRIPTION NEEDLE INPUT CMD...: runs CMD with INPUT (a file, or - for none) on stdin.
# SHOW_ERRORS=1 prints every message, to review their wording.
bad() {
    local what=$1 needle=$2 input=$3
    shift 3
    local before
    before=$(snapshot)
    if [ "$input" = - ]; then
        expect_exit 2 "$@" </dev/null
    else
        expect_exit 2 "$@" <"$input"
    fi
    assert_stderr_names "$needle" "$what: the message names $needle"
    [ -n "${SHOW_ERRORS:-}" ] && echo "    [$what] $ERR" >&2
    assert_unchanged "$before" "$what: nothing written"
}

# bad_event DESCRIPTION NEEDLE JSON: posts JSON (one event, an array or NDJSON).
bad_event() {
    printf '%s\n' "$3" >event.json
    bad "$1" "$2" event.json fidele event post -
}

# A database with a member, an order and a voucher, for the cases to bounce off.
seed_db() {
    init_db cafe
    enrol alice 2026-03-02T08:00:00Z
    order o1 2026-03-03T08:00:00Z alice A1 "[$(line ESPRESSO coffee 12 250)]"
}

ORDER_OK='"type":"order","key":"k-new","at":"2026-03-04T08:00:00Z","customer":"alice","order_id":"A2"'
LINE_OK='{"sku":"ESPRESSO","category":"coffee","quantity":1,"unit_price_minor":250}'

# ---------------------------------------------------------------------------------------------
malformed_json() {
    seed_db
    bad_event "malformed JSON" "line 1" '{"type": "order", "key": }'
    bad_event "truncated JSON" "line 1" "{$ORDER_OK,\"lines\":[$LINE_OK"
    # three lines and the final newline: the end of the input is on line 4
    bad_event "truncated array over lines" "line 4" $'[\n{'"$ORDER_OK"',"lines":['"$LINE_OK"$']},\n{"type":'
    bad_event "integer over 64 bits" "line 1" \
        "{$ORDER_OK,\"lines\":[{\"sku\":\"X\",\"quantity\":1,\"unit_price_minor\":99999999999999999999}]}"
    assert_contains "$ERR" "/lines/0/unit_price_minor: 99999999999999999999 is out of range" \
        "valid JSON: the value is named by its pointer"
    bad_event "duplicate key" "line 1" "{$ORDER_OK,\"lines\":[$LINE_OK],\"lines\":[$LINE_OK]}"
    bad_event "invalid UTF-8" "line 1" "$(printf '{%s,"lines":[{"sku":"\xff\xfe","quantity":1,"unit_price_minor":1}]}' "$ORDER_OK")"
    # a NUL byte after a number, which the JSON library read as nothing
    printf '[{%s,"lines":[{"sku":"X","quantity":2\0,"unit_price_minor":1}]}]\n' "$ORDER_OK" >nul.json
    bad "a NUL byte" "line 1" nul.json fidele event post nul.json
    assert_contains "$ERR" "NUL byte" "the message says what"
    bad_event "empty input" "line 1" ""
    # a byte-order mark, as Windows editors write UTF-8, is not part of the JSON
    printf '\xEF\xBB\xBF{"type":"enrol","key":"bom","customer":"bom"}\n' >bom.json
    expect_exit 0 fidele event post bom.json
    bad_event "not an object" "line 1" '"just a string"'
    bad_event "array with a non-object" "event 2" "[{$ORDER_OK,\"lines\":[$LINE_OK]}, 42]"
    # a bad line in the middle of NDJSON: the good lines before it are not written either
    printf '%s\n' \
        "{\"type\":\"order\",\"key\":\"n1\",\"at\":\"2026-03-04T08:00:00Z\",\"customer\":\"alice\",\"order_id\":\"N1\",\"lines\":[$LINE_OK]}" \
        "{\"type\":\"order\",\"key\":\"n2\",\"at\":\"2026-03-04T08:00:00Z\",\"customer\":\"bob\",\"order_id\":\"N2\",\"lines\":[$LINE_OK]}" \
        '{"type":"order","key":"n3",' \
        "{\"type\":\"order\",\"key\":\"n4\",\"at\":\"2026-03-04T08:00:00Z\",\"customer\":\"alice\",\"order_id\":\"N4\",\"lines\":[$LINE_OK]}" >nd.json
    bad "malformed NDJSON line 3 of 4" "line 3" nd.json fidele event post nd.json
    # one object written over lines with a trailing comma: named at the comma's line, not read
    # as NDJSON (which named line 1 and, applying each event, applied the object inside it)
    printf '{\n  %s,\n  "lines": [\n    %s,\n  ]\n}\n' "$ORDER_OK" "$LINE_OK" >pretty.json
    bad "an object over lines" "line 5" pretty.json fidele event post pretty.json
    bad "an object over lines, each event" "line 5" pretty.json fidele event post --each pretty.json
    printf '{"batch": [\n{"type":"enrol","key":"e1","customer":"bob"}\n],}\n' >wrapped.json
    bad "a wrapped batch, each event" "line 3" wrapped.json fidele event post --each wrapped.json
    # a well-formed line that is a bad event: also all or nothing, named by its position
    sed -i 's/^{"type":"order","key":"n3",$/{"type":"order","key":"n3","at":"2026-03-04T08:00:00Z","customer":"alice","order_id":"N3","lines":[{"sku":"X","quantity":-1,"unit_price_minor":1}]}/' nd.json
    bad "bad event on line 3 of 4" "event 3: /lines/0/quantity" nd.json fidele event post nd.json
    # blank lines between: the event's number and its line differ, and both are said
    sed -i '1a\\' nd.json
    bad "bad event after a blank line" "event 3 (line 4): /lines/0/quantity" nd.json fidele event post nd.json
    sed -i '2d' nd.json
    # the same with --json: a problem object on stderr
    bad "bad event with --json" '"field": "event 3: /lines/0/quantity"' nd.json fidele --json event post nd.json
    assert_eq 0 "$(sql "SELECT COUNT(*) FROM orders WHERE ref LIKE 'N%'")" "no order from the file"
    # each event on its own: the good ones apply, the bad one is named by number and line
    sed -i '1a\\' nd.json
    expect_exit 2 fidele event post --each nd.json
    assert_contains "$ERR" "event 3 (key n3, line 4): /lines/0/quantity" "--each says the line too"
}

# ---------------------------------------------------------------------------------------------
bad_fields() {
    seed_db
    local cases=(
        "unknown field|/colour|{$ORDER_OK,\"lines\":[$LINE_OK],\"colour\":\"red\"}"
        "unknown field in a line|/lines/0/colour|{$ORDER_OK,\"lines\":[{\"sku\":\"X\",\"quantity\":1,\"unit_price_minor\":1,\"colour\":1}]}"
        "wrong type|/lines/0/quantity|{$ORDER_OK,\"lines\":[{\"sku\":\"X\",\"quantity\":\"2\",\"unit_price_minor\":1}]}"
        "decimal price|/lines/0/unit_price_minor|{$ORDER_OK,\"lines\":[{\"sku\":\"X\",\"quantity\":1,\"unit_price_minor\":2.5}]}"
        "negative quantity|/lines/0/quantity|{$ORDER_OK,\"lines\":[{\"sku\":\"X\",\"quantity\":-1,\"unit_price_minor\":1}]}"
        "zero quantity|/lines/0/quantity|{$ORDER_OK,\"lines\":[{\"sku\":\"X\",\"quantity\":0,\"unit_price_minor\":1}]}"
        "negative price|/lines/0/unit_price_minor|{$ORDER_OK,\"lines\":[{\"sku\":\"X\",\"quantity\":1,\"unit_price_minor\":-1}]}"
        "quantity x price overflows 64 bits|/lines/0: quantity x unit_price_minor exceeds|{$ORDER_OK,\"lines\":[{\"sku\":\"X\",\"quantity\":1000000,\"unit_price_minor\":100000000000000}]}"
        "quantity x price above the largest amount|/lines/0: quantity x unit_price_minor exceeds|{$ORDER_OK,\"lines\":[{\"sku\":\"X\",\"quantity\":1000000,\"unit_price_minor\":100000001}]}"
        "lines summing above the largest amount|/lines/1: quantity x unit_price_minor exceeds|{$ORDER_OK,\"lines\":[{\"sku\":\"X\",\"quantity\":1000,\"unit_price_minor\":100000000000},{\"sku\":\"Y\",\"quantity\":1,\"unit_price_minor\":1}]}"
        "no lines|/lines|{$ORDER_OK,\"lines\":[]}"
        "missing order_id|/order_id|{\"type\":\"order\",\"key\":\"k\",\"customer\":\"alice\",\"lines\":[$LINE_OK]}"
        "missing key|/key|{\"type\":\"order\",\"customer\":\"alice\",\"order_id\":\"A9\",\"lines\":[$LINE_OK]}"
        "key too long|/key|{\"type\":\"order\",\"key\":\"$(printf 'k%.0s' {1..200})\",\"customer\":\"alice\",\"order_id\":\"A9\",\"lines\":[$LINE_OK]}"
        "unknown type|/type|{\"type\":\"purchase\",\"key\":\"k\"}"
        "discount above the lines|/discount_minor|{$ORDER_OK,\"lines\":[$LINE_OK],\"discount_minor\":251}"
        "tax above the amount paid|/tax_minor|{$ORDER_OK,\"lines\":[$LINE_OK],\"tax_minor\":251}"
        "unknown channel|/channel|{$ORDER_OK,\"lines\":[$LINE_OK],\"channel\":\"phone\"}"
        "impossible date|/at|{\"type\":\"order\",\"key\":\"k\",\"at\":\"2026-02-30T10:00:00Z\",\"customer\":\"alice\",\"order_id\":\"A9\",\"lines\":[$LINE_OK]}"
        "month 13|/at|{\"type\":\"order\",\"key\":\"k\",\"at\":\"2026-13-01T10:00:00Z\",\"customer\":\"alice\",\"order_id\":\"A9\",\"lines\":[$LINE_OK]}"
        "hour 24|/at|{\"type\":\"order\",\"key\":\"k\",\"at\":\"2026-03-01T24:00:00Z\",\"customer\":\"alice\",\"order_id\":\"A9\",\"lines\":[$LINE_OK]}"
        "time without zone|/at|{\"type\":\"order\",\"key\":\"k\",\"at\":\"2026-03-01T10:00:00\",\"customer\":\"alice\",\"order_id\":\"A9\",\"lines\":[$LINE_OK]}"
        "offset out of range|/at|{\"type\":\"order\",\"key\":\"k\",\"at\":\"2026-03-01T10:00:00+25:00\",\"customer\":\"alice\",\"order_id\":\"A9\",\"lines\":[$LINE_OK]}"
        "year 1899|/at|{\"type\":\"order\",\"key\":\"k\",\"at\":\"1899-12-31T10:00:00Z\",\"customer\":\"alice\",\"order_id\":\"A9\",\"lines\":[$LINE_OK]}"
        "unknown currency|/currency|{$ORDER_OK,\"lines\":[$LINE_OK],\"currency\":\"XXX\"}"
        "currency not the merchant's|/currency|{$ORDER_OK,\"lines\":[$LINE_OK],\"currency\":\"USD\"}"
        "currency in lower case|/currency|{$ORDER_OK,\"lines\":[$LINE_OK],\"currency\":\"eur\"}"
        "impossible birthday|/birthday|{\"type\":\"enrol\",\"key\":\"k\",\"customer\":\"zoe\",\"birthday\":\"2025-02-29\"}"
        "birthday after the enrolment|/birthday|{\"type\":\"enrol\",\"key\":\"k\",\"customer\":\"zoe\",\"at\":\"2026-01-02T10:00:00Z\",\"birthday\":\"2031-05-01\"}"
        "bad e-mail|/email|{\"type\":\"enrol\",\"key\":\"k\",\"customer\":\"zoe\",\"email\":\"zoe.example.org\"}"
        "bad phone|/phone|{\"type\":\"enrol\",\"key\":\"k\",\"customer\":\"zoe\",\"phone\":\"06-12-34\"}"
        "national phone too short|/phone|{\"type\":\"enrol\",\"key\":\"k\",\"customer\":\"zoe\",\"phone\":\"06123456\"}"
        "phone of a plus alone|/phone|{\"type\":\"enrol\",\"key\":\"k\",\"customer\":\"zoe\",\"phone\":\"+\"}"
        "phone too long|/phone|{\"type\":\"enrol\",\"key\":\"k\",\"customer\":\"zoe\",\"phone\":\"+1234567890123456\"}"
        "a newline in an id|/customer|{\"type\":\"enrol\",\"key\":\"k\",\"customer\":\"zo\\ne\"}"
        "a control character in a name|/name|{\"type\":\"enrol\",\"key\":\"k\",\"customer\":\"zoe\",\"name\":\"Zo\\u0007e\"}"
        "bad consent|/consents/1|{\"type\":\"enrol\",\"key\":\"k\",\"customer\":\"zoe\",\"consents\":[\"email\",\"fax\"]}"
        "an e-mail with nothing after the @|/email|{\"type\":\"enrol\",\"key\":\"k\",\"customer\":\"zoe\",\"email\":\"zoe@\"}"
        "an e-mail with two @|/email|{\"type\":\"enrol\",\"key\":\"k\",\"customer\":\"zoe\",\"email\":\"a@b@c\"}"
        "bad locale|/locale|{\"type\":\"enrol\",\"key\":\"k\",\"customer\":\"zoe\",\"locale\":\"de\"}"
        "enrolling a member again|/customer|{\"type\":\"enrol\",\"key\":\"k\",\"customer\":\"alice\"}"
        "redeem for an unknown member|/customer|{\"type\":\"redeem\",\"key\":\"k\",\"customer\":\"nobody\",\"reward\":\"pastry\"}"
        "adjust an unknown member|/customer|{\"type\":\"adjustment\",\"key\":\"k\",\"customer\":\"nobody\",\"points\":5,\"reason\":\"r\",\"author\":\"a\"}"
        "adjust without the card of a stamp adjustment|/card|{\"type\":\"adjustment\",\"key\":\"k\",\"customer\":\"alice\",\"points\":5,\"reason\":\"r\",\"author\":\"a\",\"account\":\"stamps\"}"
        "an adjustment before the enrolment|/at: 2026-03-01 09:00:00+01:00 is before alice enrolled (2026-03-02 09:00:00+01:00)|{\"type\":\"adjustment\",\"key\":\"k\",\"customer\":\"alice\",\"points\":5,\"reason\":\"r\",\"author\":\"a\",\"at\":\"2026-03-01T08:00:00Z\"}"
        "a redemption before the enrolment|/at|{\"type\":\"redeem\",\"key\":\"k\",\"customer\":\"alice\",\"reward\":\"pastry\",\"at\":\"2026-03-02T07:59:59Z\"}"
        "refund of an unknown order|/order_id|{\"type\":\"refund\",\"key\":\"k\",\"order_id\":\"NOPE\",\"amount_minor\":100}"
        "refund of a line the order has not|/lines/0/sku: the order has no line of LATTE|{\"type\":\"refund\",\"key\":\"k\",\"order_id\":\"A1\",\"lines\":[{\"sku\":\"LATTE\",\"quantity\":1}]}"
        "a year the store does not hold|/at: \"3000-01-01T00:00:00Z\": the year must be from 1900 to 2999|{\"type\":\"order\",\"key\":\"k\",\"at\":\"3000-01-01T00:00:00Z\",\"customer\":\"alice\",\"order_id\":\"A9\",\"lines\":[$LINE_OK]}"
        "an escaped NUL character|a NUL character|{\"type\":\"enrol\",\"key\":\"k\",\"customer\":\"z\\u0000e\"}"
        "a C1 control in an id|/customer: control character U+0085|{\"type\":\"enrol\",\"key\":\"k\",\"customer\":\"z\\u0085e\"}"
        "voucher code of the wrong shape|/code|{\"type\":\"voucher_use\",\"key\":\"k\",\"code\":\"ABC\"}"
        "order id used by another order|/order_id|{\"type\":\"order\",\"key\":\"k\",\"customer\":\"bob\",\"order_id\":\"A1\",\"lines\":[$LINE_OK]}"
    )
    local c what needle body
    for c in "${cases[@]}"; do
        what=${c%%|*}
        c=${c#*|}
        needle=${c%%|*}
        body=${c#*|}
        bad_event "$what" "$needle" "$body"
    done
    # through redeem and voucher commands too
    bad "redeem command, unknown member" "/customer" - fidele redeem nobody pastry
    bad "redeem command, unknown reward" "/reward" - fidele redeem alice no-such-reward
    bad "balance of an unknown member" "nobody" - fidele balance nobody
}

# ---------------------------------------------------------------------------------------------
bad_command_line() {
    seed_db
    bad "unknown command" "frobnicate" - fidele frobnicate
    bad "unknown option" "--colour" - fidele balance alice --colour
    bad "unknown global-looking option" "--bogus" - fidele --bogus balance alice
    bad "option without its value" "--key" - fidele redeem alice pastry --key
    bad "too many arguments" "extra" - fidele balance alice extra
    bad "bad --now" "--now" - fidele --now yesterday balance alice
    bad "impossible --now" "--now" - fidele --now 2026-02-29T00:00:00Z run-due
    bad "bad --seed" "--seed" - fidele --seed -3 balance alice
    bad "bad --limit" "--limit" - fidele member list --limit ten
    bad "event without post" "send" - fidele event send x.json
    bad "an option given twice" "--consent: option given twice" - \
        fidele member add bob --consent email --consent sms
    bad "a date given twice" "--at: option given twice" - \
        fidele redeem alice pastry --at 2026-03-01T10:00:00Z --at 2026-03-02T10:00:00Z
    bad "an option of another action" "--limit: not an option of \`fidele member show\`" - \
        fidele member show alice --limit 3
    bad "a voucher's show with use's options" "--order: not an option of \`fidele voucher show\`" - \
        fidele voucher show ABCD-EFGH --order 1001
    bad "program set with show's version" "--version: not an option of \`fidele program set\`" - \
        fidele program set shown.json --version 1
    bad "key list with create's scope" "--scope: not an option of \`fidele key list\`" - \
        fidele key list --scope admin
    # global options take --opt=value too; the last given wins (an alias's can be overridden)
    expect_exit 0 "$FIDELE" --db=/nowhere.db --db="$DB" balance alice
    assert_contains "$OUT" "alice" "--db=PATH, the last one"
    expect_exit 0 fidele member add carol --consent email,sms --key enrol-carol
    expect_exit 0 fidele member show carol
    assert_contains "$OUT" "email sms" "consents listed with commas"
    bad "missing event file" "no-such-file.json" - fidele event post no-such-file.json
    bad "unknown subcommand" "polish" - fidele voucher polish ABCD-EFGH
    bad "unknown member action" "remove" - fidele member remove alice
    bad "an id that is not UTF-8" "argument 5 is not valid UTF-8" - fidele member add $'bad\xff'
    bad "an id a URL path reads as a step" '/customer: ".." cannot be an id' - fidele member add ..
    bad "an id with a control character" "/customer: control character U+0009" - \
        fidele member add $'a\tb'
    bad "an option's value that is not UTF-8" "not valid UTF-8" - fidele redeem alice pastry --at $'2026\xff'
    bad "an unknown merchant" "--merchant: no merchant 99" - fidele --merchant 99 balance alice
    bad "a missing file by its whole path" "$PWD/no-such-file.json: cannot open" - \
        fidele event post "$PWD/no-such-file.json"
    bad "a directory for a file" "$PWD: cannot read" - fidele event post "$PWD"
    # every command says how it is called; errors point there
    local cmd
    for cmd in init program member event balance ledger rewards redeem voucher run-due verify demo \
        clv import segments report liability serve merchant key; do
        expect_exit 0 fidele "$cmd" --help
        assert_contains "$OUT" "usage: fidele [GLOBAL OPTIONS] $cmd" "$cmd --help"
    done
    expect_exit 2 fidele redeem alice
    assert_contains "$ERR" "see \`fidele redeem --help\`" "a missing argument points to the command's help"
    # --version after a command is the command's own
    expect_exit 0 fidele program show --version 1
    assert_contains "$ERR" "programme version 1" "program show --version 1"
    # what program show prints is the document alone: it can be set again, which changes nothing
    "$FIDELE" --db "$DB" program show >shown.json 2>/dev/null
    local version
    version=$(program_version)
    expect_exit 0 fidele program set shown.json
    assert_contains "$OUT" "unchanged: version $version stands" "the same programme makes no version"
    assert_eq "$version" "$(program_version)" "no new version"
    expect_exit 0 fidele --json program set shown.json
    assert_json .changed false "--json says so"
    bad "an unknown programme version" "no programme version 9" - fidele program show --version 9
    # --db naming no database: nothing is created there
    expect_exit 2 "$FIDELE" --db "$PWD/missing.db" balance alice
    assert_stderr_names "--db"
    assert_true "a command on a missing database creates nothing" [ ! -e missing.db ]
    mkdir -p a-directory
    echo "not a database" >not-sqlite.db
    local args
    for args in "balance alice" "init --template cafe"; do
        # shellcheck disable=SC2086 # the arguments are words
        expect_exit 2 "$FIDELE" --db "$PWD/a-directory" $args
        assert_contains "$ERR" "--db: $PWD/a-directory is a directory" "a directory for --db: $args"
        # shellcheck disable=SC2086
        expect_exit 2 "$FIDELE" --db not-sqlite.db $args
        assert_contains "$ERR" "--db: not-sqlite.db is not a database file" "a text file for --db: $args"
    done
    assert_eq "not a database" "$(cat not-sqlite.db)" "the text file is left as it was"
}

# ---------------------------------------------------------------------------------------------
bad_init() {
    new_db
    local cases=(
        "unknown currency|--currency|--currency ABC"
        "currency in lower case|--currency|--currency eur"
        "unknown time zone|--timezone|--timezone Mars/Olympus"
        "unknown template|--template|--template florist"
        "unknown locale|--locale|--locale de"
        "empty name|--name|--name="
        "both template and programme|--program|--template cafe --program x.json"
    )
    local c what needle args
    for c in "${cases[@]}"; do
        IFS='|' read -r what needle args <<<"$c"
        # shellcheck disable=SC2086 # args are words
        expect_exit 2 "$FIDELE" --db "$DB" init $args
        assert_stderr_names "$needle" "init with $what: the message names $needle"
        assert_true "init with $what creates no database" [ ! -e "$DB" ]
    done
    write bad-program.json '{"earning": {"points": 10}}'
    expect_exit 2 "$FIDELE" --db "$DB" init --program bad-program.json
    assert_stderr_names "/earning/per_minor" "init with a bad programme"
    assert_true "init with a bad programme creates no database" [ ! -e "$DB" ]
    # a good init, then a second one is refused and changes nothing
    expect_exit 0 "$FIDELE" --db "$DB" --now 2026-01-01T00:00:00Z init --template bakery
    local before
    before=$(snapshot)
    bad "init twice" "already holds a merchant" - "$FIDELE" --db "$DB" init --template cafe
    bad "init twice, bad currency too" "--" - "$FIDELE" --db "$DB" init --currency ABC
    assert_unchanged "$before" "the first merchant is untouched"
    # another application's SQLite file is neither made a Fidele database nor written by a read
    sqlite3 other.db 'CREATE TABLE notes (x); INSERT INTO notes VALUES (1)'
    local schema
    schema=$(sqlite3 other.db .schema)
    expect_exit 2 "$FIDELE" --db other.db init --template cafe
    assert_stderr_names "--db" "init on another application's database"
    assert_contains "$ERR" "another application's tables" "says why"
    expect_exit 2 "$FIDELE" --db other.db balance alice
    assert_eq "$schema" "$(sqlite3 other.db .schema)" "its tables untouched"
    # an empty file is a new database
    : >empty.db
    expect_exit 0 "$FIDELE" --db empty.db init --template cafe
    # another merchant: a name printed one a line, a database that exists, a clock in range
    expect_exit 2 "$FIDELE" --db empty.db merchant add $'Shop\nTwo'
    assert_stderr_names "--name" "a merchant name with a newline"
    expect_exit 2 "$FIDELE" --db missing.db merchant add Shop
    assert_stderr_names "--db" "merchant add on a mistyped database"
    assert_true "no file made" [ ! -e missing.db ]
    expect_exit 2 "$FIDELE" --db empty.db --now 1899-12-31T23:59:59Z member add early
    assert_stderr_names "--now" "a clock before 1900"
    # two inits at once make one merchant
    local i
    for i in 1 2 3; do
        rm -f twice.db twice.db-wal twice.db-shm
        "$FIDELE" --db twice.db init --name A >/dev/null 2>&1 &
        "$FIDELE" --db twice.db init --name B >/dev/null 2>&1 &
        wait
        assert_eq 1 "$(sqlite3 twice.db 'SELECT COUNT(*) FROM merchants')" "one merchant of two inits ($i)"
    done
}

# ---------------------------------------------------------------------------------------------
# A copy made read-only (chmod 444) is read, as a read-only file system is; a write is refused.
# As root, whom file modes do not stop, the commands run as nobody.
read_only_copy() {
    seed_db
    local dir
    dir=$(mktemp -d "${TMPDIR:-/tmp}/fidele-ro.XXXXXX")
    sqlite3 "$DB" "VACUUM INTO '$dir/copy.db'"
    chmod 444 "$dir/copy.db"
    chmod 755 "$dir"
    as_reader() {
        if [ "$(id -u)" = 0 ]; then
            setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
        else
            "$@"
        fi
    }
    expect_exit 0 as_reader "$FIDELE" --db "$dir/copy.db" --json balance alice
    assert_json .available "$("$FIDELE" --db "$DB" --json balance alice | jq .available)" "the copy's balance"
    expect_exit 0 as_reader "$FIDELE" --db "$dir/copy.db" ledger alice
    expect_exit 1 as_reader "$FIDELE" --db "$dir/copy.db" --now 2026-03-05T00:00:00Z member add zed
    assert_contains "$ERR" "readonly" "a write says why"
    rm -rf "$dir"
}

# ---------------------------------------------------------------------------------------------
bad_programme() {
    seed_db
    local version
    version=$(program_version)
    local cases=(
        "malformed JSON|line 1|{\"earning\": {\"points\": 10,}}"
        "wrong type|/earning/points|{\"earning\": {\"points\": \"ten\", \"per_minor\": 100}}"
        "missing earning|/earning|{\"description\": \"nothing\"}"
        "unknown top-level field|/colour|{\"earning\": {\"points\": 1, \"per_minor\": 100}, \"colour\": 1}"
        "unknown reward field|/rewards/0/colour|{\"earning\": {\"points\": 1, \"per_minor\": 100}, \"rewards\": [{\"id\": \"r\", \"kind\": \"experience\", \"cost_points\": 1, \"colour\": 1}]}"
        "factor out of range|/earning/multipliers/0/factor_pct|{\"earning\": {\"points\": 1, \"per_minor\": 100, \"multipliers\": [{\"id\": \"m\", \"factor_pct\": 50000}]}}"
        "bad hour|/earning/multipliers/0/hours/from|{\"earning\": {\"points\": 1, \"per_minor\": 100, \"multipliers\": [{\"id\": \"m\", \"factor_pct\": 200, \"hours\": {\"from\": \"25:00\", \"to\": \"26:00\"}}]}}"
        "bad weekday|/earning/multipliers/0/weekdays/0|{\"earning\": {\"points\": 1, \"per_minor\": 100, \"multipliers\": [{\"id\": \"m\", \"factor_pct\": 200, \"weekdays\": [\"funday\"]}]}}"
        "stamp card without its reward|/stamp_cards/0/reward|{\"earning\": {\"points\": 1, \"per_minor\": 100}, \"stamp_cards\": [{\"id\": \"c\", \"stamps_required\": 5, \"reward\": \"nothing\"}]}"
        "thresholds not ascending|/tiers/levels/1/threshold|{\"earning\": {\"points\": 1, \"per_minor\": 100}, \"tiers\": {\"metric\": \"spend\", \"window\": \"lifetime\", \"levels\": [{\"id\": \"a\", \"threshold\": 10}, {\"id\": \"b\", \"threshold\": 10}]}}"
        "duplicate reward id|/rewards/1/id|{\"earning\": {\"points\": 1, \"per_minor\": 100}, \"rewards\": [{\"id\": \"r\", \"kind\": \"experience\"}, {\"id\": \"r\", \"kind\": \"experience\"}]}"
        "reward for an unknown tier|/rewards/0/tiers/0|{\"earning\": {\"points\": 1, \"per_minor\": 100}, \"rewards\": [{\"id\": \"r\", \"kind\": \"experience\", \"tiers\": [\"gold\"]}]}"
        "per_minor zero|/earning/per_minor|{\"earning\": {\"points\": 1, \"per_minor\": 0}}"
        "unknown expiry mode|/expiry/mode|{\"earning\": {\"points\": 1, \"per_minor\": 100}, \"expiry\": {\"mode\": \"sometimes\", \"months\": 3}}"
        "id with a space|/rewards/0/id|{\"earning\": {\"points\": 1, \"per_minor\": 100}, \"rewards\": [{\"id\": \"free coffee\", \"kind\": \"experience\"}]}"
        "a newline in a name|/rewards/0/name|{\"earning\": {\"points\": 1, \"per_minor\": 100}, \"rewards\": [{\"id\": \"r\", \"name\": \"free\\ncoffee\", \"kind\": \"experience\"}]}"
        "a line separator in a benefit|/tiers/levels/0/benefits/0|{\"earning\": {\"points\": 1, \"per_minor\": 100}, \"tiers\": {\"metric\": \"spend\", \"window\": \"lifetime\", \"levels\": [{\"id\": \"a\", \"threshold\": 10, \"benefits\": [\"x\\u2028y\"]}]}}"
        "duplicate segment id|/segments/custom/1/id|{\"earning\": {\"points\": 1, \"per_minor\": 100}, \"segments\": {\"custom\": [{\"id\": \"s\", \"all\": [{\"vip\": true}]}, {\"id\": \"s\", \"all\": [{\"vip\": true}]}]}}"
        "a segment named as a stage|/segments/custom/0/id|{\"earning\": {\"points\": 1, \"per_minor\": 100}, \"segments\": {\"custom\": [{\"id\": \"dormant\", \"all\": [{\"vip\": true}]}]}}"
    )
    local c what needle body
    for c in "${cases[@]}"; do
        what=${c%%|*}
        c=${c#*|}
        needle=${c%%|*}
        body=${c#*|}
        write programme.json "$body"
        bad "programme: $what" "$needle" - fidele program set programme.json
        expect_exit 2 fidele program validate programme.json
        assert_stderr_names "$needle" "program validate, $what"
    done
    assert_eq "$version" "$(program_version)" "the programme version did not move"
}

# A programme stored before a check was added (a reward's name with a line break, a segment with
# a stage's id) still loads, so that its merchant is not locked out; the next `program set` is
# held to the check.
stored_before_a_check() {
    seed_db
    sql "UPDATE programs SET document = json_set(document, '\$.rewards[0].name', 'free' || char(10) ||
        'coffee', '\$.segments.custom[0].id', 'new')" >/dev/null
    expect_exit 0 fidele member add bob
    expect_exit 0 fidele rewards
    assert_contains "$OUT" "coffee" "the rewards list"
    expect_exit 0 fidele program show
    printf '%s\n' "$OUT" >stored.json
    bad "the stored programme set again" "/rewards/0/name" stored.json fidele program set stored.json
}

# An event dated ahead of the clock is refused (it would run scheduled work up to its date);
# a till's clock a few minutes fast is not.
dated_in_the_future() {
    init_db ecommerce # pending_days 30
    local NOW=2026-01-03T00:00:00Z
    enrol amy 2026-01-01T10:00:00Z
    order o1 2026-01-02T10:00:00Z amy O1 "[$(line A x 1 10000)]"
    bad_event "an order a month ahead" "/at" \
        '{"type":"order","key":"o2","customer":"amy","order_id":"O2","at":"2026-02-03T10:00:00Z","lines":[{"sku":"A","quantity":1,"unit_price_minor":100}]}'
    assert_contains "$ERR" "2026-02-03 11:00:00+01:00 is ahead of the clock (2026-01-03 01:00:00+01:00)" "says both"
    bad_event "a refund an hour ahead" "/at" \
        '{"type":"refund","key":"r1","order_id":"O1","at":"2026-01-03T01:00:00Z","amount_minor":100}'
    order o3 2026-01-03T00:04:59Z amy O3 "[$(line A x 1 100)]"
    assert_json '.[0].status' applied "five minutes fast is a clock, not a mistake"
    assert_eq 0 "$(sql "SELECT COUNT(*) FROM ledger WHERE kind = 'confirm'")" \
        "the pending points stay pending"
}

scenario malformed_json malformed_json
scenario bad_fields bad_fields
scenario bad_command_line bad_command_line
scenario bad_init bad_init
scenario read_only_copy read_only_copy
scenario bad_programme bad_programme
scenario stored_before_a_check stored_before_a_check
scenario dated_in_the_future dated_in_the_future
finish
