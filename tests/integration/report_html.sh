#!/usr/bin/env bash
# The HTML report: self-contained (no script, no external resource), rendered by headless
# Chromium (Debian's package, installed by scripts/bootstrap browser) into a screenshot that is
# kept in $FIDELE_ARTIFACTS (ctest sets it to the build directory's artifacts/).
. "$(dirname "$0")/lib.sh"

"$(dirname "$0")/../../scripts/bootstrap" browser >/dev/null

rendered() {
    NOW=2025-01-01T00:00:00Z init_db cafe --name "Café <Test> & Co"
    local d
    for d in 05 12 19; do
        order "a$d" "2026-01-${d}T08:00:00Z" alice "A$d" "[$(line LATTE coffee 2 380)]"
        order "b$d" "2026-02-${d}T09:00:00Z" bob "B$d" "[$(line BEANS beans 1 1200)]"
    done
    enrol alice 2026-01-02T08:00:00Z
    expect_exit 0 fidele report --from 2026-01-01 --to 2026-03-01 --format html --out report.html
    assert_true "SVG charts are drawn" grep -q '<svg' report.html
    assert_true "nothing external, no script" bash -c "! grep -qiE '<script|https?://|<link|<img' report.html"
    assert_true "the merchant name is escaped" grep -q 'Café &lt;Test&gt; &amp; Co' report.html
    assert_true "participation says what it counts" \
        grep -q '%</div><div class=l>customers active in the loyalty programme</div>' report.html
    assert_true "the redemption rate says of what" \
        grep -q '</div><div class=l>points redeemed out of points earned</div>' report.html
    # every figure of the JSON has its tile: the new customers, vouchers, CLTV, NPS and CSAT too
    local tile
    for tile in "new customers" "vouchers used out of vouchers issued" \
        "customer lifetime value (historical)" "net promoter score" "satisfied customers (CSAT)"; do
        assert_true "a tile for $tile" grep -q "</div><div class=l>$tile</div>" report.html
    done
    local chromium_flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
        --disable-background-networking --disable-component-update --disable-sync
        --user-data-dir="$PWD/chromium-profile")
    timeout 120 chromium "${chromium_flags[@]}" --dump-dom "file://$PWD/report.html" \
        >dom.html 2>/dev/null || fail "chromium could not load the report"
    assert_true "the page renders its charts" grep -q 'Revenue by month' dom.html
    assert_true "the cohort heat map renders" grep -q 'Cohorts' dom.html
    timeout 120 chromium "${chromium_flags[@]}" --window-size=1024,1600 \
        --screenshot="$PWD/report.png" "file://$PWD/report.html" >/dev/null 2>&1 ||
        fail "chromium could not take a screenshot"
    assert_eq 89504e470d0a1a0a "$(head -c 8 report.png | od -An -tx1 | tr -d ' \n')" \
        "the screenshot is a PNG"
    assert_true "the screenshot is not blank" test "$(stat -c %s report.png)" -gt 20000
    if [ -n "${FIDELE_ARTIFACTS:-}" ]; then
        mkdir -p "$FIDELE_ARTIFACTS"
        cp report.png "$FIDELE_ARTIFACTS/report.png"
        cp report.html "$FIDELE_ARTIFACTS/report.html"
    fi
}

# Net of refunds a group's revenue can be below zero: the bar of members and non-members still
# shares 0-100 % and draws no negative width.
refund_beyond_revenue() {
    NOW=2025-11-01T00:00:00Z init_db cafe --timezone Etc/UTC
    order n1 2025-12-02T08:00:00Z walkin N1 "[$(line BEANS beans 1 2000)]"
    enrol ann 2026-01-01T08:00:00Z
    order m1 2026-01-05T08:00:00Z ann M1 "[$(line BEANS beans 1 3000)]"
    post "$(refund_json r1 2026-01-06T08:00:00Z N1 '"lines":[{"sku":"BEANS","quantity":1}]')"
    NOW=2026-03-01T00:00:00Z expect_exit 0 fidele report --from 2026-01-01 --to 2026-02-01 --format html --out r.html
    assert_true "no negative width" bash -c "! grep -q 'width=-' r.html"
    assert_true "members 100 %" grep -q 'members: €30.00 (100%)' r.html
    assert_true "non-members 0 %" grep -q 'non-members: -€20.00 (0%)' r.html
    assert_true "a month's revenue in money" grep -q '<title>2026-01: €10.00</title>' r.html
    assert_true "the period in words" grep -q 'Loyalty report, 1 January 2026 to 31 January 2026' r.html
}

# A French merchant's report speaks French and writes amounts as French readers do.
in_french() {
    NOW=2025-11-01T00:00:00Z init_db cafe --timezone Etc/UTC --locale fr
    enrol ann 2026-01-01T08:00:00Z
    order m1 2026-01-05T08:00:00Z ann M1 "[$(line BEANS beans 1 123456)]"
    order n1 2026-01-06T08:00:00Z walkin N1 "[$(line BEANS beans 1 2000)]"
    NOW=2026-03-01T00:00:00Z expect_exit 0 fidele report --from 2026-01-01 --to 2026-02-01 --format html --out r.html
    # ICU's French: thousands by a narrow no-break space, the euro sign after a no-break space
    local thin=$'\xe2\x80\xaf' nb=$'\xc2\xa0'
    assert_true "the page's language" grep -q '<html lang=fr>' r.html
    assert_true "the revenue in euros, French style" \
        grep -q "1${thin}254,56${nb}€</div><div class=l>chiffre d'affaires" r.html
    assert_true "members' share and average order" \
        grep -q "membres : 1${thin}234,56${nb}€ (98${thin}%), panier moyen 1${thin}234,56${nb}€" r.html
    assert_true "a rate" grep -q "0,0${thin}%</div><div class=l>taux de réachat" r.html
    assert_true "participation says what it counts, in French" \
        grep -q "${thin}%</div><div class=l>clients actifs dans le programme de fidélité</div>" r.html
    assert_true "the redemption rate says of what, in French" \
        grep -q "</div><div class=l>points utilisés sur les points gagnés</div>" r.html
    assert_true "a month's revenue" grep -q "<title>2026-01: 1${thin}254,56${nb}€</title>" r.html
    assert_true "lifecycle stages named" grep -q '>nouveaux</text>' r.html
    assert_true "the period in words, its last day included" \
        grep -q 'Rapport de fidélité, du 1er janvier 2026 au 31 janvier 2026' r.html
    assert_true "custom segments by their names" grep -q '>Habitués du matin</text>' r.html
    assert_true "the day segments are counted at" grep -q 'Segments au 31 janvier 2026' r.html
    # a period not over yet: the stages now, not at its end ahead of the clock
    NOW=2026-01-20T12:00:00Z expect_exit 0 fidele report --from 2026-01-01 --to 2026-02-01 --format html --out s.html
    assert_true "segments of a period not over, at today" grep -q 'Segments au 20 janvier 2026' s.html
}

scenario rendered rendered
scenario refund_beyond_revenue refund_beyond_revenue
scenario in_french in_french
finish
