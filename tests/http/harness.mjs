// The harness of the HTTP integration tests: a throw-away database with two merchants and their
// API keys, the real `fidele serve` on a free loopback port, and `call`, a fetch that checks every
// answer against the OpenAPI document (docs/openapi.json, the contract).
//
// Each test file is its own process (node --test) and starts its own server with useServer(),
// which registers the hooks that stop it (SIGTERM, exit code 0 required) and remove the temporary
// directory whether the tests passed or not. A process-exit hook kills a server left behind by a
// crash of the test process itself.
//
// The binary is $FIDELE (ctest passes the built one), else build/fidele at the top of the repo.

import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, "../..");
export const FIDELE = process.env.FIDELE || path.join(REPO, "build/fidele");
export const OPENAPI_PATH = path.join(REPO, "docs/openapi.json");
export const OPENAPI = JSON.parse(fs.readFileSync(OPENAPI_PATH, "utf8"));

const START_TIMEOUT_MS = 15000;
const STOP_TIMEOUT_MS = 20000;
const execFileP = promisify(execFile);

// ---------------------------------------------------------------------------------------------
// Response validation against the OpenAPI document

const SCHEMA_ID = "urn:fidele:openapi:schemas:";
// Strict, but "required" may name properties declared elsewhere (if/then, allOf).
const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true });
addFormats(ajv);
const compiled = new Map();

// "#/components/schemas/X" becomes a reference to the schema registered under SCHEMA_ID + X, so
// that ajv resolves every reference itself (and, in strict mode, meets only JSON Schema).
function rewriteRefs(node) {
    if (Array.isArray(node)) return node.map(rewriteRefs);
    if (node === null || typeof node !== "object") return node;
    const out = {};
    for (const [k, v] of Object.entries(node)) {
        if (k === "$ref" && typeof v === "string") {
            const m = /^#\/components\/schemas\/([^/]+)$/.exec(v);
            assert.ok(m, `unsupported schema reference ${v} in docs/openapi.json`);
            out[k] = SCHEMA_ID + m[1];
        } else out[k] = rewriteRefs(v);
    }
    return out;
}
for (const [name, schema] of Object.entries(OPENAPI.components?.schemas ?? {}))
    ajv.addSchema(rewriteRefs(schema), SCHEMA_ID + name);

function schemaValidator(where, schema) {
    if (!compiled.has(where)) compiled.set(where, ajv.compile(rewriteRefs(schema)));
    return compiled.get(where);
}

// Resolves a local "$ref" of the document (responses may be references).
function deref(node) {
    while (node && typeof node.$ref === "string") {
        assert.ok(node.$ref.startsWith("#/"), `only local references are supported: ${node.$ref}`);
        node = node.$ref
            .slice(2)
            .split("/")
            .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
            .reduce((n, key) => n?.[key], OPENAPI);
        assert.ok(node, "dangling $ref in docs/openapi.json");
    }
    return node;
}

const templates = Object.keys(OPENAPI.paths).map((template) => ({
    template,
    regex: new RegExp(
        "^" + template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}/]+\}/g, "[^/]+") + "$",
    ),
}));

