#!/usr/bin/env bash
# The columnar order history: `fidele import orders` of an order-level file (customer, order id,
# date, amount, currency, e-mail, phone; no line columns) without --award writes non-members'
# orders into order_history blocks, not the orders table. The same rows with a SKU column go
# through the engine, and report, segments, CLV and the customers' aggregates must come out the
# same; re-imports add nothing whatever the path; members' orders still go through the engine;
# bad rows are reported by line and column; live and imported orders add up on one customer.
. "$(dirname "$0")/lib.sh"

# AWK_CIVIL: civil(DAYS), the date (YYYY-MM-DD) of a day counted from 1970-01-01, for the awk
# programs that write the files (one awk run instead of a `date` per row).
AWK_CIVIL='
    function civil(z,   era, doe, yoe, doy, mp, d, m, y) {
        z += 719468; era = int(z / 146097); doe = z - era * 146097
        yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
        y = yoe + era * 400; doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
        mp = int((5 * doy + 2) / 153); d = doy - int((153 * mp + 2) / 5) + 1
        m = mp < 10 ? mp + 3 : mp - 9
        return sprintf("%04d-%02d-%02d", m <= 2 ? y + 1 : y, m, d)
    }'

# history_rows: an order-level CSV body (no header) over 2025-2026 in Europe/Paris local time:
# date,customer,email,order_id,amount,currency. 15 customers with 1 to 10 orders spread by a
# fixed formula (c13 known by e-mail only), a morning regular (8 orders at 07:30 in December
# 2026), a one-order visitor, a weekend buyer, an order at 00:30 on 1 January 2026 (still 2025 in
# UTC) and one order M001 of three rows (12.75) that must be summed.
history_rows() {
    awk -v spec="c01:1 c02:1 c03:2 c04:3 c05:5 c06:8 c07:1 c08:4 c09:6 c10:2 c11:10 c12:3 c13:1 c14:7 c15:2" \
        "$AWK_CIVIL"'
        BEGIN {
            split(spec, list, " ")
            for (k = 1; k in list; k++) {
                split(list[k], s, ":")
                who = s[1] == "c13" ? "" : s[1]
                email = s[1] == "c13" ? "c13@example.com" : ""
                for (j = 1; j <= s[2]; j++) {
                    amount = 300 + (k * 7919 + j * 104729) % 9000
                    printf "%s %02d:%02d,%s,%s,A%03d,%d.%02d,EUR\n",
                        civil(20093 + (k * 37 + j * 53) % 700), 8 + (k * j) % 11,
                        (k + j) * 7 % 60, who, email, ++n, int(amount / 100), amount % 100
                }
            }
        }' | LC_ALL=C sort
    local d
    for d in 10 11 12 13 14 15 16 17; do
        printf '2026-12-%s 07:30,c16,,R0%s,3.20,EUR\n' "$d" "$d"
    done
    printf '2026-12-20 14:00,c17,,V001,8.40,EUR\n'
    for d in 2026-11-28 2026-11-29 2026-12-05 2026-12-09; do
        printf '%s 11:00,c18,,W%s,6.00,\n' "$d" "${d//-/}"
    done
    printf '2026-01-01 00:30,c02,,Y001,4.10,EUR\n'
    printf '2026-06-15 10:00,c06,,M001,10.00,EUR\n2026-06-15 10:00,c06,,M001,2.50,EUR\n'
    printf '2026-06-15 10:00,c06,,M001,0.25,EUR\n'
}

HEADER=date,customer,email,order_id,amount,currency

# write_history_files: history.csv (order-level) and history-sku.csv (the same rows with a
# constant sku column, which sends them through the engine).
write_history_files() {
    {
        echo "$HEADER"
        history_rows
    } >history.csv
    awk 'NR == 1 { print $0 ",sku"; next } { print $0 ",SKU1" }' history.csv >history-sku.csv
}

# population_rows: 200 customers of a buy-till-you-die process (start in 2025, a purchase rate and
# a chance to drop out after each purchase of their own) in the same format, about a thousand
# orders: what the CLV models need to be fitted. Integer arithmetic only (a Park-Miller generator,
# a civil calendar), so every awk draws the same file.
population_rows() {
    awk -v seed=1 -v n=200 "$AWK_CIVIL"'
        function u() { x = (x * 16807) % 2147483647; return x / 2147483647 }
        BEGIN {
            x = seed
            for (i = 1; i <= n; i++) {
                t = int(u() * 240); gap = 7 + int(u() * 80); drop = 0.05 + u() * 0.35
                spend = 300 + int(u() * 4000)
                for (j = 1; ; j++) {
                    a = spend + int(u() * 1500)
                    printf "%s %02d:%02d,s%03d,,S%03d-%02d,%d.%02d,EUR\n", civil(20089 + t),
                        8 + int(u() * 12), int(u() * 60), i, i, j, int(a / 100), a % 100
                    if (u() < drop) break
                    t += 1 + int(u() * 2 * gap)
                    if (t >= 725) break
                }
            }
        }' | LC_ALL=C sort
}

