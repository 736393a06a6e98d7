// The access log: one JSON line per request on stderr with time, method, route (the template),
// status, duration_ms and request_id; an X-Request-Id sent by the client is echoed in the
// response header, in problem documents and in the log, and one is made up otherwise. Lines are
// written a few at a time, at most 100 ms after their request ended.
import assert from "node:assert/strict";
import fs from "node:fs";
import { describe, it } from "node:test";

import { daysAgo, expectProblem, expectStatus, rawExchange, sleep, useServer } from "./harness.mjs";

describe("access log", () => {
    const h = useServer();

    // Lines are written after a request completes: wait for the first that matches.
    const logLineWhere = async (what, matches) => {
        for (let i = 0; i < 200; i++) {
            const line = h.server.accessLog().find(matches);
            if (line) return line;
            await sleep(10);
        }
        assert.fail(`no access-log line ${what}:\n${h.server.stderr}`);
    };
    const logLine = (requestId) =>
        logLineWhere(`with request_id ${requestId}`, (l) => l.request_id === requestId);

    it("echoes the caller's X-Request-Id in the header, the problem and the log", async () => {
        const s = h.server;
        const ok = expectStatus(
            await s.call("POST", "/v1/members", {
                key: "posA",
                headers: { "X-Request-Id": "till-7/abc-123" },
                body: { id: "lou", at: daysAgo(1, "07:00") },
            }),
            201,
        );
        assert.equal(ok.headers.get("x-request-id"), "till-7/abc-123");
        const problem = expectProblem(
            await s.call("GET", "/v1/members/nobody", {
                key: "readA",
                headers: { "X-Request-Id": "lookup-42" },
            }),
            404,
            "not-found",
        );
        assert.equal(problem.request_id, "lookup-42");

        const line = await logLine("till-7/abc-123");
        assert.equal(line.method, "POST");
        assert.equal(line.route, "/v1/members");
        assert.equal(line.path, "/v1/members");
        assert.equal(line.status, 201);
        assert.equal(line.merchant, 1);
        const miss = await logLine("lookup-42");
        assert.deepEqual(
            [miss.method, miss.route, miss.path, miss.status],
            ["GET", "/v1/members/{id}", "/v1/members/nobody", 404],
        );
    });

    it("makes up a request id when none (or an unusable one) is sent", async () => {
        const s = h.server;
        const ids = new Set();
        for (const sent of [undefined, "", "x".repeat(200), "has space", 'quote"d']) {
            const headers = sent === undefined ? {} : { "X-Request-Id": sent };
            const res = expectStatus(await s.call("GET", "/healthz", { headers }), 200);
            const id = res.headers.get("x-request-id");
            assert.match(id, /^req-[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/, `for ${JSON.stringify(sent)}`);
            ids.add(id);
            assert.equal((await logLine(id)).route, "/healthz");
        }
        assert.equal(ids.size, 5, "a new id per request");
    });

    it("every line is JSON with time, method, route, status, duration_ms and request_id", async () => {
        const s = h.server;
        await s.call("GET", "/nowhere");
        await s.call("DELETE", "/v1/members", { key: "posA" });
        await s.call("GET", "/v1/members/lou", {});
        const sent = [
            ["GET", "/nowhere"],
            ["DELETE", "/v1/members"],
            ["GET", "/v1/members/lou"],
        ];
        for (const [method, path] of sent)
            await logLineWhere(`for ${method} ${path}`, (l) => l.method === method && l.path === path);
        const lines = s.stderr.split("\n").filter((l) => l !== "");
        assert.ok(lines.length >= 10);
        for (const text of lines) {
            const line = JSON.parse(text);
            assert.match(line.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, text);
            assert.ok(Math.abs(Date.parse(line.time) - Date.now()) < 120000, text);
            assert.match(line.method, /^(GET|POST|PUT|PATCH|DELETE)$/, text);
            assert.equal(typeof line.route, "string", text);
            assert.ok(Number.isInteger(line.status) && line.status >= 200 && line.status < 600, text);
            assert.equal(typeof line.duration_ms, "number", text);
            assert.ok(line.duration_ms >= 0 && line.duration_ms < 60000, text);
            assert.equal(typeof line.request_id, "string", text);
            assert.ok(line.request_id.length > 0, text);
        }
        const byPath = Object.fromEntries(s.accessLog().map((l) => [`${l.method} ${l.path}`, l]));
        assert.deepEqual([byPath["GET /nowhere"].route, byPath["GET /nowhere"].status], ["unmatched", 404]);
        assert.equal(byPath["DELETE /v1/members"].status, 405);
        assert.equal(byPath["GET /v1/members/lou"].status, 401);
        assert.equal(byPath["GET /v1/members/lou"].merchant, undefined, "no merchant before authentication");
    });

    it("a key's secret never reaches the log", async () => {
        const res = await h.server.call("GET", "/v1/rewards", { key: "readA" });
        await logLine(res.headers.get("x-request-id"));
        for (const secret of Object.values(h.server.keys))
            assert.ok(!h.server.stderr.includes(secret), "an API key appears in the log");
    });
});

// On a regular file the server gathers up to 64 KiB of lines per write (a pipe takes PIPE_BUF
// bytes whole, a file any write): lines of concurrent requests must still come out whole, once
// each, within the flush interval.
describe("access log in a file", () => {
    const h = useServer({ stderrToFile: true });

    it("lines of concurrent requests are whole, each once, within the flush interval", async () => {
        const s = h.server;
        const ids = [];
        await Promise.all(
            Array.from({ length: 8 }, async (_, w) => {
                for (let i = 0; i < 100; i++) {
                    const id = `file-${w}-${i}`;
                    ids.push(id);
                    const res = await s.call("GET", "/v1/members/nobody/balance", {
                        key: "readA",
                        headers: { "X-Request-Id": id },
                    });
                    assert.equal(res.status, 404);
                }
            }),
        );
        let seen = new Map();
        for (let attempt = 0; attempt < 100 && seen.size < ids.length; attempt++) {
            await sleep(20);
            const text = fs.readFileSync(s.stderrFile, "utf8");
            seen = new Map();
            for (const line of text.split("\n").filter((l) => l.startsWith("{"))) {
                const id = JSON.parse(line).request_id; // throws on a line cut or mixed
                if (id.startsWith("file-")) seen.set(id, (seen.get(id) ?? 0) + 1);
            }
        }
        for (const id of ids) assert.equal(seen.get(id), 1, `${id} logged ${seen.get(id) ?? 0} times`);
    });
});

// A few requests libmicrohttpd refuses before the server sees them (docs/openapi.json names them):
// its answers cannot be replaced, but they are logged as JSON lines too, with their status.
describe("requests the HTTP library answers itself", () => {
    const h = useServer();

    const libraryLine = async (status) => {
        for (let i = 0; i < 200; i++) {
            const text = h.server.stderr;
            const lines = text.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
            const line = lines.find((l) => l.source === "libmicrohttpd" && l.status === status);
            if (line) return line;
            await sleep(10);
        }
        assert.fail(`no JSON line for the library's ${status}:\n${h.server.stderr}`);
    };

    it("a malformed Content-Length (400), headers too large (431) and a request line too long (414)", async () => {
        const s = h.server;
        const head = (line, extra = "") => `${line}\r\nHost: 127.0.0.1\r\n${extra}\r\n`;
        const cases = [
            [head("POST /v1/events HTTP/1.1", "Content-Type: application/json\r\nContent-Length: -1\r\n"), 400],
            [head("GET /v1/members HTTP/1.1", `X-Pad: ${"a".repeat(20000)}\r\n`), 431],
            [head(`GET /v1/members?x=${"a".repeat(20000)} HTTP/1.1`), 414],
        ];
        for (const [request, status] of cases) {
            const r = await rawExchange(s, [request], { timeoutMs: 5000 });
            assert.match(r.data, new RegExp(`^HTTP/1\\.1 ${status} `), r.data);
            const line = await libraryLine(status);
            assert.match(line.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
            assert.ok(line.message.length > 0);
        }
        for (const line of s.stderr.split("\n").filter((l) => l.trim() !== ""))
            if (!/^fidele: /.test(line)) JSON.parse(line); // every other line is JSON
    });
});
