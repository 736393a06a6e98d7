#!/usr/bin/env bash
# Phone numbers typed in national form are read in the merchant's country, the one of its time
# zone: kept in international form, and found by either form. A number that is not one of that
# country is refused naming the field (exit 2), and nothing is written; a merchant whose zone
# names no country (UTC) takes international numbers only.
. "$(dirname "$0")/lib.sh"

national_numbers_in_paris() {
    NOW=2026-03-01T09:00:00Z
    init_db cafe --timezone Europe/Paris
    expect_exit 0 fidele --json member add lea --phone "06 12 34 56 78"
    expect_exit 0 fidele --json member show lea
    assert_json .phone "+33612345678" "kept in international form"
    expect_exit 0 fidele --json member find "06 12 34 56 78"
    assert_json '[.[].id] | join(",")' lea "found by the national form"
    expect_exit 0 fidele --json member find "06.12.34.56.78"
    assert_json '[.[].id] | join(",")' lea "found by the national form with dots"
    expect_exit 0 fidele --json member find "+33 6 12 34 56 78"
    assert_json '[.[].id] | join(",")' lea "found by the international form"
    expect_exit 0 fidele --json member show "0033 6 12 34 56 78"
    assert_json .id lea "shown by the international form with 00"
    expect_exit 0 fidele --json member add max --phone "01.23.45.67.89"
    expect_exit 0 fidele --json member show max
    assert_json .phone "+33123456789" "a landline with dots"
    # the trunk prefix kept after the country code, as many type it
    expect_exit 0 fidele --json member add noa --phone "+33 07 12 34 56 78"
    expect_exit 0 fidele --json member show noa
    assert_json .phone "+33712345678" "the 0 after +33 goes"
    expect_exit 0 fidele --json member find "07 12 34 56 78"
    assert_json '[.[].id] | join(",")' noa "found by the national form"
}

invalid_numbers_are_refused() {
    NOW=2026-03-01T09:00:00Z
    init_db cafe --timezone Europe/Paris
    local before
    before=$(snapshot)
    expect_exit 2 fidele member add lea --phone "06 12 34 56"
    assert_stderr_names "/phone"
    assert_contains "$ERR" "a number of FR such as 06 12 34 56 78 or +33612345678" \
        "the message shows a number of the country"
    expect_exit 2 fidele member add lea --phone "06 12 AB 56 78"
    assert_stderr_names "/phone"
    post_fails 2 '{"type":"enrol","key":"e-1","customer":"lea","phone":"06 12 34 56 78 90"}'
    assert_stderr_names "/phone"
    assert_unchanged "$before" "nothing written"
}

no_country_in_utc() {
    NOW=2026-03-01T09:00:00Z
    init_db cafe --timezone Etc/UTC
    local before
    before=$(snapshot)
    expect_exit 2 fidele member add lea --phone "06 12 34 56 78"
    assert_stderr_names "/phone"
    assert_contains "$ERR" "international form" "asks for the international form"
    assert_unchanged "$before" "nothing written"
    expect_exit 0 fidele --json member add lea --phone "0033 6 12 34 56 78"
    expect_exit 1 fidele --json member find "06 12 34 56 78"
    expect_exit 0 fidele --json member find "+33612345678"
    assert_json '[.[].id] | join(",")' lea "found by the international form"
}

# Another country, another trunk prefix: London's 0, New York's area codes.
other_countries() {
    NOW=2026-03-01T09:00:00Z
    init_db cafe --timezone Europe/London --currency GBP
    expect_exit 0 fidele --json member add ann --phone "07700 900123"
    expect_exit 0 fidele --json member show ann
    assert_json .phone "+447700900123" "a British mobile"
    init_db cafe --timezone America/New_York --currency USD
    expect_exit 0 fidele --json member add bob --phone "(415) 555-0123"
    expect_exit 0 fidele --json member show "415-555-0123"
    check_json "an American number" .id bob .phone "+14155550123"
    expect_exit 2 fidele member add cy --phone "555-0123"
    assert_stderr_names "/phone"
}

# Numbers pasted with no-break spaces (French typography puts a narrow one between pairs of
# digits) or typed with full-width digits are the same number: kept and found as such.
pasted_spaces_and_digits() {
    NOW=2026-03-01T09:00:00Z
    init_db cafe --timezone Europe/Paris
    expect_exit 0 fidele --json member add lea --phone $'06\u202f12\u202f34\u202f56\u202f78'
    expect_exit 0 fidele --json member show lea
    assert_json .phone "+33612345678" "narrow no-break spaces: kept in international form"
    expect_exit 0 fidele --json member find $'06\u00a012\u00a034\u00a056\u00a078'
    assert_json '[.[].id] | join(",")' lea "found by the national form with no-break spaces"
    expect_exit 0 fidele --json member find $'\uff10\uff16\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18'
    assert_json '[.[].id] | join(",")' lea "found by full-width digits"
    post '{"type":"enrol","key":"enrol:max","customer":"max","phone":"01\u00a023\u00a045\u00a067\u00a089"}'
    expect_exit 0 fidele --json member show max
    assert_json .phone "+33123456789" "an enrolment event with no-break spaces"
}

scenario national_numbers_in_paris national_numbers_in_paris
scenario pasted_spaces_and_digits pasted_spaces_and_digits
scenario invalid_numbers_are_refused invalid_numbers_are_refused
scenario no_country_in_utc no_country_in_utc
scenario other_countries other_countries
finish
