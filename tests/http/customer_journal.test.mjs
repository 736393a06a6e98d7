// The journal of customers' state while `fidele serve` runs: the server keeps each changed
// member's state in memory and journals it (table customer_journal) instead of rewriting the
// member's row on every order, and folds the journal into the rows from time to time. Checked:
// - while the server runs, the API's balances equal what the CLI prints (balance, ledger), the
//   CLI folds the journal into the rows before it reads, and verify is clean;
// - a write by the CLI while the server runs (a manual adjustment) is seen by the API and kept by
//   the orders that follow;
// - after a crash (SIGKILL) the journal is folded by the next opener, the CLI or a new server,
//   and no acknowledged balance is lost;
// - a graceful stop (SIGTERM) folds the journal: the rows hold the balances the API gave.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";

import { daysAgo, expectStatus, Server, startServer } from "./harness.mjs";

const execFileP = promisify(execFile);

/** Rows of a query run by the sqlite3 command line on the server's database (not a fidele
 * connection: it folds nothing). */
async function sql(s, query) {
    const { stdout } = await execFileP("sqlite3", ["-cmd", ".timeout 5000", s.db, query]);
    return stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split("|").map(Number));
}

/** Images waiting in the journal (rows of customer_journal) and the count of folds. */
async function journal(s) {
    const [[rows, folds]] = await sql(
        s,
        "SELECT (SELECT COUNT(*) FROM customer_journal), (SELECT folds FROM customer_journal_folds)",
    );
    return { rows, folds };
}

/** The points columns of a member's row of merchant A, as the table holds them now. */
async function row(s, id) {
    const rows = await sql(
        s,
        "SELECT points_available, points_pending, points_lifetime FROM customers " +
            `WHERE merchant_id = 1 AND ref = '${id}'`,
    );
    assert.equal(rows.length, 1, `no row for ${id}`);
    const [[available, pending, lifetime]] = rows;
    return { available, pending, lifetime };
}

/** What the API and the CLI both print of a balance. */
const figures = ({ available, pending, lifetime, cashback, stamps }) => ({
    available,
    pending,
    lifetime,
    cashback,
    stamps,
});

async function apiBalance(s, id) {
    const res = await s.call("GET", `/v1/members/${id}/balance`, { key: "readA" });
    return figures(expectStatus(res, 200).body);
}

async function cliBalance(s, id) {
    const r = await s.cliOk(["balance", id], { json: true });
    assert.equal(r.json.customer, id);
    return figures(r.json);
}

/** The sum of the member's points entries in the ledger, read with the CLI, and the entries. */
async function ledgerPoints(s, id) {
    const entries = (await s.cliOk(["ledger", id], { json: true })).json.entries.filter(
        (e) => e.account === "points",
    );
    return { sum: entries.reduce((n, e) => n + e.amount, 0), entries };
}

async function verifyOk(s) {
    const v = await s.cli(["verify"]);
    assert.equal(v.code, 0, `verify: ${v.stdout}${v.stderr}`);
}

/** Orders at distinct instants from 07:10 UTC yesterday (mornings: no afternoon bonus). */
function at(n) {
    const m = 430 + n;
    const two = (x) => String(x).padStart(2, "0");
    return daysAgo(1, `${two(Math.floor(m / 60))}:${two(m % 60)}`);
}

async function enrol(s, ids) {
    for (const id of ids)
        expectStatus(
            await s.call("POST", "/v1/members", { key: "posA", body: { id, at: daysAgo(2, "07:00") } }),
            201,
        );
}

/** Orders `from`..`from + count - 1` of each member (one client per member, all at once), each
 * answered 201; returns each member's balance in the answer to its last order. */