# csv_orders FILE [DATE-PREFIX]: distinct order ids of the rows whose date starts with the prefix.
csv_orders() {
    awk -F, -v p="${2:-}" 'NR > 1 && index($1, p) == 1 && !($4 in ids) { ids[$4]; n++ }
        END { print n + 0 }' "$1"
}

# csv_minor FILE [DATE-PREFIX]: the sum of the amounts of those rows, in cents.
csv_minor() {
    awk -F, -v p="${2:-}" 'NR > 1 && index($1, p) == 1 { split($5, a, "."); t += a[1] * 100 + a[2] }
        END { print t + 0 }' "$1"
}

# history_state: the columnar tables and the customers' aggregates, for "nothing changed".
history_state() {
    sql "SELECT 'block', block, n, first_at, last_at, hex(columns) FROM order_history ORDER BY block;
         SELECT 'refs', block, hex(refs) FROM order_history_refs ORDER BY block;
         SELECT 'customer', ref, is_member, order_count, spend_minor, first_order_at, last_order_at
           FROM customers ORDER BY ref;
         SELECT 'orders', COUNT(*) FROM orders; SELECT 'ledger', COUNT(*) FROM ledger;"
}

# same_on_both MESSAGE DB_A DB_B ARGS...: `fidele ARGS` exits 0 on both databases and prints the
# same thing (JSON with sorted keys). Leaves $OUT as A's output, $DB as A.
same_on_both() {
    local message=$1 a=$2 b=$3 out_a out_b
    shift 3
    DB=$b
    expect_exit 0 fidele "$@"
    out_b=$(jq -S . <<<"$OUT" 2>&1)
    DB=$a
    expect_exit 0 fidele "$@"
    out_a=$(jq -S . <<<"$OUT" 2>&1)
    if [ -n "$out_a" ] && [ "$out_a" == "$out_b" ]; then
        pass
        return 0
    fi
    fail "$message: output differs between $(basename "$a") (<) and $(basename "$b") (>):"
    diff <(printf '%s\n' "$out_a") <(printf '%s\n' "$out_b") | head -30 | sed 's/^/       | /' >&2
    return 1
}

