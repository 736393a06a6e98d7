#!/usr/bin/env bash
# `fidele import orders`: generic CSV (BOM, CRLF, quotes, decimal commas), whitespace columns,
# Shopify and WooCommerce exports; re-importing adds nothing; bad rows are reported by line and
# column while the rest is imported; --dry-run writes nothing; --award earns points.
. "$(dirname "$0")/lib.sh"

generic_csv() {
    init_db cafe --timezone Etc/UTC
    printf '\xEF\xBB\xBForder_id;customer;date;amount;sku\r\n' >orders.csv
    printf '1001;alice;2026-03-01 10:00;"12,50";LATTE\r\n' >>orders.csv
    printf '1001;alice;2026-03-01 10:00;3,00;CROISSANT\r\n' >>orders.csv
    printf '1002;bob;2026-02-30;5,00;LATTE\r\n' >>orders.csv
    printf '1003;;2026-03-02;1,00;LATTE\r\n' >>orders.csv
    printf '1004;carol;2026-03-03;abc;LATTE\r\n' >>orders.csv
    printf '1005;carol;20260304;1 234,56;BEANS\r\n' >>orders.csv
    expect_exit 2 fidele import orders orders.csv --delimiter ';' --errors errors.txt
    assert_contains "$OUT" "6 rows: 2 orders imported" "good rows are imported"
    assert_eq 3 "$(wc -l <errors.txt)" "three bad rows in the errors file"
    assert_contains "$(cat errors.txt)" 'line 4, column 3 (date): "2026-02-30" is not a real date' "date"
    assert_contains "$(cat errors.txt)" "line 5, column 2 (customer)" "customer"
    assert_contains "$(cat errors.txt)" 'line 6, column 4 (amount): "abc" is not an amount' "amount"
    assert_eq "1550|1|123456|1" "$(sql "SELECT (SELECT paid_minor FROM orders WHERE ref = '1001') || '|' ||
        (SELECT COUNT(*) FROM orders WHERE ref = '1001') || '|' ||
        (SELECT paid_minor FROM orders WHERE ref = '1005') || '|' ||
        (SELECT order_count FROM customers WHERE ref = 'alice')")" "orders and aggregates"
    # History earns nothing, even for a member.
    assert_eq 0 "$(sql "SELECT COUNT(*) FROM ledger")" "no ledger entries"
    # The same file again adds nothing.
    local before
    before=$(sql "SELECT group_concat(ref || ':' || paid_minor) FROM orders")
    expect_exit 2 fidele import orders orders.csv --delimiter ';'
    assert_contains "$OUT" "0 orders imported, 2 already imported" "a second import adds nothing"
    assert_eq "$before" "$(sql "SELECT group_concat(ref || ':' || paid_minor) FROM orders")" \
        "orders unchanged"
}

whitespace_without_ids() {
    init_db cafe --currency USD --timezone Etc/UTC
    printf ' 00004 0001 19970101  2   29.33\n 00004 0001 19970118  2   29.73\n 00018 0002 19970101  1   11.77\n 00018 0002 19970101  1   11.77\n' >cd.txt
    expect_exit 0 fidele import orders cd.txt --delimiter whitespace --no-header \
        --map customer=2 --map date=3 --map amount=5
    assert_contains "$OUT" "4 rows: 4 orders imported" "two identical rows are two orders"
    assert_eq "5906|2354" "$(sql "SELECT (SELECT spend_minor FROM customers WHERE ref = '0001') || '|' ||
        (SELECT spend_minor FROM customers WHERE ref = '0002')")" "spend per customer"
    expect_exit 0 fidele import orders cd.txt --delimiter whitespace --no-header \
        --map customer=2 --map date=3 --map amount=5
    assert_contains "$OUT" "0 orders imported, 4 already imported" "stable ids per row"
}

shopify_and_woocommerce() {
    init_db cafe --timezone Europe/Paris
    cat >shopify.csv <<'CSV'
Name,Email,Financial Status,Currency,Subtotal,Shipping,Taxes,Total,Discount Amount,Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku,Billing Phone
#1001,ana@example.com,paid,EUR,30.00,4.90,5.00,31.90,3.00,2026-03-01 10:15:22 +0100,2,Mug,10.00,MUG,
#1001,,,,,,,,,,1,Beans,10.00,BEANS,
#1002,,paid,EUR,8.00,0.00,1.33,8.00,0.00,2026-03-02 09:00:00 +0100,1,Tote,8.00,TOTE,+33612345678
CSV
    expect_exit 0 fidele import orders shopify.csv --format shopify
    assert_contains "$OUT" "3 rows: 2 orders imported" "two Shopify orders"
    assert_eq "#1001|ana@example.com|3000|300|490|3190|2026-03-01T09:15:22Z" \
        "$(sql "SELECT o.ref || '|' || c.ref || '|' || gross_minor || '|' || json_extract(body, '\$.discount_minor') || '|' || json_extract(body, '\$.shipping_minor') || '|' || paid_minor || '|' || json_extract(body, '\$.at') FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.ref = '#1001'")" \
        "lines, discount, shipping and the offset"
    assert_eq "+33612345678" "$(sql "SELECT c.ref FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.ref = '#1002'")" \
        "the phone stands for a missing e-mail"
    cat >woo.csv <<'CSV'
"Order ID","Order Date","Customer Email","Order Currency","Order Shipping","Cart Discount","SKU","Item Name","Quantity","Item Cost","Order Total"
"501","2026-03-05 14:00","bo@example.com","EUR","0","0","LATTE","Latte","2","3.80","7.60"
"502","2026-03-06 15:30","bo@example.com","EUR","2.50","1.00","BEANS","Beans","1","12.00","13.50"
CSV
    expect_exit 0 fidele import orders woo.csv --format woocommerce
    assert_contains "$OUT" "2 rows: 2 orders imported" "two WooCommerce orders"
    assert_eq "2|2110" "$(sql "SELECT order_count || '|' || spend_minor FROM customers WHERE ref = 'bo@example.com'")" \
        "760 + 1200 - 100 + 250"
    # order-level rows: the total is what was paid, shipping in and discount out (it was counted
    # again: 110 + 20 - 10)
    cat >totals.csv <<'CSV'
Name,Email,Created at,Total,Currency,Shipping,Taxes,Discount Amount
#2001,cy@example.com,2026-03-07 10:00:00 +0100,110.00,EUR,20.00,15.00,10.00
#2002,cy@example.com,2026-03-08 10:00:00 +0100,5.00,EUR,20.00,0.00,0.00
CSV
    expect_exit 2 fidele import orders totals.csv --format shopify
    assert_eq "#2001|10000|11000" "$(sql "SELECT ref || '|' || gross_minor || '|' || paid_minor FROM orders WHERE ref LIKE '#200%'")" \
        "paid as the file says"
    assert_contains "$ERR" "line 3" "shipping above the total is refused by its line"
    assert_contains "$ERR" "the shipping is above what the order's rows say was paid" "and why"
}

