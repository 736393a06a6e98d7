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
// And the journal against other connections' writes (the CLI's, a request thread's):
// - a write that commits without folding (a key created), then a transaction of the committer
//   that rolls back and retries, loses no acknowledged order;
// - no API read is older than an answer already given, during the committer's transaction after
//   such a write, or while read-only CLI commands fold the journal;
// - a profile change or a CLI adjustment while the committer's fold is in progress is read back.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";

import { daysAgo, expectProblem, expectStatus, FIDELE, Server, sleep, startServer } from "./harness.mjs";

const execFileP = promisify(execFile);

/** Rows of a query run by the sqlite3 command line on the server's database (not a fidele
 * connection: it folds nothing; read-only: it leaves a crashed server's log as it was). */
async function sql(s, query) {
    const { stdout } = await execFileP("sqlite3", ["-readonly", "-cmd", ".timeout 5000", s.db, query]);
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

/** Runs argv with the server's directory mounted read-only, in a mount namespace of its own
 * (a user namespace too when not root). */
async function readOnly(s, argv) {
    const script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"';
    const namespaces = process.getuid() === 0 ? ["-m"] : ["-r", "-m"];
    try {
        const args = [...namespaces, "sh", "-c", script, "sh", s.dir, ...argv];
        const { stdout, stderr } = await execFileP("unshare", args);
        return { code: 0, stdout, stderr };
    } catch (e) {
        return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
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

    it("after a crash, a database that cannot be written is read through the journal", async () => {
        let s = await startServer();
        try {
            const ids = ["ida", "jon"];
            await enrol(s, ids);
            let api, left;
            for (let round = 0; round < 3 && !left?.rows; round++) {
                if (round > 0) s = await restart(s);
                await postOrders(s, ids, 4, 4 * round);
                api = await apiBalances(s, ids);
                s.signal("SIGKILL");
                assert.deepEqual(await s.terminate(), { code: null, signal: "SIGKILL" });
                left = await journal(s);
            }
            assert.ok(left.rows > 0, "no crash left images in the journal");
            assert.ok(fs.existsSync(`${s.db}-wal`), "the crash left its log");
            const denied = await readOnly(s, ["sh", "-c", `touch "${s.dir}/probe"`]);
            assert.notEqual(denied.code, 0, "the directory is not read-only in the namespace");
            for (const id of ids) {
                const r = await readOnly(s, [FIDELE, "--db", s.db, "--json", "balance", id]);
                assert.equal(r.code, 0, `balance ${id}: ${r.stderr}`);
                assert.deepEqual(figures(JSON.parse(r.stdout)), api[id], `balance of ${id}`);
            }
            const list = await readOnly(s, [FIDELE, "--db", s.db, "--json", "member", "list"]);
            assert.equal(list.code, 0, list.stderr);
            for (const m of JSON.parse(list.stdout))
                assert.equal(m.balance.available, api[m.id].available, `member list: ${m.id}`);
            const liability = ["liability", "--from", "2020-01-01", "--to", "2100-01-01"];
            for (const args of [["segments"], ["verify"], liability]) {
                const r = await readOnly(s, [FIDELE, "--db", s.db, ...args]);
                assert.equal(r.code, 1, `${args[0]} on rows behind the journal: ${r.stdout}`);
                assert.match(r.stderr, /cannot be written/, args[0]);
            }
            assert.deepEqual(await journal(s), left, "nothing was folded");
            await expectCliAgrees(s, ids, api); // writable again: folds
            await verifyOk(s);
            // closed cleanly (no log left), read-only: opened immutable
            assert.ok(!fs.existsSync(`${s.db}-wal`), "the CLI left a log");
            const clean = await readOnly(s, [FIDELE, "--db", s.db, "--json", "balance", "jon"]);
            assert.equal(clean.code, 0, clean.stderr);
            assert.deepEqual(figures(JSON.parse(clean.stdout)), api.jon, "balance read immutable");
            const refused = await readOnly(s, [FIDELE, "--db", s.db, "run-due"]);
            assert.notEqual(refused.code, 0, "a write on a read-only database");
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

/** An order of one espresso at 10 EUR: 100 points on a morning, before any tier. */
function espresso(customer, orderId, when = at(0)) {
    return {
        type: "order",
        customer,
        order_id: orderId,
        at: when,
        lines: [{ sku: "ESPRESSO", category: "coffee", quantity: 1, unit_price_minor: 1000 }],
    };
}

/** Posts one order (its order id as Idempotency-Key), answered 201; returns the answer's body. */
async function order(s, event) {
    const res = await s.call("POST", "/v1/events", {
        key: "posA",
        headers: { "Idempotency-Key": event.order_id },
        body: event,
    });
    return expectStatus(res, 201).body;
}

/** Posts a batch, answered 200 (once durable) with every event applied; returns the results. */
async function batch(s, events) {
    const res = await s.call("POST", "/v1/events/batch", { key: "posA", body: { events } });
    const { results } = expectStatus(res, 200).body;
    const failed = results.find((r) => r.status !== "applied");
    assert.equal(failed, undefined, `an event of the batch: ${JSON.stringify(failed)}`);
    return results;
}

/** Enrols members m0000, m0001... in one batch (with an email m0000@old.org... if asked). */
async function enrolMany(s, count, { email = false } = {}) {
    const ids = Array.from({ length: count }, (_, i) => `m${String(i).padStart(4, "0")}`);
    const enrolment = (id) => ({ type: "enrol", key: `e-${id}`, customer: id });
    await batch(s, ids.map((id) => (email ? { ...enrolment(id), email: `${id}@old.org` } : enrolment(id))));
    return ids;
}

/**
 * 1,200 members enrolled, then the committer's fold in progress: past its 5 s interval its next
 * transaction (an order of m0005) folds the first 512 rows of the 1,200, and the next two
 * transactions would fold the rest. Returns the answer to the order.
 */
async function foldInProgress(s, options) {
    await enrolMany(s, 1200, options);
    await sleep(5500);
    const ordered = await order(s, espresso("m0005", "o-1"));
    // the enrolment bonus (20 points) is in the images: the first row holds it, the last not yet
    assert.equal((await row(s, "m0000")).available, 20, "the fold has not begun");
    assert.equal((await row(s, "m1199")).available, 0, "the fold is over already");
    return ordered;
}

// Writes by other connections while the server journals: such a writer folds the journal first
// (or writes no customer), and the committer, seeing PRAGMA data_version move, must stop trusting
// its images without dropping any that a reader, or its own next transaction, still needs.
describe("customer journal and other connections' writes", () => {
    for (const via of ["fidele key create", "POST /v1/keys"])
        it(`a key created with ${via}, then a redemption rolled back: no order is lost`, async () => {
            // A key writes no customer: its connection commits without folding. The committer's
            // next transaction, alice's redemption, writes her due expiry, fails (too few points)
            // and rolls back: what it learnt of the other commit must be rolled back too, or
            // bob's next order starts from a stale state (it was answered 120 points, not 640,
            // and verify failed).
            const s = await startServer();
            try {
                // alice's only order is 399 days old: her points expire for inactivity (12 months)
                const alice = { id: "alice", at: daysAgo(400) };
                expectStatus(await s.call("POST", "/v1/members", { key: "posA", body: alice }), 201);
                await order(s, espresso("alice", "a-0", daysAgo(399)));
                await enrol(s, ["bob"]);
                let acked; // bob's balance in the answer to his 5th order
                for (let i = 0; i < 5; i++)
                    acked = (await order(s, espresso("bob", `b-${i}`, at(i)))).balance;
                if (via === "fidele key create") await s.createKey("readA2", 1, "read");
                else {
                    const key = await s.call("POST", "/v1/keys", { key: "adminA", body: { scope: "read" } });
                    expectStatus(key, 201);
                }
                const refused = await s.call("POST", "/v1/members/alice/redemptions", {
                    key: "posA",
                    headers: { "Idempotency-Key": "red-alice" },
                    body: { reward: "five-off" },
                });
                assert.match(expectProblem(refused, 422, "insufficient").detail, /available balance is 0/);
                const next = await order(s, espresso("bob", "b-5", at(5)));
                assert.equal(next.balance.available, acked.available + 100, "bob's order after the retry");
                assert.equal(next.balance.lifetime, acked.lifetime + 100, "bob's lifetime points");
                const api = await apiBalances(s, ["alice", "bob"]);
                assert.deepEqual(api.bob, figures(next.balance), "bob's balance read");
                await expectCliAgrees(s, ["alice", "bob"], api);
                await verifyOk(s);
            } finally {
                await s.stop();
            }
        });

    it("after a key created with the CLI, no balance read is older than acknowledged", async () => {
        // The committer's next transaction after the key (a batch of 30,000 orders, about a
        // second) forgot its images before it committed: meanwhile request threads read rows that
        // did not hold them yet (most reads were stale).
        const s = await startServer({
            serveArgs: ["--threads", "4", "--batch-limit", "30000", "--body-limit", String(16 << 20)],
        });
        try {
            const ids = await enrolMany(s, 16);
            const acked = {}; // the balance answered to each member's order
            const orders = ids.map((id) => ({ key: `${id}-1`, ...espresso(id, `${id}-1`) }));
            for (const r of await batch(s, orders)) acked[r.customer] = r.balance.available;
            assert.equal(Object.keys(acked).length, ids.length);
            await s.createKey("readA2", 1, "read");
            const others = Array.from({ length: 30000 }, (_, i) => ({
                key: `x${i}`,
                ...espresso(`x${i}`, `x${i}`),
            }));
            let done = false;
            let reads = 0;
            const stale = [];
            const reader = async (id) => {
                while (!done) {
                    const res = await s.call("GET", `/v1/members/${id}/balance`, {
                        key: "readA",
                        headers: { Connection: "close" },
                    });
                    const { available } = expectStatus(res, 200).body;
                    reads++;
                    if (available < acked[id]) stale.push(`${id}: ${available} < ${acked[id]}`);
                }
            };
            await Promise.all([batch(s, others).finally(() => (done = true)), ...ids.map(reader)]);
            assert.ok(reads >= ids.length, `only ${reads} reads during the batch`);
            assert.deepEqual(stale.slice(0, 5), [], `${stale.length} of ${reads} reads were stale`);
            await verifyOk(s);
        } finally {
            await s.stop();
        }
    });

    it("lists are never older than acknowledged while `fidele balance` folds again and again", async () => {
        // A read-only CLI command folds the journal as it opens the database; the committer then
        // dropped all its images at its next transaction, although lists whose snapshot began
        // before that fold still read through them. A race, for 4 s or more: a client orders for the
        // last 100 of the 500 members, ten a batch, while another lists the 500. 10,000 customers
        // who never enrolled sort between m0399 and m0400: the list steps over them, and so reads
        // the ordering members well after its snapshot began (a list in four to ten was stale).
        const s = await startServer({ serveArgs: ["--threads", "4"] });
        try {
            const ids = await enrolMany(s, 500);
            for (let k = 0; k < 10000; k += 1000) {
                const guests = Array.from({ length: 1000 }, (_, i) => `m0399-${k + i}`);
                await batch(s, guests.map((id) => ({ key: id, ...espresso(id, id) })));
            }
            const ordering = ids.slice(400);
            const acked = {}; // the lifetime points answered to each member's latest order
            let done = false;
            let batches = 0;
            let lists = 0;
            let cliRuns = 0;
            const stale = []; // a member of each list older than acknowledged
            const writer = async () => {
                while (!done) {
                    const n = batches++;
                    const part = ordering.slice((n % 10) * 10, (n % 10) * 10 + 10);
                    const orders = part.map((id) => ({ key: `${id}-${n}`, ...espresso(id, `${id}-${n}`) }));
                    for (const r of await batch(s, orders)) acked[r.customer] = r.balance.lifetime;
                }
            };
            const reader = async () => {
                while (!done) {
                    const before = { ...acked }; // answered before the list is asked for
                    const res = await s.call("GET", "/v1/members?limit=500", { key: "readA" });
                    lists++;
                    const { items } = expectStatus(res, 200).body;
                    assert.deepEqual(items.map((m) => m.id), ids, "the members listed");
                    const older = items.find((m) => m.balance.lifetime < (before[m.id] ?? 0));
                    if (older) stale.push(`${older.id}: ${older.balance.lifetime} < ${before[older.id]}`);
                }
            };
            const cli = async () => {
                while (!done) {
                    await s.cliOk(["balance", ids[0]]);
                    cliRuns++;
                }
            };
            // 4 s at least, and until each loop went round ten times (a sanitized build on a
            // busy machine runs the CLI a few times a second), 60 s at most
            const enough = async () => {
                const started = Date.now();
                while (!done) {
                    await sleep(100);
                    const ran = Date.now() - started;
                    if ((ran > 4000 && batches > 10 && lists > 10 && cliRuns > 10) || ran > 60000) done = true;
                }
            };
            try {
                await Promise.all([enough(), writer(), reader(), cli()]);
            } finally {
                done = true; // a loop that failed stops the others
            }
            const counts = JSON.stringify({ batches, lists, cliRuns, stale: stale.length });
            assert.ok(batches > 10 && lists > 10 && cliRuns > 10, counts);
            assert.deepEqual(stale.slice(0, 5), [], `lists older than acknowledged: ${counts}`);
            await verifyOk(s);
        } finally {
            await s.stop();
        }
    });

    it("a profile changed while the committer's fold is in progress is read back and kept", async () => {
        // The PATCH's connection folds the rest of the journal first; reads went on through the
        // committer's image of the old profile, and the next PATCH wrote the old email back.
        const s = await startServer({ serveArgs: ["--batch-limit", "1200"] });
        try {
            const ordered = await foldInProgress(s, { email: true });
            const patched = await s.call("PATCH", "/v1/members/m0005", {
                key: "posA",
                body: { email: "m0005@new.org" },
            });
            assert.equal(expectStatus(patched, 200).body.email, "m0005@new.org");
            const member = expectStatus(await s.call("GET", "/v1/members/m0005", { key: "readA" }), 200).body;
            assert.equal(member.email, "m0005@new.org", "the member read after the PATCH");
            assert.equal(member.balance.available, ordered.balance.available, "the member's balance");
            const search = await s.call("GET", "/v1/members?email=m0005%40new.org", { key: "readA" });
            assert.deepEqual(
                expectStatus(search, 200).body.items.map((m) => [m.id, m.email]),
                [["m0005", "m0005@new.org"]],
                "a search by the new email",
            );
            const phoned = await s.call("PATCH", "/v1/members/m0005", {
                key: "posA",
                body: { phone: "+33612345678" },
            });
            const both = ["m0005@new.org", "+33612345678"];
            const answered = expectStatus(phoned, 200).body;
            assert.deepEqual([answered.email, answered.phone], both, "the second PATCH's answer");
            const again = expectStatus(await s.call("GET", "/v1/members/m0005", { key: "readA" }), 200).body;
            assert.deepEqual([again.email, again.phone], both, "the member read after the second PATCH");
            const shown = (await s.cliOk(["member", "show", "m0005"], { json: true })).json;
            assert.deepEqual([shown.email, shown.phone], both, "fidele member show");
            await verifyOk(s);
        } finally {
            await s.stop();
        }
    });

    it("a CLI adjustment while the committer's fold is in progress is read back by the API", async () => {
        // The same with a CLI writer: the API answered the committer's image without the
        // adjustment (balance and ledger) until the committer's next transaction.
        const s = await startServer({ serveArgs: ["--batch-limit", "1200"] });
        try {
            const ordered = await foldInProgress(s);
            const file = path.join(s.dir, "adjustment.json");
            const adjustment = { type: "adjustment", key: "adj-m0005", customer: "m0005", points: 123 };
            fs.writeFileSync(file, JSON.stringify({ ...adjustment, reason: "goodwill", author: "it" }));
            const posted = (await s.cliOk(["event", "post", file], { json: true })).json;
            const result = Array.isArray(posted) ? posted[0] : posted;
            assert.equal(result.status, "applied");
            const expected = ordered.balance.available + 123;
            assert.equal(result.balance.available, expected, "the CLI's result");
            assert.equal((await apiBalance(s, "m0005")).available, expected, "the API's balance");
            const ledger = await s.call("GET", "/v1/members/m0005/ledger", { key: "readA" });
            const adjusts = expectStatus(ledger, 200).body.entries.filter((e) => e.kind === "adjust");
            assert.deepEqual(
                adjusts.map((e) => [e.event_key, e.amount]),
                [["adj-m0005", 123]],
                "the API's ledger",
            );
            await verifyOk(s);
        } finally {
            await s.stop();
        }
    });
});
