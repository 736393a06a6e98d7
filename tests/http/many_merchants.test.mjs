// Many merchants in one server: 300 cafés (more than any fixed table of engines would hold), each
// with a pos key, served by two worker threads. Every merchant enrols a member, posts an order and
// reads the balance, which holds that merchant's own points only; the server's open files stay a
// handful (its engines share one connection per thread instead of one per merchant); and every
// merchant's ledger passes `fidele verify`.
import assert from "node:assert/strict";
import fs from "node:fs";
import { describe, it } from "node:test";

import { daysAgo, expectStatus, useServer } from "./harness.mjs";

const MERCHANTS = 300;
const PARALLEL = 16;

async function inParallel(items, limit, work) {
    let next = 0;
    const lanes = Array.from({ length: limit }, async () => {
        while (next < items.length) {
            const i = next++;
            await work(items[i], i);
        }
    });
    await Promise.all(lanes);
}

describe("many merchants", () => {
    const h = useServer({ setup: false, start: false });
    const ids = Array.from({ length: MERCHANTS }, (_, i) => i + 1);

    it(`setup: ${MERCHANTS} merchants with a pos key each`, async () => {
        const s = h.server;
        await s.cliOk(["init", "--template", "cafe", "--name", "Cafe 1"]);
        await s.createKey("pos1", 1, "pos");
        // the others sixty at a time, each with a pos key (`merchant add NAME... --key pos`)
        for (let from = 2; from <= MERCHANTS; from += 60) {
            const names = ids.slice(from - 1, from + 59).map((id) => `Cafe ${id}`);
            const r = await s.cliOk(["merchant", "add", ...names, "--template", "cafe", "--key", "pos"], {
                json: true,
            });
            assert.equal(r.json.length, names.length);
            for (const [i, made] of r.json.entries()) {
                assert.equal(made.name, names[i]);
                assert.equal(made.id, from + i, "ids in the order the names were given");
                assert.match(made.key.key, /^fk_/);
                s.keys[`pos${made.id}`] = made.key.key;
            }
        }
        await s.start(["--threads", "2"]);
    });

    it("each merchant enrols, orders and reads its own balance", async () => {
        const s = h.server;
        await inParallel(ids, PARALLEL, async (id) => {
            const key = `pos${id}`;
            expectStatus(
                await s.call("POST", "/v1/members", { key, body: { id: "same-name", at: daysAgo(2, "07:00") } }),
                201,
            );
            // Merchant N buys N croissants' worth: its balance tells its order from the others'.
            const order = {
                type: "order",
                customer: "same-name",
                order_id: "o-1",
                at: daysAgo(1),
                lines: [{ sku: "CROISSANT", category: "pastry", quantity: 1, unit_price_minor: 100 * id }],
            };
            expectStatus(
                await s.call("POST", "/v1/events", { key, headers: { "Idempotency-Key": "o-1" }, body: order }),
                201,
            );
        });
        const earned = new Map();
        await inParallel(ids, PARALLEL, async (id) => {
            const res = expectStatus(await s.call("GET", "/v1/members/same-name/balance", { key: `pos${id}` }), 200);
            earned.set(id, res.body.lifetime);
        });
        // Every merchant runs the same programme on the same instants: the points grow with the
        // merchant's own order by the same rate per euro.
        const rate = earned.get(2) - earned.get(1);
        assert.ok(rate > 0, `merchants 1 and 2 earned ${earned.get(1)} and ${earned.get(2)}`);
        for (const id of ids)
            assert.equal(earned.get(id), earned.get(1) + rate * (id - 1), `merchant ${id}'s lifetime points`);
    });

    it("the server holds a few open files, not some per merchant", () => {
        const pid = h.server.child.pid;
        const files = fs.readdirSync(`/proc/${pid}/fd`).length;
        assert.ok(files < 64, `fidele serve holds ${files} open files for ${MERCHANTS} merchants`);
    });

    it("fidele verify passes for every merchant", async () => {
        const r = await h.server.cli(["verify"]);
        assert.equal(r.code, 0, `fidele verify exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
        assert.match(r.stdout, new RegExp(`${MERCHANTS} merchants`), r.stdout);
    });
});