award_and_dry_run() {
    NOW=2026-01-01T00:00:00Z init_db cafe --timezone Etc/UTC
    enrol alice 2026-01-01T08:00:00Z
    printf 'order_id,customer,date,price,quantity,sku,category\n9001,alice,2026-03-03T08:00:00Z,3.80,2,LATTE,coffee\n' >o.csv
    local before
    before=$(snapshot)
    expect_exit 0 fidele import orders o.csv --award --dry-run
    assert_contains "$OUT" "1 order valid (dry run)" "dry run validates"
    assert_eq "$before" "$(snapshot)" "a dry run writes nothing"
    expect_exit 0 fidele import orders o.csv --award
    assert_balance alice "116 0 116 0" "welcome 20 + 76 base + 20 first order: earned as if live"
    expect_exit 2 fidele import orders o.csv --map nonsense=1
    assert_contains "$ERR" "--map" "a bad mapping names --map"
    expect_exit 2 fidele import orders o.csv --map amount=missing_column
    assert_contains "$ERR" "missing_column" "an unknown column is named"
    expect_exit 2 fidele import orders nowhere.csv
    assert_contains "$ERR" "nowhere.csv" "a missing file is named"
    local before_format
    before_format=$(snapshot)
    expect_exit 2 fidele import orders o.csv --date-format '%b %d %Y'
    assert_contains "$ERR" "--date-format: unknown token %b" "an unknown token is refused once, up front"
    assert_unchanged "$before_format" "nothing imported with a bad --date-format"
}

# The summary counts the orders refused, whether by a bad row or by the engine.
refused_orders_counted() {
    init_db cafe --timezone Etc/UTC
    printf 'customer,order_id,date,sku,quantity,price\nc1,A1,2026-03-03,X,1,10.00\nc1,A1,2026-03-03,Y,zz,5.00\nc2,A2,2026-13-03,X,1,10.00\nc2,A2,2026-03-03,X,1,10.00\nc3,A3,2026-03-03,X,1,10.00\n,A4,2026-03-03,X,1,10.00\n' >b.csv
    expect_exit 2 fidele --json import orders b.csv
    check_json "line items" .orders_imported 1 .orders_refused 3 .bad_rows 4
    printf 'customer,order_id,date,amount\nc1,B1,2026-03-03,10.00\nc1,B1,2026-03-03,zz\nc2,B2,2026-13-03,10.00\nc2,B2,2026-03-03,10.00\nc3,B3,2026-03-03,10.00\nc4,,2026-03-03,1.00\n' >c.csv
    expect_exit 2 fidele --json import orders c.csv
    check_json "order-level rows" .orders_imported 1 .orders_refused 3 .bad_rows 4
}

# The rows of an order follow each other: a row of an order seen earlier in the file, not next
# to it, is refused naming its line, on both paths and in a dry run, never counted as already
# imported; an order whose first rows were refused stays refused whole, so that the mended file
# imports it whole.
rows_apart() {
    init_db cafe --timezone Etc/UTC
    printf 'customer,order_id,date,amount\nc1,1001,2026-03-03,10.00\nc2,1002,2026-03-03,20.00\nc1,1001,2026-03-03,5.00\nc3,1003,2026-03-0x,1.00\nc2,1002,2026-03-03,1.00\nc3,1003,2026-03-03,2.00\n' >n.csv
    expect_exit 2 fidele import orders n.csv --dry-run
    assert_contains "$ERR" "line 4, column 2 (order_id): order 1001 has rows earlier in the file, not next to this one: an order's rows must follow each other (sort the file by order id)" \
        "a dry run"
    expect_exit 2 fidele import orders n.csv
    assert_contains "$OUT" "6 rows: 2 orders imported, 0 already imported, 4 refused; 4 bad rows" "summary"
    assert_contains "$ERR" "line 4, column 2 (order_id): order 1001 has rows earlier in the file" "1001"
    assert_contains "$ERR" "line 6, column 2 (order_id): order 1002 has rows earlier in the file" "1002"
    assert_contains "$ERR" "line 7, column 2 (order_id): order 1003 has rows earlier in the file" \
        "1003, whose first row was refused"
    assert_eq "c1|1000 c2|2000" "$(sql "SELECT ref || '|' || spend_minor FROM customers ORDER BY ref" | tr '\n' ' ' | sed 's/ $//')" \
        "the first rows of 1001 and 1002; nothing of 1003"
    # the same through the engine
    init_db cafe --timezone Etc/UTC
    awk -F, 'BEGIN { OFS = "," } { print $0, NR == 1 ? "sku" : "X" }' n.csv >n-sku.csv
    expect_exit 2 fidele import orders n-sku.csv
    assert_contains "$OUT" "6 rows: 2 orders imported, 0 already imported, 4 refused; 4 bad rows" \
        "the same summary"
    assert_contains "$ERR" "line 4, column 2 (order_id): order 1001 has rows earlier in the file" "1001"
    assert_contains "$ERR" "line 7, column 2 (order_id): order 1003 has rows earlier in the file" "1003"
    # sorted and mended, order 1003 is imported whole
    printf 'customer,order_id,date,amount\nc3,1003,2026-03-03,1.00\nc3,1003,2026-03-03,2.00\n' >m.csv
    expect_exit 0 fidele import orders m.csv
    assert_eq "1|300" "$(sql "SELECT order_count || '|' || spend_minor FROM customers WHERE ref = 'c3'")" \
        "1003 whole"
}

