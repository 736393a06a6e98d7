#!/usr/bin/env bash
# The query plans of the per-customer work: enrolments, orders, refunds, redemptions, look-ups by
# e-mail, phone or card, a member's vouchers and ledger, VIP payments and refunds. Each statement
# they run must seek what it needs, never read the merchant's rows one by one: without
# statistics SQLite may pick an index by merchant alone over one that holds the customer, which
# made 100,000 enrolments take 700 s instead of 2 once each checked its e-mail. The plans come
# from the binary itself (FIDELE_SQL_PLANS), and SQLite's choice here does not depend on the
# database's size (it keeps no statistics), so a small database shows a large one's plans.
# `member find`, a search by part of a name or e-mail, reads every customer: it is one.
. "$(dirname "$0")/lib.sh"

# whole_merchant_plans FILE: the plan steps that read every row of the merchant, or every row,
# with their statements; Bloom filters too, which a join may build of every row (one in a
# recursive query's step was built again at each step). MIN and MAX over an index read one end
# of it, not a scan; the tables of merchants, their programme's versions, API keys and the
# journal's one row are small, and so is the schema's catalogue.
whole_merchant_plans() {
    awk -F'\t' '
        $2 ~ /^(SCAN|SEARCH) (merchants|programs|api_keys|customer_journal_folds|sqlite_schema)( |$)/ { next }
        $2 ~ /^SCAN (CONSTANT ROW|[0-9]+ CONSTANT ROWS|\(subquery-[0-9]+\)|chain)/ { next }
        $2 ~ /^SCAN / { print $2 " <- " substr($3, 1, 200); next }
        $2 ~ /^BLOOM FILTER/ { print $2 " <- " substr($3, 1, 200); next }
        $2 ~ /^SEARCH [a-z_]+ USING (COVERING )?(INDEX [a-z_0-9]+|PRIMARY KEY) \(merchant_id=\?\)$/ {
            if ($2 ~ /COVERING/ && $3 ~ /(MAX|MIN)\(/) next
            print $2 " <- " substr($3, 1, 200)
        }' "$1" | sort -u
}

per_customer_work_seeks() {
    local NOW=2026-06-01T00:00:00Z
    init_db ecommerce
    # a few customers besides: a scan would have rows to read
    enrol other1 2026-01-01T09:00:00Z '"email":"o1@example.org","phone":"+33612345001"'
    enrol other2 2026-01-01T09:00:00Z '"email":"o2@example.org","phone":"+33612345002"'
    order o0 2026-01-02T10:00:00Z other1 O0 "[$(line BOOK books 1 2500)]"
    export FIDELE_SQL_PLANS="$PWD/plans.txt"
    enrol uma 2026-03-01T09:00:00Z '"email":"uma@example.org","phone":"+33612345678"'
    order o1 2026-03-02T10:00:00Z uma O1 "[$(line BOOK books 2 25000)]"
    order o2 2026-03-03T10:00:00Z uma O2 "[$(line PEN office 1 1500)]"
    post "$(refund_json f1 2026-03-04T10:00:00Z O2 '"amount_minor":500')"
    post '{"type":"adjustment","key":"j0","at":"2026-03-05T09:00:00Z","customer":"uma","points":2000,"reason":"gift","author":"manager"}'
    post '{"type":"redeem","key":"r1","at":"2026-03-05T10:00:00Z","customer":"uma","reward":"ten-off"}'
    local code
    code=$(jq -r '.[0].vouchers[0].code' <<<"$OUT")
    post "{\"type\":\"voucher_use\",\"key\":\"u1\",\"at\":\"2026-03-06T10:00:00Z\",\"code\":\"$code\",\"order_id\":\"O3\"}"
    post '{"type":"vip_payment","key":"vip1","at":"2026-03-10T10:00:00Z","customer":"uma","plan":"club","amount_minor":4900,"periods":1}'
    post '{"type":"vip_refund","key":"vr1","at":"2026-03-11T10:00:00Z","customer":"uma","payment":"vip1","amount_minor":4900}'
    post '{"type":"adjustment","key":"j1","at":"2026-03-12T10:00:00Z","customer":"uma","points":7,"reason":"goodwill","author":"manager"}'
    expect_exit 0 fidele member show uma@example.org
    expect_exit 0 fidele member show "+33 6 12 34 56 78"
    expect_exit 0 fidele balance uma
    expect_exit 0 fidele ledger uma
    expect_exit 0 fidele voucher list uma
    expect_exit 0 fidele voucher show "$code"
    expect_exit 2 fidele --json event post - <<<'{"type":"enrol","key":"e2","at":"2026-03-13T10:00:00Z","customer":"eve","email":"uma@example.org"}'
    expect_exit 0 fidele run-due
    unset FIDELE_SQL_PLANS
    [ -s plans.txt ] || fail "no query plan was written"
    assert_eq "" "$(whole_merchant_plans plans.txt)" "per-customer work reads no merchant's rows one by one"
}

# The check above can fail: a statement that filters by customer through an index by merchant
# alone is named.
the_check_names_a_scan() {
    init_db cafe
    printf 'PLAN\tSEARCH vouchers USING PRIMARY KEY (merchant_id=?)\tSELECT code FROM vouchers WHERE merchant_id = ? AND customer_id = ?\n' >p.txt
    printf 'PLAN\tSEARCH customers USING COVERING INDEX sqlite_autoindex_customers_1 (merchant_id=?)\tSELECT COALESCE(MAX(id), 0) FROM customers WHERE merchant_id = ?\n' >>p.txt
    printf 'PLAN\tSCAN customers\tSELECT ref FROM customers\n' >>p.txt
    printf 'PLAN\tBLOOM FILTER ON l (merchant_id=? AND id=?)\tWITH RECURSIVE chain\n' >>p.txt
    assert_eq "BLOOM FILTER ON l (merchant_id=? AND id=?) <- WITH RECURSIVE chain
SCAN customers <- SELECT ref FROM customers
SEARCH vouchers USING PRIMARY KEY (merchant_id=?) <- SELECT code FROM vouchers WHERE merchant_id = ? AND customer_id = ?" \
        "$(whole_merchant_plans p.txt)" "scans named, an index's end not"
}

scenario per_customer_work_seeks per_customer_work_seeks
scenario the_check_names_a_scan the_check_names_a_scan
finish