async function postOrders(s, ids, count, from = 0) {
    const last = {};
    await Promise.all(
        ids.map(async (id) => {
            for (let i = from; i < from + count; i++) {
                const line = { sku: "ESPRESSO", category: "coffee", quantity: 1 + (i % 3) };
                const res = await s.call("POST", "/v1/events", {
                    key: "posA",
                    headers: { "Idempotency-Key": `${id}-${i}` },
                    body: {
                        type: "order",
                        customer: id,
                        order_id: `${id}-${i}`,
                        at: at(i),
                        lines: [{ ...line, unit_price_minor: 250 + 37 * i }],
                    },
                });
                last[id] = figures(expectStatus(res, 201).body.balance);
            }
        }),
    );
    return last;
}

/** The members' rows hold the points of the API's balances. */
async function expectRows(s, ids, api) {
    for (const id of ids) {
        const { available, pending, lifetime } = api[id];
        assert.deepEqual(await row(s, id), { available, pending, lifetime }, `row of ${id}`);
    }
}

/** The API's balances, checked against the CLI's balance and ledger, then against the rows
 * (which the CLI's commands fold the journal into first). */
async function expectCliAgrees(s, ids, api) {
    for (const id of ids) {
        assert.deepEqual(await cliBalance(s, id), api[id], `fidele balance ${id}`);
        assert.equal((await ledgerPoints(s, id)).sum, api[id].available, `ledger of ${id}`);
    }
    await expectRows(s, ids, api);
}

/** A new server on the database of an earlier one (stopped or killed). */
async function restart(old) {
    fs.rmSync(old.readyFile, { force: true });
    const s = new Server(old.dir);
    Object.assign(s.keys, old.keys);
    return s.start();
}

async function apiBalances(s, ids) {
    return Object.fromEntries(await Promise.all(ids.map(async (id) => [id, await apiBalance(s, id)])));
}

