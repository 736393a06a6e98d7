// Scheduled work in the server: every --due-every seconds the committer confirms pending points,
// expires lots and balances and reviews tiers that fell due, as `fidele run-due` would, so that
// balances read through the API are current without an outside run. Checked:
// - points whose inactivity expiry fell due expire by themselves (the cafe's 12 months);
// - with --due-every 0 they wait for `fidele run-due`, which then does it beside the server;
// - thousands due when the server starts are all done within seconds (a batch at a time, the
//   journal folded between batches so that the next one picks the next customers);
// - the ledger says why, and verify is clean.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";

import { daysAgo, expectStatus, sleep, startServer } from "./harness.mjs";

/** A member who enrolled 400 days ago and ordered the day after: her points are due to expire. */
async function lapsedMember(s, id) {
    expectStatus(await s.call("POST", "/v1/members", { key: "posA", body: { id, at: daysAgo(400) } }), 201);
    const order = {
        type: "order",
        customer: id,
        order_id: `${id}-1`,
        at: daysAgo(399),
        lines: [{ sku: "ESPRESSO", category: "coffee", quantity: 1, unit_price_minor: 1000 }],
    };
    const res = await s.call("POST", "/v1/events", {
        key: "posA",
        headers: { "Idempotency-Key": order.order_id },
        body: order,
    });
    const available = expectStatus(res, 201).body.balance.available;
    assert.ok(available > 0, "she earned points");
    return available;
}

async function available(s, id) {
    return expectStatus(await s.call("GET", `/v1/members/${id}/balance`, { key: "readA" }), 200).body.available;
}

/** Polls the member's balance until it is `want` or `seconds` pass; returns the last one read. */
async function waitForBalance(s, id, want, seconds) {
    let last;
    for (const until = Date.now() + seconds * 1000; Date.now() < until; await sleep(100)) {
        last = await available(s, id);
        if (last === want) break;
    }
    return last;
}

async function verifyOk(s) {
    const v = await s.cli(["verify"]);
    assert.equal(v.code, 0, `verify: ${v.stdout}${v.stderr}`);
}

describe("scheduled work in the server", () => {
    it("points whose expiry fell due expire without run-due", async () => {
        const s = await startServer({ serveArgs: ["--due-every", "1"] });
        try {
            await lapsedMember(s, "lapsed");
            assert.equal(await waitForBalance(s, "lapsed", 0, 10), 0, "expired within a few rounds");
            const ledger = expectStatus(
                await s.call("GET", "/v1/members/lapsed/ledger", { key: "readA" }),
                200,
            ).body.entries;
            const expiry = ledger.filter((e) => e.kind === "expire");
            assert.ok(expiry.length > 0, "an expiry entry");
            assert.ok(
                expiry.every((e) => e.explanation[0].label === "No activity: balance expired"),
                "the entries say why",
            );
            await verifyOk(s);
        } finally {
            await s.stop();
        }
    });

    it("a new expiry rule saved by another process is the one its rounds apply", async () => {
        // No event reaches the server after the change: its rounds must read the programme
        // themselves, else they judge the members the rule made due by the old rule and clear
        // their due mark for good.
        const s = await startServer({ serveArgs: ["--due-every", "1"] });
        try {
            expectStatus(await s.call("POST", "/v1/members", { key: "posA", body: { id: "kept", at: daysAgo(60) } }), 201);
            const before = await available(s, "kept");
            assert.ok(before > 0, "a welcome bonus, within the cafe's 12 months");
            const shown = await s.cliOk(["program", "show"], { json: true });
            const rule = { ...shown.json.program, expiry: { mode: "inactivity", months: 1 } };
            fs.writeFileSync(path.join(s.dir, "one-month.json"), JSON.stringify(rule));
            await s.cliOk(["program", "set", path.join(s.dir, "one-month.json")]);
            assert.equal(await waitForBalance(s, "kept", 0, 10), 0, "expired by the new rule's round");
            await verifyOk(s);
        } finally {
            await s.stop();
        }
    });

    it("thousands of customers due at start are all done within seconds", async () => {
        const s = await startServer({ start: false });
        try {
            const lines = [];
            for (let i = 0; i < 2500; i++) {
                const id = `due${i}`;
                lines.push(JSON.stringify({ type: "enrol", key: `e-${id}`, customer: id, at: daysAgo(400) }));
                lines.push(
                    JSON.stringify({
                        type: "order",
                        key: `o-${id}`,
                        customer: id,
                        order_id: `o-${id}`,
                        at: daysAgo(399),
                        lines: [{ sku: "ESPRESSO", category: "coffee", quantity: 1, unit_price_minor: 1000 }],
                    }),
                );
            }
            const file = path.join(s.dir, "lapsed.ndjson");
            fs.writeFileSync(file, lines.join("\n") + "\n");
            const posted = await s.cli(["event", "post", file]);
            assert.equal(posted.code, 0, posted.stderr);
            await s.start(["--due-every", "60"]); // the round at start, then catching up
            for (const id of ["due0", "due1250", "due2499"])
                assert.equal(await waitForBalance(s, id, 0, 15), 0, id);
            const left = await s.cli(["--json", "member", "list", "--all", "--limit", "5000"]);
            assert.equal(left.code, 0, left.stderr);
            const members = JSON.parse(left.stdout);
            assert.equal(members.filter((m) => m.id.startsWith("due")).length, 2500);
            const unexpired = members.filter((m) => m.balance.available > 0);
            assert.deepEqual(unexpired.map((m) => m.id), [], "every lapsed balance expired");
            await verifyOk(s);
        } finally {
            await s.stop();
        }
    });

    it("with --due-every 0, run-due beside the server does it", async () => {
        const s = await startServer({ serveArgs: ["--due-every", "0"] });
        try {
            const earned = await lapsedMember(s, "lapsed");
            await sleep(1500);
            assert.equal(await available(s, "lapsed"), earned, "nothing ran in the server");
            const run = await s.cli(["run-due"]);
            assert.equal(run.code, 0, run.stderr);
            assert.equal(await available(s, "lapsed"), 0, "the API reads what run-due wrote");
            await verifyOk(s);
        } finally {
            await s.stop();
        }
    });
});