# Rows the import refuses take their whole order with them, and name their line and column.
refused_rows() {
    init_db cafe --timezone Etc/UTC
    # the first row of order 1001 is bad: its second row must not pass for the whole order
    printf 'order_id,customer,date,amount\n1001,alice,2026-03-01 10:00:00x,10.00\n1001,alice,2026-03-01 10:00:00,5.00\n' >a.csv
    expect_exit 2 fidele import orders a.csv
    assert_contains "$ERR" "line 3, column 1 (order_id): its order's row on line 2 was refused" "the rest of the order"
    assert_eq "0 0" "$(sql "SELECT COUNT(*) FROM orders") $(sql "SELECT COUNT(*) FROM order_history")" \
        "nothing of order 1001"
    sed -i 's/00x,/00,/' a.csv
    expect_exit 0 fidele import orders a.csv
    assert_eq 1500 "$(sql "SELECT spend_minor FROM customers WHERE ref = 'alice'")" "the mended file imports it whole"
    # text that is not UTF-8, ids with control characters, amounts beyond 10^14: refused by column
    printf 'order_id,customer,date,amount\n2001,caf\xe9,2026-03-02,1.00\n2002,"b\nob",2026-03-02,1.00\n2003,carl,2026-03-02,1000000000000.01\n2004,dora,2026-03-02,1.00\n' >b.csv
    expect_exit 2 fidele import orders b.csv
    assert_contains "$ERR" "line 2, column 2 (customer): the text is not UTF-8" "Latin-1"
    assert_contains "$ERR" "line 3, column 2 (customer): a control character in an id" "a newline in an id"
    assert_contains "$ERR" "line 5, column 4 (amount): the amount is above 10^14 minor units" "overflow"
    assert_contains "$OUT" "1 order imported" "dora's order"
    # files of old Mac software end their lines with a lone CR: lines are still counted
    printf 'order_id,customer,date,amount\r3001,erin,2026-03-03,1.00\r3002,erin,2026-03-03,x\r' >c.csv
    expect_exit 2 fidele import orders c.csv
    assert_contains "$ERR" 'line 3, column 4 (amount): "x" is not an amount' "the line of a CR-only file"
    # a row whose first field is quoted over two lines is named by the line it starts on; a
    # blank line before it starts no row
    printf 'customer,order_id,date,amount\r\n\r\n"fr\r\ned",4001,2026-03-04,5\r\n' >d.csv
    expect_exit 2 fidele import orders d.csv
    assert_contains "$ERR" "line 3, column 1 (customer): a control character in an id" "a row that starts quoted"
    # lines whose quantity x price passes 64 bits, a discount that is not an amount: named, and
    # the sums made of them never wrap round (UBSan would say so)
    printf 'customer,order_id,date,sku,price,quantity,discount\ngus,5001,2026-03-05,A,99999999999.99,1000000,\nhal,5002,2026-03-05,A,10,1,abc\n' >e.csv
    expect_exit 2 fidele import orders e.csv
    assert_contains "$ERR" "line 2, column 5 (price): the order's lines (quantity x price) are above 10^14 minor units" "quantity x price"
    assert_contains "$ERR" 'line 3, column 7 (discount): "abc" is not an amount' "a discount that is not an amount"
    # a discount beyond 10^14, an order's negative rows beyond -10^14, a signed text that is not
    # an amount: named by their column, the sign quoted as written
    printf 'customer,order_id,date,sku,quantity,price,discount
ivo,6001,2026-03-06,A,2,10,1000000000000.01
' >f.csv
    expect_exit 2 fidele import orders f.csv
    assert_contains "$ERR" "line 2, column 7 (discount): the amount is above 10^14 minor units" "a discount too large"
    printf 'customer,order_id,date,amount,status,refunded
jo,7001,2026-03-07,-600000000000,,
jo,7001,2026-03-07,-600000000000,,
kim,7002,2026-03-07,10,refunded,-abc
' >g.csv
    expect_exit 2 fidele import orders g.csv
    assert_contains "$ERR" "line 3, column 4 (amount): the order's total is below -10^14 minor units" \
        "negative rows beyond the bound, said as such"
    assert_contains "$ERR" 'line 4, column 6 (refunded): "-abc" is not an amount' "the sign kept"
}