/** The path template of the document that matches a request path (query ignored), or null. */
export function pathTemplate(requestPath) {
    const p = requestPath.split("?")[0];
    const exact = templates.find((t) => t.template === p);
    return (exact ?? templates.find((t) => t.regex.test(p)))?.template ?? null;
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/**
 * Checks one answer against the document: the operation by path template and method, the
 * response by status (else "NXX", else "default"), the media type by Content-Type, and the body
 * against its schema. Throws an AssertionError naming what does not match.
 */
export function validateResponse(method, requestPath, res) {
    const label = `${method} ${requestPath} -> ${res.status}`;
    // Rules of the whole API (docs/openapi.json, info.description): every answer carries its
    // request id, and every error is an RFC 9457 problem whose status is the HTTP status.
    assert.ok(res.headers.get("x-request-id"), `${label}: no X-Request-Id header`);
    if (method === "HEAD") {
        assert.equal(res.text, "", `${label}: a body in answer to HEAD`);
        return; // its headers are GET's, its status too (checked by the tests that send it)
    }
    if (res.status >= 400) {
        assert.equal(res.headers.get("content-type"), "application/problem+json", `${label}: Content-Type`);
        assert.equal(res.body?.status, res.status, `${label}: the problem's status`);
        assert.match(res.body?.type ?? "", /^urn:fidele:problem:[a-z-]+$/, `${label}: the problem's type`);
        assert.equal(
            res.body?.request_id,
            res.headers.get("x-request-id"),
            `${label}: the problem's request_id`,
        );
    }
    const template = pathTemplate(requestPath);
    const problem = deref(OPENAPI.components.responses.Problem);
    let response;
    if (template === null) {
        // No documented path: the server must say so as a problem (404), nothing else.
        assert.equal(res.status, 404, `${label}: undocumented path answered other than 404`);
        response = problem;
    } else {
        const item = OPENAPI.paths[template];
        // HEAD is GET without the body (RFC 9110, section 9.3.2): served wherever GET is
        const operation = item[method === "HEAD" ? "get" : method.toLowerCase()];
        if (operation === undefined) {
            assert.equal(res.status, 405, `${label}: undocumented method answered other than 405`);
            const documented = METHODS.filter((m) => item[m]).map((m) => m.toUpperCase());
            if (documented.includes("GET")) documented.push("HEAD");
            const allow = (res.headers.get("allow") ?? "").split(/,\s*/).filter(Boolean);
            assert.deepEqual(allow.sort(), documented.sort(), `${label}: Allow header`);
            response = problem;
        } else {
            const responses = operation.responses ?? {};
            const key = [String(res.status), `${String(res.status)[0]}XX`, "default"].find(
                (k) => k in responses,
            );
            assert.ok(key, `${label}: status ${res.status} is not documented for ${method} ${template}`);
            response = deref(responses[key]);
        }
    }
    for (const [name, header] of Object.entries(response.headers ?? {})) {
        const spec = deref(header);
        const value = res.headers.get(name);
        if (value === null) {
            assert.ok(!spec.required, `${label}: the documented header ${name} is missing`);
            continue;
        }
        const validateHeader = schemaValidator(`header ${JSON.stringify(spec.schema)}`, spec.schema);
        const typed = spec.schema?.type === "integer" && /^-?\d+$/.test(value) ? Number(value) : value;
        assert.ok(
            validateHeader(typed),
            `${label}: header ${name}: ${JSON.stringify(value)} does not match its schema`,
        );
    }
    const content = response.content;
    const mediaType = (res.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
    if (content === undefined || Object.keys(content).length === 0) {
        assert.equal(res.text, "", `${label}: documented without content, answered a body`);
        return;
    }
    assert.ok(
        mediaType in content,
        `${label}: Content-Type ${mediaType} is not documented (${Object.keys(content).join(", ")})`,
    );
    const schema = content[mediaType].schema;
    if (schema === undefined) return;
    const where = `${template} ${method} ${res.status} ${mediaType}`;
    const validate = schemaValidator(where, schema);
    const value = mediaType.endsWith("json") ? res.body : res.text;
    if (!validate(value)) {
        const errors = ajv.errorsText(validate.errors, { separator: "\n  " });
        assert.fail(
            `${label}: the body does not match the documented schema:\n  ${errors}\n` +
                `body: ${res.text.slice(0, 2000)}`,
        );
    }
}

/** Compiles the schema of every documented response (so that an error in one that no test
 * meets still fails); returns how many. */
export function compileAllResponseSchemas() {
    let n = 0;
    for (const [template, item] of Object.entries(OPENAPI.paths))
        for (const method of METHODS.filter((m) => item[m]))
            for (const [status, response] of Object.entries(item[method].responses ?? {})) {
                const resolved = deref(response);
                for (const [type, media] of Object.entries(resolved.content ?? {}))
                    if (media.schema) {
                        schemaValidator(`${template} ${method} ${status} ${type}`, media.schema);
                        n++;
                    }
                for (const header of Object.values(resolved.headers ?? {})) {
                    const spec = deref(header);
                    schemaValidator(`header ${JSON.stringify(spec.schema)}`, spec.schema);
                }
            }
    return n;
}

// ---------------------------------------------------------------------------------------------
// Times for events: fixed local hours on recent days, so that the figures do not depend on when
// the suite runs (the cafe doubles points on weekday afternoons, 14:00-16:00 Paris time).

/** ISO instant `days` days before today at hh:mm UTC (08:00 UTC is 09:00 or 10:00 in Paris). */
export function daysAgo(days, hhmm = "08:00") {
    const d = new Date(Date.now() - days * 86400000);
    return `${d.toISOString().slice(0, 10)}T${hhmm}:00Z`;
}

// ---------------------------------------------------------------------------------------------
// The server

let current = null;
const running = new Set();

process.on("exit", () => {
    for (const s of running) {
        try {
            s.child.kill("SIGKILL");
        } catch {}
        if (!process.env.FIDELE_HTTP_KEEP) fs.rmSync(s.dir, { recursive: true, force: true });
    }
});

// Stopped from outside (ctest's timeout, ^C): the exit hook above still cleans up.
for (const name of ["SIGINT", "SIGTERM"])
    process.once(name, () => process.exit(128 + os.constants.signals[name]));

function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

export class Server {
    constructor(dir) {
        this.dir = dir;
        this.db = path.join(dir, "fidele.db");
        this.readyFile = path.join(dir, "ready");
        this.keys = {}; // name -> secret "fk_..."
        this.keyIds = {}; // name -> key id
        this.stderr = "";
        this.stderrFile = null; // set when the server's stderr goes to a file instead of a pipe
        this.child = null;
        this.exit = null; // {code, signal} once exited
    }

    /** Runs the CLI on this database; returns {code, stdout, stderr} (never throws on exit code). */
    async cli(args, { json = false } = {}) {
        const argv = ["--db", this.db, ...(json ? ["--json"] : []), ...args];
        try {
            const { stdout, stderr } = await execFileP(FIDELE, argv, { maxBuffer: 64 << 20 });
            return { code: 0, stdout, stderr, json: json ? JSON.parse(stdout || "null") : undefined };
        } catch (e) {
            if (typeof e.code !== "number") throw e;
            return { code: e.code, stdout: e.stdout, stderr: e.stderr };
        }
    }

    async cliOk(args, options) {
        const r = await this.cli(args, options);
        assert.equal(r.code, 0, `fidele ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
        return r;
    }

    async createKey(name, merchant, scope) {
        const r = await this.cliOk(["key", "create", "--merchant", String(merchant), "--scope", scope], {
            json: true,
        });
        assert.match(r.json.key, /^fk_/);
        this.keys[name] = r.json.key;
        this.keyIds[name] = r.json.id;
    }

    /** Merchant A (1): cafe, in English; merchant B (2): bookshop, in French. Keys adminA, posA,
     * readA, adminB, revokedA. */
    async setup() {
        await this.cliOk(["init", "--template", "cafe", "--name", "Cafe A", "--locale", "en"]);
        await this.cliOk(["merchant", "add", "Bookshop B", "--template", "bookshop"]);
        await this.createKey("adminA", 1, "admin");
        await this.createKey("posA", 1, "pos");
        await this.createKey("readA", 1, "read");
        await this.createKey("adminB", 2, "admin");
        await this.createKey("revokedA", 1, "pos");
        await this.cliOk(["key", "revoke", this.keyIds.revokedA, "--merchant", "1"]);
    }

    /** Starts `fidele serve` with extra options (e.g. ["--batch-limit", "5"]); stderrToFile sends
     * its stderr (the access log) to a regular file, as a service's log usually is, not a pipe. */
    async start(extra = [], { stderrToFile = false } = {}) {
        const args = [
            "--db",
            this.db,
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--ready-file",
            this.readyFile,
            ...extra,
        ];
        let stderr = "pipe";
        if (stderrToFile) {
            this.stderrFile = path.join(this.dir, "stderr.log");
            stderr = fs.openSync(this.stderrFile, "a");
        }
        this.child = spawn(FIDELE, args, { stdio: ["ignore", "pipe", stderr] });
        if (stderrToFile) fs.closeSync(stderr);
        this.exited = new Promise((resolve) => {
            this.child.on("exit", (code, signal) => {
                this.exit = { code, signal };
                running.delete(this);
                resolve(this.exit);
            });
        });
        running.add(this);
        this.child.stdout.setEncoding("utf8").on("data", () => {});
        this.child.stderr?.setEncoding("utf8").on("data", (chunk) => (this.stderr += chunk));
        const deadline = Date.now() + START_TIMEOUT_MS;
        for (;;) {
            if (this.exit)
                assert.fail(`fidele serve exited early (${JSON.stringify(this.exit)}): ${this.stderr}`);
            const text = fs.existsSync(this.readyFile) ? fs.readFileSync(this.readyFile, "utf8") : "";
            if (text.endsWith("\n")) {
                const m = /^(.*):(\d+)\n$/.exec(text);
                assert.ok(m, `ready file holds ${JSON.stringify(text)}`);
                this.host = m[1];
                this.port = Number(m[2]);
                this.url = `http://${this.host}:${this.port}`;
                break;
            }
            if (Date.now() > deadline) assert.fail(`fidele serve not ready after ${START_TIMEOUT_MS} ms`);
            await sleep(10);
        }
        current = this;
        return this;
    }

    /** Sends a signal to the server. */
    signal(name) {
        this.signalled = true;
        this.child.kill(name);
    }

    /** SIGTERM (unless signalled already), then waits for the exit; returns {code, signal}.
     * SIGKILL after the timeout. */
    async terminate() {
        if (this.exit) return this.exit;
        if (!this.signalled) this.signal("SIGTERM");
        const timer = setTimeout(() => this.child.kill("SIGKILL"), STOP_TIMEOUT_MS);
        const result = await this.exited;
        clearTimeout(timer);
        return result;
    }

    /** Stops the server (exit code 0 required) and removes the directory, whatever happens. */
    async stop() {
        try {
            if (this.child) {
                const r = await this.terminate();
                assert.deepEqual(
                    r,
                    { code: 0, signal: null },
                    `fidele serve did not exit cleanly: ${this.stderr.slice(-4000)}`,
                );
            }
        } finally {
            if (!process.env.FIDELE_HTTP_KEEP) fs.rmSync(this.dir, { recursive: true, force: true });
            else console.error(`kept ${this.dir}`);
        }
    }

    /** The access-log lines written so far (stderr lines that are JSON objects). */
    accessLog() {
        const text = this.stderrFile ? fs.readFileSync(this.stderrFile, "utf8") : this.stderr;
        return text
            .split("\n")
            .filter((l) => l.startsWith("{"))
            .map((l) => JSON.parse(l));
    }

    /**
     * One request. key: a key name of this server ("posA") or a literal secret; body: an object
     * (sent as JSON), a string or a Buffer (sent as is). Returns {status, headers, body, text}
     * after checking the answer against the OpenAPI document (validate: false skips that).
     */
    async call(method, requestPath, { key, body, headers = {}, validate = true } = {}) {
        const h = { ...headers };
        // With a short --timeout, a pooled keep-alive connection may be closed by the server just
        // as fetch reuses it; such servers are called one connection per request.
        if (this.connectionClose) h.Connection = "close";
        if (key !== undefined) h.Authorization = `Bearer ${this.keys[key] ?? key}`;
        let payload;
        if (body !== undefined) {
            if (typeof body === "string" || Buffer.isBuffer(body)) payload = body;
            else {
                payload = JSON.stringify(body);
                if (!Object.keys(h).some((k) => k.toLowerCase() === "content-type"))
                    h["Content-Type"] = "application/json";
            }
        }
        let res;
        try {
            res = await fetch(this.url + requestPath, { method, headers: h, body: payload });
        } catch (e) {
            const cause = e.cause ? ` (${e.cause.code ?? ""} ${e.cause.message ?? e.cause})` : "";
            throw new Error(`${method} ${requestPath}: ${e.message}${cause}`, { cause: e });
        }
        const text = await res.text();
        const type = res.headers.get("content-type") ?? "";
        let parsed;
        if (/json/.test(type) && text !== "") {
            try {
                parsed = JSON.parse(text);
            } catch (e) {
                assert.fail(`${method} ${requestPath}: ${type} body is not JSON: ${text.slice(0, 200)}`);
            }
        }
        const out = { status: res.status, headers: res.headers, body: parsed, text };
        if (validate) validateResponse(method, requestPath, out);
        return out;
    }
}

/** Creates the database and starts the server (start: false leaves both to the caller, who
 * then calls start()); the caller must stop() it. */
export async function startServer({
    serveArgs = [],
    setup = true,
    connectionClose = false,
    start = true,
    stderrToFile = false,
} = {}) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fidele-http-"));
    const server = new Server(dir);
    server.connectionClose = connectionClose;
    try {
        if (setup) await server.setup();
        if (start) await server.start(serveArgs, { stderrToFile });
    } catch (e) {
        await server.stop().catch(() => {});
        throw e;
    }
    return server;
}

