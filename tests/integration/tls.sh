#!/usr/bin/env bash
# The HTTP API over TLS: `fidele serve --tls-cert --tls-key` answers HTTPS, refuses plain HTTP on
# the same port, and keys work as over HTTP. The certificate is made here with openssl.
. "$(dirname "$0")/lib.sh"

serve_tls() {
    init_db cafe
    expect_exit 0 fidele member add alice
    openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 \
        -subj "/CN=localhost" 2>/dev/null || fail "openssl could not make a certificate"
    expect_exit 0 fidele --json key create --scope read
    local key pid port
    key=$(jq -r .key <<<"$OUT")
    "$FIDELE" --db "$DB" serve --listen 127.0.0.1:0 --ready-file ready --tls-cert cert.pem \
        --tls-key key.pem 2>server.log &
    pid=$!
    for _ in $(seq 100); do [ -s ready ] && break; sleep 0.05; done
    port=$(cut -d: -f2 ready)
    local code
    code=$(curl -sk -o body.json -w '%{http_code}' "https://127.0.0.1:$port/healthz")
    assert_eq 200 "$code" "healthz over HTTPS"
    code=$(curl -sk -o body.json -w '%{http_code}' -H "Authorization: Bearer $key" \
        "https://127.0.0.1:$port/v1/members/alice/balance")
    assert_eq 200 "$code" "an authenticated read over HTTPS"
    assert_eq 20 "$(jq -r .available body.json)" "the balance comes through"
    if curl -s -m 3 -o /dev/null "http://127.0.0.1:$port/healthz"; then
        fail "plain HTTP must not be answered on the TLS port"
    else
        pass
    fi
    expect_exit 2 fidele serve --listen 127.0.0.1:0 --tls-cert cert.pem
    assert_contains "$ERR" "--tls" "a certificate without its key is refused"
    kill -TERM "$pid"
    wait "$pid"
    assert_eq 0 "$?" "the server stops cleanly"
}

scenario serve_tls serve_tls
finish