# What is wrong with a row as a whole, not one of its fields: a NUL byte (the fields are read as
# text, so one cut short would read as another customer, order and amount), a value past the
# header's columns (an unquoted decimal comma); an import that keeps nothing writes nothing.
rows_bad_as_a_whole() {
    init_db cafe --timezone Etc/UTC
    local before
    before=$(snapshot)
    : >empty.csv
    expect_exit 2 fidele import orders empty.csv
    printf 'customer,order_id,date,amount\nc-1\0zz,H-1\0x,2026-03-01,1\0009\nc-2,H-2,2026-03-01,19,990\n' >a.csv
    expect_exit 2 fidele import orders a.csv
    assert_contains "$ERR" "line 2, column 1: a NUL byte, which text cannot hold" "a NUL byte"
    assert_contains "$ERR" "line 3, column 5: a value beyond the header's 4 columns" "an extra value"
    assert_contains "$OUT" "0 orders imported, 0 already imported, 2 refused" "both refused"
    printf 'c-1\0zz H-1 2026-03-01 19\n' >b.txt
    expect_exit 2 fidele import orders b.txt --delimiter whitespace --no-header --map customer=1 \
        --map order_id=2 --map date=3 --map amount=4
    assert_contains "$ERR" "line 1, column 1: a NUL byte" "whitespace columns"
    assert_unchanged "$before" "imports that kept nothing wrote nothing (not even the history's key)"
    # a trailing delimiter adds an empty field: not a value
    printf 'customer,order_id,date,amount\nc-3,H-3,2026-03-01,19,\n' >c.csv
    expect_exit 0 fidele import orders c.csv
    assert_eq 1900 "$(sql "SELECT spend_minor FROM customers WHERE ref = 'c-3'")" "the trailing delimiter"
}

# An e-mail or a phone that names the customer is kept as customers keep them: e-mails in lower
# case, phones in international form (a national number read in the merchant's country, here
# France's), so that one shopper is one customer; a phone that cannot be written so (a national
# number too short) or an e-mail without "@" is refused by its column.
contacts_as_ids() {
    init_db cafe --timezone Europe/Paris
    printf 'Name,Email,Phone,Created at,Total\n#1,Bob@Example.com,,2024-03-03 10:00:00 +0100,10.00\n#2,bob@example.com ,,2024-04-03 10:00:00 +0200,20.00\n#3,,+33 6 12 34 56 78,2024-03-03 10:00:00 +0100,10.00\n#4,,+33612345678,2024-04-03 10:00:00 +0200,20.00\n#5,,06 12 34 56 78,2024-04-03 10:00:00 +0200,1.00\n#6,bob.example.com,,2024-04-03 10:00:00 +0200,1.00\n#7,,06 12 34 56,2024-04-03 10:00:00 +0200,1.00\n' >s.csv
    expect_exit 2 fidele import orders s.csv --format shopify
    assert_eq "+33612345678|3|3100 bob@example.com|2|3000" "$(sql "SELECT ref || '|' || order_count || '|' || spend_minor FROM customers ORDER BY ref" | tr '\n' ' ' | sed 's/ $//')" \
        "two customers, the national number naming the first"
    assert_contains "$ERR" 'line 8, column 3 (phone): "06 12 34 56" is not a phone number: expected a number of FR such as 06 12 34 56 78 or +33612345678' \
        "a national number too short"
    assert_contains "$ERR" 'line 7, column 2 (email): "bob.example.com" is not an e-mail address' \
        "an e-mail without @"
    # the same through the engine
    awk -F, 'BEGIN { OFS = "," } { print $0, NR == 1 ? "Lineitem sku" : "X" }' s.csv >s-sku.csv
    init_db cafe --timezone Europe/Paris
    expect_exit 2 fidele import orders s-sku.csv --format shopify
    assert_eq "+33612345678|3|3100 bob@example.com|2|3000" "$(sql "SELECT ref || '|' || order_count || '|' || spend_minor FROM customers ORDER BY ref" | tr '\n' ' ' | sed 's/ $//')" \
        "the same customers through the engine"
}

