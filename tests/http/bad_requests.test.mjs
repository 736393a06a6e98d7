// Requests the server must refuse, each with an RFC 9457 problem and nothing written: malformed
// and truncated bodies, bodies over --body-limit, the wrong media type, unknown routes and
// methods, missing or bad keys, scopes, batches over --batch-limit; and a client too slow for
// --timeout, which is cut off while the server keeps serving others.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
    daysAgo,
    expectProblem,
    expectStatus,
    rawExchange,
    rawHead,
    startServer,
    useServer,
    validateResponse,
} from "./harness.mjs";

const BODY_LIMIT = 8192;
const BATCH_LIMIT = 5;

// The answers of a raw exchange, each as call() returns it: {status, headers, body, text}.
const rawAnswers = (data) => {
    const out = [];
    for (let rest = data; rest.startsWith("HTTP/"); ) {
        const end = rest.indexOf("\r\n\r\n");
        const lines = rest.slice(0, end).split("\r\n");
        const headers = new Headers();
        for (const l of lines.slice(1)) headers.append(l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trim());
        const length = Number(headers.get("content-length") ?? 0);
        const text = rest.slice(end + 4, end + 4 + length);
        const body = /json/.test(headers.get("content-type") ?? "") && text ? JSON.parse(text) : undefined;
        out.push({ status: Number(lines[0].split(" ")[1]), headers, body, text });
        rest = rest.slice(end + 4 + length);
    }
    return out;
};

const order = (id, extra = {}) => ({
    type: "order",
    customer: "bea",
    order_id: id,
    at: daysAgo(1),
    lines: [{ sku: "ESPRESSO", category: "coffee", quantity: 1, unit_price_minor: 250 }],
    ...extra,
});

