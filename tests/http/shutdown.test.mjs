// Graceful stop: SIGTERM while 20 POST /v1/events are in flight. Every request answered 2xx is
// in the database afterwards (read with the CLI once the server is gone), nothing is applied
// twice, the invariants hold, and the server exits 0, even when SIGTERM comes twice.
// A crash: SIGKILL while 16 clients post orders one after another (the committer applying some,
// the syncer syncing others): every request answered 2xx is in the database all the same, and
// verify is clean.
import assert from "node:assert/strict";
import fs from "node:fs";
import { describe, it } from "node:test";

import { execFile } from "node:child_process";
import { promisify } from "node:util";

import { FIDELE, daysAgo, expectStatus, startServer, useServer } from "./harness.mjs";

const execFileP = promisify(execFile);

/** The points-earning ledger entries of orders, by event key, read with the CLI. */
async function earnedByKey(server, customer) {
    const ledger = await server.cliOk(["ledger", customer], { json: true });
    const earns = ledger.json.entries.filter((e) => e.kind === "earn" && e.account === "points" && e.order_id);
    const byKey = new Map(earns.map((e) => [e.event_key, e]));
    assert.equal(byKey.size, earns.length, "an event applied twice");
    return byKey;
}

const N = 20;

describe("one server per database", () => {
    it("a second fidele serve on the same database is refused; the lock goes with a killed one", async () => {
        const s = await startServer();
        const serve = (timeout) =>
            execFileP(FIDELE, ["--db", s.db, "serve", "--listen", "127.0.0.1:0", "--due-every", "0"], {
                timeout,
            }).catch((e) => e);
        try {
            const second = await serve(10000);
            assert.equal(second.code, 2, `the second server exited ${second.code}: ${second.stderr}`);
            assert.match(second.stderr, /another fidele serve runs on .*: one server per database/);
            expectStatus(await s.call("GET", "/v1/program", { key: "readA" }), 200);
            s.signal("SIGKILL");
            await s.terminate();
            // a server that starts serves until stopped: here until the timeout's SIGTERM, after
            // which it stops cleanly
            const third = await serve(3000);
            assert.match(third.stdout, /listening on/, `the third server: ${third.code} ${third.stderr}`);
        } finally {
            if (!process.env.FIDELE_HTTP_KEEP) fs.rmSync(s.dir, { recursive: true, force: true });
        }
    });
});

describe("graceful shutdown", () => {
    const h = useServer({ serveArgs: ["--threads", "2"] });

    it(`SIGTERM with ${N} events in flight loses no acknowledged write`, async () => {
        const s = h.server;
        expectStatus(
            await s.call("POST", "/v1/members", {
                key: "posA",
                body: { id: "sig", at: daysAgo(1, "07:00") },
            }),
            201,
        );
        const order = (i) => ({
            type: "order",
            customer: "sig",
            order_id: `SIG-${i}`,
            at: daysAgo(1),
            lines: [{ sku: "ESPRESSO", category: "coffee", quantity: 1, unit_price_minor: 250 + i * 10 }],
        });
        let signalled = false;
        const requests = Array.from({ length: N }, (_, i) =>
            s
                .call("POST", "/v1/events", {
                    key: "posA",
                    headers: { "Idempotency-Key": `sig-${i}` },
                    body: order(i),
                })
                .then(
                    (res) => {
                        // Stop as soon as the first answer arrives: the others are still in flight.
                        if (!signalled) {
                            signalled = true;
                            s.signal("SIGTERM");
                            // A second signal during the stop (an impatient operator) changes nothing.
                            setTimeout(() => s.signal("SIGTERM"), 1);
                        }
                        return { i, status: res.status, body: res.body };
                    },
                    (error) => ({ i, error: error.message }),
                ),
        );
        const outcomes = await Promise.all(requests);
        const exit = await s.terminate();
        assert.deepEqual(exit, { code: 0, signal: null }, `exit after SIGTERM: ${s.stderr.slice(-2000)}`);
        assert.match(s.stderr, /SIGTERM received, finishing requests in flight/);

        const acknowledged = outcomes.filter((o) => o.status >= 200 && o.status < 300);
        const refused = outcomes.filter((o) => o.status !== undefined && (o.status < 200 || o.status >= 300));
        assert.ok(acknowledged.length >= 1, JSON.stringify(outcomes));
        assert.deepEqual(refused, [], "an answered request is a success: the server stops without refusing");

        const earned = await earnedByKey(s, "sig");
        for (const o of acknowledged) {
            const entry = earned.get(`sig-${o.i}`);
            assert.ok(entry, `request ${o.i} answered ${o.status} but is not in the ledger`);
            assert.equal(entry.amount, o.body.points);
        }
        // Whatever is in the ledger was sent once, and applied once.
        assert.ok([...earned.keys()].every((k) => /^sig-\d+$/.test(k)));
        const verify = await s.cli(["verify"]);
        assert.equal(verify.code, 0, verify.stdout + verify.stderr);
        console.log(
            `# shutdown: ${acknowledged.length} acknowledged, ${earned.size} in the ledger, ` +
                `${outcomes.filter((o) => o.error).length} cut off`,
        );
    });

    it("SIGKILL with events in flight loses no acknowledged write", async () => {
        const s = await startServer({ serveArgs: ["--threads", "2"] });
        try {
            expectStatus(
                await s.call("POST", "/v1/members", { key: "posA", body: { id: "kill", at: daysAgo(1, "07:00") } }),
                201,
            );
            // 16 clients, each posting one order after another until the server is gone.
            let answered = 0;
            const order = (i) => ({
                type: "order",
                customer: "kill",
                order_id: `KILL-${i}`,
                at: daysAgo(1),
                lines: [{ sku: "ESPRESSO", category: "coffee", quantity: 1, unit_price_minor: 300 + (i % 500) }],
            });
            const client = async (c) => {
                const done = [];
                for (let n = 0; ; n++) {
                    const i = n * 16 + c;
                    try {
                        const res = await s.call("POST", "/v1/events", {
                            key: "posA",
                            headers: { "Idempotency-Key": `kill-${i}` },
                            body: order(i),
                        });
                        done.push({ i, status: res.status, body: res.body });
                        if (++answered === 80) s.signal("SIGKILL");
                    } catch (error) {
                        done.push({ i, error: error.message });
                        return done;
                    }
                }
            };
            const outcomes = (await Promise.all(Array.from({ length: 16 }, (_, c) => client(c)))).flat();
            assert.deepEqual(await s.terminate(), { code: null, signal: "SIGKILL" });
            const acknowledged = outcomes.filter((o) => o.status >= 200 && o.status < 300);
            assert.ok(acknowledged.length >= 80, JSON.stringify(outcomes));
            const earned = await earnedByKey(s, "kill");
            for (const o of acknowledged) {
                const entry = earned.get(`kill-${o.i}`);
                assert.ok(entry, `request ${o.i} answered ${o.status} but is not in the ledger`);
                assert.equal(entry.amount, o.body.points);
            }
            const verify = await s.cli(["verify"]);
            assert.equal(verify.code, 0, verify.stdout + verify.stderr);
            console.log(
                `# kill: ${acknowledged.length} acknowledged, ${earned.size} in the ledger, ` +
                    `${outcomes.filter((o) => o.error).length} cut off`,
            );
        } finally {
            if (!process.env.FIDELE_HTTP_KEEP) fs.rmSync(s.dir, { recursive: true, force: true });
        }
    });
});