# The e-mail and phone columns are kept on the customer (each when it has none), on both paths;
# a row that only an e-mail or a phone names goes to the customer who has it, a member or a
# customer of an earlier row or import, so that e-mail look-ups find them and --award earns;
# several customers with it: the row is refused by its line; none: a customer of that name.
contacts_kept() {
    NOW=2026-01-01T00:00:00Z init_db cafe --timezone Etc/UTC
    NOW=2026-03-10T00:00:00Z
    post '{"type":"enrol","key":"e1","at":"2026-01-02T00:00:00Z","customer":"alice","email":"alice@example.com"}'
    post '{"type":"enrol","key":"e2","at":"2026-01-02T00:00:00Z","customer":"dup1","email":"dup@example.com"}'
    # a member's e-mail names one member, and an import keeps it on no one else: not on a
    # shopper of another id, nor on the second of two new ones (on either path)
    post_fails 2 '{"type":"enrol","key":"e3","at":"2026-01-02T00:00:00Z","customer":"dup2","email":"dup@example.com"}'
    assert_contains "$ERR" '"field": "event 1: /email"' "the e-mail named"
    printf 'customer,email,order_id,date,amount\ndup2,dup@example.com,900,2026-03-01,1.00\nx1,Same@example.com,901,2026-03-01,1.00\nx2,same@example.com,902,2026-03-01,1.00\nx2,same@example.com,903,2026-03-02,1.00\n' >d.csv
    expect_exit 0 fidele import orders d.csv
    assert_contains "$OUT" "2 customers not given an e-mail or phone of the file: another customer has it" \
        "said, each customer once"
    awk -F, 'BEGIN { OFS = "," } { print $1, $2, NR == 1 ? $3 : $3 + 5000, $4, $5, NR == 1 ? "sku" : "X" }' d.csv >d-sku.csv
    expect_exit 0 fidele --json import orders d-sku.csv
    check_json "through the engine" .orders_imported 4 .contacts_held_elsewhere 2
    assert_eq "dup1|dup@example.com dup2|- x1|same@example.com x2|-" \
        "$(sql "SELECT ref || '|' || COALESCE(email, '-') FROM customers WHERE ref LIKE 'dup%' OR ref LIKE 'x%' ORDER BY ref" | tr '\n' ' ' | sed 's/ $//')" \
        "the e-mail stays with the customer who had it first"
    # older data may hold one e-mail on several customers
    sql "UPDATE customers SET email = 'dup@example.com' WHERE ref = 'dup2'"
    printf 'customer,email,phone,order_id,date,amount\nc-17,Zoe@Example.com,+33 6 12 34 56 78,1001,2026-03-03,12.50\n,zoe@example.com,,1002,2026-03-04,5.00\n,,+33612345678,1003,2026-03-05,1.00\n,ALICE@example.com,+33699999999,1004,2026-03-05,30.00\n,new@example.com,,1005,2026-03-05,2.00\n,dup@example.com,,1006,2026-03-05,2.00\nalice,other@example.com,,1007,2026-03-06,4.00\n' >h.csv
    local before
    before=$(snapshot)
    expect_exit 2 fidele import orders h.csv --dry-run
    assert_contains "$OUT" "7 rows: 6 orders valid (dry run)" "a dry run"
    assert_unchanged "$before" "writes nothing"
    expect_exit 2 fidele import orders h.csv
    assert_contains "$OUT" "7 rows: 6 orders imported, 0 already imported, 1 refused; 1 bad row" "summary"
    assert_contains "$ERR" "line 7, column 2 (email): several customers have dup@example.com as their e-mail address or id: the row needs a customer id to say which" \
        "an e-mail two customers have"
    assert_eq "alice|alice@example.com|+33699999999|1|2|3400
c-17|zoe@example.com|+33612345678|0|3|1850
dup1|dup@example.com||1|0|0
dup2|dup@example.com||0|2|200
new@example.com|new@example.com||0|1|200" "$(sql "SELECT ref, email, COALESCE(phone, ''), is_member, order_count, spend_minor FROM customers WHERE ref NOT LIKE 'x%' ORDER BY ref")" \
        "kept on the customers, each once; alice's e-mail stays hers"
    expect_exit 0 fidele member show zoe@example.com
    assert_contains "$OUT" "c-17 (not a member)" "found by e-mail"
    # enrolled without an e-mail or a phone: those the import kept stay hers
    post '{"type":"enrol","key":"e-c17","at":"2026-03-07T00:00:00Z","customer":"c-17","name":"Zoe"}'
    assert_eq "zoe@example.com|+33612345678|Zoe" \
        "$(sql "SELECT email || '|' || phone || '|' || name FROM customers WHERE ref = 'c-17'")" \
        "the contacts stay"
    expect_exit 0 fidele member show zoe@example.com
    assert_contains "$OUT" "c-17" "still found by e-mail"
    expect_exit 0 fidele balance alice@example.com
    assert_contains "$OUT" "alice" "the member, found by e-mail"
    assert_eq "1004|1|3000 1007|1|400" "$(sql "SELECT o.ref || '|' || member_at_order || '|' || paid_minor FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.ref = 'alice' ORDER BY o.ref" | tr '\n' ' ' | sed 's/ $//')" \
        "the member's orders went through the engine"
    # again: nothing more, the orders named by a shared e-mail included once they are known
    expect_exit 2 fidele import orders h.csv
    assert_contains "$OUT" "7 rows: 0 orders imported, 6 already imported, 1 refused" "a second import"
    # the same through the engine: customers it creates get their contact too
    NOW=2026-01-01T00:00:00Z init_db cafe --timezone Etc/UTC
    NOW=2026-03-10T00:00:00Z
    post '{"type":"enrol","key":"e1","at":"2026-01-02T00:00:00Z","customer":"alice","email":"alice@example.com"}'
    awk -F, 'BEGIN { OFS = "," } { print $0, NR == 1 ? "sku" : "X" }' h.csv >h-sku.csv
    expect_exit 0 fidele import orders h-sku.csv --award
    assert_eq "alice|alice@example.com|+33699999999|1|2|3400
c-17|zoe@example.com|+33612345678|0|3|1850
dup@example.com|dup@example.com||0|1|200
new@example.com|new@example.com||0|1|200" "$(sql "SELECT ref, email, COALESCE(phone, ''), is_member, order_count, spend_minor FROM customers ORDER BY ref")" \
        "through the engine"
    # the e-mail of a shopper the import created is theirs: a new member with it is refused,
    # naming the shopper to enrol instead; the orders it names are still known, skipped as such
    post_fails 2 '{"type":"enrol","key":"e2","at":"2026-01-02T00:00:00Z","customer":"dup1","email":"dup@example.com"}'
    assert_contains "$ERR" 'is that of customer \"dup@example.com\", who bought without being a member: enrol \"dup@example.com\" to keep their orders' \
        "the shopper named, to enrol instead"
    expect_exit 0 fidele import orders h-sku.csv --award
    assert_contains "$OUT" "7 rows: 0 orders imported, 7 already imported, 0 refused; 0 bad rows" \
        "a second import through the engine"
    assert_eq 2 "$(sql "SELECT COUNT(*) FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.ref = 'alice' AND points_earned > 0")" \
        "--award: alice earned from the orders her e-mail names"
    # a national number, where the merchant's zone (UTC) names no country, is refused by its
    # column; --map phone= leaves it out
    printf 'customer,phone,order_id,date,amount\nk1,06 12 34 56 78,2001,2026-03-07,1.00\n' >p.csv
    expect_exit 2 fidele import orders p.csv
    assert_contains "$ERR" 'line 2, column 2 (phone): "06 12 34 56 78" is not a phone number: expected a number in international form' \
        "a national number without a country"
    expect_exit 0 fidele import orders p.csv --map phone=
    assert_eq "k1|" "$(sql "SELECT ref || '|' || COALESCE(phone, '') FROM customers WHERE ref = 'k1'")" \
        "imported without the phone"
}