describe("customer journal", () => {
    it("while the server runs, the CLI folds the journal first and agrees with the API", async () => {
        const s = await startServer();
        try {
            const ids = ["ann", "ben", "cid"];
            await enrol(s, ids);
            const start = await journal(s);
            const last = await postOrders(s, ids, 10);
            // no fidele command yet: the orders are in the journal, or the server folded it
            const j = await journal(s);
            assert.ok(j.rows > 0 || j.folds > start.folds, JSON.stringify({ start, j }));
            const api = await apiBalances(s, ids);
            assert.deepEqual(api, last, "a balance read differs from the last order's answer");
            await expectCliAgrees(s, ids, api);
            assert.equal((await journal(s)).rows, 0, "a fidele command left the journal");
            await verifyOk(s);
            assert.deepEqual(await apiBalances(s, ids), api, "the API after the CLI's fold");
        } finally {
            await s.stop();
        }
    });

    it("a profile changed through the API between orders is kept, as are the orders' points", async () => {
        const s = await startServer();
        try {
            const ids = ["fay", "gil"];
            await enrol(s, ids);
            await postOrders(s, ids, 6);
            // a request thread writes the profile on its own connection: it folds first, and the
            // committer, which held fay's image with the old profile, forgets it
            const patched = await s.call("PATCH", "/v1/members/fay", {
                key: "posA",
                body: { email: "fay@example.org" },
            });
            expectStatus(patched, 200);
            const last = await postOrders(s, ids, 6, 6);
            const member = expectStatus(await s.call("GET", "/v1/members/fay", { key: "readA" }), 200);
            assert.equal(member.body.email, "fay@example.org", "the API's member after more orders");
            assert.equal(member.body.balance.available, last.fay.available, "the member's balance");
            // the list reads each row through the committer's images too
            const list = expectStatus(await s.call("GET", "/v1/members", { key: "readA" }), 200);
            for (const id of ids) {
                const item = list.body.items.find((m) => m.id === id);
                assert.ok(item, `${id} listed`);
                assert.equal(item.balance.available, last[id].available, `${id} in the list`);
            }
            const shown = await s.cliOk(["member", "show", "fay"], { json: true });
            assert.equal(shown.json.email, "fay@example.org", "the CLI's member after its fold");
            await expectCliAgrees(s, ids, await apiBalances(s, ids));
            await verifyOk(s);
        } finally {
            await s.stop();
        }
    });

    it("an adjustment posted with the CLI while the server runs is kept", async () => {
        const s = await startServer();
        try {
            const ids = ["dee", "eve"];
            await enrol(s, ids);
            await postOrders(s, ids, 10);
            const before = await apiBalance(s, "dee");
            const file = path.join(s.dir, "adjustment.json");
            const adjustment = { type: "adjustment", key: "adj-dee", customer: "dee", points: 123 };
            fs.writeFileSync(file, JSON.stringify({ ...adjustment, reason: "goodwill", author: "it" }));
            const posted = (await s.cliOk(["event", "post", file], { json: true })).json;
            const result = Array.isArray(posted) ? posted[0] : posted;
            assert.equal(result.status, "applied");
            assert.equal(result.balance.available, before.available + 123, "the CLI's result");
            assert.equal((await apiBalance(s, "dee")).available, before.available + 123, "the API");
            const last = await postOrders(s, ids, 5, 10);
            const api = await apiBalances(s, ids);
            assert.deepEqual(api, last, "a balance read differs from the last order's answer");
            await expectCliAgrees(s, ids, api);
            const adjusts = (await ledgerPoints(s, "dee")).entries.filter((e) => e.kind === "adjust");
            assert.deepEqual(
                adjusts.map((e) => [e.event_key, e.amount]),
                [["adj-dee", 123]],
            );
            await verifyOk(s);
        } finally {
            await s.stop();
        }
    });

    it("after a crash the next opener folds the journal: no acknowledged balance is lost", async () => {
        let s = await startServer();
        try {
            const ids = ["fay", "gus", "hal"];
            await enrol(s, ids);
            await postOrders(s, ids, 10);
            const api = await apiBalances(s, ids);
            s.signal("SIGKILL");
            assert.deepEqual(await s.terminate(), { code: null, signal: "SIGKILL" });
            const j = await journal(s);
            if (j.rows === 0) await expectRows(s, ids, api); // folded already
            await expectCliAgrees(s, ids, api);
            const folded = await journal(s);
            assert.equal(folded.rows, 0, "the CLI left the journal");
            if (j.rows > 0) assert.equal(folded.folds, j.folds + 2); // a fold of all counts two
            await verifyOk(s);

            s = await restart(s);
            assert.deepEqual(await apiBalances(s, ids), api, "a new server after the crash");
            // a second crash, and this time a server is the next opener
            const last = await postOrders(s, ids, 5, 10);
            const api2 = await apiBalances(s, ids);
            assert.deepEqual(api2, last, "a balance read differs from the last order's answer");
            s.signal("SIGKILL");
            assert.deepEqual(await s.terminate(), { code: null, signal: "SIGKILL" });
            const left = await journal(s);
            s = await restart(s);
            const started = await journal(s);
            assert.equal(started.rows, 0, "the new server left what the crash left in the journal");
            if (left.rows > 0) assert.ok(started.folds > left.folds);
            await expectRows(s, ids, api2);
            assert.deepEqual(await apiBalances(s, ids), api2, "a new server after the second crash");
            await expectCliAgrees(s, ids, api2);
            await verifyOk(s);
        } finally {
            if (s.exit) fs.rmSync(s.dir, { recursive: true, force: true });
            else await s.stop();
        }
    });

    it("a graceful stop folds the journal into the rows", async () => {
        const s = await startServer();
        try {
            const ids = ["ida", "jon"];
            await enrol(s, ids);
            const start = await journal(s);
            await postOrders(s, ids, 10);
            const api = await apiBalances(s, ids);
            assert.deepEqual(await s.terminate(), { code: 0, signal: null }, s.stderr.slice(-2000));
            const j = await journal(s);
            assert.equal(j.rows, 0, "images left in the journal after SIGTERM");
            assert.ok(j.folds > start.folds, JSON.stringify({ start, j }));
            await expectRows(s, ids, api);
        } finally {
            await s.stop();
        }
    });
});
