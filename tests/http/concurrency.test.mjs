// Concurrent redemptions never overdraw: a member holds exactly enough points for N pastries, 3N
// redemptions with distinct idempotency keys race, N succeed and the rest are refused as
// insufficient; `fidele verify` then finds every ledger invariant intact.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { daysAgo, expectProblem, expectStatus, useServer } from "./harness.mjs";

const N = 6;
const PASTRY = 200; // cost_points of "pastry" in the cafe template
const WELCOME = 20; // enrolment.bonus_points of the cafe template

describe("concurrency", () => {
    // poll rather than the default epoll: the racing requests, each suspended until its commit
    // is durable, keep that way of waiting covered too
    const h = useServer({ serveArgs: ["--threads", "4", "--poll"] });

    it(`${3 * N} parallel redemptions for ${N} pastries: exactly ${N} succeed`, async () => {
        const s = h.server;
        expectStatus(
            await s.call("POST", "/v1/members", {
                key: "posA",
                body: { id: "conc", at: daysAgo(1, "07:00") },
            }),
            201,
        );
        const adjustment = {
            type: "adjustment",
            customer: "conc",
            points: N * PASTRY - WELCOME,
            reason: "test",
            author: "test",
        };
        expectStatus(
            await s.call("POST", "/v1/events", {
                key: "adminA",
                headers: { "Idempotency-Key": "adj-conc" },
                body: adjustment,
            }),
            201,
        );
        const before = expectStatus(
            await s.call("GET", "/v1/members/conc/balance", { key: "readA" }),
            200,
        ).body;
        assert.equal(before.available, N * PASTRY);

        const answers = await Promise.all(
            Array.from({ length: 3 * N }, (_, i) =>
                s.call("POST", "/v1/members/conc/redemptions", {
                    key: "posA",
                    headers: { "Idempotency-Key": `race-${i}` },
                    body: { reward: "pastry" },
                }),
            ),
        );
        const won = answers.filter((a) => a.status === 201);
        const lost = answers.filter((a) => a.status !== 201);
        assert.equal(won.length, N, answers.map((a) => `${a.status} ${a.text}`).join("\n"));
        for (const a of lost) expectProblem(a, 422, "insufficient");
        const codes = new Set(won.map((a) => a.body.vouchers[0].code));
        assert.equal(codes.size, N, "each success issued its own voucher");
        assert.deepEqual(
            won.map((a) => a.body.balance.available).sort((x, y) => x - y),
            Array.from({ length: N }, (_, i) => i * PASTRY),
            "each success saw the balance after the one before",
        );

        const after = expectStatus(
            await s.call("GET", "/v1/members/conc/balance", { key: "readA" }),
            200,
        ).body;
        assert.equal(after.available, 0);
        const ledger = expectStatus(
            await s.call("GET", "/v1/members/conc/ledger", { key: "readA" }),
            200,
        ).body;
        const redeems = ledger.entries.filter((e) => e.kind === "redeem");
        assert.equal(redeems.length, N);
        assert.ok(redeems.every((e) => e.amount === -PASTRY));
    });

    it("fidele verify passes on the database afterwards", async () => {
        const r = await h.server.cli(["verify"]);
        assert.equal(r.code, 0, `fidele verify exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
    });
});