# Prices before tax (the US and Canadian default of Shopify and WooCommerce): the order's Total is
# its lines less the discount plus the shipping and the tax. It is recorded as what was paid,
# the tax on top of the prices (tax_included: false), and the earning basis leaves the tax out
# as the programme says; a total that nothing explains is refused, not replaced.
prices_before_tax() {
    NOW=2024-01-01T00:00:00Z init_db ecommerce --currency USD --timezone America/New_York
    NOW=2024-03-10T00:00:00Z
    post '{"type":"enrol","key":"e1","at":"2024-01-01T00:00:00Z","customer":"ann@example.com"}'
    cat >us.csv <<'CSV'
Name,Email,Currency,Subtotal,Shipping,Taxes,Total,Discount Amount,Created at,Lineitem quantity,Lineitem price,Lineitem sku
#1001,ann@example.com,USD,100.00,10.00,8.25,118.25,0.00,2024-03-03 10:00:00 -0500,1,60.00,SH-1
#1001,ann@example.com,,,,,,,2024-03-03 10:00:00 -0500,2,20.00,SO-1
#1002,ann@example.com,USD,50.00,0.00,4.00,50.00,0.00,2024-03-04 10:00:00 -0500,1,50.00,SH-1
#1003,ann@example.com,USD,50.00,0.00,4.00,57.00,0.00,2024-03-05 10:00:00 -0500,1,50.00,SH-1
CSV
    expect_exit 2 fidele import orders us.csv --format shopify --award
    assert_eq "#1001|11825|10000|1
#1002|5000|4600|" "$(sql "SELECT ref, paid_minor, basis_minor, json_extract(body, '\$.tax_included') = 0 FROM orders ORDER BY ref")" \
        "paid as the file says; the tax on top, out of the basis (#1002: tax included)"
    assert_contains "$ERR" "line 5, column 7 (amount): the order's total 57.00 is not what its lines (50.00) less the discount plus the shipping make, 50.00, nor that with its tax on top, 54.00" \
        "a total nothing explains"
    # a refund may take back all that was paid, the tax included
    post "$(refund_json r1 2024-03-06T10:00:00Z '#1001' '"amount_minor":11825')"
    assert_eq "11825" "$(sql "SELECT refunded_minor FROM orders WHERE ref = '#1001'")" "refunded in full"
    # without the total, the lines make the order
    expect_exit 0 fidele import orders us.csv --format shopify --map amount=
    assert_contains "$OUT" "4 rows: 1 order imported, 2 already imported" "#1003 from its lines"
    assert_eq "5000" "$(sql "SELECT paid_minor FROM orders WHERE ref = '#1003'")" "its lines' amount"
}

# What became of an order's money: never paid (Shopify's voided, pending; WooCommerce's
# cancelled, failed...) is skipped and counted apart; refunded in whole or in part is recorded
# with its refund (through the engine, as a live order and its refund), so that revenue and
# spend are what was kept; a status the import does not know is refused by its column.
statuses_and_refunds() {
    NOW=2024-01-01T00:00:00Z init_db cafe --timezone Europe/Paris
    NOW=2024-06-01T00:00:00Z
    cat >r.csv <<'CSV'
Name,Email,Financial Status,Created at,Total,Refunded Amount
#1,bob@example.com,voided,2024-03-04 09:00:00 +0100,25.00,0.00
#2,bob@example.com,refunded,2024-03-05 09:00:00 +0100,40.00,40.00
#3,bob@example.com,partially_refunded,2024-03-06 09:00:00 +0100,30.00,10.00
#4,bob@example.com,paid,2024-03-07 09:00:00 +0100,12.00,
#5,bob@example.com,pending,2024-03-08 09:00:00 +0100,99.00,
#6,bob@example.com,lost,2024-03-08 09:00:00 +0100,99.00,
#7,bob@example.com,partially_refunded,2024-03-08 09:00:00 +0100,99.00,
#8,bob@example.com,refunded,2024-03-08 09:00:00 +0100,9.00,10.00
CSV
    dry_then_real r.csv --format shopify
    check_json "summary" .orders_imported 3 .orders_refused 3 .orders_not_paid 2 .bad_rows 3
    assert_contains "$ERR" 'line 7, column 3 (status): "lost" is not an order status the import knows' \
        "an unknown status"
    assert_contains "$ERR" "line 8, column 3 (status): a partly refunded order needs the amount refunded" \
        "a partial refund without its amount"
    assert_contains "$ERR" "line 9, column 6 (refunded): the refunded amount 10.00 is more than the 9.00 the order paid" \
        "a refund above the order"
    assert_eq "#2|4000|4000
#3|3000|1000" "$(sql "SELECT ref, paid_minor, refunded_minor FROM orders ORDER BY ref")" \
        "the refunded orders with their refunds"
    assert_eq "3|3200" "$(sql "SELECT order_count || '|' || spend_minor FROM customers WHERE ref = 'bob@example.com'")" \
        "bob's spend: what was kept (20.00 + 12.00)"
    expect_exit 0 fidele report --from 2024-01-01 --to 2025-01-01 --format json
    check_json "revenue as kept" .revenue_minor 3200 .orders 3
    # the same file again: nothing more; the orders never paid are still counted apart
    expect_exit 2 fidele import orders r.csv --format shopify
    assert_contains "$OUT" "8 rows: 0 orders imported, 3 already imported, 3 refused, 2 not paid; 3 bad rows" \
        "a second import"
    # a new customer's refunded order goes through the engine (applied with a thousand others
    # before the next run of 4,096 orders is recorded), its paid one to the history: one
    # customer, both orders
    awk 'BEGIN { print "customer,order_id,date,amount,status,refunded"
        print "dan,D1,2024-03-01,10.00,partially_refunded,4.00"
        for (i = 2; i <= 5000; i++) printf "f%d,D%d,2024-03-02,1.00,%s,\n", i % 7, i, i < 1200 ? "refunded" : "paid"
        print "dan,D5001,2024-03-03,20.00,," }' >dan.csv
    expect_exit 0 fidele import orders dan.csv
    assert_eq "2|2600" "$(sql "SELECT order_count || '|' || spend_minor FROM customers WHERE ref = 'dan'")" \
        "dan: 10.00 - 4.00 + 20.00"
    # paid since: imported then
    printf 'Name,Email,Financial Status,Created at,Total\n#5,bob@example.com,paid,2024-03-08 09:00:00 +0100,99.00\n' >paid.csv
    expect_exit 0 fidele import orders paid.csv --format shopify
    assert_contains "$OUT" "1 row: 1 order imported" "an order once pending, now paid"
    # WooCommerce line items: a cancelled order and its rows are skipped, a refunded one recorded
    cat >woo.csv <<'CSV'