describe("bad requests", () => {
    const h = useServer({
        serveArgs: ["--body-limit", String(BODY_LIMIT), "--batch-limit", String(BATCH_LIMIT)],
    });
    const balance = async () =>
        expectStatus(await h.server.call("GET", "/v1/members/bea/balance", { key: "readA" }), 200).body;
    const ledgerKeys = async () =>
        expectStatus(
            await h.server.call("GET", "/v1/members/bea/ledger", { key: "readA" }),
            200,
        ).body.entries.map((e) => e.event_key);

    it("setup: a member", async () => {
        expectStatus(
            await h.server.call("POST", "/v1/members", {
                key: "posA",
                body: { id: "bea", at: daysAgo(1, "07:00") },
            }),
            201,
        );
        assert.equal((await balance()).available, 20);
    });

    describe("bodies", () => {
        it("malformed JSON is 400 malformed-json", async () => {
            for (const text of ['{"type": "order",', "{'type': 1}", "[1, 2", "nul", "{} {}"]) {
                const res = await h.server.call("POST", "/v1/events", {
                    key: "posA",
                    headers: { "Content-Type": "application/json", "Idempotency-Key": "bad-json" },
                    body: text,
                });
                const p = expectProblem(res, 400, "malformed-json");
                assert.equal(p.instance, "/v1/events");
                // the position is no field (a pointer, parameter or header): the detail says it
                assert.equal(p.field, undefined, text);
                assert.match(p.detail, /^malformed JSON at line \d+ column \d+: ./, text);
            }
            assert.equal((await balance()).available, 20);
        });

        it("an integer beyond 64 bits is valid JSON: 422 naming its pointer, as a value out of range", async () => {
            const text = JSON.stringify(order("B-huge")).replace('"unit_price_minor":250', '"unit_price_minor":HUGE');
            const huge = (n) =>
                h.server.call("POST", "/v1/events", {
                    key: "posA",
                    headers: { "Content-Type": "application/json", "Idempotency-Key": "huge" },
                    body: text.replace("HUGE", n),
                });
            const out = expectProblem(await huge("100000000000001"), 422, "invalid-input");
            assert.equal(out.field, "/lines/0/unit_price_minor");
            assert.match(out.detail, /^100000000000001 is out of range/);
            for (const n of ["99999999999999999999999", "-99999999999999999999999", "9223372036854775808", "1e999"]) {
                const p = expectProblem(await huge(n), 422, "invalid-input");
                assert.equal(p.field, "/lines/0/unit_price_minor", n);
                assert.equal(p.detail, `${n} is out of range (${n[0] === "-" ? "smaller" : "larger"} than any field takes)`);
            }
            const p = expectProblem(
                await h.server.call("POST", "/v1/events/batch", {
                    key: "posA",
                    headers: { "Content-Type": "application/json", "Idempotency-Key": "huge-batch" },
                    body: `{"events":[${text.replace("HUGE", "250")},${text.replace("HUGE", "99999999999999999999999")}]}`,
                }),
                422,
                "invalid-input",
            );
            assert.equal(p.field, "/events/1/lines/0/unit_price_minor");
            assert.ok(!(await ledgerKeys()).includes("huge"));
        });

        it("an empty body where JSON is expected is 400", async () => {
            const res = await h.server.call("POST", "/v1/members", {
                key: "posA",
                headers: { "Content-Type": "application/json" },
                body: "",
            });
            expectProblem(res, 400, "malformed-json");
        });

        it("a body that is JSON but not an event object is 422 naming the field", async () => {
            let p = expectProblem(
                await h.server.call("POST", "/v1/events", {
                    key: "posA",
                    headers: { "Idempotency-Key": "arr" },
                    body: [1],
                }),
                422,
                "invalid-input",
            );
            assert.equal(p.field, ""); // the whole body (RFC 6901)
            p = expectProblem(
                await h.server.call("POST", "/v1/events", {
                    key: "posA",
                    headers: { "Idempotency-Key": "neg" },
                    body: order("B-neg", { lines: [{ sku: "X", quantity: 0, unit_price_minor: 250 }] }),
                }),
                422,
                "invalid-input",
            );
            assert.equal(p.field, "/lines/0/quantity");
            p = expectProblem(
                await h.server.call("POST", "/v1/events", {
                    key: "posA",
                    headers: { "Idempotency-Key": "unk" },
                    body: order("B-unk", { colour: "red" }),
                }),
                422,
                "invalid-input",
            );
            assert.equal(p.field, "/colour");
            assert.equal((await balance()).available, 20);
        });

        it('a body that is no object is named by the pointer "" (the whole document), not "/"', async () => {
            // RFC 6901: "" is the whole document, "/" a member whose name is empty
            for (const [method, url, key, body] of [
                ["POST", "/v1/events", "posA", []],
                ["PATCH", "/v1/members/bea", "posA", [1]],
                ["POST", "/v1/members", "posA", [{ id: "whole" }]],
                ["POST", "/v1/keys", "adminA", []],
                ["PUT", "/v1/program", "adminA", []],
                ["POST", "/v1/events/batch", "posA", [order("B-top")]],
                ["POST", "/v1/members/bea/redemptions", "posA", [1]],
            ]) {
                const p = expectProblem(
                    await h.server.call(method, url, { key, headers: { "Idempotency-Key": "whole" }, body }),
                    422,
                    "invalid-input",
                );
                assert.equal(p.field, "", `${method} ${url}`);
            }
            const p = expectProblem(
                await h.server.call("POST", "/v1/events/batch", { key: "posA", body: { events: {} } }),
                422,
                "invalid-input",
            );
            assert.equal(p.field, "/events");
            const res = await h.server.call("POST", "/v1/events/batch", {
                key: "posA",
                headers: { "Idempotency-Key": "whole-batch" },
                body: { events: [1] },
            });
            // a result's field points into its event: the whole of it
            assert.equal(res.body.results[0].error.field, "", res.text);
            assert.ok(!(await ledgerKeys()).includes("whole"));
        });

        it(`a body over --body-limit (${BODY_LIMIT} bytes) is 413 and applies nothing`, async () => {
            const big = order("B-big", {
                lines: Array.from({ length: 200 }, (_, i) => ({
                    sku: `SKU-${i}`,
                    category: "coffee",
                    quantity: 1,
                    unit_price_minor: 250,
                })),
            });
            assert.ok(JSON.stringify(big).length > BODY_LIMIT);
            const res = await h.server.call("POST", "/v1/events", {
                key: "posA",
                headers: { "Idempotency-Key": "big-1" },
                body: big,
            });
            const p = expectProblem(res, 413, "body-too-large");
            assert.match(p.detail, new RegExp(String(BODY_LIMIT)));
            assert.ok(!(await ledgerKeys()).includes("big-1"));
        });

        it("a chunked body over --body-limit is 413 too", async () => {
            const chunk = "x".repeat(4000);
            const pieces = [
                rawHead("POST", "/v1/events", {
                    Authorization: `Bearer ${h.server.keys.posA}`,
                    "Content-Type": "application/json",
                    "Idempotency-Key": "big-2",
                    "Transfer-Encoding": "chunked",
                    Connection: "close",
                }),
            ];
            for (let i = 0; i < 4; i++) pieces.push(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
            pieces.push("0\r\n\r\n");
            const r = await rawExchange(h.server, pieces, { timeoutMs: 5000 });
            assert.match(r.data, /^HTTP\/1\.1 413 /, r.data);
            assert.match(r.data, /application\/problem\+json/);
        });

        it("a body declared over the limit is 413 before it is sent (Expect: 100-continue)", async () => {
            const head = rawHead("POST", "/v1/events", {
                Authorization: `Bearer ${h.server.keys.posA}`,
                "Content-Type": "application/json",
                "Idempotency-Key": "big-3",
                "Content-Length": String(64 * 1024 * 1024),
                Expect: "100-continue",
            });
            const r = await rawExchange(h.server, [head], { timeoutMs: 5000 });
            assert.match(r.data, /^HTTP\/1\.1 413 /, r.data);
            assert.doesNotMatch(r.data, /100 Continue/);
            assert.ok(r.closedByServer, "the connection is closed");
        });

        it("a body sent to a route that takes none is dropped, however long: never 413", async () => {
            const auth = { Authorization: `Bearer ${h.server.keys.readA}` };
            const big = "x".repeat(BODY_LIMIT + 100);
            // declared over the limit: answered at once, without reading it (as a POST's 413 is),
            // and the connection closes (what is left of the body is no next request)
            for (const url of ["/v1/members/bea", "/healthz", "/v1/members/bea/ledger"]) {
                const head = rawHead("GET", url, {
                    ...auth,
                    "Content-Length": String(64 * 1024 * 1024),
                    Expect: "100-continue",
                });
                const r = await rawExchange(h.server, [head], { timeoutMs: 5000 });
                assert.doesNotMatch(r.data, /100 Continue/);
                const [res, ...more] = rawAnswers(r.data);
                assert.equal(res?.status, 200, r.data);
                validateResponse("GET", url, res);
                assert.equal(more.length, 0, r.data);
                assert.ok(r.closedByServer, `${url}: the connection is closed`);
            }
            // in chunks: read to its end and dropped, however long
            const chunked = rawHead("GET", "/v1/members/bea", { ...auth, "Transfer-Encoding": "chunked" });
            let r = await rawExchange(
                h.server,
                [chunked, `${big.length.toString(16)}\r\n${big}\r\n`, "0\r\n\r\n"],
                { timeoutMs: 5000 },
            );
            assert.deepEqual(rawAnswers(r.data).map((a) => a.status), [200], r.data);
            validateResponse("GET", "/v1/members/bea", rawAnswers(r.data)[0]);
            // up to the limit: read, dropped, and the connection serves the next request
            const small = "x".repeat(BODY_LIMIT);
            const head = rawHead("GET", "/v1/members/bea", { ...auth, "Content-Length": String(small.length) });
            r = await rawExchange(h.server, [head + small + rawHead("GET", "/v1/members/bea", auth)], {
                timeoutMs: 1500,
            });
            const answers = rawAnswers(r.data);
            assert.deepEqual(answers.map((a) => a.status), [200, 200], r.data);
            for (const a of answers) validateResponse("GET", "/v1/members/bea", a);
            // DELETE takes none either: the key's absence is what it is told
            const res = await h.server.call("DELETE", "/v1/keys/nosuchkey", {
                key: "adminA",
                headers: { "Content-Type": "application/json" },
                body: big,
            });
            expectProblem(res, 404, "not-found");
        });

        it("two different Content-Length headers are 400 and close the connection", async () => {
            // a proxy in front may have framed the body by the other one (RFC 9112, section 6.3)
            const body = JSON.stringify({ id: "smuggled" });
            const head =
                "POST /v1/members HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                `Authorization: Bearer ${h.server.keys.posA}\r\nIdempotency-Key: cl-1\r\n` +
                `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nContent-Length: 5\r\n\r\n`;
            const r = await rawExchange(h.server, [head + body], { timeoutMs: 5000 });
            assert.match(r.data, /^HTTP\/1\.1 400 /, r.data);
            assert.match(r.data, /application\/problem\+json/);
            assert.ok(r.closedByServer, "the connection is closed");
            expectProblem(await h.server.call("GET", "/v1/members/smuggled", { key: "readA" }), 404, "not-found");
        });

        it("Content-Length beside Transfer-Encoding is 400 and closes the connection", async () => {
            // a proxy in front may have framed the body by the length (RFC 9112, section 6.1)
            const body = JSON.stringify({ ...order("B-te"), customer: "bea" });
            const head =
                "POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                `Authorization: Bearer ${h.server.keys.posA}\r\nIdempotency-Key: te-1\r\n` +
                "Content-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n";
            const chunked = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
            const next = rawHead("GET", "/v1/members/bea", { Authorization: `Bearer ${h.server.keys.readA}` });
            const r = await rawExchange(h.server, [head + chunked, next], { gapMs: 300, timeoutMs: 5000 });
            assert.match(r.data, /^HTTP\/1\.1 400 /, r.data);
            assert.match(r.data, /application\/problem\+json/);
            assert.match(r.data, /both Content-Length and Transfer-Encoding/);
            assert.equal((r.data.match(/HTTP\/1\.1 /g) ?? []).length, 1, `one answer only: ${r.data}`);
            assert.ok(r.closedByServer, "the connection is closed");
            assert.ok(!(await ledgerKeys()).includes("te-1"));
        });

        it("a header name with a space before its colon, or folded onto the line before, is 400 and closes", async () => {
            // RFC 9112, sections 5.1 and 5.2: the library read such a Content-Length as no header,
            // answered a bodiless request, then ran the body as a second request (smuggling)
            const event = JSON.stringify({ type: "survey_answer", customer: "bea", survey: "nps", score: 9 });
            for (const [i, framing] of [
                `Content-Length : ${0}`,
                `Content-Length\t: ${0}`,
                `X-A: 1\r\n Content-Length: ${0}`,
                `Transfer-Encoding : chunked\r\nContent-Length: ${0}`,
            ].entries()) {
                const inner =
                    "POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                    `Authorization: Bearer ${h.server.keys.posA}\r\nIdempotency-Key: smuggled-${i}\r\n` +
                    `Content-Type: application/json\r\nContent-Length: ${event.length}\r\n\r\n${event}`;
                const head =
                    "POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                    `Authorization: Bearer ${h.server.keys.posA}\r\nIdempotency-Key: outer-${i}\r\n` +
                    `Content-Type: application/json\r\n${framing.replace("0", String(inner.length))}\r\n\r\n`;
                const r = await rawExchange(h.server, [head + inner], { timeoutMs: 5000 });
                assert.match(r.data, /^HTTP\/1\.1 400 /, `${framing}: ${r.data}`);
                assert.match(r.data, /application\/problem\+json/);
                assert.match(r.data, /header's name/);
                assert.equal((r.data.match(/HTTP\/1\.1 /g) ?? []).length, 1, `one answer only: ${r.data}`);
                assert.ok(r.closedByServer, `${framing}: the connection is closed`);
                const keys = await ledgerKeys();
                assert.ok(!keys.includes(`smuggled-${i}`) && !keys.includes(`outer-${i}`));
                expectProblem(
                    await h.server.call("GET", `/v1/events/smuggled-${i}`, { key: "readA" }),
                    404,
                    "not-found",
                );
            }
        });

        it("a Transfer-Encoding other than one chunked is 400 and closes the connection", async () => {
            // the body's end is unknown (RFC 9112, section 6.3): the library would read it until
            // the connection closed, and the client wait for an answer until the timeout
            const body = JSON.stringify({ id: "te-odd" });
            const chunked = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
            for (const [te, version] of [
                ["identity", "1.1"],
                ["gzip, chunked", "1.1"],
                ["chunked, chunked", "1.1"],
                ["chunked, identity", "1.1"],
                ["gzip", "1.1"],
                ["", "1.1"],
                ["chunked", "1.0"],
                // the library keeps the spaces after a value, and would not read "chunked " by
                // chunks: refused rather than left hanging
                ["chunked ", "1.1"],
                ["chunked\t", "1.1"],
            ]) {
                const head =
                    `POST /v1/members HTTP/${version}\r\nHost: 127.0.0.1\r\n` +
                    `Authorization: Bearer ${h.server.keys.posA}\r\nIdempotency-Key: te-odd\r\n` +
                    `Content-Type: application/json\r\nTransfer-Encoding: ${te}\r\n\r\n`;
                const r = await rawExchange(h.server, [head + chunked], { timeoutMs: 5000 });
                assert.match(r.data, /^HTTP\/1\.[01] 400 /, `${te} ${version}: ${r.data}`);
                assert.match(r.data, /application\/problem\+json/);
                assert.match(r.data, /Transfer-Encoding/);
                assert.ok(r.closedByServer, `${te}: the connection is closed`);
                assert.ok(r.closedAtMs < 4000, `${te}: answered at once`);
            }
            // two headers are one list ("gzip, chunked")
            const two =
                "POST /v1/members HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                `Authorization: Bearer ${h.server.keys.posA}\r\nIdempotency-Key: te-odd\r\n` +
                "Content-Type: application/json\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n";
            const r = await rawExchange(h.server, [two + chunked], { timeoutMs: 5000 });
            assert.match(r.data, /^HTTP\/1\.1 400 /, r.data);
            assert.ok(r.closedByServer, "the connection is closed");
            expectProblem(await h.server.call("GET", "/v1/members/te-odd", { key: "readA" }), 404, "not-found");
            // one chunked, in any case and with spaces before it, is read
            for (const [i, te] of ["chunked", "CHUNKED", "Chunked", " chunked", "\t chunked"].entries()) {
                const b = JSON.stringify({ id: `te-ok-${i}` });
                const head =
                    "POST /v1/members HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                    `Authorization: Bearer ${h.server.keys.posA}\r\nIdempotency-Key: te-ok-${i}\r\n` +
                    `Content-Type: application/json\r\nTransfer-Encoding:${te}\r\nConnection: close\r\n\r\n`;
                const ok = await rawExchange(h.server, [head + `${b.length.toString(16)}\r\n${b}\r\n0\r\n\r\n`], {
                    timeoutMs: 5000,
                });
                assert.match(ok.data, /^HTTP\/1\.1 201 /, `${JSON.stringify(te)}: ${ok.data}`);
            }
        });

        it("a body member the route sets, or a batch member it does not know, is 422 naming it", async () => {
            const before = await balance();
            const cases = [
                ["/v1/members/bea/redemptions", { reward: "pastry", customer: "twin-1" }, "/customer"],
                ["/v1/members/bea/redemptions", { reward: "pastry", type: "adjustment" }, "/type"],
                ["/v1/members", { id: "route-1", customer: "other" }, "/customer"],
                ["/v1/members", { id: "route-1", type: "order" }, "/type"],
                ["/v1/events/batch", { events: [{ ...order("B-dry"), key: "dry-1" }], dry_run: true }, "/dry_run"],
            ];
            for (const [url, body, field] of cases) {
                const p = expectProblem(
                    await h.server.call("POST", url, { key: "posA", headers: { "Idempotency-Key": "route-1" }, body }),
                    422,
                    "invalid-input",
                );
                assert.equal(p.field, field, `${url} ${JSON.stringify(body)}`);
            }
            assert.deepEqual(await balance(), before);
            assert.ok(!(await ledgerKeys()).some((k) => k === "dry-1" || k === "route-1"));
            expectProblem(await h.server.call("GET", "/v1/members/route-1", { key: "readA" }), 404, "not-found");
        });

        it("an HTTP/1.1 request without Host, or with two, is 400 problem+json; HTTP/1.0 needs none", async () => {
            const auth = `Authorization: Bearer ${h.server.keys.readA}\r\n`;
            for (const [head, detail] of [
                [`GET /v1/members/bea HTTP/1.1\r\n${auth}\r\n`, /needs a Host header/],
                [`GET /v1/members/bea HTTP/1.1\r\nHost: a\r\nHost: b\r\n${auth}\r\n`, /more than one Host/],
            ]) {
                const r = await rawExchange(h.server, [head], { timeoutMs: 5000 });
                assert.match(r.data, /^HTTP\/1\.1 400 /, r.data);
                assert.match(r.data, /Content-Type: application\/problem\+json/i);
                const p = JSON.parse(r.data.slice(r.data.indexOf("\r\n\r\n") + 4));
                assert.equal(p.status, 400);
                assert.match(p.detail, detail);
                assert.ok(r.closedByServer, "the connection is closed");
            }
            const r = await rawExchange(h.server, [`GET /v1/members/bea HTTP/1.0\r\n${auth}\r\n`], { timeoutMs: 5000 });
            assert.match(r.data, /^HTTP\/1\.[01] 200 /, r.data);
        });

        it("a single-valued header given twice is 400 naming it, and nothing is written", async () => {
            const body = JSON.stringify(order("B-twice"));
            const pos = `Authorization: Bearer ${h.server.keys.posA}\r\n`;
            const read = `Authorization: Bearer ${h.server.keys.readA}\r\n`;
            const json = "Content-Type: application/json\r\n";
            const post = (headers) =>
                `POST /v1/events HTTP/1.1\r\nHost: a\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
            for (const [request, name] of [
                [post(`${pos}${json}Idempotency-Key: twice-1\r\nIdempotency-Key: twice-2\r\n`), "Idempotency-Key"],
                [post(`${pos}${read}${json}Idempotency-Key: twice-1\r\n`), "Authorization"],
                [post(`${pos}${json}content-type: text/plain\r\nIdempotency-Key: twice-1\r\n`), "Content-Type"],
            ]) {
                const r = await rawExchange(h.server, [request], { timeoutMs: 5000 });
                assert.match(r.data, /^HTTP\/1\.1 400 /, r.data);
                const p = JSON.parse(r.data.slice(r.data.indexOf("\r\n\r\n") + 4));
                assert.equal(p.detail, `the request has more than one ${name} header`);
            }
            assert.ok(!(await ledgerKeys()).some((k) => k === "twice-1" || k === "twice-2"));
            // headers that are lists may repeat
            const r = await rawExchange(
                h.server,
                [post(`${pos}${json}Idempotency-Key: twice-3\r\nAccept: application/json\r\nAccept: */*\r\n`)],
                { timeoutMs: 5000 },
            );
            assert.match(r.data, /^HTTP\/1\.1 201 /, r.data);
        });

        it("an absolute-form request target is read by its path (RFC 9112, section 3.2.2)", async () => {
            const auth = { Authorization: `Bearer ${h.server.keys.readA}`, Connection: "close" };
            for (const [target, status] of [
                [`http://127.0.0.1:${h.server.port}/v1/members/bea`, 200],
                ["HTTPS://shop.example/v1/members/bea", 200],
                ["http://shop.example/v1/members/bea?limit=1", 400], // the route takes no query
                ["http://shop.example", 404], // no path: "/"
            ]) {
                const r = await rawExchange(h.server, [rawHead("GET", target, auth)], { timeoutMs: 5000 });
                assert.match(r.data, new RegExp(`^HTTP/1\\.1 ${status} `), `${target}: ${r.data}`);
            }
        });

        it("a body just under the limit is accepted", async () => {
            const res = await h.server.call("POST", "/v1/events", {
                key: "posA",
                headers: { "Idempotency-Key": "small-1" },
                body: order("B-small", {
                    lines: [{ sku: "S".repeat(64), category: "coffee", quantity: 1, unit_price_minor: 250 }],
                }),
            });
            expectStatus(res, 201);
        });

        it("a body that is not application/json is 415", async () => {
            for (const type of [
                "text/plain",
                "application/x-www-form-urlencoded",
                "application/jsonx",
                "application/json; charset=latin1", // read as UTF-8, it would be another text
                'application/json; charset="ISO-8859-1"',
                undefined,
            ]) {
                const headers = { "Idempotency-Key": "type-1" };
                if (type) headers["Content-Type"] = type;
                const body =
                    type === undefined
                        ? Buffer.from(JSON.stringify(order("B-type")))
                        : JSON.stringify(order("B-type"));
                const res = await h.server.call("POST", "/v1/events", { key: "posA", headers, body });
                const p = expectProblem(res, 415, "unsupported-media-type");
                assert.equal(p.field, "Content-Type");
            }
            assert.ok(!(await ledgerKeys()).includes("type-1"));
        });

        it("a body under a content coding is 415 naming Content-Encoding, and nothing is written", async () => {
            const { gzipSync } = await import("node:zlib");
            for (const [path, body] of [
                ["/v1/events", order("B-gzip")],
                ["/v1/events/batch", { events: [order("B-gzip")] }],
                ["/v1/members", { id: "gzip-member" }],
            ]) {
                for (const [coding, bytes] of [
                    ["gzip", gzipSync(JSON.stringify(body))],
                    ["br", Buffer.from(JSON.stringify(body))], // plain bytes, still said coded
                ]) {
                    const res = await h.server.call("POST", path, {
                        key: "posA",
                        headers: {
                            "Content-Type": "application/json",
                            "Content-Encoding": coding,
                            "Idempotency-Key": "gzip-1",
                        },
                        body: bytes,
                    });
                    const p = expectProblem(res, 415, "unsupported-media-type");
                    assert.equal(p.field, "Content-Encoding", `${path} ${coding}`);
                    assert.equal(res.headers.get("accept-encoding"), "identity");
                }
            }
            assert.ok(!(await ledgerKeys()).includes("gzip-1"));
            expectStatus(await h.server.call("GET", "/v1/members/gzip-member", { key: "readA" }), 404);
            const res = await h.server.call("POST", "/v1/events", {
                key: "posA",
                headers: {
                    "Content-Type": "application/json",
                    "Content-Encoding": "Identity",
                    "Idempotency-Key": "identity-1",
                },
                body: JSON.stringify(order("B-identity")),
            });
            expectStatus(res, 201);
        });

        it("application/json with a charset parameter is accepted", async () => {
            const res = await h.server.call("POST", "/v1/events", {
                key: "posA",
                headers: {
                    "Content-Type": 'application/json; charset="UTF-8"',
                    "Idempotency-Key": "charset-1",
                },
                body: JSON.stringify(order("B-charset")),
            });
            expectStatus(res, 201);
        });
    });

    describe("routes and methods", () => {
        it("an unknown route is 404", async () => {
            for (const p of [
                "/",
                "/v1",
                "/v1/",
                "/v2/members",
                "/v1/member",
                "/v1/members/bea/points",
                "/v1/members/bea/balance/",
                "/healthz/x",
                "/v1/openapi.yaml",
                "/v1/vouchers/",
            ]) {
                const res = await h.server.call("GET", p, { key: "readA" });
                const body = expectProblem(res, 404, "not-found");
                assert.equal(body.instance, p);
            }
        });

        it("HEAD answers as GET without the body", async () => {
            for (const [p, key] of [
                ["/healthz", undefined],
                ["/v1/openapi.json", undefined],
                ["/v1/members/bea", "readA"],
            ]) {
                const get = await h.server.call("GET", p, { key });
                const head = await h.server.call("HEAD", p, { key });
                assert.equal(head.status, get.status, p);
                assert.equal(head.text, "", p);
                assert.equal(head.headers.get("content-type"), get.headers.get("content-type"), p);
            }
            expectProblem(await h.server.call("GET", "/v1/members/nobody", { key: "readA" }), 404, "not-found");
            assert.equal((await h.server.call("HEAD", "/v1/members/nobody", { key: "readA" })).status, 404);
        });

        it("a path that would decode to a NUL or to bytes that are not UTF-8 names nothing", async () => {
            // "bea%00x" must not be read as bea: the NUL would cut the id short
            for (const p of ["/v1/members/bea%00x", "/v1/members/bea%00/balance", "/v1/nope%FF", "/v1/members/%E0%A4"]) {
                expectProblem(await h.server.call("GET", p, { key: "readA" }), 404, "not-found");
            }
        });

        it("a new member's Location is a URI: its id percent-encoded", async () => {
            const res = await h.server.call("POST", "/v1/members", {
                key: "posA",
                headers: { "Idempotency-Key": "odd-id" },
                body: { id: "a b?c#d%é" },
            });
            expectStatus(res, 201);
            assert.equal(res.headers.get("location"), "/v1/members/a%20b%3Fc%23d%25%C3%A9");
            expectStatus(await h.server.call("GET", res.headers.get("location"), { key: "readA" }), 200);
        });

        it("an enrolment without an id, or with one that is not a string or holds a control character, is 422 on /id", async () => {
            const cases = [
                [{ id: 42 }, "/id"],
                [{ email: "x@example.com" }, "/id"],
                [{ id: null }, "/id"],
                [{ id: "bad\u0001id" }, "/id"],
                [{ id: "z".repeat(129) }, "/id"],
                [{ id: ".." }, "/id"], // a URL path reads "." and ".." as steps: no client could name them
                [{ id: "." }, "/id"],
                [{ id: "loc-1", email: "not-an-address" }, "/email"],
            ];
            for (const [body, field] of cases) {
                const res = await h.server.call("POST", "/v1/members", { key: "posA", body });
                const p = expectProblem(res, 422, "invalid-input");
                assert.equal(p.field, field, JSON.stringify(body));
                assert.equal(res.headers.get("location"), null, `no Location for ${JSON.stringify(body)}`);
            }
            expectProblem(await h.server.call("GET", "/v1/members/loc-1", { key: "readA" }), 404, "not-found");
            // with a key of its own, the id is still the field at fault
            const p = expectProblem(
                await h.server.call("POST", "/v1/members", {
                    key: "posA",
                    headers: { "Idempotency-Key": "bad-id-1" },
                    body: { id: "bad\nid" },
                }),
                422,
                "invalid-input",
            );
            assert.equal(p.field, "/id");
        });

        it("ids of up to 128 bytes enrol without a key, each under a key of its own", async () => {
            const long = "x".repeat(120);
            const ids = [`${long}A`, `${long}B`, `${"y".repeat(122)}`, `${"y".repeat(127)}A`, `${"y".repeat(127)}B`];
            const keys = [];
            for (const id of ids) {
                const res = expectStatus(await h.server.call("POST", "/v1/members", { key: "posA", body: { id } }), 201);
                assert.equal(res.headers.get("idempotent-replayed"), null, id);
                keys.push(res.body.key);
            }
            assert.equal(keys[2], `enrol:${"y".repeat(122)}`, "an id that fits stays in its key");
            assert.match(keys[3], /^enrol#[0-9a-f]{64}$/, "a longer one is named by its digest");
            assert.equal(new Set(keys).size, ids.length);
            // a retry without a key is a replay of the first
            const again = expectStatus(await h.server.call("POST", "/v1/members", { key: "posA", body: { id: ids[4] } }), 201);
            assert.equal(again.headers.get("idempotent-replayed"), "true");
            assert.equal(again.body.key, keys[4]);
            for (const id of ids)
                expectStatus(await h.server.call("GET", `/v1/members/${id}`, { key: "readA" }), 200);
            // the same id with other details and no key: the conflict names the id, which the
            // client sent, not the key made of it
            const p = expectProblem(
                await h.server.call("POST", "/v1/members", { key: "posA", body: { id: ids[4], name: "Other" } }),
                409,
                "conflict",
            );
            assert.equal(p.field, "/id");
        });

        it("an id holding '/' is one path segment once encoded (a Shopify customer GID)", async () => {
            const id = "gid://shopify/Customer/7261";
            const res = expectStatus(await h.server.call("POST", "/v1/members", { key: "posA", body: { id } }), 201);
            const location = res.headers.get("location");
            assert.equal(location, "/v1/members/gid%3A%2F%2Fshopify%2FCustomer%2F7261");
            assert.equal(expectStatus(await h.server.call("GET", location, { key: "readA" }), 200).body.id, id);
            const balance = await h.server.call("GET", `${location}/balance`, { key: "readA" });
            assert.equal(expectStatus(balance, 200).body.id, id);
            // the same text unencoded is another path, which no route takes
            expectProblem(await h.server.call("GET", `/v1/members/${id}`, { key: "readA" }), 404, "not-found");
        });

        it("an e-mail or phone names one member: a second is refused, by enrolment or PATCH", async () => {
            const s = h.server;
            const enrol = (body) => s.call("POST", "/v1/members", { key: "posA", body });
            expectStatus(await enrol({ id: "twin-1", email: "twins@example.org", phone: "+33612345601" }), 201);
            let p = expectProblem(await enrol({ id: "twin-2", email: "Twins@Example.org" }), 409, "conflict");
            assert.equal(p.field, "/email");
            assert.match(p.detail, /"twins@example\.org" is member "twin-1"'s already/);
            p = expectProblem(await enrol({ id: "twin-2", phone: "+33 6 12 34 56 01" }), 409, "conflict");
            assert.equal(p.field, "/phone");
            expectProblem(await s.call("GET", "/v1/members/twin-2", { key: "readA" }), 404);
            expectStatus(await enrol({ id: "twin-2", email: "twin2@example.org" }), 201);
            const patch = (id, body) => s.call("PATCH", `/v1/members/${id}`, { key: "posA", body });
            p = expectProblem(await patch("twin-2", { email: "twins@example.org" }), 409, "conflict");
            assert.equal(p.field, "/email");
            p = expectProblem(await patch("twin-2", { phone: "+33612345601" }), 409, "conflict");
            assert.equal(p.field, "/phone");
            const twin2 = expectStatus(await s.call("GET", "/v1/members/twin-2", { key: "readA" }), 200).body;
            assert.equal(twin2.email, "twin2@example.org", "the refused PATCH wrote nothing");
            // a member's own e-mail again, and a change of name beside it, are no conflict
            expectStatus(await patch("twin-1", { email: "twins@example.org", name: "Twin One" }), 200);
            const found = expectStatus(
                await s.call("GET", "/v1/members?email=twins%40example.org", { key: "readA" }),
                200,
            ).body;
            assert.deepEqual(found.items.map((m) => m.id), ["twin-1"]);
        });

        it("each search parameter looks in its own field only", async () => {
            const s = h.server;
            const made = {};
            for (const body of [
                { id: "sam", email: "Sam@Example.com" },
                { id: "sam@example.com", phone: "+33612345670" },
                { id: "+33612345670" },
            ])
                made[body.id] = expectStatus(await s.call("POST", "/v1/members", { key: "posA", body }), 201);
            const card = expectStatus(await s.call("GET", "/v1/members/sam", { key: "readA" }), 200).body.card_code;
            const idOfCard = card.replace(/-/g, "").toLowerCase();
            expectStatus(await s.call("POST", "/v1/members", { key: "posA", body: { id: idOfCard } }), 201);
            const search = async (query) =>
                expectStatus(await s.call("GET", `/v1/members?${query}`, { key: "readA" }), 200).body.items.map(
                    (m) => m.id,
                );
            assert.deepEqual(await search("email=sam%40example.com"), ["sam"]);
            assert.deepEqual(await search("email=SAM%40EXAMPLE.COM"), ["sam"]);
            assert.deepEqual(await search("email=sam"), []);
            assert.deepEqual(await search("phone=%2B33%206%2012%2034%2056%2070"), ["sam@example.com"]);
            // an e-mail is not a phone number: said (422), not looked for
            const notPhone = expectProblem(
                await s.call("GET", "/v1/members?phone=sam%40example.com", { key: "readA" }),
                422,
                "invalid-input",
            );
            assert.equal(notPhone.field, "phone");
            assert.deepEqual(await search(`card_code=${idOfCard}`), ["sam"]);
            assert.deepEqual(await search("card_code=sam"), []);
            assert.deepEqual(await search("external_id=%2B33612345670"), ["+33612345670"]);
            assert.deepEqual(await search("external_id=Sam%40Example.com"), []);
            assert.deepEqual(await search(`external_id=${card}`), []);
        });

        it("a query parameter the route does not take, or one given twice, is 400 naming it", async () => {
            const cases = [
                ["GET", "/v1/members?limt=5", "limt", "this route takes limit cursor email"],
                ["GET", "/v1/members/twin-1/ledger?limit=2&limit=3", "limit", "given twice"],
                ["GET", "/v1/members/twin-1/balance?at=2026-01-01", "at", "this route takes none"],
                ["GET", "/v1/members/twin-1?fields=id", "fields", "takes none"],
                ["GET", "/v1/rewards?caf%C3%A9=1", "café", "takes none"],
            ];
            for (const [method, url, field, detail] of cases) {
                const body = expectProblem(await h.server.call(method, url, { key: "readA" }), 400, "invalid-query");
                assert.equal(body.field, field, url);
                assert.ok(body.detail.includes(detail), `${url}: ${body.detail}`);
            }
            // a write refused for its query writes nothing, its key included
            const before = await balance();
            const send = (url) =>
                h.server.call("POST", url, { key: "posA", body: order("Q-1"), headers: { "Idempotency-Key": "q-1" } });
            assert.equal(expectProblem(await send("/v1/events?dry_run=1"), 400, "invalid-query").field, "dry_run");
            assert.deepEqual(await balance(), before);
            const applied = expectStatus(await send("/v1/events"), 201);
            assert.equal(applied.headers.get("idempotent-replayed"), null);
            // the probes and the document take any query (load balancers add their own)
            expectStatus(await h.server.call("GET", "/healthz?probe=lb1"), 200);
            expectStatus(await h.server.call("GET", "/v1/openapi.json?v=2"), 200);
        });

        it("a query parameter given without a value, or with an empty one, is 422 naming it", async () => {
            for (const url of [
                "/v1/members?email",
                "/v1/members?email=",
                "/v1/members?phone",
                "/v1/members?card_code=",
                "/v1/members?external_id",
                "/v1/members?limit",
                "/v1/members?limit=",
                "/v1/members?cursor",
                "/v1/members/bea/ledger?before",
                "/v1/members/bea/ledger?limit=",
                "/v1/members/bea/vouchers?state",
                "/v1/members/bea/vouchers?state=",
            ]) {
                const p = expectProblem(await h.server.call("GET", url, { key: "readA" }), 422, "invalid-input");
                assert.equal(p.field, url.split("?")[1].replace(/=$/, ""), url);
                assert.match(p.detail, /without a value/, url);
            }
        });

        it("a parameter name that is not UTF-8, or empty, is named in a well-formed problem", async () => {
            const ask = async (query) => {
                const head = Buffer.concat([
                    Buffer.from("GET /v1/members?"),
                    query,
                    Buffer.from(
                        ` HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${h.server.keys.readA}\r\n` +
                            "Connection: close\r\n\r\n",
                    ),
                ]);
                const r = await rawExchange(h.server, [head], { timeoutMs: 5000 });
                assert.match(r.data, /^HTTP\/1\.1 400 /, r.data);
                return JSON.parse(r.data.slice(r.data.indexOf("\r\n\r\n") + 4));
            };
            const raw = await ask(Buffer.from([0x61, 0xff, 0x3d, 0x31])); // "a\xff=1"
            assert.equal(raw.type, "urn:fidele:problem:invalid-query");
            assert.equal(raw.field, "a\ufffd");
            const empty = await ask(Buffer.from("=1"));
            assert.equal(empty.detail, "a query parameter has no name");
            assert.equal(empty.field, undefined);
        });

        it("a search takes no other parameter: a second search, a limit or a cursor is 422", async () => {
            for (const [query, field] of [
                ["email=twins%40example.org&phone=%2B33612345678", "phone"],
                ["limit=2&email=twins%40example.org", "limit"],
                ["cursor=twin-1&card_code=ABCD", "cursor"],
            ]) {
                const body = expectProblem(
                    await h.server.call("GET", `/v1/members?${query}`, { key: "readA" }),
                    422,
                    "invalid-input",
                );
                assert.equal(body.field, field, query);
            }
        });

        it("a known path with another method is 405 with Allow", async () => {
            const cases = [
                ["DELETE", "/v1/members", "POST, GET, HEAD"],
                ["PUT", "/v1/members/bea", "GET, HEAD, PATCH"],
                ["GET", "/v1/events", "POST"],
                ["POST", "/v1/program", "GET, HEAD, PUT"],
                ["GET", "/v1/keys/abc", "DELETE"],
                ["POST", "/healthz", "GET, HEAD"],
                ["PATCH", "/v1/vouchers/ABCD/use", "POST"],
            ];
            for (const [method, p, allow] of cases) {
                const res = await h.server.call(method, p, {
                    key: "adminA",
                    body: method === "GET" ? undefined : {},
                });
                expectProblem(res, 405, "method-not-allowed");
                assert.equal(res.headers.get("allow"), allow, `${method} ${p}`);
            }
        });
    });

    describe("keys and scopes", () => {
        it("no key, a malformed header, an unknown key and a revoked key are 401", async () => {
            const s = h.server;
            const cases = [
                {},
                { headers: { Authorization: "Basic dXNlcjpwYXNz" } },
                { headers: { Authorization: `Bearer${s.keys.readA}` } },
                { headers: { Authorization: "Bearer " } },
                { key: "fk_nope" },
                { key: s.keys.readA + "x" },
                { key: s.keys.readA.slice(0, -1) },
                { key: "revokedA" },
            ];
            for (const c of cases) {
                const res = await s.call("GET", "/v1/members/bea", c);
                const p = expectProblem(res, 401, "unauthorized");
                assert.equal(p.field, "Authorization");
                // every 401 says how to authenticate (RFC 9110, section 11.6.1)
                assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="fidele"');
                assert.ok(!("member" in p) && !("balance" in p), "nothing of the member leaks");
            }
            const res = await s.call("POST", "/v1/events", {
                key: "revokedA",
                headers: { "Idempotency-Key": "revoked-1" },
                body: order("B-rev"),
            });
            expectProblem(res, 401, "unauthorized");
            assert.ok(!(await ledgerKeys()).includes("revoked-1"));
        });

        it("a read key on write routes is 403", async () => {
            const s = h.server;
            const writes = [
                ["POST", "/v1/members", { id: "nobody" }],
                ["PATCH", "/v1/members/bea", { name: "X" }],
                ["POST", "/v1/members/bea/redemptions", { reward: "pastry" }],
                ["POST", "/v1/events", order("B-read")],
                ["POST", "/v1/events/batch", { events: [order("B-read")] }],
                ["POST", "/v1/vouchers/ABCD-EFGH/use", {}],
                ["PUT", "/v1/program", {}],
                ["POST", "/v1/keys", { scope: "admin" }],
                ["GET", "/v1/keys", undefined],
                ["DELETE", `/v1/keys/${s.keyIds.readA}`, undefined],
            ];
            for (const [method, p, body] of writes) {
                const res = await s.call(method, p, {
                    key: "readA",
                    body,
                    headers: { "Idempotency-Key": "read-1" },
                });
                const problem = expectProblem(res, 403, "forbidden");
                assert.match(problem.detail, /the key has read/);
            }
            assert.ok(!(await ledgerKeys()).includes("read-1"));
            expectProblem(await s.call("GET", "/v1/members/nobody", { key: "readA" }), 404, "not-found");
            expectStatus(await s.call("GET", "/v1/members/bea", { key: "readA" }), 200);
        });

        it("a pos key may not post adjustments or VIP payments: 403 on /type, nothing written", async () => {
            const s = h.server;
            const before = await balance();
            const adjustment = { type: "adjustment", customer: "bea", points: 1000, reason: "gift", author: "till-3" };
            const vip = { type: "vip_payment", customer: "bea", plan: "club", amount_minor: 1000 };
            for (const [key, body] of [
                ["pos-adj", adjustment],
                ["pos-cb", { ...adjustment, account: "cashback" }],
                ["pos-vip", vip],
            ]) {
                const p = expectProblem(
                    await s.call("POST", "/v1/events", { key: "posA", headers: { "Idempotency-Key": key }, body }),
                    403,
                    "forbidden",
                );
                assert.equal(p.field, "/type");
                assert.match(p.detail, new RegExp(`^${body.type} events need the admin scope; the key has pos`));
            }
            assert.deepEqual(await balance(), before);
            // in a batch, that event alone is refused, as an event failing its checks is
            const batch = expectStatus(
                await s.call("POST", "/v1/events/batch", {
                    key: "posA",
                    body: {
                        events: [
                            { ...adjustment, key: "pos-batch-adj" },
                            { ...order("B-scope"), key: "pos-batch-order" },
                            { ...vip, key: "pos-batch-vip" },
                        ],
                    },
                }),
                200,
            ).body.results;
            assert.deepEqual(
                batch.map((r) => [r.key, r.status, r.error?.type, r.error?.field]),
                [
                    ["pos-batch-adj", "error", "forbidden", "/type"],
                    ["pos-batch-order", "applied", undefined, undefined],
                    ["pos-batch-vip", "error", "forbidden", "/type"],
                ],
            );
            const keys = await ledgerKeys();
            assert.ok(keys.includes("pos-batch-order"));
            assert.ok(!keys.some((k) => ["pos-adj", "pos-cb", "pos-vip", "pos-batch-adj"].includes(k)));
            // an admin key may
            const res = await s.call("POST", "/v1/events", {
                key: "adminA",
                headers: { "Idempotency-Key": "admin-adj" },
                body: { ...adjustment, points: 5 },
            });
            expectStatus(res, 201);
        });

        it("a pos key may not post VIP refunds: 403 on /type; an admin key may", async () => {
            const s = h.server;
            // a plan without perks, so that the membership changes no other test's earnings
            const current = expectStatus(await s.call("GET", "/v1/program", { key: "readA" }), 200).body;
            const program = structuredClone(current.program);
            program.vip_plans = [{ id: "friends", name: "Friends", price_minor: 1000, period: "month" }];
            expectStatus(await s.call("PUT", "/v1/program", { key: "adminA", body: program }), 200);
            const payment = { type: "vip_payment", customer: "bea", plan: "friends", amount_minor: 1000 };
            expectStatus(
                await s.call("POST", "/v1/events", {
                    key: "adminA",
                    headers: { "Idempotency-Key": "admin-vip-pay" },
                    body: payment,
                }),
                201,
            );
            const refund = { type: "vip_refund", customer: "bea", payment: "admin-vip-pay", amount_minor: 1000 };
            const p = expectProblem(
                await s.call("POST", "/v1/events", { key: "posA", headers: { "Idempotency-Key": "pos-vip-refund" }, body: refund }),
                403,
                "forbidden",
            );
            assert.equal(p.field, "/type");
            assert.match(p.detail, /^vip_refund events need the admin scope; the key has pos/);
            const member = async () =>
                expectStatus(await s.call("GET", "/v1/members/bea", { key: "readA" }), 200).body;
            assert.ok(Date.parse((await member()).vip_until) > Date.now(), "the membership still runs");
            // an over-refund is 422 naming the field, and writes nothing
            const over = expectProblem(
                await s.call("POST", "/v1/events", {
                    key: "adminA",
                    headers: { "Idempotency-Key": "admin-vip-over" },
                    body: { ...refund, amount_minor: 1001 },
                }),
                422,
                "invalid-input",
            );
            assert.equal(over.field, "/amount_minor");
            const res = expectStatus(
                await s.call("POST", "/v1/events", { key: "adminA", headers: { "Idempotency-Key": "admin-vip-refund" }, body: refund }),
                201,
            ).body;
            assert.equal(res.type, "vip_refund");
            assert.equal(res.vip, false);
            assert.ok(Date.parse((await member()).vip_until) <= Date.now(), "the refund ended the membership");
        });

        it("a pos key on PUT /v1/program and the key routes is 403", async () => {
            const s = h.server;
            const before = expectStatus(await s.call("GET", "/v1/program", { key: "posA" }), 200).body;
            const changed = structuredClone(before.program);
            changed.enrolment.bonus_points = 99;
            const denied = [
                ["PUT", "/v1/program", changed],
                ["POST", "/v1/keys", { scope: "admin", label: "escalation" }],
                ["GET", "/v1/keys", undefined],
                ["DELETE", `/v1/keys/${s.keyIds.adminA}`, undefined],
            ];
            for (const [method, p, body] of denied) {
                const problem = expectProblem(
                    await s.call(method, p, { key: "posA", body }),
                    403,
                    "forbidden",
                );
                assert.match(problem.detail, /needs the admin scope; the key has pos/);
            }
            const after = expectStatus(await s.call("GET", "/v1/program", { key: "readA" }), 200).body;
            assert.equal(after.version, before.version);
            assert.deepEqual(after.program, before.program);
            const keys = expectStatus(await s.call("GET", "/v1/keys", { key: "adminA" }), 200).body.items;
            assert.equal(keys.length, 4, "no key was created (adminA, posA, readA, revokedA)");
            assert.ok(!keys.find((k) => k.id === s.keyIds.adminA).revoked_at, "the admin key still stands");
        });

        it("a key label with a control character is 422 on /label, and no key is made", async () => {
            const s = h.server;
            const count = async () =>
                expectStatus(await s.call("GET", "/v1/keys", { key: "adminA" }), 200).body.items.length;
            const before = await count();
            for (const label of ["x\nzzzzzzzzzzzzzzzz  admin  created 2026-01-01T00:00:00Z  root", "tab\there", "bell\u0007"]) {
                const p = expectProblem(
                    await s.call("POST", "/v1/keys", { key: "adminA", body: { scope: "read", label } }),
                    422,
                    "invalid-input",
                );
                assert.equal(p.field, "/label");
            }
            assert.equal(await count(), before);
            const listed = await s.cliOk(["key", "list"]);
            assert.doesNotMatch(listed.stdout, /zzzzzzzzzzzzzzzz/);
        });
    });

    describe("headers and batches", () => {
        // libmicrohttpd answers 431 itself (its own body, not a problem) when the headers do not
        // fit the connection's 16 KiB (server.c, CONNECTION_MEMORY); it keeps a second copy of a
        // Cookie header, which so has about half that room.
        it("headers of 12 KiB and a cookie of 6 KiB are served; 24 KiB of headers are 431", async () => {
            const post = (id, headers, validate = true) =>
                h.server.call("POST", "/v1/events", {
                    key: "posA",
                    headers: { "Idempotency-Key": id, ...headers },
                    body: order(`B-${id}`),
                    validate,
                });
            expectStatus(await post("wide", { "X-Trace": "t".repeat(12 * 1024) }), 201);
            expectStatus(await post("cookie", { Cookie: `s=${"c".repeat(6 * 1024)}` }), 201);
            const refused = await post("too-wide", { "X-Trace": "t".repeat(24 * 1024) }, false);
            assert.equal(refused.status, 431);
            const keys = await ledgerKeys();
            assert.ok(keys.includes("wide") && keys.includes("cookie") && !keys.includes("too-wide"));
        });

        it("a write without an idempotency key is 400", async () => {
            const p = expectProblem(
                await h.server.call("POST", "/v1/events", { key: "posA", body: order("B-nokey") }),
                400,
                "idempotency-key-required",
            );
            assert.equal(p.field, "Idempotency-Key");
        });

        it("an Idempotency-Key over 128 bytes is 400; one that contradicts the body's key is 422", async () => {
            let p = expectProblem(
                await h.server.call("POST", "/v1/events", {
                    key: "posA",
                    headers: { "Idempotency-Key": "k".repeat(129) },
                    body: order("B-long"),
                }),
                400,
                "invalid-header",
            );
            assert.equal(p.field, "Idempotency-Key");
            p = expectProblem(
                await h.server.call("POST", "/v1/events", {
                    key: "posA",
                    headers: { "Idempotency-Key": "one" },
                    body: { ...order("B-two"), key: "two" },
                }),
                422,
                "invalid-input",
            );
            assert.equal(p.field, "/key");
            const keys = await ledgerKeys();
            assert.ok(!keys.includes("one") && !keys.includes("two"));
        });

        it("an Idempotency-Key over 128 bytes is 400 on every route that takes one", async () => {
            const long = { "Idempotency-Key": "k".repeat(129) };
            const keysBefore = expectStatus(await h.server.call("GET", "/v1/keys", { key: "adminA" }), 200).body.items;
            for (const [url, key, body] of [
                ["/v1/keys", "adminA", { scope: "read" }],
                ["/v1/members", "posA", { id: "long-key" }],
                ["/v1/members/bea/redemptions", "posA", { reward: "pastry" }],
                ["/v1/vouchers/ZZZZ-ZZZZ-ZZZZ-ZZZZ/use", "posA", {}],
                ["/v1/events", "posA", order("B-long-2")],
            ]) {
                const p = expectProblem(await h.server.call("POST", url, { key, headers: long, body }), 400, "invalid-header");
                assert.equal(p.field, "Idempotency-Key", url);
            }
            const keysAfter = expectStatus(await h.server.call("GET", "/v1/keys", { key: "adminA" }), 200).body.items;
            assert.equal(keysAfter.length, keysBefore.length, "no API key was made");
            expectProblem(await h.server.call("GET", "/v1/members/long-key", { key: "readA" }), 404, "not-found");
        });

        it("an Idempotency-Key that is not UTF-8 is 400; blanks around it are not part of it", async () => {
            const post = (keyBytes, body) =>
                rawExchange(
                    h.server,
                    [
                        Buffer.concat([
                            Buffer.from(
                                "POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
                                    `Authorization: Bearer ${h.server.keys.posA}\r\nContent-Type: application/json\r\n` +
                                    `Content-Length: ${Buffer.byteLength(body)}\r\nIdempotency-Key: `,
                            ),
                            keyBytes,
                            Buffer.from(`\r\n\r\n${body}`),
                        ]),
                    ],
                    { timeoutMs: 5000 },
                );
            const gift = JSON.stringify(order("B-utf"));
            let r = await post(Buffer.from([0x75, 0x74, 0x66, 0x2d, 0xff]), gift); // "utf-\xff"
            assert.match(r.data, /^HTTP\/1\.1 400 /, r.data);
            const p = JSON.parse(r.data.slice(r.data.indexOf("\r\n\r\n") + 4));
            assert.equal(p.field, "Idempotency-Key");
            assert.match(p.detail, /UTF-8/);
            r = await post(Buffer.from("  trim-1 \t "), JSON.stringify(order("B-trim")));
            assert.match(r.data, /^HTTP\/1\.1 201 /, r.data);
            assert.equal(JSON.parse(r.data.slice(r.data.indexOf("\r\n\r\n") + 4)).key, "trim-1");
            const again = await h.server.call("POST", "/v1/events", {
                key: "posA",
                headers: { "Idempotency-Key": "trim-1" },
                body: order("B-trim"),
            });
            expectStatus(again, 201);
            assert.equal(again.headers.get("idempotent-replayed"), "true");
        });

        it("a null \"key\" in the body leaves the Idempotency-Key header to name the event", async () => {
            const res = await h.server.call("POST", "/v1/events", {
                key: "posA",
                headers: { "Idempotency-Key": "null-key-1" },
                body: { ...order("B-null-key"), key: null, channel: "store" },
            });
            assert.equal(expectStatus(res, 201).body.key, "null-key-1");
            const enrol = await h.server.call("POST", "/v1/members", { key: "posA", body: { id: "null-key", key: null } });
            assert.equal(expectStatus(enrol, 201).body.key, "enrol:null-key");
        });

        it(`a batch over --batch-limit (${BATCH_LIMIT}) is 413; at the limit it applies`, async () => {
            const events = (n, tag) =>
                Array.from({ length: n }, (_, i) => ({ ...order(`${tag}-${i}`), key: `${tag}-${i}` }));
            let p = expectProblem(
                await h.server.call("POST", "/v1/events/batch", {
                    key: "posA",
                    body: { events: events(BATCH_LIMIT + 1, "over") },
                }),
                413,
                "batch-too-large",
            );
            assert.equal(p.field, "/events");
            assert.ok(!(await ledgerKeys()).some((k) => k?.startsWith("over-")));
            const res = expectStatus(
                await h.server.call("POST", "/v1/events/batch", {
                    key: "posA",
                    body: { events: events(BATCH_LIMIT, "at") },
                }),
                200,
            );
            assert.deepEqual(
                res.body.results.map((r) => r.status),
                Array(BATCH_LIMIT).fill("applied"),
            );
        });

        it("an empty batch or one without events is 422", async () => {
            let p = expectProblem(
                await h.server.call("POST", "/v1/events/batch", { key: "posA", body: { events: [] } }),
                422,
                "invalid-input",
            );
            assert.equal(p.field, "/events");
            p = expectProblem(
                await h.server.call("POST", "/v1/events/batch", { key: "posA", body: [order("x")] }),
                422,
                "invalid-input",
            );
            assert.equal(p.field, ""); // the whole body, which is no object
        });
    });
});

describe("slow and broken clients (--timeout 1)", () => {
    const h = useServer({ serveArgs: ["--timeout", "1"], connectionClose: true });

    it("setup: a member", async () => {
        expectStatus(
            await h.server.call("POST", "/v1/members", {
                key: "posA",
                body: { id: "slow", at: daysAgo(1, "07:00") },
            }),
            201,
        );
    });

    it("a truncated body (Content-Length larger than what is sent, then close) applies nothing", async () => {
        const s = h.server;
        const body = JSON.stringify({ ...order("S-trunc"), customer: "slow" });
        const head = rawHead("POST", "/v1/events", {
            Authorization: `Bearer ${s.keys.posA}`,
            "Content-Type": "application/json",
            "Idempotency-Key": "trunc-1",
            "Content-Length": String(body.length + 200),
        });
        const r = await rawExchange(s, [head, body], { end: true, timeoutMs: 6000 });
        // At once with poll(); libmicrohttpd 0.9.75 with epoll sometimes misses a half-close
        // that arrives with the last bytes, and the connection then lasts until --timeout.
        assert.ok(
            r.closedByServer && r.closedAtMs < 3500,
            `closed: ${r.closedByServer} after ${r.closedAtMs} ms`,
        );
        assert.doesNotMatch(r.data, /^HTTP\/1\.1 2/, `no success for a truncated body: ${r.data}`);
        const ledger = expectStatus(
            await s.call("GET", "/v1/members/slow/ledger", { key: "readA" }),
            200,
        ).body;
        assert.ok(!ledger.entries.some((e) => e.event_key === "trunc-1"));
        expectStatus(await s.call("GET", "/healthz"), 200);
    });

    it("a client sending its body slower than --timeout is disconnected; the server keeps serving", async () => {
        const s = h.server;
        const body = JSON.stringify({ ...order("S-1"), customer: "slow" });
        const head = rawHead("POST", "/v1/events", {
            Authorization: `Bearer ${s.keys.posA}`,
            "Content-Type": "application/json",
            "Idempotency-Key": "slow-1",
            "Content-Length": String(body.length),
        });
        // One byte every 1.6 s: each pause is longer than the 1 s idle timeout.
        const pieces = [head, ...body.slice(0, 6).split("")];
        const r = await rawExchange(s, pieces, { gapMs: 1600, timeoutMs: 8000 });
        assert.ok(r.closedByServer, "the server closed the connection");
        assert.ok(r.closedAtMs < 4000, `closed after ${r.closedAtMs} ms`);
        assert.doesNotMatch(r.data, /^HTTP\/1\.1 2/);
        expectStatus(await s.call("GET", "/healthz"), 200);
        const ok = await s.call("POST", "/v1/events", {
            key: "posA",
            headers: { "Idempotency-Key": "fast-1" },
            body: { ...order("S-2"), customer: "slow" },
        });
        expectStatus(ok, 201);
        const ledger = expectStatus(
            await s.call("GET", "/v1/members/slow/ledger", { key: "readA" }),
            200,
        ).body;
        assert.ok(!ledger.entries.some((e) => e.event_key === "slow-1"));
    });
});

describe("a key over --rate", () => {
    const h = useServer({ serveArgs: ["--rate", "1", "--burst", "3"] });

    it("is 429 with Retry-After once its burst is spent; other keys are not affected", async () => {
        const s = h.server;
        const answers = [];
        for (let i = 0; i < 5; i++) answers.push(await s.call("GET", "/v1/rewards", { key: "readA" }));
        assert.deepEqual(answers.map((a) => a.status).slice(0, 3), [200, 200, 200]);
        const limited = answers.filter((a) => a.status === 429);
        assert.ok(limited.length >= 1, answers.map((a) => a.status).join(","));
        for (const a of limited) {
            expectProblem(a, 429, "rate-limited");
            assert.ok(Number(a.headers.get("retry-after")) >= 1);
        }
        expectStatus(await s.call("GET", "/v1/rewards", { key: "posA" }), 200);
        expectStatus(await s.call("GET", "/healthz"), 200);
    });
});
