// Tenancy: merchant B's admin key walks every route of the route table (src/http/routes.c)
// with merchant A's member id, voucher code, order id and key id. Every answer is 404, or B's
// own (empty or separate) data, never A's; and A's data is unchanged afterwards.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { daysAgo, expectProblem, expectStatus, useServer } from "./harness.mjs";
import { routeTable } from "./routes.mjs";

describe("tenancy", () => {
    const h = useServer();
    const A = {}; // merchant A's identifiers and state, filled by the setup test

    const snapshotA = async () => {
        const s = h.server;
        return {
            member: expectStatus(await s.call("GET", `/v1/members/${A.member}`, { key: "readA" }), 200).body,
            ledger: expectStatus(await s.call("GET", `/v1/members/${A.member}/ledger`, { key: "readA" }), 200)
                .body,
            voucher: expectStatus(await s.call("GET", `/v1/vouchers/${A.voucher}`, { key: "readA" }), 200)
                .body,
            program: expectStatus(await s.call("GET", "/v1/program", { key: "readA" }), 200).body,
            keys: expectStatus(await s.call("GET", "/v1/keys", { key: "adminA" }), 200).body,
        };
    };

    // Asserts that nothing of A's appears in an answer given to B, but what B itself sent
    // (a problem may echo the voucher code B asked for).
    const plain = (code) => code.toUpperCase().replace(/-/g, "");
    const noTraceOfA = (res, sent = []) => {
        for (const secret of [A.cardCode, A.voucher, A.email, A.keyId, "free-coffee", "Cafe A"]) {
            if (sent.some((x) => plain(x) === plain(secret))) continue;
            assert.ok(!res.text.includes(secret), `B's answer mentions A's ${secret}: ${res.text}`);
        }
    };

    it("setup: merchant A has a member with an order, a voucher and keys", async () => {
        const s = h.server;
        A.member = "anna";
        A.email = "anna@cafe-a.example";
        const enrol = expectStatus(
            await s.call("POST", "/v1/members", {
                key: "posA",
                body: { id: A.member, email: A.email, at: daysAgo(3, "07:00") },
            }),
            201,
        ).body;
        A.cardCode = enrol.card_code;
        const order = {
            type: "order",
            customer: A.member,
            order_id: "A-100",
            at: daysAgo(3),
            lines: [{ sku: "BEANS", category: "beans", quantity: 2, unit_price_minor: 1200 }],
        };
        expectStatus(
            await s.call("POST", "/v1/events", {
                key: "posA",
                headers: { "Idempotency-Key": "A-100" },
                body: order,
            }),
            201,
        );
        const redeem = expectStatus(
            await s.call("POST", `/v1/members/${A.member}/redemptions`, {
                key: "posA",
                headers: { "Idempotency-Key": "A-r1" },
                body: { reward: "pastry" },
            }),
            201,
        ).body;
        A.voucher = redeem.vouchers[0].code;
        A.keyId = s.keyIds.readA;
        A.before = await snapshotA();
    });

    // One check per route of the table; a route without a check fails the last test.
    const checks = {
        "GET /healthz": async (s) => expectStatus(await s.call("GET", "/healthz", { key: "adminB" }), 200),
        "GET /readyz": async (s) => expectStatus(await s.call("GET", "/readyz", { key: "adminB" }), 200),
        "GET /metrics": async (s) => expectStatus(await s.call("GET", "/metrics", { key: "adminB" }), 200),
        "GET /v1/openapi.json": async (s) =>
            expectStatus(await s.call("GET", "/v1/openapi.json", { key: "adminB" }), 200),
        "GET /v1/members": async (s) => {
            for (const q of [
                "",
                "?limit=500",
                `?email=${encodeURIComponent(A.email)}`,
                `?card_code=${A.cardCode}`,
                `?external_id=${A.member}`,
                `?cursor=%20`, // before every id (an empty cursor is refused)
                `?cursor=a`,
            ]) {
                const res = expectStatus(await s.call("GET", `/v1/members${q}`, { key: "adminB" }), 200);
                assert.deepEqual(res.body.items, [], `GET /v1/members${q}`);
                noTraceOfA(res);
            }
        },
        "GET /v1/members/{id}": async (s) => {
            for (const ref of [A.member, A.cardCode, A.email]) {
                const res = await s.call("GET", `/v1/members/${encodeURIComponent(ref)}`, { key: "adminB" });
                expectProblem(res, 404, "not-found");
                noTraceOfA(res, [ref]);
            }
        },
        "PATCH /v1/members/{id}": async (s) => {
            const res = await s.call("PATCH", `/v1/members/${A.member}`, {
                key: "adminB",
                body: { name: "Mallory" },
            });
            expectProblem(res, 404, "not-found");
            noTraceOfA(res);
        },
        "GET /v1/members/{id}/balance": async (s) => {
            const res = await s.call("GET", `/v1/members/${A.member}/balance`, { key: "adminB" });
            expectProblem(res, 404, "not-found");
            noTraceOfA(res);
        },
        "GET /v1/members/{id}/ledger": async (s) => {
            const res = await s.call("GET", `/v1/members/${A.member}/ledger`, { key: "adminB" });
            expectProblem(res, 404, "not-found");
            noTraceOfA(res);
        },
        "GET /v1/members/{id}/tiers": async (s) => {
            const res = await s.call("GET", `/v1/members/${A.member}/tiers`, { key: "adminB" });
            expectProblem(res, 404, "not-found");
            noTraceOfA(res);
        },
        "GET /v1/members/{id}/vouchers": async (s) => {
            const res = await s.call("GET", `/v1/members/${A.member}/vouchers?state=all`, { key: "adminB" });
            expectProblem(res, 404, "not-found");
            noTraceOfA(res);
        },
        "POST /v1/members/{id}/redemptions": async (s) => {
            const res = await s.call("POST", `/v1/members/${A.member}/redemptions`, {
                key: "adminB",
                headers: { "Idempotency-Key": "B-r1" },
                body: { reward: "voucher-5" },
            });
            expectProblem(res, 404, "not-found");
            noTraceOfA(res);
        },
        "POST /v1/events": async (s) => {
            const events = [
                { type: "redeem", customer: A.member, reward: "voucher-5" },
                { type: "voucher_use", code: A.voucher },
                { type: "refund", order_id: "A-100", amount_minor: 100 },
                { type: "adjustment", customer: A.member, points: 1000, reason: "x", author: "mallory" },
                { type: "vip_payment", customer: A.member, plan: "friends", amount_minor: 1000 },
            ];
            for (const [i, event] of events.entries()) {
                const res = await s.call("POST", "/v1/events", {
                    key: "adminB",
                    headers: { "Idempotency-Key": `B-e${i}` },
                    body: event,
                });
                expectProblem(res, 404, "not-found");
                noTraceOfA(res, [A.voucher]);
            }
        },
        "GET /v1/events/{key}": async (s) => {
            const res = await s.call("GET", "/v1/events/A-100", { key: "adminB" });
            expectProblem(res, 404, "not-found");
            noTraceOfA(res);
        },
        "POST /v1/events/batch": async (s) => {
            const res = expectStatus(
                await s.call("POST", "/v1/events/batch", {
                    key: "adminB",
                    body: {
                        events: [
                            { key: "B-b1", type: "voucher_use", code: A.voucher },
                            { key: "B-b2", type: "refund", order_id: "A-100", amount_minor: 100 },
                            { key: "A-r1", type: "redeem", customer: A.member, reward: "voucher-5" },
                        ],
                    },
                }),
                200,
            );
            assert.deepEqual(
                res.body.results.map((r) => [r.status, r.error?.type]),
                [
                    ["error", "not_found"],
                    ["error", "not_found"],
                    ["error", "not_found"],
                ],
            );
            noTraceOfA(res, [A.voucher]);
        },
        "GET /v1/rewards": async (s) => {
            const res = expectStatus(await s.call("GET", "/v1/rewards", { key: "adminB" }), 200);
            assert.deepEqual(res.body.items.map((r) => r.id).sort(), ["signing", "tote", "voucher-5"]);
            noTraceOfA(res);
        },
        "GET /v1/vouchers/{code}": async (s) => {
            for (const code of [A.voucher, A.voucher.toLowerCase(), A.voucher.replace(/-/g, "")]) {
                const res = await s.call("GET", `/v1/vouchers/${code}`, { key: "adminB" });
                expectProblem(res, 404, "not-found");
                noTraceOfA(res, [code]);
            }
        },
        "POST /v1/vouchers/{code}/use": async (s) => {
            const res = await s.call("POST", `/v1/vouchers/${A.voucher}/use`, {
                key: "adminB",
                headers: { "Idempotency-Key": "B-u1" },
            });
            expectProblem(res, 404, "not-found");
            noTraceOfA(res, [A.voucher]);
        },
        "GET /v1/program": async (s) => {
            const res = expectStatus(await s.call("GET", "/v1/program", { key: "adminB" }), 200);
            assert.equal(res.body.version, 1);
            assert.deepEqual(res.body.program.rewards.map((r) => r.id).sort(), [
                "signing",
                "tote",
                "voucher-5",
            ]);
            noTraceOfA(res);
        },
        "PUT /v1/program": async (s) => {
            const mine = expectStatus(await s.call("GET", "/v1/program", { key: "adminB" }), 200).body
                .program;
            mine.description = "B's new rules";
            const res = expectStatus(await s.call("PUT", "/v1/program", { key: "adminB", body: mine }), 200);
            assert.equal(res.body.version, 2);
            assert.equal(res.body.program.description, "B's new rules");
            noTraceOfA(res);
        },
        "POST /v1/keys": async (s) => {
            const res = expectStatus(
                await s.call("POST", "/v1/keys", {
                    key: "adminB",
                    body: { scope: "read", label: "B's till" },
                }),
                201,
            );
            // The new key is B's: it sees B's programme, not A's member.
            expectProblem(
                await s.call("GET", `/v1/members/${A.member}`, { key: res.body.key }),
                404,
                "not-found",
            );
            noTraceOfA(res);
        },
        "GET /v1/keys": async (s) => {
            const res = expectStatus(await s.call("GET", "/v1/keys", { key: "adminB" }), 200);
            const ids = res.body.items.map((k) => k.id);
            assert.ok(ids.includes(s.keyIds.adminB));
            for (const name of ["adminA", "posA", "readA", "revokedA"])
                assert.ok(!ids.includes(s.keyIds[name]), name);
            noTraceOfA(res);
        },
        "DELETE /v1/keys/{id}": async (s) => {
            for (const name of ["adminA", "posA", "readA"]) {
                const res = await s.call("DELETE", `/v1/keys/${s.keyIds[name]}`, { key: "adminB" });
                expectProblem(res, 404, "not-found");
            }
            expectStatus(await s.call("GET", `/v1/members/${A.member}`, { key: "readA" }), 200);
        },
        // Last, since it creates B's own customer and member under A's ids.
        "POST /v1/members": async (s) => {
            // A's idempotency keys are A's: B reusing one applies B's own event (or refuses it),
            // never answers A's stored result.
            const own = await s.call("POST", "/v1/events", {
                key: "adminB",
                headers: { "Idempotency-Key": "A-100" },
                body: {
                    type: "order",
                    customer: A.member,
                    order_id: "A-100",
                    at: daysAgo(3),
                    lines: [{ sku: "BEANS", category: "beans", quantity: 2, unit_price_minor: 1200 }],
                },
            });
            assert.equal(own.headers.get("idempotent-replayed"), null, "not A's replay");
            expectStatus(own, 201);
            assert.equal(own.body.member, false, "a non-member order of B's own customer");
            noTraceOfA(own);
            const res = expectStatus(
                await s.call("POST", "/v1/members", {
                    key: "adminB",
                    body: { id: A.member, email: A.email },
                }),
                201,
            );
            assert.notEqual(res.body.card_code, A.cardCode);
            // B's own member: the bookshop's welcome bonus, and B's order of the customer credited
            // as pending points (1 point per euro of 24 EUR); nothing of A's.
            assert.equal(res.body.balance.available, 50);
            assert.equal(res.body.balance.pending, 24);
            const again = expectStatus(
                await s.call("GET", `/v1/members/${A.member}`, { key: "adminB" }),
                200,
            ).body;
            assert.equal(again.orders, 1, "B's own customer's order (POST /v1/events above), not A's");
            assert.equal(again.spend.amount_minor, 2400);
        },
    };

    for (const [route, check] of Object.entries(checks)) it(`B on ${route}`, async () => check(h.server));

    it("every route of the route table was walked", () => {
        const table = routeTable().map((r) => `${r.method} ${r.template}`);
        assert.deepEqual(Object.keys(checks).sort(), table.sort());
    });

    it("A's data is unchanged", async () => {
        const after = await snapshotA();
        assert.deepEqual(after.member, A.before.member);
        assert.deepEqual(after.ledger, A.before.ledger);
        assert.deepEqual(after.voucher, A.before.voucher);
        assert.equal(after.voucher.state, "issued");
        assert.deepEqual(after.program, A.before.program);
        assert.deepEqual(after.keys, A.before.keys);
        const verify = await h.server.cli(["verify"]);
        assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    });
});