"Order ID","Order Date","Order Status","Customer Email","SKU","Quantity","Item Cost","Order Total"
"501","2024-03-05 14:00","wc-completed","cy@example.com","LATTE","2","3.80","7.60"
"502","2024-03-06 15:30","cancelled","cy@example.com","BEANS","1","12.00","15.00"
"502","2024-03-06 15:30","","cy@example.com","MUG","1","3.00",""
"503","2024-03-07 15:30","Refunded","cy@example.com","BEANS","1","12.00","12.00"
CSV
    EXPECT_RC=0 dry_then_real woo.csv --format woocommerce
    check_json "summary" .orders_imported 2 .orders_not_paid 1 .bad_rows 0
    assert_eq "501|760|0 503|1200|1200" "$(sql "SELECT ref || '|' || paid_minor || '|' || refunded_minor FROM orders WHERE ref LIKE '50%' ORDER BY ref" | tr '\n' ' ' | sed 's/ $//')" \
        "the cancelled order is not there; the refunded one is, refunded"
}

# Amounts as spreadsheets write them: thousands apart with a no-break space (U+00A0) or the
# narrow one French uses (U+202F); a negative row (a discount, a returned line) takes its amount
# off its order, on both paths, but an order may not come to less than zero.
amount_formats() {
    init_db cafe --timezone Etc/UTC
    printf 'customer,order_id,date,amount\nb,2,2026-03-03,"1\xc2\xa0234,50"\nc,3,2026-03-03,"1\xe2\x80\xaf234,50"\nd,4,2026-03-03,10.00\nd,4,2026-03-03,-3\na,1,2026-03-03,-3\n' >v.csv
    expect_exit 2 fidele import orders v.csv
    assert_contains "$OUT" "5 rows: 3 orders imported" "the spaces and the negative row are read"
    assert_contains "$ERR" "line 6, column 4 (amount): the order's rows add up to -3.00, less than zero" \
        "an order of a negative row alone is refused, saying why"
    assert_eq "b|123450 c|123450 d|700" "$(sql "SELECT ref || '|' || spend_minor FROM customers ORDER BY ref" | tr '\n' ' ' | sed 's/ $//')" \
        "1 234,50 twice; 10.00 - 3.00"
    # the same through the engine: line items, a negative price is a discount of its order
    printf 'customer,order_id,date,sku,quantity,price\ne,5,2026-03-04,MUG,2,"1\xc2\xa0000,00"\ne,5,2026-03-04,COUPON,1,-50\nf,6,2026-03-04,MUG,1,10\nf,6,2026-03-04,COUPON,1,-11\n' >w.csv
    expect_exit 2 fidele import orders w.csv
    assert_contains "$OUT" "4 rows: 1 order imported" "the order with its coupon"
    assert_eq "5|200000|5000|195000" "$(sql "SELECT ref || '|' || gross_minor || '|' || json_extract(body, '\$.discount_minor') || '|' || paid_minor FROM orders")" \
        "2 x 1 000,00 less the coupon's 50.00"
    assert_contains "$ERR" "line 4, column 6 (price): the order's rows add up to -1.00, less than zero" \
        "a coupon above the lines"

    # three digits after the only separator, in euros: 4125.00 or 4.125? Refused, never read as
    # thousands; more decimals than the currency has are refused as before; groups are read
    printf 'customer,order_id,date,amount\nd1,D1,2026-03-03,4.125\nd2,D2,2026-03-03,4.1250\nd3,D3,2026-03-03,0.125\nd4,D4,2026-03-03,"1,234.56"\nd5,D5,2026-03-03,"1 234,50"\nd6,D6,2026-03-03,"19,990"\n' >d.csv
    expect_exit 2 fidele import orders d.csv
    assert_contains "$ERR" 'line 2, column 4 (amount): "4.125" is ambiguous: a thousands separator, or 3 decimals where the currency has 2' \
        "4.125 EUR is refused, saying why"
    assert_contains "$ERR" 'line 3, column 4 (amount): more than 2 decimals in "4.1250"' "four decimals"
    assert_contains "$ERR" 'line 4, column 4 (amount): more than 2 decimals in "0.125"' "0.125"
    assert_contains "$ERR" 'line 7, column 4 (amount): "19,990" is ambiguous' "19,990"
    assert_eq "d4|123456 d5|123450" "$(sql "SELECT ref || '|' || spend_minor FROM customers WHERE ref GLOB 'd[0-9]' ORDER BY ref" | tr '\n' ' ' | sed 's/ $//')" \
        "1,234.56 and 1 234,50 are read"
}

# dry_then_real FILE [ARGS...]: a dry run writes nothing, and says what the real run then does:
# the same exit code, the same summary (but for the time taken) and the same errors.
dry_then_real() {
    local before dry_rc dry_out dry_err
    before=$(snapshot)
    expect_exit "${EXPECT_RC:-2}" fidele --json import orders "$@" --dry-run
    dry_rc=$RC dry_out=$(jq -c 'del(.seconds, .rows_per_second, .dry_run)' <<<"$OUT") dry_err=$ERR
    assert_unchanged "$before" "a dry run of $1 writes nothing"
    expect_exit "${EXPECT_RC:-2}" fidele --json import orders "$@"
    assert_eq "$dry_out" "$(jq -c 'del(.seconds, .rows_per_second, .dry_run)' <<<"$OUT")" \
        "$1: the dry run's summary is the real run's"
    assert_eq "$dry_err" "$ERR" "$1: the dry run's errors are the real run's"
    assert_eq "$dry_rc" "$RC" "$1: the same exit code"
}

