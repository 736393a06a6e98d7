// GET /metrics after known traffic: request counters by method, route template and status with
// exact counts, latency histograms, events applied; a well-formed exposition (no duplicate
// series) that `promtool check metrics` accepts when promtool is installed
// (`scripts/bootstrap prometheus`).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";

import { daysAgo, expectStatus, useServer } from "./harness.mjs";

const promtool = spawnSync("promtool", ["--version"], { stdio: "ignore" }).status === 0;

/** Parses the text format into {name, labels, value} samples (comments dropped). */
function parseSamples(text) {
    const samples = [];
    for (const line of text.split("\n")) {
        if (line === "" || line.startsWith("#")) continue;
        const m =
            /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*)\})? (\S+)$/.exec(
                line,
            );
        assert.ok(m, `malformed sample line: ${line}`);
        const labels = {};
        for (const lm of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
            assert.ok(!(lm[1] in labels), `label ${lm[1]} twice in: ${line}`);
            labels[lm[1]] = lm[2];
        }
        samples.push({ name: m[1], labels, value: Number(m[3]), line });
    }
    return samples;
}

describe("metrics", () => {
    const h = useServer();
    let text;

    it("setup: some traffic", async () => {
        const s = h.server;
        expectStatus(await s.call("GET", "/healthz"), 200);
        expectStatus(
            await s.call("POST", "/v1/members", {
                key: "posA",
                body: { id: "mia", at: daysAgo(1, "07:00") },
            }),
            201,
        );
        for (let i = 0; i < 3; i++)
            expectStatus(await s.call("GET", "/v1/members/mia", { key: "readA" }), 200);
        expectStatus(await s.call("GET", "/v1/members", { key: "readA" }), 200);
        expectStatus(await s.call("GET", "/v1/members/nobody", { key: "readA" }), 404);
        expectStatus(await s.call("GET", "/v1/members", {}), 401);
        expectStatus(
            await s.call("POST", "/v1/events", {
                key: "posA",
                headers: { "Idempotency-Key": "m-1" },
                body: {
                    type: "order",
                    customer: "mia",
                    order_id: "M-1",
                    at: daysAgo(1),
                    lines: [{ sku: "ESPRESSO", category: "coffee", quantity: 1, unit_price_minor: 250 }],
                },
            }),
            201,
        );
        expectStatus(
            await s.call("POST", "/v1/events", {
                key: "posA",
                headers: { "Idempotency-Key": "m-1" },
                body: {
                    type: "order",
                    customer: "mia",
                    order_id: "M-1",
                    at: daysAgo(1),
                    lines: [{ sku: "ESPRESSO", category: "coffee", quantity: 1, unit_price_minor: 250 }],
                },
            }),
            201,
        );
        expectStatus(
            await s.call("POST", "/v1/events/batch", {
                key: "adminA",
                body: {
                    events: [
                        {
                            key: "m-2",
                            type: "adjustment",
                            customer: "mia",
                            points: 5,
                            reason: "r",
                            author: "a",
                        },
                        {
                            key: "m-3",
                            type: "adjustment",
                            customer: "mia",
                            points: 5,
                            reason: "r",
                            author: "a",
                        },
                    ],
                },
            }),
            200,
        );
        expectStatus(await s.call("GET", "/nowhere"), 404);
        expectStatus(await s.call("DELETE", "/v1/members", { key: "posA" }), 405);
        const res = expectStatus(await s.call("GET", "/metrics"), 200);
        assert.match(res.headers.get("content-type"), /^text\/plain; version=0\.0\.4/);
        text = res.text;
    });

    it("counts requests by method, route template and status", () => {
        const counts = {};
        for (const x of parseSamples(text).filter((x) => x.name === "fidele_http_requests_total"))
            counts[`${x.labels.method ?? "-"} ${x.labels.route} ${x.labels.status}`] = x.value;
        assert.deepEqual(counts, {
            "GET /healthz 200": 1,
            "POST /v1/members 201": 1,
            "GET /v1/members 200": 1,
            "GET /v1/members 401": 1,
            "GET /v1/members/{id} 200": 3,
            "GET /v1/members/{id} 404": 1,
            "POST /v1/events 201": 2,
            "POST /v1/events/batch 200": 1,
            "- unmatched 404": 1,
            "- unmatched 405": 1,
        });
    });

    it("has a latency histogram per route and the events applied", () => {
        const samples = parseSamples(text);
        const get = (name, labels) =>
            samples.filter(
                (x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v),
            );
        const buckets = get("fidele_http_request_duration_seconds_bucket", {
            method: "GET",
            route: "/v1/members/{id}",
        });
        assert.equal(buckets.at(-1).labels.le, "+Inf");
        assert.equal(buckets.at(-1).value, 4);
        const values = buckets.map((b) => b.value);
        assert.deepEqual(
            values,
            [...values].sort((a, b) => a - b),
            "cumulative buckets",
        );
        assert.equal(
            get("fidele_http_request_duration_seconds_count", { method: "GET", route: "/v1/members/{id}" })[0]
                .value,
            4,
        );
        // The enrolment, the order (its replay excluded) and the two adjustments of the batch.
        assert.equal(get("fidele_events_applied_total", {})[0].value, 4);
        assert.equal(get("fidele_database_errors_total", {})[0].value, 0);
    });

    it("has no duplicate series, and every series has HELP and TYPE", () => {
        const seen = new Set();
        for (const x of parseSamples(text)) {
            const id = x.name + JSON.stringify(Object.entries(x.labels).sort());
            assert.ok(!seen.has(id), `duplicate series: ${x.line}`);
            seen.add(id);
        }
        const typed = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => m[1]);
        const helped = [...text.matchAll(/^# HELP (\S+) /gm)].map((m) => m[1]);
        assert.deepEqual(helped, typed);
        for (const x of parseSamples(text))
            assert.ok(
                typed.some((t) => x.name === t || x.name.startsWith(`${t}_`)),
                `no TYPE for ${x.name}`,
            );
    });

    it(
        "passes promtool check metrics",
        { skip: promtool ? false : "promtool is not installed (scripts/bootstrap prometheus)" },
        () => {
            const r = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
            assert.equal(r.status, 0, `promtool check metrics:\n${r.stdout}${r.stderr}`);
        },
    );
});
