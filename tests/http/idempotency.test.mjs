// Idempotency over HTTP: the same Idempotency-Key and body sent 50 times at once applies once and
// answers the same status and body every time; a replay says so in Idempotent-Replayed; the same
// key with another body is a conflict. The server reads a plain order without a JSON tree and any
// other text with one: the same order written either way is the same event.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { daysAgo, expectProblem, expectStatus, useServer } from "./harness.mjs";

describe("idempotency", () => {
    const h = useServer({ serveArgs: ["--threads", "4"] });
    const order = {
        type: "order",
        customer: "ida",
        order_id: "I-1",
        at: daysAgo(1),
        lines: [{ sku: "ESPRESSO", category: "coffee", quantity: 3, unit_price_minor: 250 }],
    };

    it("50 parallel identical requests apply once", async () => {
        const s = h.server;
        expectStatus(
            await s.call("POST", "/v1/members", {
                key: "posA",
                body: { id: "ida", at: daysAgo(1, "07:00") },
            }),
            201,
        );
        const headers = { "Idempotency-Key": "order-I-1" };
        const answers = await Promise.all(
            Array.from({ length: 50 }, () =>
                s.call("POST", "/v1/events", { key: "posA", headers, body: order }),
            ),
        );
        const statuses = new Set(answers.map((a) => a.status));
        assert.deepEqual(
            [...statuses],
            [201],
            `statuses: ${[...statuses]}: ${answers.find((a) => a.status !== 201)?.text}`,
        );
        const bodies = new Set(answers.map((a) => a.text));
        assert.equal(bodies.size, 1, [...bodies].join("\n"));
        const first = answers[0].body;
        assert.equal(first.status, "applied");
        assert.equal(first.key, "order-I-1");
        // 750 minor: 75 base points + 20 for the first order.
        assert.equal(first.points, 95);
        const replayed = answers.filter((a) => a.headers.get("idempotent-replayed") === "true");
        assert.equal(replayed.length, 49, "every answer but the first is a replay");
        const fresh = answers.filter((a) => a.headers.get("idempotent-replayed") === null);
        assert.equal(fresh.length, 1);

        const ledger = expectStatus(
            await s.call("GET", "/v1/members/ida/ledger", { key: "readA" }),
            200,
        ).body;
        const earns = ledger.entries.filter((e) => e.event_key === "order-I-1" && e.account === "points");
        assert.equal(earns.length, 1);
        assert.equal(earns[0].kind, "earn");
        assert.equal(earns[0].amount, 95);
        const balance = expectStatus(
            await s.call("GET", "/v1/members/ida/balance", { key: "readA" }),
            200,
        ).body;
        assert.equal(balance.available, 20 + 95);
        assert.equal(balance.stamps.coffee.stamps, 3);
    });

    it("a later replay answers the same status and body", async () => {
        const s = h.server;
        const again = expectStatus(
            await s.call("POST", "/v1/events", {
                key: "posA",
                headers: { "Idempotency-Key": "order-I-1" },
                body: order,
            }),
            201,
        );
        assert.equal(again.headers.get("idempotent-replayed"), "true");
        assert.equal(again.body.points, 95);
    });

    it("the same key with another body is 409 and changes nothing", async () => {
        const s = h.server;
        const other = { ...order, lines: [{ ...order.lines[0], quantity: 4 }] };
        const res = await s.call("POST", "/v1/events", {
            key: "posA",
            headers: { "Idempotency-Key": "order-I-1" },
            body: other,
        });
        const problem = expectProblem(res, 409, "conflict");
        assert.equal(problem.field, "Idempotency-Key"); // the key came as the header
        const balance = expectStatus(
            await s.call("GET", "/v1/members/ida/balance", { key: "readA" }),
            200,
        ).body;
        assert.equal(balance.available, 115);
    });

    it("the same key with the body's fields in another order is a replay", async () => {
        const s = h.server;
        const reordered = Object.fromEntries(Object.entries(order).reverse());
        const res = expectStatus(
            await s.call("POST", "/v1/events", {
                key: "posA",
                headers: { "Idempotency-Key": "order-I-1" },
                body: reordered,
            }),
            201,
        );
        assert.equal(res.headers.get("idempotent-replayed"), "true");
    });

    it("a redemption retried in parallel spends once and issues one voucher", async () => {
        const s = h.server;
        const adjustment = {
            type: "adjustment",
            customer: "ida",
            points: 200,
            reason: "goodwill",
            author: "test",
        };
        expectStatus(
            await s.call("POST", "/v1/events", {
                key: "adminA",
                headers: { "Idempotency-Key": "adj-ida-1" },
                body: adjustment,
            }),
            201,
        );
        const headers = { "Idempotency-Key": "redeem-ida-1" };
        const answers = await Promise.all(
            Array.from({ length: 20 }, () =>
                s.call("POST", "/v1/members/ida/redemptions", {
                    key: "posA",
                    headers,
                    body: { reward: "pastry" },
                }),
            ),
        );
        assert.deepEqual([...new Set(answers.map((a) => a.status))], [201]);
        assert.equal(new Set(answers.map((a) => a.text)).size, 1);
        assert.equal(answers.filter((a) => a.headers.get("idempotent-replayed") === "true").length, 19);
        assert.equal(answers[0].body.vouchers.length, 1);
        assert.equal(answers[0].body.balance.available, 115);
        const balance = expectStatus(
            await s.call("GET", "/v1/members/ida/balance", { key: "readA" }),
            200,
        ).body;
        assert.equal(balance.available, 115);
        const ledger = expectStatus(
            await s.call("GET", "/v1/members/ida/ledger", { key: "readA" }),
            200,
        ).body;
        assert.equal(ledger.entries.filter((e) => e.kind === "redeem").length, 1);
    });

    it("the same order read with and without a JSON tree is one event", async () => {
        // "\u0045" is "E": escapes take the tree's way, the plain text the other; both ways
        // must give the same canonical text, so each is a replay of the other.
        const s = h.server;
        const post = (idempotencyKey, text) =>
            s.call("POST", "/v1/events", {
                key: "posA",
                headers: { "Idempotency-Key": idempotencyKey, "Content-Type": "application/json" },
                body: text,
            });
        const plain = JSON.stringify({ ...order, order_id: "I-2" });
        const escaped = plain.replace('"ESPRESSO"', '"\\u0045SPRESSO"');
        assert.notEqual(escaped, plain);
        const thirdOrder = (text) => text.replace('"I-2"', '"I-3"');
        for (const [key, first, second] of [
            ["order-I-2-plain-first", plain, escaped],
            ["order-I-3-escaped-first", thirdOrder(escaped), thirdOrder(plain)],
        ]) {
            const applied = expectStatus(await post(key, first), 201);
            assert.equal(applied.headers.get("idempotent-replayed"), null);
            const again = expectStatus(await post(key, second), 201);
            assert.equal(again.headers.get("idempotent-replayed"), "true", key);
            assert.equal(again.body.points, applied.body.points, key);
        }
        const ledger = expectStatus(
            await s.call("GET", "/v1/members/ida/ledger", { key: "readA" }),
            200,
        ).body;
        // A batch of plain orders is read without a tree too, and one escape sends the whole
        // batch the tree's way: either way the orders above are replays and the new one applies.
        const batchOf = (orders) => `{"events": [${orders.join(", ")}]}`;
        const keyed = (text, key) => text.replace("{", `{"key":"${key}",`);
        for (const [label, fourth] of [
            ["plain", plain.replace('"I-2"', '"I-4"')],
            ["escaped", escaped.replace('"I-2"', '"I-5"')],
        ]) {
            const key = `order-batch-${label}`;
            const res = expectStatus(
                await s.call("POST", "/v1/events/batch", {
                    key: "posA",
                    headers: { "Content-Type": "application/json" },
                    body: batchOf([
                        keyed(plain, "order-I-2-plain-first"),
                        keyed(thirdOrder(plain), "order-I-3-escaped-first"),
                        keyed(fourth, key),
                    ]),
                }),
                200,
            ).body;
            assert.deepEqual(
                res.results.map((r) => r.status),
                ["replayed", "replayed", "applied"],
                `${label}: ${JSON.stringify(res.results)}`,
            );
        }
        for (const key of ["order-I-2-plain-first", "order-I-3-escaped-first"])
            assert.equal(
                ledger.entries.filter((e) => e.event_key === key && e.account === "points").length,
                1,
                key,
            );
    });

    it("GET /v1/events/{key} answers the first result, byte for byte", async () => {
        const s = h.server;
        const first = expectStatus(
            await s.call("POST", "/v1/events", {
                key: "posA",
                headers: { "Idempotency-Key": "order-I-get" },
                body: { ...order, order_id: "I-get" },
            }),
            201,
        );
        const read = expectStatus(await s.call("GET", "/v1/events/order-I-get", { key: "readA" }), 200);
        assert.equal(read.text, first.text);
        assert.equal(read.body.status, "applied");
        // an earlier event, answered to other requests
        const earlier = expectStatus(await s.call("GET", "/v1/events/order-I-1", { key: "readA" }), 200);
        assert.equal(earlier.body.points, 95);
        expectProblem(await s.call("GET", "/v1/events/no-such-key", { key: "readA" }), 404, "not-found");
        // a refused event is not recorded: its key is free
        expectProblem(
            await s.call("POST", "/v1/events", {
                key: "posA",
                headers: { "Idempotency-Key": "order-I-bad" },
                body: { ...order, order_id: "I-bad", lines: [{ ...order.lines[0], quantity: 0 }] },
            }),
            422,
            "invalid-input",
        );
        expectProblem(await s.call("GET", "/v1/events/order-I-bad", { key: "readA" }), 404, "not-found");
    });
});