# --dry-run checks everything the import checks: the currency, the dates, the orders already
# recorded, what only the engine knows (a discount above the lines, a member's orders), the
# limits of a customer's spend.
dry_run_checks_everything() {
    NOW=2026-01-01T00:00:00Z init_db cafe --timezone Etc/UTC
    NOW=2026-03-10T00:00:00Z
    enrol m1 2026-01-02T00:00:00Z
    printf 'customer,order_id,date,amount\nc2,A2,2026-03-03,10.00\n' >c2.csv
    expect_exit 0 fidele import orders c2.csv
    printf 'customer,order_id,date,amount,currency\nc1,A1,2026-03-03,10.00,USD\nc2,A2,2026-03-03,10.00,EUR\nc3,A3,2099-03-03,10.00,EUR\nm1,A4,2026-03-04,12.00,EUR\nc4,A5,2026-03-04,5.00,\n' >c.csv
    dry_then_real c.csv
    check_json "the real run" .orders_imported 2 .orders_already_imported 1 .orders_refused 2 .bad_rows 2
    printf 'customer,order_id,date,sku,quantity,price,discount\nm1,B1,2026-03-05,LATTE,1,3.80,5.00\nm1,B2,2026-03-05,LATTE,2,3.80,\nc5,A2,2026-03-03,X,1,10.00,\n' >d.csv
    dry_then_real d.csv --award
    assert_contains "$ERR" "line 2: /discount_minor: discount 500 is larger than the lines' total 380" \
        "what only the engine refuses"
    check_json "the real run" .orders_imported 1 .orders_already_imported 1 .orders_refused 1
    # a customer's spend may not pass 2^53 - 1 minor units: 91 orders of 10^14
    awk 'BEGIN { print "customer,order_id,date,amount"; for (i = 1; i <= 91; i++)
        printf "big,L%d,2026-03-06,1000000000000.00\n", i }' >big.csv
    dry_then_real big.csv
    assert_contains "$ERR" "line 92, column 4 (amount): the customer's spend would pass" "the 91st"
    # the spend recorded before counts too, whatever the transactions
    dry_then_real big.csv --commit-every 7
    assert_contains "$ERR" "line 92, column 4 (amount): the customer's spend would pass" \
        "the 91st, again"
    assert_eq "90|9000000000000000" "$(sql "SELECT order_count || '|' || spend_minor FROM customers WHERE ref = 'big'")" \
        "the spend stays within 2^53 - 1"
}

# An order dated ahead of the clock (a mistyped year) is refused on both paths, as the engine
# refuses any event more than 5 minutes ahead; 5 minutes ahead is a till's clock running fast.
future_dates() {
    init_db cafe --timezone Etc/UTC
    NOW=2026-03-10T12:00:00Z
    printf 'customer,order_id,date,amount\nc1,F1,2099-03-03,10.00\nc1,F2,2026-03-10 12:05:00,10.00\nc1,F3,2026-03-10 12:05:01,10.00\n' >f1.csv
    expect_exit 2 fidele import orders f1.csv
    assert_contains "$ERR" "line 2, column 3 (date): 2099-03-03 00:00:00+00:00 is ahead of the clock (2026-03-10 12:00:00+00:00): an order may be dated at most 5 minutes ahead" \
        "order-level rows"
    assert_contains "$ERR" "line 4, column 3 (date): 2026-03-10 12:05:01+00:00 is ahead of the clock" "one second past"
    assert_contains "$OUT" "3 rows: 1 order imported" "5 minutes ahead is not refused"
    assert_eq "$(epoch 2026-03-10T12:05:00Z)" "$(sql "SELECT last_order_at FROM customers WHERE ref = 'c1'")" \
        "the future order is not the last one"
    printf 'customer,order_id,date,sku,price\nc2,G1,2099-03-03,X,10.00\n' >f2.csv
    expect_exit 2 fidele import orders f2.csv
    assert_contains "$ERR" "line 2, column 3 (date): 2099-03-03 00:00:00+00:00 is ahead of the clock" \
        "line items say the same"
    expect_exit 2 fidele import orders f1.csv --dry-run
    assert_contains "$ERR" "line 2, column 3 (date): 2099-03-03 00:00:00+00:00 is ahead of the clock" \
        "and so does a dry run"
    # in Paris the message reads as the file was written, in the merchant's time
    NOW=""
    init_db cafe --timezone Europe/Paris
    NOW=2026-03-10T12:00:00Z
    printf 'customer,order_id,date,amount\nc1,P1,2026-03-10 13:05:01,10.00\n' >paris.csv
    expect_exit 2 fidele import orders paris.csv
    assert_contains "$ERR" "line 2, column 3 (date): 2026-03-10 13:05:01+01:00 is ahead of the clock (2026-03-10 13:00:00+01:00)" \
        "a Paris merchant reads Paris times"
}

scenario amount_formats amount_formats
scenario contacts_as_ids contacts_as_ids
scenario contacts_kept contacts_kept
scenario prices_before_tax prices_before_tax
scenario statuses_and_refunds statuses_and_refunds
scenario future_dates future_dates
scenario dry_run_checks_everything dry_run_checks_everything
scenario refused_rows refused_rows
scenario rows_bad_as_a_whole rows_bad_as_a_whole
scenario refused_orders_counted refused_orders_counted
scenario rows_apart rows_apart
scenario generic_csv generic_csv
scenario whitespace_without_ids whitespace_without_ids
scenario shopify_and_woocommerce shopify_and_woocommerce
scenario award_and_dry_run award_and_dry_run
finish