/**
 * Registers before/after hooks in the current suite (or file) that start a server and always
 * stop it. Returns a holder whose .server is set once the hook ran.
 */
export function useServer(options = {}) {
    const holder = { server: null };
    before(async () => {
        holder.server = await startServer(options);
    });
    after(async () => {
        if (holder.server) await holder.server.stop();
    });
    return holder;
}

/** call() on the server most recently started in this process. */
export function call(method, requestPath, options) {
    assert.ok(current, "no server started");
    return current.call(method, requestPath, options);
}

/** Asserts an answer's status (showing the body when it differs) and returns the answer. */
export function expectStatus(res, status) {
    assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${res.text.slice(0, 500)}`);
    return res;
}

/** Asserts an RFC 9457 problem of the given status and type slug; returns its body. */
export function expectProblem(res, status, type) {
    expectStatus(res, status);
    assert.equal(res.headers.get("content-type"), "application/problem+json");
    assert.equal(res.body.status, status);
    if (type) assert.equal(res.body.type, `urn:fidele:problem:${type}`);
    return res.body;
}

/**
 * Raw HTTP over one TCP connection: writes the pieces in order, `gapMs` apart, optionally
 * half-closes (`end`), and collects what the server sends until it closes the connection or
 * `timeoutMs` passes. Resolves {data, closedByServer, closedAtMs, writeError}.
 */
export function rawExchange(server, pieces, { gapMs = 0, end = false, timeoutMs = 5000 } = {}) {
    return new Promise((resolve) => {
        const started = Date.now();
        const socket = net.connect(server.port, server.host);
        let data = "";
        let writeError = null;
        let closed = false;
        let timer = null;
        const finish = (closedByServer) => {
            if (closed) return;
            closed = true;
            clearTimeout(timer);
            socket.destroy();
            resolve({ data, closedByServer, closedAtMs: Date.now() - started, writeError });
        };
        socket.setEncoding("utf8");
        socket.on("data", (chunk) => (data += chunk));
        socket.on("error", (e) => (writeError = e.code ?? String(e)));
        socket.on("close", () => finish(true));
        timer = setTimeout(() => finish(false), timeoutMs);
        socket.on("connect", async () => {
            for (let i = 0; i < pieces.length && !closed; i++) {
                if (i > 0 && gapMs) await sleep(gapMs);
                if (closed || socket.destroyed) break;
                socket.write(pieces[i]);
            }
            if (end && !closed) socket.end();
        });
    });
}

/** The head of a raw HTTP/1.1 request (ends with the blank line). */
export function rawHead(method, requestPath, headers = {}) {
    const lines = [`${method} ${requestPath} HTTP/1.1`, "Host: 127.0.0.1"];
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    return lines.join("\r\n") + "\r\n\r\n";
}

export { sleep };