# 1. One file, two paths: the order-level file goes to the columnar history, the same rows with a
# SKU column through the engine; every figure read from them must be the same, and right. Then a
# population large enough for the CLV fit, imported the same two ways (a second block in A).
same_numbers_both_paths() {
    NOW=2025-01-01T00:00:00Z init_db cafe --timezone Europe/Paris
    local a=$DB
    NOW=2025-01-01T00:00:00Z init_db cafe --timezone Europe/Paris
    local b=$DB
    NOW=2027-01-15T00:00:00Z
    write_history_files
    local rows orders
    rows=$(($(wc -l <history.csv) - 1))
    orders=$(csv_orders history.csv)
    assert_eq "73 71" "$rows $orders" "the file: 73 rows, 71 orders (M001 has three rows)"

    DB=$a
    expect_exit 0 fidele import orders history.csv
    assert_contains "$OUT" "$rows rows: $orders orders imported, 0 already imported, 0 refused; 0 bad rows" \
        "columnar summary"
    assert_eq "0|$orders|1|1" "$(sql "SELECT (SELECT COUNT(*) FROM orders) || '|' ||
        (SELECT SUM(n) FROM order_history) || '|' || (SELECT COUNT(*) FROM order_history) || '|' ||
        (SELECT COUNT(*) FROM order_history_refs r JOIN order_history h ON r.block = h.block
           WHERE length(r.refs) = 16 * h.n)")" \
        "A: no order row, one block holding every order, 16 bytes of ref hash per order"
    assert_eq "18|0|$(csv_minor history.csv)" "$(sql "SELECT COUNT(*) || '|' || SUM(is_member) || '|' ||
        SUM(spend_minor) FROM customers")" "A: 18 non-member customers, spend = the file's total"
    assert_eq "9|$({ echo "$HEADER"; grep ',c06,' history.csv; } | csv_minor /dev/stdin)" \
        "$(sql "SELECT order_count || '|' || spend_minor FROM customers WHERE ref = 'c06'")" \
        "A: c06's nine orders, M001 summed from its three rows"
    assert_eq "2|1|$(epoch 2025-12-31T23:30:00Z)" "$(sql "SELECT order_count || '|' ||
        (SELECT COUNT(*) FROM customers WHERE ref = 'c13@example.com') || '|' || last_order_at
        FROM customers WHERE ref = 'c02'")" "A: the e-mail stands for the customer; 00:30 Paris"

    DB=$b
    expect_exit 0 fidele import orders history-sku.csv
    assert_contains "$OUT" "$rows rows: $orders orders imported, 0 already imported, 0 refused; 0 bad rows" \
        "engine summary"
    assert_eq "$orders|0|0" "$(sql "SELECT (SELECT COUNT(*) FROM orders) || '|' ||
        (SELECT COUNT(*) FROM order_history) || '|' || (SELECT COUNT(*) FROM ledger)")" \
        "B: every order a row of orders, no history block, no ledger entry"
    assert_eq "1275|3" "$(sql "SELECT paid_minor || '|' || json_array_length(body, '\$.lines')
        FROM orders WHERE ref = 'M001'")" "B: M001, one order of three lines"

    same_figures "$a" "$b"
    check_json "report over 2026" .orders "$(csv_orders history.csv 2026)" \
        .revenue_minor "$(csv_minor history.csv 2026)" .aov_members_minor null \
        '.aov_non_members_minor == .aov_minor' true '.cohorts | length' 7 \
        '. as $r | [$r.cohorts[].customers] | add == $r.new_customers' true
    same_on_both "report 2025" "$a" "$b" report --from 2025-01-01 --to 2026-01-01 --format json
    check_json "report over 2025 (00:30 on 1 January 2026 is 2026 in Paris)" \
        .orders "$(csv_orders history.csv 2025)" .revenue_minor "$(csv_minor history.csv 2025)"
    same_on_both "segments" "$a" "$b" --json segments --at 2026-12-31
    check_json "segments" .customers 18 '.custom["morning-regulars"]' 1 \
        '.custom["weekend-treat-buyers"] >= 1' true '.custom["new-visitors"] >= 1' true \
        '[.lifecycle[]] | add' 18
    same_on_both "morning regulars" "$a" "$b" --json segments --at 2026-12-31 --list morning-regulars
    check_json "morning regulars" .customers '["c16"]'

    # The population, imported the same two ways; the CLV is fitted on everything.
    {
        echo "$HEADER"
        population_rows
    } >population.csv
    awk 'NR == 1 { print $0 ",sku"; next } { print $0 ",SKU1" }' population.csv >population-sku.csv
    local more
    more=$(csv_orders population.csv)
    DB=$a
    expect_exit 0 fidele import orders population.csv
    assert_contains "$OUT" "$more rows: $more orders imported, 0 already imported" "A: the population"
    assert_eq "0|$((orders + more))|2" "$(sql "SELECT (SELECT COUNT(*) FROM orders) || '|' ||
        SUM(n) || '|' || COUNT(*) FROM order_history")" "A: a second block"
    DB=$b
    expect_exit 0 fidele import orders population-sku.csv
    assert_contains "$OUT" "$more rows: $more orders imported, 0 already imported" "B: the population"
    same_figures "$a" "$b"
    check_json "report over 2026, everyone" \
        .orders "$(($(csv_orders history.csv 2026) + $(csv_orders population.csv 2026)))" \
        .revenue_minor "$(($(csv_minor history.csv 2026) + $(csv_minor population.csv 2026)))"
    same_on_both "segments, everyone" "$a" "$b" --json segments --at 2026-12-31
    check_json "segments, everyone" .customers 218
    same_on_both "clv" "$a" "$b" --json clv --calibration-end 2026-07-01
    local calibrated
    calibrated=$(awk -F, 'FNR > 1 && $1 < "2026-07-02" && !($2 $3 in who) { who[$2 $3]; n++ }
        END { print n }' \
        history.csv population.csv)
    check_json "clv" .customers "$calibrated" '.items | length' "$calibrated" \
        '.bgnbd.a > 0 and .bgnbd.a < 100' true '.gamma_gamma.customers > 100' true
}

# same_figures DB_A DB_B: the customers' aggregates and the report over 2026 are the same in both
# (the report left in $OUT).
same_figures() {
    local customers_a customers_b
    customers_a=$(DB=$1 sql "SELECT ref, is_member, order_count, spend_minor, first_order_at,
        last_order_at FROM customers ORDER BY ref")
    customers_b=$(DB=$2 sql "SELECT ref, is_member, order_count, spend_minor, first_order_at,
        last_order_at FROM customers ORDER BY ref")
    assert_eq "$customers_b" "$customers_a" "customers' aggregates, columnar (A) vs engine (B)"
    same_on_both "report" "$1" "$2" report --from 2026-01-01 --to 2027-01-01 --format json
}

# 2. Importing what is already recorded adds nothing, by either path; a file with new and old
# orders adds only the new ones, in a new block.
reimport_adds_nothing() {
    NOW=2025-01-01T00:00:00Z init_db cafe --timezone Europe/Paris
    NOW=2027-01-15T00:00:00Z
    write_history_files
    local rows orders before
    rows=$(($(wc -l <history.csv) - 1))
    orders=$(csv_orders history.csv)
    expect_exit 0 fidele import orders history.csv
    assert_contains "$OUT" "$rows rows: $orders orders imported" "first import"
    before=$(history_state)
    assert_contains "$before" "orders|0" "columnar path"

    expect_exit 0 fidele import orders history.csv
    assert_contains "$OUT" "$rows rows: 0 orders imported, $orders already imported, 0 refused; 0 bad rows" \
        "the same file again"
    assert_eq "$before" "$(history_state)" "history, customers, orders unchanged"

    expect_exit 0 fidele import orders history.csv --award
    assert_contains "$OUT" "$rows rows: 0 orders imported, $orders already imported, 0 refused; 0 bad rows" \
        "--award (engine path) sees the columnar refs"
    expect_exit 0 fidele import orders history-sku.csv
    assert_contains "$OUT" "$rows rows: 0 orders imported, $orders already imported, 0 refused; 0 bad rows" \
        "a SKU file (engine path) sees the columnar refs"
    assert_eq "$before" "$(history_state)" "still unchanged: no order row, no ledger entry"

    # Two new orders (c01, known; c99, new) and an old one (A001 with another amount).
    {
        echo "$HEADER"
        echo "2026-10-01 12:00,c01,,N001,5.00,EUR"
        grep ',A001,' history.csv | sed 's/,[0-9.]*,EUR$/,99.99,EUR/'
        echo "2026-10-02 12:00,c99,,N002,7.25,"
    } >more.csv
    local c01
    c01=$(sql "SELECT order_count || '|' || spend_minor FROM customers WHERE ref = 'c01'")
    expect_exit 0 fidele import orders more.csv
    assert_contains "$OUT" "3 rows: 2 orders imported, 1 already imported, 0 refused; 0 bad rows" \
        "two new, one old"
    assert_eq "2|$((orders + 2))|2|0" "$(sql "SELECT COUNT(*) || '|' || SUM(n) || '|' ||
        (SELECT n FROM order_history WHERE block = 2) || '|' || (SELECT COUNT(*) FROM orders)
        FROM order_history")" "a second block of two orders"
    assert_eq "$((${c01%|*} + 1))|$((${c01#*|} + 500))" \
        "$(sql "SELECT order_count || '|' || spend_minor FROM customers WHERE ref = 'c01'")" \
        "c01: one order more, 5.00 more (A001 not counted twice)"
    assert_eq "0|1|725|$(epoch 2026-10-02T10:00:00Z)" "$(sql "SELECT is_member || '|' || order_count ||
        '|' || spend_minor || '|' || first_order_at FROM customers WHERE ref = 'c99'")" \
        "c99 created as a non-member shopper"
    expect_exit 0 fidele import orders more.csv
    assert_contains "$OUT" "3 rows: 0 orders imported, 3 already imported" "and that file again"
}

# 3. A member's orders go through the engine (member at the time of the order or not), the
# others' to the history; the report splits the AOV by membership; history earns nothing.
members_through_the_engine() {
    NOW=2025-01-01T00:00:00Z init_db cafe --timezone Etc/UTC
    NOW=2027-01-15T00:00:00Z
    enrol m1 2026-02-01T09:00:00Z
    cat >mixed.csv <<'CSV'
customer,order_id,date,amount,currency
n2,N0,2025-11-05T10:00:00Z,99.00,EUR
m1,M1,2026-01-15T10:00:00Z,30.00,EUR
n1,N1,2026-01-20T10:00:00Z,10.00,EUR
m1,M2,2026-03-03T10:00:00Z,12.00,EUR
n1,N2,2026-03-04T10:00:00Z,20.00,EUR
m1,M3,2026-04-03T10:00:00Z,8.00,
n2,N3,2026-05-05T10:00:00Z,15.00,EUR
CSV
    expect_exit 0 fidele import orders mixed.csv
    assert_contains "$OUT" "7 rows: 7 orders imported, 0 already imported, 0 refused; 0 bad rows" \
        "summary"
    assert_eq "M1|0|3000
M2|1|1200
M3|1|800" "$(sql "SELECT o.ref, member_at_order, paid_minor FROM orders o JOIN customers c
        ON c.id = o.customer_id WHERE c.ref = 'm1' ORDER BY o.ref")" \
        "m1's orders are rows; M1 predates the enrolment"
    assert_eq "0|4|1|$(epoch 2025-11-05T10:00:00Z)|$(epoch 2026-05-05T10:00:00Z)" \
        "$(sql "SELECT (SELECT COUNT(*) FROM orders o JOIN customers c ON c.id = o.customer_id
        WHERE c.ref <> 'm1') || '|' || SUM(n) || '|' || COUNT(*) || '|' || MIN(first_at) || '|' ||
        MAX(last_at) FROM order_history")" "the non-members' four orders in one block"
    assert_eq "m1|1|3|5000
n1|0|2|3000
n2|0|2|11400" "$(sql "SELECT ref, is_member, order_count, spend_minor FROM customers ORDER BY ref")" \
        "aggregates on both paths"
    # Members' AOV (1200 + 800) / 2; non-members' (3000 + 1000 + 2000 + 1500) / 4 (M1 was placed
    # before m1 joined); N0 is in 2025; new customers of 2026: m1 and n1.
    expect_exit 0 fidele report --from 2026-01-01 --to 2027-01-01 --format json
    check_json "report" .orders 6 .revenue_minor 9500 .aov_members_minor 1000 \
        .aov_non_members_minor 1875 .customers 3 .new_customers 2
    # History earns nothing: the ledger is the welcome bonus alone.
    assert_eq "earn points 20 0 - v1 enrolment=20" "$(ledger_table m1)" "m1's ledger"
    assert_eq 1 "$(sql "SELECT COUNT(*) FROM ledger")" "no other ledger entry"
    assert_balance m1 "20 0 20 0" "m1 earned nothing from the import"
    expect_exit 0 fidele import orders mixed.csv
    assert_contains "$OUT" "7 rows: 0 orders imported, 7 already imported" "re-import, both kinds"
}

# 4. Bad rows on the columnar path: line, column and reason on stderr and in --errors, exit 2;
# the good rows are imported (128 bytes is still a valid id); a bad row drops its whole order.
bad_rows_columnar() {
    NOW=2025-01-01T00:00:00Z init_db cafe --timezone Etc/UTC
    NOW=2027-01-15T00:00:00Z
    local l128 l129
    l128=$(printf 'k%.0s' $(seq 128))
    l129=${l128}k
    {
        echo "customer,order_id,date,amount,currency"
        echo "g1,G1,2026-02-01T10:00:00Z,10.00,EUR"
        echo "g2,G2,2026-02-02T10:00:00Z,11.00,USD"
        echo "$l129,G3,2026-02-02T10:00:00Z,12.00,EUR"
        echo "g3,$l129,2026-02-02T10:00:00Z,13.00,EUR"
        echo "g3,G5,2026-02-30,14.00,EUR"
        echo "g3,G6,2026-02-03T10:00:00Z,abc,EUR"
        echo "g2,G7,2026-02-04T10:00:00Z,15.00,"
        echo "$l128,$l128,2026-02-05T10:00:00Z,16.00,EUR"
        echo "g1,G8,2026-02-06T10:00:00Z,1.00,EUR"
        echo "g1,G8,2026-02-06T10:00:00Z,x1,EUR"
        echo ",G9,2026-02-07T10:00:00Z,1.00,EUR"
    } >bad.csv
    expect_exit 2 fidele import orders bad.csv --errors errors.txt
    assert_contains "$OUT" "11 rows: 3 orders imported, 0 already imported, 7 refused; 7 bad rows" \
        "three good orders, seven bad rows"
    local expected
    expected='line 3, column 5 (currency): order in USD but the merchant keeps accounts in EUR
line 4, column 1 (customer): the customer id is longer than 128 bytes
line 5, column 2 (order_id): the order id is longer than 128 bytes
line 6, column 3 (date): "2026-02-30" is not a real date and time
line 7, column 4 (amount): "abc" is not an amount
line 11, column 4 (amount): "x1" is not an amount
line 12, column 1 (customer): no customer (id, e-mail or phone) on the row'
    assert_eq "$expected" "$(cat errors.txt)" "the errors file, in order"
    assert_eq "$(sed 's/^/fidele: /' <<<"$expected")" "$(grep '^fidele: line' <<<"$ERR")" \
        "the same lines on stderr"
    assert_eq "0|3|1" "$(sql "SELECT (SELECT COUNT(*) FROM orders) || '|' || SUM(n) || '|' ||
        COUNT(*) FROM order_history")" "three orders in the history"
    assert_eq "g1|1|1000
g2|1|1500
$l128|1|1600" "$(sql "SELECT ref, order_count, spend_minor FROM customers ORDER BY ref")" \
        "G1, G7 and the 128-byte ids; g3, G2 (USD) and G8 (a bad row) recorded nothing"
    # Fixed, the bad rows go in; the good ones are already there.
    sed -i -e 's/,USD$/,EUR/' -e 's/2026-02-30/2026-02-28/' -e 's/,abc,/,2.00,/' -e 's/,x1,/,3.00,/' \
        -e "s/^$l129,/g4,/" -e "s/^g3,$l129,/g3,G4,/" -e 's/^,G9,/g5,G9,/' bad.csv
    expect_exit 0 fidele import orders bad.csv --errors errors.txt
    assert_contains "$OUT" "11 rows: 7 orders imported, 3 already imported, 0 refused; 0 bad rows" \
        "the corrected file"
    assert_eq "" "$(cat errors.txt)" "no error left"
    assert_eq "g1|2|1400
g2|2|2600
g3|3|2900" "$(sql "SELECT ref, order_count, spend_minor FROM customers WHERE ref IN ('g1', 'g2',
        'g3') ORDER BY ref")" "G8 = 1.00 + 3.00; G2; G4 + G5 + G6"
}

# 5. A customer known from a live order, then imported history: the aggregates add up, both
# sources are read; once a member, their imported orders go through the engine on top.
existing_customer() {
    NOW=2025-01-01T00:00:00Z init_db cafe --timezone Etc/UTC
    NOW=2027-01-15T00:00:00Z
    order live:1 2026-05-10T12:00:00Z walkin L1 "[$(line LATTE coffee 2 380)]"
    assert_eq "0|1|760|$(epoch 2026-05-10T12:00:00Z)|$(epoch 2026-05-10T12:00:00Z)" \
        "$(sql "SELECT is_member || '|' || order_count || '|' || spend_minor || '|' ||
        first_order_at || '|' || last_order_at FROM customers WHERE ref = 'walkin'")" \
        "a live order makes a non-member customer"
    cat >walkin.csv <<'CSV'
customer,order_id,date,amount
walkin,W1,2026-03-01T09:00:00Z,12.00
other,O1,2026-04-01T09:00:00Z,3.00
walkin,L1,2026-05-10T12:00:00Z,7.60
walkin,W2,2026-08-01T18:00:00Z,5.50
CSV
    expect_exit 0 fidele import orders walkin.csv
    assert_contains "$OUT" "4 rows: 3 orders imported, 1 already imported, 0 refused; 0 bad rows" \
        "L1 is known from the live order"
    assert_eq "0|3|2510|$(epoch 2026-03-01T09:00:00Z)|$(epoch 2026-08-01T18:00:00Z)" \
        "$(sql "SELECT is_member || '|' || order_count || '|' || spend_minor || '|' ||
        first_order_at || '|' || last_order_at FROM customers WHERE ref = 'walkin'")" \
        "760 + 1200 + 550; first and last from the history"
    assert_eq "1|3|2" "$(sql "SELECT (SELECT COUNT(*) FROM orders) || '|' || SUM(n) || '|' ||
        (SELECT COUNT(*) FROM customers) FROM order_history")" "one row, three in the history"
    expect_exit 0 fidele report --from 2026-01-01 --to 2027-01-01 --format json
    check_json "report over both sources" .orders 4 .revenue_minor 2810 .customers 2 \
        .new_customers 2 .repurchase_rate 50
    # A later live order counts on top of the imported ones.
    order live:2 2026-09-01T12:00:00Z walkin L2 "[$(line ESPRESSO coffee 1 250)]"
    assert_eq "4|2760|$(epoch 2026-09-01T12:00:00Z)" "$(sql "SELECT order_count || '|' ||
        spend_minor || '|' || last_order_at FROM customers WHERE ref = 'walkin'")" "the live order adds"
    # other joins: the imported O1 becomes a row; their next imported orders are rows too.
    enrol other 2026-06-01T09:00:00Z
    printf 'customer,order_id,date,amount\nother,O2,2026-06-10T09:00:00Z,4.00\nother,O1,2026-04-01T09:00:00Z,3.00\n' >other.csv
    expect_exit 0 fidele import orders other.csv
    assert_contains "$OUT" "2 rows: 1 order imported, 1 already imported" "O2 new, O1 known"
    assert_eq "history-1-1|0|300
O2|1|400" "$(sql "SELECT o.ref || '|' || member_at_order || '|' || paid_minor FROM orders o
        JOIN customers c ON c.id = o.customer_id WHERE c.ref = 'other' ORDER BY o.at")" \
        "the member's orders are rows"
    assert_eq "1|2|700|$(epoch 2026-04-01T09:00:00Z)|$(epoch 2026-06-10T09:00:00Z)|3" \
        "$(sql "SELECT is_member || '|' || order_count || '|' || spend_minor || '|' ||
        first_order_at || '|' || last_order_at || '|' || (SELECT SUM(n) FROM order_history)
        FROM customers WHERE ref = 'other'")" "the engine adds to the aggregates the history wrote"
    assert_eq 1 "$(sql "SELECT COUNT(*) FROM ledger")" "history earns nothing: the welcome bonus alone"
}

# 6. Enrolment after an import: the new member's imported orders become rows, so that crediting
# past orders (the bookshop credits them) and the tier see them exactly as if they had come
# through the engine; the report counts each order once, before and after.
enrolment_after_import() {
    NOW=2026-01-01T00:00:00Z init_db bookshop --timezone Etc/UTC
    local a=$DB
    NOW=2026-01-01T00:00:00Z init_db bookshop --timezone Etc/UTC
    local b=$DB
    NOW=2026-03-02T00:00:00Z
    printf 'customer,order_id,date,amount\nann,B1,2026-02-01T10:00:00Z,400.00\nann,B2,2026-02-10T10:00:00Z,20.00\nbob,B3,2026-02-11T10:00:00Z,15.00\n' >past.csv
    printf 'customer,order_id,date,amount,sku\nann,B1,2026-02-01T10:00:00Z,400.00,IMPORT\nann,B2,2026-02-10T10:00:00Z,20.00,IMPORT\nbob,B3,2026-02-11T10:00:00Z,15.00,IMPORT\n' >past-lines.csv
    DB=$a expect_exit 0 fidele import orders past.csv
    DB=$b expect_exit 0 fidele import orders past-lines.csv
    DB=$a
    assert_eq "0|3" "$(sql "SELECT (SELECT COUNT(*) FROM orders) || '|' || SUM(n) FROM order_history")" \
        "imported as history"
    expect_exit 0 fidele report --from 2026-01-01 --to 2027-01-01 --format json
    local before=$OUT
    DB=$a enrol ann 2026-03-01T10:00:00Z
    assert_contains "$OUT" '"past_orders_credited"' "the imported orders are credited"
    DB=$b enrol ann 2026-03-01T10:00:00Z
    assert_eq "history-1-0|0|40000
history-1-1|0|2000" "$(sql "SELECT o.ref || '|' || member_at_order || '|' || paid_minor FROM orders o
        JOIN customers c ON c.id = o.customer_id WHERE c.ref = 'ann' ORDER BY o.at")" \
        "ann's history became rows"
    assert_eq "0|2" "$(sql "SELECT (SELECT COUNT(*) FROM orders o JOIN customers c ON
        c.id = o.customer_id WHERE c.ref = 'bob') || '|' || (SELECT COUNT(*) FROM orders
        WHERE ref LIKE 'history-%' AND points_earned > 0)")" "ann's rows earned; bob's stay history"
    same_on_both "member after enrolment" "$a" "$b" --json balance ann
    OUT=$before
    check_json "report before" .orders 3 .revenue_minor 43500 .customers 2
    expect_exit 0 fidele report --from 2026-01-01 --to 2027-01-01 --format json
    check_json "report after: each order once" .orders 3 .revenue_minor 43500 .customers 2
    expect_exit 0 fidele import orders past.csv
    assert_contains "$OUT" "0 orders imported, 3 already imported" "still known"
    # verify holds the aggregates to the orders, history included: tamper with copies.
    verify_catches order_aggregates_equal_orders "UPDATE customers SET spend_minor = spend_minor + 1 WHERE ref = 'bob'"
    verify_catches history_customers_exist "DELETE FROM customers WHERE ref = 'bob'"
    DB=$b verify_clean
    DB=$a
}

# 7. --commit-every bounds the transactions (for imports beside a live server): the same orders,
# in blocks cut at every commit, give the same figures; a bad value is refused by name.
commit_every() {
    NOW=2025-01-01T00:00:00Z init_db cafe --timezone Etc/UTC
    local a=$DB
    NOW=2025-01-01T00:00:00Z init_db cafe --timezone Etc/UTC
    local b=$DB
    NOW=2027-01-15T00:00:00Z
    printf 'customer,order_id,date,amount\n' >seven.csv
    local i
    for i in 1 2 3 4 5 6 7; do
        printf 'c%d,S%d,2026-0%d-10T10:00:00Z,%d.50\n' $((i % 3)) "$i" "$i" "$i" >>seven.csv
    done
    DB=$b expect_exit 2 fidele import orders seven.csv --commit-every 0
    assert_contains "$ERR$OUT" "--commit-every" "a bad value names the option"
    assert_eq 0 "$(DB=$b sql "SELECT COUNT(*) FROM order_history")" "and writes nothing"
    DB=$a expect_exit 0 fidele import orders seven.csv
    DB=$b expect_exit 0 fidele import orders seven.csv --commit-every 3
    assert_eq "3|7" "$(DB=$b sql "SELECT COUNT(*) || '|' || SUM(n) FROM order_history")" \
        "a block per transaction: 3 + 3 + 1"
    same_on_both "report, whatever the transactions" "$a" "$b" report --from 2026-01-01 \
        --to 2027-01-01 --format json
    same_on_both "customers, whatever the transactions" "$a" "$b" --json member list
    DB=$b verify_clean
    DB=$a
}

# 7b. Beside another writer: the import reads its file from a pipe, commits its first run of 4,096
# orders (64 transactions of 64), and waits; meanwhile customers are made, enrolled and given an
# e-mail by other processes. The rest of the file must then find them: no raw UNIQUE failure,
# the new and the newly enrolled members' orders through the engine, a live customer's orders
# added to it, a row named by an e-mail given meanwhile on the customer who has it.
beside_a_live_writer() {
    NOW=2025-01-01T00:00:00Z init_db cafe --timezone Etc/UTC
    NOW=2027-01-15T00:00:00Z
    # the reader takes its input 64 KiB at a time: the first part fills whole chunks (blanks
    # before the last amount), so that it is read to its end while the rest waits
    awk 'BEGIN { print "customer,email,order_id,date,amount"
        for (i = 1; i <= 4096; i++) printf "early%d,,E%d,2026-01-%02d,%d.00\n", i % 50, i, 1 + i % 28, 1 + i % 9
        printf "early7,,X1,2026-02-01," }' >part1.csv
    local size
    size=$(($(stat -c %s part1.csv) + 5))
    printf '%*s1.00\n' $((65536 - size % 65536)) '' >>part1.csv
    cat >part2.csv <<'CSV'
late1,,X2,2026-02-02,2.00
early3,,X3,2026-02-03,3.00
walkin,,X4,2026-02-04,4.00
,bob@example.com,X5,2026-02-05,5.00
CSV
    rm -f in.fifo
    mkfifo in.fifo
    fidele import orders - --commit-every 64 <in.fifo >import.out 2>import.err &
    local pid=$! tries=0
    exec 3>in.fifo
    cat part1.csv >&3
    while [ "$(sql "SELECT COALESCE(SUM(n), 0) FROM order_history")" != 4096 ] && [ $tries -lt 200 ]; do
        sleep 0.05
        tries=$((tries + 1))
    done
    assert_eq 4096 "$(sql "SELECT SUM(n) FROM order_history")" "the first run is committed"
    # other writers, between the import's transactions
    enrol late1 2026-01-20T00:00:00Z
    enrol early3 2026-01-20T00:00:00Z
    order live:1 2026-01-21T00:00:00Z walkin L1 "[$(line LATTE coffee 1 380)]"
    enrol bob 2026-01-22T00:00:00Z '"email":"bob@example.com"'
    cat part2.csv >&3
    exec 3>&-
    wait $pid
    assert_eq 0 $? "the import ends well"
    assert_contains "$(cat import.out)" "4101 rows: 4101 orders imported, 0 already imported, 0 refused; 0 bad rows" \
        "every order imported"
    [ -s import.err ] && fail "errors: $(cat import.err)"
    assert_eq "bob|X5|1|500
early3|X3|1|300
late1|X2|1|200" "$(sql "SELECT c.ref, o.ref, member_at_order, paid_minor FROM orders o JOIN customers c ON
        c.id = o.customer_id WHERE o.ref LIKE 'X%' AND o.ref <> 'X1' ORDER BY c.ref")" \
        "the members' orders are rows, the e-mail's on bob"
    assert_eq "2|780" "$(sql "SELECT order_count || '|' || spend_minor FROM customers WHERE ref = 'walkin'")" \
        "the live customer's imported order adds to its live one"
    assert_eq "1|1|3" "$(sql "SELECT COUNT(*) || '|' || SUM(is_member) || '|' || (SELECT COUNT(*) FROM
        customers WHERE is_member = 1) FROM customers WHERE ref = 'bob'")" "no second bob"
    expect_exit 0 fidele report --from 2026-01-01 --to 2027-01-01 --format json
    check_json "the report" .orders 4102
}

# 8. A refund may name an imported order: it becomes a row (named as the refund names it) and
# the refund is recorded on it, as on a live order; a refund that fails leaves the history as
# it was.
refunds_of_imported_orders() {
    NOW=2026-01-01T00:00:00Z init_db cafe --timezone Etc/UTC
    NOW=2026-03-10T00:00:00Z
    printf 'customer,order_id,date,amount\nwalk,W1,2026-03-01T09:00:00Z,12.00\nwalk,W2,2026-03-02T09:00:00Z,8.00\nzoe,Z1,2026-03-03T09:00:00Z,30.00\n' >past.csv
    expect_exit 0 fidele import orders past.csv
    local before
    before=$(snapshot)
    post_fails 2 "$(refund_json r0 2026-03-05T10:00:00Z W1 '"amount_minor":1500')"
    assert_stderr_names "/amount_minor"
    assert_unchanged "$before" "a refund above what the imported order paid writes nothing"
    post "$(refund_json r1 2026-03-05T10:00:00Z W1 '"amount_minor":500')"
    check_json "refund of an imported order" '.[0].order_id' W1 '.[0].customer' walk \
        '.[0].refunded.amount_minor' 500
    assert_eq "W1|1200|500 2|1500" "$(sql "SELECT ref || '|' || paid_minor || '|' || refunded_minor
        FROM orders") $(sql "SELECT order_count || '|' || spend_minor FROM customers WHERE ref = 'walk'")" \
        "W1 is a row with its refund; walk's spend is net of it"
    post "$(refund_json r2 2026-03-06T10:00:00Z W1 '"amount_minor":700')"
    assert_eq "1200" "$(sql "SELECT refunded_minor FROM orders WHERE ref = 'W1'")" "refunded in full"
    post_fails 2 "$(refund_json r3 2026-03-06T11:00:00Z W1 '"amount_minor":1')"
    assert_contains "$ERR" "above the 12.00 EUR paid" "no more than was paid"
    # zoe enrols: Z1 becomes a row named by the history; a refund naming Z1 finds it, names it
    enrol zoe 2026-03-07T10:00:00Z
    post "$(refund_json r4 2026-03-08T10:00:00Z Z1 '"amount_minor":1000')"
    check_json "refund of an order an enrolment made a row" '.[0].order_id' Z1
    assert_eq "Z1|3000|1000" "$(sql "SELECT o.ref || '|' || paid_minor || '|' || refunded_minor
        FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.ref = 'zoe'")" "named Z1 now"
    post_fails 2 "$(refund_json r5 2026-03-08T10:00:00Z X9 '"amount_minor":100')"
    assert_contains "$ERR" 'no order \"X9\"' "an order neither recorded nor imported"
    expect_exit 0 fidele report --from 2026-01-01 --to 2027-01-01 --format json
    check_json "the report counts each order once, net of refunds" .orders 3 .revenue_minor 2800
    expect_exit 0 fidele import orders past.csv
    assert_contains "$OUT" "0 orders imported, 3 already imported" "still known"
    # a live order naming an imported one (a shop's feed sending its last weeks again) is
    # refused as recorded, whatever its idempotency key; a new id the same day is an order
    before=$(snapshot)
    post_fails 2 "$(order_json o-w2 2026-03-02T09:00:00Z walk W2 "[$(line A x 1 800)]")"
    assert_contains "$ERR" 'order \"W2\" was already recorded by an import of order history' \
        "W2 sent again"
    assert_unchanged "$before" "nothing written"
    post "$(order_json o-w4 2026-03-02T09:30:00Z walk W4 "[$(line A x 1 800)]")"
    expect_exit 0 fidele report --from 2026-01-01 --to 2027-01-01 --format json
    check_json "W4 counts, W2 once" .orders 4 .revenue_minor 3600
}

scenario same_numbers_both_paths same_numbers_both_paths
scenario reimport_adds_nothing reimport_adds_nothing
scenario members_through_the_engine members_through_the_engine
scenario bad_rows_columnar bad_rows_columnar
scenario existing_customer existing_customer
scenario enrolment_after_import enrolment_after_import
scenario commit_every commit_every
scenario beside_a_live_writer beside_a_live_writer
scenario refunds_of_imported_orders refunds_of_imported_orders
finish
