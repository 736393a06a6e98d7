// End to end over HTTP with the cafe programme of merchant A and exact figures: enrolment,
// orders earning points (with the rule-by-rule breakdown) and stamps, balance with what is next,
// the ledger, rewards, redemptions and vouchers, the programme (GET/PUT, versions), API keys,
// and event batches.
//
// Cafe template: 10 points per euro (floor), coffee beans x1.5, 20 points on the first order,
// 20 points welcome bonus, a coffee card of 10 stamps (one per coffee unit) giving a free coffee,
// tier "regular" at 20 orders; pastry 200 points, five-off 500, free-coffee 250.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { daysAgo, expectProblem, expectStatus, useServer } from "./harness.mjs";

const coffee = (quantity) => ({ sku: "ESPRESSO", category: "coffee", quantity, unit_price_minor: 250 });
const beans = (quantity) => ({ sku: "BEANS", category: "beans", quantity, unit_price_minor: 1200 });

describe("flows", () => {
    const h = useServer();
    const post = (path, key, body, idem) =>
        h.server.call("POST", path, { key, body, headers: idem ? { "Idempotency-Key": idem } : {} });
    const get = (path, key = "readA") => h.server.call("GET", path, { key });
    const state = {};

    describe("members", () => {
        it("enrols a member: 201, Location, card code and welcome bonus", async () => {
            const res = expectStatus(
                await post("/v1/members", "posA", {
                    id: "alice",
                    email: "alice@example.com",
                    name: "Alice",
                    locale: "en",
                    consents: ["email"],
                    birthday: "1990-04-12",
                    at: daysAgo(3, "07:00"),
                }),
                201,
            );
            assert.equal(res.headers.get("location"), "/v1/members/alice");
            assert.equal(res.headers.get("idempotent-replayed"), null);
            const b = res.body;
            assert.equal(b.type, "enrol");
            assert.equal(b.status, "applied");
            assert.equal(b.key, "enrol:alice");
            assert.equal(b.customer, "alice");
            assert.equal(b.at, daysAgo(3, "07:00"));
            assert.equal(b.welcome_points, 20);
            assert.match(b.card_code, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
            assert.deepEqual(b.balance, {
                available: 20,
                pending: 0,
                lifetime: 20,
                cashback: { amount_minor: 0, currency: "EUR" },
                stamps: { coffee: { stamps: 0, required: 10 } },
            });
            state.cardCode = b.card_code;
        });

        it("enrolling again with the same body replays; with another body is 409", async () => {
            const again = expectStatus(
                await post("/v1/members", "posA", {
                    id: "alice",
                    email: "alice@example.com",
                    name: "Alice",
                    locale: "en",
                    consents: ["email"],
                    birthday: "1990-04-12",
                    at: daysAgo(3, "07:00"),
                }),
                201,
            );
            assert.equal(again.headers.get("idempotent-replayed"), "true");
            assert.equal(again.body.card_code, state.cardCode);
            expectProblem(
                await post("/v1/members", "posA", { id: "alice", email: "other@example.com" }),
                409,
                "conflict",
            );
        });

        it("refuses a bad enrolment with the field at fault", async () => {
            let p = expectProblem(
                await post("/v1/members", "posA", { id: "zoe", locale: "de" }),
                422,
                "invalid-input",
            );
            assert.equal(p.field, "/locale");
            p = expectProblem(
                await post("/v1/members", "posA", { id: "zoe", birthday: "1990-13-45" }),
                422,
                "invalid-input",
            );
            assert.equal(p.field, "/birthday");
            expectProblem(await get("/v1/members/zoe"), 404, "not-found");
        });

        it("reads a member", async () => {
            const m = expectStatus(await get("/v1/members/alice"), 200).body;
            assert.equal(m.id, "alice");
            assert.equal(m.member, true);
            assert.equal(m.enrolled_at, daysAgo(3, "07:00"));
            assert.equal(m.card_code, state.cardCode);
            assert.equal(m.email, "alice@example.com");
            assert.equal(m.name, "Alice");
            assert.equal(m.birthday, "1990-04-12");
            assert.equal(m.locale, "en");
            assert.deepEqual(m.consents, ["email"]);
            assert.equal(m.orders, 0);
            assert.deepEqual(m.spend, { amount_minor: 0, currency: "EUR" });
            assert.equal(m.balance.available, 20);
        });

        it("updates the profile with PATCH, refusing unknown fields", async () => {
            // merchant A is in Europe/Paris: a number typed in French national form is France's
            const res = expectStatus(
                await h.server.call("PATCH", "/v1/members/alice", {
                    key: "posA",
                    body: { phone: "06 12 34 56 78", consents: ["email", "sms"] },
                }),
                200,
            );
            assert.equal(res.body.phone, "+33612345678");
            const short = expectProblem(
                await h.server.call("PATCH", "/v1/members/alice", {
                    key: "posA",
                    body: { phone: "06 12 34 56", name: "Not Alice" },
                }),
                422,
                "invalid-input",
            );
            assert.equal(short.field, "/phone");
            assert.match(short.detail, /06 12 34 56 78 or \+33612345678/);
            assert.deepEqual(res.body.consents, ["email", "sms"]);
            assert.equal(res.body.name, "Alice", "fields not sent are kept");
            const p = expectProblem(
                await h.server.call("PATCH", "/v1/members/alice", {
                    key: "posA",
                    body: { nickname: "Al" },
                }),
                422,
                "invalid-input",
            );
            assert.equal(p.field, "/nickname");
            expectProblem(
                await h.server.call("PATCH", "/v1/members/nobody", { key: "posA", body: { name: "X" } }),
                404,
                "not-found",
            );
            const kept = expectStatus(await get("/v1/members/alice"), 200).body;
            assert.deepEqual([kept.phone, kept.name], ["+33612345678", "Alice"], "the refused PATCH");
        });

        it("PATCH takes a past birthday, refuses one after today and every null by its field", async () => {
            const patch = (body) => h.server.call("PATCH", "/v1/members/alice", { key: "posA", body });
            // judged against today, not the epoch (every birthday after 2 January 1970 was refused)
            assert.equal(expectStatus(await patch({ birthday: "1985-07-14" }), 200).body.birthday, "1985-07-14");
            const later = new Date(Date.now() + 3 * 86400000).toISOString().slice(0, 10);
            assert.equal(expectProblem(await patch({ birthday: later }), 422, "invalid-input").field, "/birthday");
            // null would have written an empty language (the ledger then read in French)
            for (const field of ["locale", "name", "email", "birthday", "consents"]) {
                const p = expectProblem(await patch({ [field]: null }), 422, "invalid-input");
                assert.equal(p.field, `/${field}`);
            }
            const m = expectStatus(await get("/v1/members/alice"), 200).body;
            assert.deepEqual([m.birthday, m.name], ["1985-07-14", "Alice"], "the refused PATCHes wrote nothing");
            assert.notEqual(m.locale, "");
        });

        it("lists members with a cursor and finds them by email, phone and card code", async () => {
            for (const id of ["bob", "carol", "dan"])
                expectStatus(await post("/v1/members", "posA", { id, email: `${id}@example.com` }), 201);
            const seen = [];
            let cursor = null;
            for (let page = 0; page < 10; page++) {
                const q = `/v1/members?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
                const body = expectStatus(await get(q), 200).body;
                seen.push(...body.items.map((m) => m.id));
                assert.ok(body.items.length <= 3);
                cursor = body.next_cursor;
                if (!cursor) break;
            }
            assert.deepEqual(seen.sort(), ["alice", "bob", "carol", "dan"]);
            // a last page exactly full says no page follows (it named a cursor to an empty page)
            const two = expectStatus(await get("/v1/members?limit=2"), 200).body;
            assert.equal(two.items.length, 2);
            const last = expectStatus(await get(`/v1/members?limit=2&cursor=${two.next_cursor}`), 200).body;
            assert.deepEqual([last.items.length, last.next_cursor], [2, null]);
            const all = expectStatus(await get("/v1/members?limit=4"), 200).body;
            assert.deepEqual([all.items.length, all.next_cursor], [4, null]);
            for (const q of [
                "email=alice%40example.com",
                "phone=%2B33612345678",
                "phone=%2B33%206%2012%2034%2056%2078", // as typed at a till
                "phone=06%2012%2034%2056%2078", // in national form, in the merchant's country
                `card_code=${state.cardCode}`,
            ]) {
                const body = expectStatus(await get(`/v1/members?${q}`), 200).body;
                assert.deepEqual(
                    body.items.map((m) => m.id),
                    ["alice"],
                    q,
                );
                assert.equal(body.next_cursor ?? null, null);
            }
            assert.deepEqual(
                expectStatus(await get("/v1/members?email=nobody%40example.com"), 200).body.items,
                [],
            );
            // a phone that is no number is said, as an enrolment says it, not found in nobody
            for (const q of ["phone=abc", "phone=06%2012%2034"]) {
                const p = expectProblem(await get(`/v1/members?${q}`), 422, "invalid-input");
                assert.equal(p.field, "phone", q);
            }
            for (const limit of ["0", "501", "-1"])
                assert.equal(
                    expectProblem(await get(`/v1/members?limit=${limit}`), 422, "invalid-input").field,
                    "limit",
                );
        });

        it("keeps an e-mail changed with PATCH in lower case, as enrolment does: found in any case", async () => {
            expectStatus(await post("/v1/members", "posA", { id: "gus", email: "gus@example.com" }), 201);
            const res = expectStatus(
                await h.server.call("PATCH", "/v1/members/gus", { key: "posA", body: { email: "Gus.New@Example.com" } }),
                200,
            );
            assert.equal(res.body.email, "gus.new@example.com");
            for (const email of ["gus.new%40example.com", "Gus.New%40Example.com"])
                assert.deepEqual(
                    expectStatus(await get(`/v1/members?email=${email}`), 200).body.items.map((m) => m.id),
                    ["gus"],
                );
            const changed = await h.server.cliOk(["member", "show", "GUS.NEW@EXAMPLE.COM"]);
            assert.match(changed.stdout, /gus\.new@example\.com/);
        });
    });

    describe("events", () => {
        it("an order earns points with a breakdown, and stamps", async () => {
            const res = expectStatus(
                await post(
                    "/v1/events",
                    "posA",
                    {
                        type: "order",
                        customer: "alice",
                        order_id: "A-1",
                        at: daysAgo(3),
                        lines: [coffee(2), beans(1)],
                    },
                    "order-A-1",
                ),
                201,
            );
            const b = res.body;
            assert.equal(b.type, "order");
            assert.equal(b.key, "order-A-1");
            assert.equal(b.member, true);
            // 1700 minor -> 170 base points; beans 1200 x 50% -> 60; first order 20.
            assert.equal(b.points, 250);
            assert.equal(b.pending, false);
            assert.deepEqual(b.breakdown, [
                { rule: "base", label: "Base points", points: 170 },
                { rule: "multiplier:beans", label: "Coffee beans x1.5", points: 60 },
                { rule: "first_order", label: "First order bonus", points: 20 },
            ]);
            assert.deepEqual(b.stamps, { coffee: 2 });
            assert.deepEqual(b.vouchers, []);
            assert.equal(b.balance.available, 270);
            assert.equal(b.balance.lifetime, 270);
            assert.deepEqual(b.balance.stamps, { coffee: { stamps: 2, required: 10 } });
        });

        it("the balance says what is next", async () => {
            const b = expectStatus(await get("/v1/members/alice/balance"), 200).body;
            assert.deepEqual(b, {
                id: "alice",
                available: 270,
                pending: 0,
                lifetime: 270,
                cashback: { amount_minor: 0, currency: "EUR" },
                stamps: { coffee: { stamps: 2, required: 10 } },
                tier: "",
                next_reward: { reward: "five-off", name: "5 EUR off", cost_points: 500, points_missing: 230 },
                affordable_rewards: ["free-coffee", "pastry"],
                next_tier: {
                    tier: "regular",
                    name: "Regular",
                    metric: "orders",
                    current: 1,
                    threshold: 20,
                    missing: 19,
                },
            });
        });

        it("a full coffee card issues a free coffee voucher", async () => {
            const b = expectStatus(
                await post(
                    "/v1/events",
                    "posA",
                    {
                        type: "order",
                        customer: "alice",
                        order_id: "A-2",
                        at: daysAgo(2),
                        lines: [coffee(8)],
                    },
                    "order-A-2",
                ),
                201,
            ).body;
            assert.equal(b.points, 200);
            assert.deepEqual(b.breakdown, [{ rule: "base", label: "Base points", points: 200 }]);
            assert.deepEqual(b.stamps, { coffee: 8 });
            assert.equal(b.vouchers.length, 1);
            assert.equal(b.vouchers[0].reward, "free-coffee");
            assert.equal(b.vouchers[0].source, "stamp_card");
            assert.equal(b.balance.available, 470);
            assert.deepEqual(b.balance.stamps, { coffee: { stamps: 0, required: 10 } });
            state.stampVoucher = b.vouchers[0].code;
        });

        it("the ledger explains every entry", async () => {
            const l = expectStatus(await get("/v1/members/alice/ledger"), 200).body;
            assert.equal(l.id, "alice");
            const rows = l.entries.map((e) => [
                e.kind,
                e.account,
                e.amount,
                e.event_key,
                e.order_id ?? null,
                e.card ?? null,
                e.card_name ?? null,
            ]);
            assert.deepEqual(rows, [
                ["earn", "points", 20, "enrol:alice", null, null, null],
                ["earn", "points", 250, "order-A-1", "A-1", null, null],
                ["earn", "stamps", 2, "order-A-1", "A-1", "coffee", "Coffee card"],
                ["earn", "points", 200, "order-A-2", "A-2", null, null],
                ["earn", "stamps", 8, "order-A-2", "A-2", "coffee", "Coffee card"],
                ["redeem", "stamps", -10, "order-A-2", "A-2", "coffee", "Coffee card"],
            ]);
            assert.deepEqual(l.entries[0].explanation, [
                { rule: "enrolment", label: "Welcome bonus", points: 20 },
            ]);
            assert.deepEqual(
                l.entries[1].explanation.map((x) => [x.rule, x.points]),
                [
                    ["base", 170],
                    ["multiplier:beans", 60],
                    ["first_order", 20],
                ],
            );
            assert.ok(l.entries.every((e) => e.program_version === 1));
            const ids = l.entries.map((e) => e.id);
            assert.deepEqual(
                ids,
                [...ids].sort((a, b) => a - b),
                "oldest first",
            );
        });

        it("a member reads the engine's own ledger lines in their language", async () => {
            // merchant A writes English; a member who chose French reads French, names the
            // merchant gave (the beans multiplier) as they are, and the till's answer stays English
            expectStatus(await post("/v1/members", "posA", { id: "elodie", locale: "fr", at: daysAgo(2) }), 201);
            const order = expectStatus(
                await post(
                    "/v1/events",
                    "posA",
                    { type: "order", customer: "elodie", order_id: "E-1", at: daysAgo(1), lines: [beans(1)] },
                    "order-E-1",
                ),
                201,
            ).body;
            assert.deepEqual(
                order.breakdown.map((x) => x.label),
                ["Base points", "Coffee beans x1.5", "First order bonus"],
            );
            const fr = expectStatus(await get("/v1/members/elodie/ledger"), 200).body;
            assert.deepEqual(
                fr.entries.filter((e) => e.account === "points").map((e) => e.explanation.map((x) => x.label)),
                [["Bonus de bienvenue"], ["Points de base", "Coffee beans x1.5", "Bonus de première commande"]],
            );
            const en = expectStatus(await get("/v1/members/alice/ledger"), 200).body;
            assert.deepEqual(en.entries[0].explanation[0].label, "Welcome bonus");
        });

        it("the ledger comes in pages, newest first, each page oldest first", async () => {
            const all = expectStatus(await get("/v1/members/alice/ledger"), 200).body;
            assert.equal(all.next_before, undefined, "one page holds six entries");
            const first = expectStatus(await get("/v1/members/alice/ledger?limit=4"), 200).body;
            assert.deepEqual(first.entries, all.entries.slice(2), "the four newest, oldest first");
            assert.equal(first.next_before, all.entries[2].id);
            const second = expectStatus(
                await get(`/v1/members/alice/ledger?limit=4&before=${first.next_before}`),
                200,
            ).body;
            assert.deepEqual(second.entries, all.entries.slice(0, 2), "the two older ones");
            assert.equal(second.next_before, undefined, "nothing older");
            // entry ids are shared by every member: before an id that is not alice's, or past
            // her newest, the page starts at her newest entry older than it
            const ids = all.entries.map((e) => e.id);
            const gap = ids.find((id, i) => i > 0 && id - ids[i - 1] > 1);
            if (gap !== undefined) {
                const foreign = gap - 1; // another member's entry between two of alice's
                const page = expectStatus(await get(`/v1/members/alice/ledger?before=${foreign}`), 200).body;
                assert.deepEqual(page.entries.map((e) => e.id), ids.filter((id) => id < foreign), "before a foreign id");
            }
            const past = expectStatus(await get(`/v1/members/alice/ledger?before=${ids.at(-1) + 1000}`), 200).body;
            assert.deepEqual(past.entries, all.entries, "before an id past her newest");
            const exact = expectStatus(await get("/v1/members/alice/ledger?limit=6"), 200).body;
            assert.equal(exact.entries.length, 6);
            assert.equal(exact.next_before, undefined, "a page that ends the ledger says so");
            for (const [query, field] of [
                ["limit=0", "limit"],
                ["limit=501", "limit"],
                ["limit=4x", "limit"],
                ["before=abc", "before"],
                ["before=-3", "before"],
            ]) {
                const res = await get(`/v1/members/alice/ledger?${query}`);
                expectProblem(res, 422, "invalid-input");
                assert.match(res.body.detail, new RegExp(`^${field} `), query);
            }
        });

        it("a refund by lines takes back what the line earned", async () => {
            const b = expectStatus(
                await post(
                    "/v1/events",
                    "posA",
                    {
                        type: "refund",
                        order_id: "A-1",
                        lines: [{ sku: "BEANS", quantity: 1 }],
                    },
                    "refund-A-1",
                ),
                201,
            ).body;
            assert.equal(b.type, "refund");
            // The beans earned 120 base + 60 multiplier; the first-order bonus stays.
            assert.equal(b.balance.available, 470 - 180);
            const bal = expectStatus(await get("/v1/members/alice/balance"), 200).body;
            assert.equal(bal.available, 290);
        });

        it("a batch applies each event on its own and reports each", async () => {
            const res = expectStatus(
                await post("/v1/events/batch", "adminA", {
                    events: [
                        {
                            key: "adj-1",
                            type: "adjustment",
                            customer: "alice",
                            points: 10,
                            reason: "goodwill",
                            author: "ann",
                        },
                        {
                            key: "adj-2",
                            type: "adjustment",
                            customer: "nobody",
                            points: 10,
                            reason: "goodwill",
                            author: "ann",
                        },
                        {
                            key: "adj-3",
                            type: "adjustment",
                            customer: "alice",
                            points: 0,
                            reason: "none",
                            author: "ann",
                        },
                        {
                            key: "adj-1",
                            type: "adjustment",
                            customer: "alice",
                            points: 10,
                            reason: "goodwill",
                            author: "ann",
                        },
                    ],
                }),
                200,
            );
            assert.deepEqual(
                res.body.results.map((r) => [r.key, r.status, r.error?.type ?? null, r.error?.field ?? null]),
                [
                    ["adj-1", "applied", null, null],
                    ["adj-2", "error", "not_found", "/customer"],
                    ["adj-3", "error", "invalid_input", "/points"],
                    ["adj-1", "replayed", null, null],
                ],
            );
            assert.equal(res.body.results[0].balance.available, 300);
            assert.equal(expectStatus(await get("/v1/members/alice/balance"), 200).body.available, 300);
        });
    });

    describe("tiers", () => {
        it("the 20th order reaches regular: the tier history says when and why", async () => {
            expectStatus(await post("/v1/members", "posA", { id: "tina", at: daysAgo(30, "08:00") }), 201);
            const none = expectStatus(await get("/v1/members/tina/tiers"), 200).body;
            assert.deepEqual(none, { id: "tina", tier: "", changes: [] });
            const orders = [];
            for (let i = 1; i <= 20; i++)
                orders.push({
                    key: `tina-${i}`,
                    type: "order",
                    customer: "tina",
                    order_id: `T-${i}`,
                    at: daysAgo(30 - i, "09:00"),
                    lines: [coffee(1)],
                });
            const res = expectStatus(await post("/v1/events/batch", "posA", { events: orders }), 200);
            assert.deepEqual(
                res.body.results.map((r) => r.tier_upgrade?.tier ?? null),
                [...Array(19).fill(null), "regular"],
            );
            const history = expectStatus(await get("/v1/members/tina/tiers"), 200).body;
            assert.deepEqual(history, {
                id: "tina",
                tier: "regular",
                changes: [{ at: daysAgo(10, "09:00"), tier: "regular", previous: "", reason: "reached" }],
            });
            expectProblem(await get("/v1/members/nobody/tiers"), 404, "not-found");
        });
    });

    describe("rewards and vouchers", () => {
        it("lists the catalogue", async () => {
            const items = expectStatus(await get("/v1/rewards"), 200).body.items;
            assert.deepEqual(
                items.map((r) => [r.id, r.kind, r.cost_points]),
                [
                    ["free-coffee", "free_product", 250],
                    ["pastry", "free_product", 200],
                    ["five-off", "fixed_discount", 500],
                    ["latte-art", "experience", 2000],
                ],
            );
            assert.equal(items.find((r) => r.id === "latte-art").stock, 12);
        });

        it("refuses a redemption the balance cannot pay, or an unknown reward", async () => {
            const p = expectProblem(
                await post("/v1/members/alice/redemptions", "posA", { reward: "five-off" }, "red-1"),
                422,
                "insufficient",
            );
            assert.equal(p.field, "/reward");
            assert.match(p.detail, /500 points; the available balance is 300/);
            expectProblem(
                await post("/v1/members/alice/redemptions", "posA", { reward: "yacht" }, "red-2"),
                404,
                "not-found",
            );
            expectProblem(
                await post("/v1/members/nobody/redemptions", "posA", { reward: "pastry" }, "red-3"),
                404,
                "not-found",
            );
            assert.equal(expectStatus(await get("/v1/members/alice/balance"), 200).body.available, 300);
        });

        it("redeems a pastry for a voucher", async () => {
            const b = expectStatus(
                await post("/v1/members/alice/redemptions", "posA", { reward: "pastry" }, "red-4"),
                201,
            ).body;
            assert.equal(b.type, "redeem");
            assert.equal(b.reward, "pastry");
            assert.equal(b.cost_points, 200);
            assert.equal(b.balance.available, 100);
            assert.equal(b.vouchers.length, 1);
            const v = b.vouchers[0];
            assert.equal(v.reward, "pastry");
            assert.equal(v.source, "redeem");
            assert.match(v.code, /^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
            // valid_days 30
            assert.equal(Date.parse(v.valid_until) - Date.parse(b.at), 30 * 86400000);
            state.voucher = v.code;
            const l = expectStatus(await get("/v1/members/alice/ledger"), 200).body;
            const last = l.entries.at(-1);
            assert.deepEqual(
                [last.kind, last.account, last.amount, last.event_key],
                ["redeem", "points", -200, "red-4"],
            );
        });

        it("shows and uses a voucher once; a second use is 409", async () => {
            let v = expectStatus(await get(`/v1/vouchers/${state.voucher}`), 200).body;
            assert.deepEqual(
                [v.code, v.member, v.reward, v.state, v.kind],
                [state.voucher, "alice", "pastry", "issued", "free_product"],
            );
            // Codes are read the way a person types them.
            const typed = state.voucher.toLowerCase().replace(/-/g, "");
            assert.equal(expectStatus(await get(`/v1/vouchers/${typed}`), 200).body.code, state.voucher);
            // the path names the voucher: a code (or a type) in the body is refused, not ignored
            for (const [body, field] of [
                [{ order_id: "A-3", code: "ZZZZ-ZZZZ-ZZZZ-ZZZZ" }, "/code"],
                [{ order_id: "A-3", type: "order" }, "/type"],
            ]) {
                const p = expectProblem(
                    await post(`/v1/vouchers/${state.voucher}/use`, "posA", body, "use-1"),
                    422,
                    "invalid-input",
                );
                assert.equal(p.field, field);
            }
            assert.equal(expectStatus(await get(`/v1/vouchers/${state.voucher}`), 200).body.state, "issued");

            const use = expectStatus(
                await post(`/v1/vouchers/${state.voucher}/use`, "posA", { order_id: "A-3" }, "use-1"),
                200,
            );
            assert.equal(use.body.type, "voucher_use");
            assert.equal(use.body.code, state.voucher);
            assert.deepEqual(use.body.value, { amount_minor: 180, currency: "EUR" });
            assert.equal(use.body.sku, "CROISSANT");
            v = expectStatus(await get(`/v1/vouchers/${state.voucher}`), 200).body;
            assert.equal(v.state, "used");
            assert.equal(v.used_order, "A-3");
            assert.ok(v.used_at);

            const replay = expectStatus(
                await post(`/v1/vouchers/${state.voucher}/use`, "posA", { order_id: "A-3" }, "use-1"),
                200,
            );
            assert.equal(replay.headers.get("idempotent-replayed"), "true");
            assert.equal(replay.text, use.text);
            const p = expectProblem(
                await post(`/v1/vouchers/${state.voucher}/use`, "posA", { order_id: "A-4" }, "use-2"),
                409,
                "invalid-state",
            );
            assert.equal(p.field, "/code");
            expectProblem(
                await post("/v1/vouchers/ZZZZ-ZZZZ-ZZZZ-ZZZZ/use", "posA", undefined, "use-3"),
                404,
                "not-found",
            );
            expectProblem(await get("/v1/vouchers/ZZZZ-ZZZZ-ZZZZ-ZZZZ"), 404, "not-found");
        });

        it("a voucher can be used without a body", async () => {
            const use = expectStatus(
                await post(`/v1/vouchers/${state.stampVoucher}/use`, "posA", undefined, "use-stamp"),
                200,
            );
            assert.equal(use.body.reward, "free-coffee");
            assert.equal(
                expectStatus(await get(`/v1/vouchers/${state.stampVoucher}`), 200).body.state,
                "used",
            );
        });

        it("lists a member's vouchers: usable by default, used, expired or all on asking", async () => {
            const gift = { type: "adjustment", customer: "alice", points: 250, reason: "goodwill", author: "ann" };
            expectStatus(await post("/v1/events", "adminA", gift, "adj-list"), 201);
            const fresh = expectStatus(
                await post("/v1/members/alice/redemptions", "posA", { reward: "free-coffee" }, "red-list"),
                201,
            ).body.vouchers[0].code;
            const codes = async (query) =>
                expectStatus(await get(`/v1/members/alice/vouchers${query}`), 200).body.vouchers.map((v) => [
                    v.code,
                    v.state,
                ]);
            assert.deepEqual(await codes(""), [[fresh, "issued"]]);
            assert.deepEqual(await codes("?state=usable"), [[fresh, "issued"]]);
            assert.deepEqual(
                (await codes("?state=used")).map(([code]) => code).sort(),
                [state.voucher, state.stampVoucher].sort(),
            );
            assert.deepEqual(await codes("?state=expired"), []);
            assert.equal((await codes("?state=all")).length, 3);
            const body = expectStatus(await get("/v1/members/alice/vouchers"), 200).body;
            assert.equal(body.id, "alice");
            assert.equal(body.vouchers[0].member, "alice");
            assert.equal(expectProblem(await get("/v1/members/alice/vouchers?state=old"), 422, "invalid-input").field, "state");
            expectProblem(await get("/v1/members/nobody/vouchers"), 404, "not-found");
        });
    });

    describe("programme", () => {
        it("GET answers the current version", async () => {
            const b = expectStatus(await get("/v1/program"), 200).body;
            assert.equal(b.version, 1);
            assert.equal(b.program.enrolment.bonus_points, 20);
            state.program = b.program;
        });

        it("PUT of a bad programme is 422 naming the JSON pointer; the version is unchanged", async () => {
            const bad = structuredClone(state.program);
            bad.earning.multipliers[1].factor_pct = 50000;
            let p = expectProblem(
                await h.server.call("PUT", "/v1/program", { key: "adminA", body: bad }),
                422,
                "invalid-input",
            );
            assert.equal(p.field, "/earning/multipliers/1/factor_pct");
            assert.match(p.detail, /50000/);
            const unknown = { ...structuredClone(state.program), loyalty_magic: true };
            p = expectProblem(
                await h.server.call("PUT", "/v1/program", { key: "adminA", body: unknown }),
                422,
                "invalid-input",
            );
            assert.equal(p.field, "/loyalty_magic");
            const wrongType = structuredClone(state.program);
            wrongType.rewards[0].cost_points = "many";
            p = expectProblem(
                await h.server.call("PUT", "/v1/program", { key: "adminA", body: wrongType }),
                422,
                "invalid-input",
            );
            assert.equal(p.field, "/rewards/0/cost_points");
            p = expectProblem(
                await h.server.call("PUT", "/v1/program", { key: "adminA", body: [] }),
                422,
                "invalid-input",
            );
            assert.equal(p.field, ""); // the whole document (RFC 6901)
            const b = expectStatus(await get("/v1/program"), 200).body;
            assert.equal(b.version, 1);
            assert.deepEqual(b.program, state.program);
        });

        it("PUT of a good programme makes a new version that applies at once", async () => {
            const next = structuredClone(state.program);
            next.enrolment.bonus_points = 30;
            const b = expectStatus(
                await h.server.call("PUT", "/v1/program", { key: "adminA", body: next }),
                200,
            ).body;
            assert.equal(b.version, 2);
            assert.deepEqual(b.program, next);
            assert.equal(expectStatus(await get("/v1/program"), 200).body.version, 2);
            const enrol = expectStatus(await post("/v1/members", "posA", { id: "erin" }), 201).body;
            assert.equal(enrol.welcome_points, 30);
            const l = expectStatus(await get("/v1/members/erin/ledger"), 200).body;
            assert.deepEqual(
                l.entries.map((e) => [e.kind, e.amount, e.program_version]),
                [["earn", 30, 2]],
            );
        });
    });

    describe("keys", () => {
        it("creates a key shown once, lists it without its secret, and revokes it", async () => {
            const s = h.server;
            const created = expectStatus(
                await s.call("POST", "/v1/keys", {
                    key: "adminA",
                    body: { scope: "read", label: "Till 2" },
                }),
                201,
            );
            const k = created.body;
            assert.equal(k.scope, "read");
            assert.equal(k.label, "Till 2");
            assert.match(k.key, /^fk_/);
            assert.ok(k.key.includes(k.id));
            assert.equal(created.headers.get("location"), `/v1/keys/${k.id}`);

            const listed = expectStatus(await s.call("GET", "/v1/keys", { key: "adminA" }), 200).body.items;
            const mine = listed.find((x) => x.id === k.id);
            assert.deepEqual([mine.scope, mine.label, mine.revoked_at], ["read", "Till 2", undefined]);
            assert.ok(
                listed.every((x) => !("key" in x)),
                "secrets are never listed",
            );
            assert.ok(!JSON.stringify(listed).includes(k.key));
            assert.equal(listed.find((x) => x.id === s.keyIds.revokedA).revoked_at !== undefined, true);

            expectStatus(await s.call("GET", "/v1/rewards", { key: k.key }), 200);
            // "Bearer" 1*SP token, and blanks may end the field (RFC 6750, RFC 9110)
            for (const auth of [`Bearer   ${k.key}`, `bearer ${k.key}  `, `Bearer ${k.key}\t`])
                expectStatus(await s.call("GET", "/v1/rewards", { headers: { Authorization: auth } }), 200);
            expectProblem(await s.call("POST", "/v1/events", { key: k.key, body: {} }), 403, "forbidden");

            const del = await s.call("DELETE", `/v1/keys/${k.id}`, { key: "adminA" });
            expectStatus(del, 204);
            assert.equal(del.text, "");
            assert.equal(del.headers.get("content-type"), null, "no content, no type");
            expectProblem(await s.call("GET", "/v1/rewards", { key: k.key }), 401, "unauthorized");
            const after = expectStatus(await s.call("GET", "/v1/keys", { key: "adminA" }), 200).body.items;
            assert.ok(after.find((x) => x.id === k.id).revoked_at);
            expectProblem(await s.call("DELETE", "/v1/keys/nosuchkey", { key: "adminA" }), 404, "not-found");
            // a key cannot revoke itself: the last admin key would lock its merchant out
            expectProblem(await s.call("DELETE", `/v1/keys/${s.keyIds.adminA}`, { key: "adminA" }), 409, "conflict");
            expectStatus(await s.call("GET", "/v1/keys", { key: "adminA" }), 200);
        });

        it("refuses a key of an unknown scope", async () => {
            const cases = [
                [{ scope: "root" }, "/scope"],
                [{}, "/scope"],
                [{ scope: "read", label: "x".repeat(500) }, "/label"],
                [{ scope: "read", label: 5 }, "/label"],
                [{ scope: "read", lable: "Till 3" }, "/lable"],
            ];
            for (const [body, field] of cases) {
                const p = expectProblem(
                    await h.server.call("POST", "/v1/keys", { key: "adminA", body }),
                    422,
                    "invalid-input",
                );
                assert.equal(p.field, field, JSON.stringify(body));
            }
        });

        it("a key revoked with the CLI while the server runs is refused from the next request", async () => {
            // Verified keys are cached per server thread: several connections at once reach every
            // thread, before and after the revocation another process committed.
            const s = h.server;
            await s.createKey("cliRevoked", 1, "read");
            const burst = () =>
                Promise.all(
                    Array.from({ length: 8 }, () =>
                        s.call("GET", "/v1/rewards", { key: "cliRevoked", headers: { Connection: "close" } }),
                    ),
                );
            for (const res of await burst()) expectStatus(res, 200);
            for (const res of await burst()) expectStatus(res, 200);
            await s.cliOk(["key", "revoke", s.keyIds.cliRevoked, "--merchant", "1"]);
            for (const res of await burst()) expectProblem(res, 401, "unauthorized");
        });

        it("a pos key revoked with the CLI while the server runs writes nothing from the next request", async () => {
            // A write takes a key this thread checked before without a snapshot of its own; the
            // committer checks it before applying, and sees the other process's revocation.
            const s = h.server;
            await s.createKey("cliRevokedPos", 1, "pos");
            expectStatus(await s.call("POST", "/v1/members", { key: "posA", body: { id: "rev-buyer" } }), 201);
            const order = (i) => ({
                type: "order",
                key: `rev-${i}`,
                customer: "rev-buyer",
                order_id: `REV-${i}`,
                at: daysAgo(1),
                lines: [{ sku: "ESPRESSO", category: "coffee", quantity: 1, unit_price_minor: 250 }],
            });
            const burst = (from) =>
                Promise.all(
                    Array.from({ length: 8 }, (_, i) =>
                        s.call("POST", "/v1/events", {
                            key: "cliRevokedPos",
                            headers: { Connection: "close" },
                            body: order(from + i),
                        }),
                    ),
                );
            for (const res of await burst(0)) expectStatus(res, 201);
            for (const res of await burst(8)) expectStatus(res, 201);
            await s.cliOk(["key", "revoke", s.keyIds.cliRevokedPos, "--merchant", "1"]);
            for (const res of await burst(16)) expectProblem(res, 401, "unauthorized");
            expectProblem(
                await s.call("POST", "/v1/events/batch", { key: "cliRevokedPos", body: { events: [order(99)] } }),
                401,
                "unauthorized",
            );
            // answers that never reach the committer say 401 too, not what the key was refused
            await s.createKey("cliRevokedPos2", 1, "pos");
            const adjustment = { type: "adjustment", key: "rev-adj", customer: "rev-buyer", points: 1, reason: "x", author: "y" };
            const refused = () =>
                Promise.all(
                    Array.from({ length: 8 }, () =>
                        s.call("POST", "/v1/events/batch", {
                            key: "cliRevokedPos2",
                            headers: { Connection: "close" },
                            body: { events: [adjustment] },
                        }),
                    ),
                );
            for (const res of await refused()) expectStatus(res, 200); // the adjustment alone errs
            await s.cliOk(["key", "revoke", s.keyIds.cliRevokedPos2, "--merchant", "1"]);
            for (const res of await refused()) expectProblem(res, 401, "unauthorized");
            for (const body of [{ events: [] }, { events: "no" }])
                expectProblem(
                    await s.call("POST", "/v1/events/batch", { key: "cliRevokedPos2", body }),
                    401,
                    "unauthorized",
                );
            const ledger = await s.cliOk(["ledger", "rev-buyer"], { json: true });
            const applied = new Set(ledger.json.entries.map((e) => e.event_key));
            for (let i = 0; i < 16; i++) assert.ok(applied.has(`rev-${i}`), `rev-${i} was applied`);
            for (const i of [16, 17, 18, 19, 20, 21, 22, 23, 99])
                assert.ok(!applied.has(`rev-${i}`), `rev-${i}, sent with a revoked key, was applied`);
        });

        it("a pos key created over the API can write", async () => {
            const k = expectStatus(
                await h.server.call("POST", "/v1/keys", { key: "adminA", body: { scope: "pos" } }),
                201,
            ).body;
            expectStatus(await post("/v1/members", k.key, { id: "fay" }), 201);
        });
    });

    describe("health", () => {
        it("healthz and readyz answer without a key", async () => {
            assert.deepEqual(expectStatus(await h.server.call("GET", "/healthz"), 200).body, {
                status: "ok",
            });
            assert.deepEqual(expectStatus(await h.server.call("GET", "/readyz"), 200).body, {
                status: "ready",
                merchants: 2,
            });
        });

        it("fidele verify passes after all of the above", async () => {
            const r = await h.server.cli(["verify"]);
            assert.equal(r.code, 0, r.stdout + r.stderr);
        });
    });
});
