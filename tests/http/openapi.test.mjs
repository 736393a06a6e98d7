// The OpenAPI document: the server serves docs/openapi.json unchanged, and it is a valid
// OpenAPI 3.1 document whose every response schema compiles.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { Validator } from "@seriousme/openapi-schema-validator";

import { OPENAPI, call, compileAllResponseSchemas, expectStatus, useServer } from "./harness.mjs";

describe("openapi", () => {
    useServer();

    it("GET /v1/openapi.json equals docs/openapi.json", async () => {
        const res = expectStatus(await call("GET", "/v1/openapi.json"), 200);
        assert.equal(res.headers.get("content-type"), "application/json");
        assert.deepEqual(res.body, OPENAPI);
    });

    it("passes the OpenAPI 3.1 validator", async () => {
        const validator = new Validator();
        const result = await validator.validate(structuredClone(OPENAPI));
        assert.equal(validator.version, "3.1");
        assert.ok(result.valid, JSON.stringify(result.errors, null, 2));
    });

    it("every response schema compiles (ajv, JSON Schema 2020-12, strict)", () => {
        assert.ok(compileAllResponseSchemas() > 40);
    });

    it("every operation documents the errors every client meets", () => {
        for (const [template, item] of Object.entries(OPENAPI.paths))
            for (const [method, op] of Object.entries(item)) {
                if (method === "parameters") continue;
                const statuses = Object.keys(op.responses);
                assert.ok(
                    statuses.some((s) => s.startsWith("2")),
                    `${method} ${template}: no success`,
                );
                const secured = (op.security ?? OPENAPI.security).length > 0;
                for (const s of secured ? ["400", "401", "403", "429"] : [])
                    assert.ok(
                        statuses.includes(s),
                        `${method.toUpperCase()} ${template} does not document ${s}`,
                    );
                if (op.requestBody)
                    for (const s of ["400", "413", "415", "422"])
                        assert.ok(
                            statuses.includes(s),
                            `${method.toUpperCase()} ${template} does not document ${s}`,
                        );
            }
    });

    it("documents the query parameters each route takes, and no other", async () => {
        const { routeTable } = await import("./routes.mjs");
        for (const r of routeTable()) {
            const op = OPENAPI.paths[r.template][r.method.toLowerCase()];
            const documented = (op.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name);
            assert.deepEqual(documented.sort(), [...r.query].sort(), `${r.method} ${r.template}`);
        }
    });

    it("documents every route of the route table, and nothing else", async () => {
        const { routeTable } = await import("./routes.mjs");
        const documented = [];
        for (const [template, item] of Object.entries(OPENAPI.paths))
            for (const method of Object.keys(item))
                if (method !== "parameters") documented.push(`${method.toUpperCase()} ${template}`);
        const served = routeTable().map((r) => `${r.method} ${r.template}`);
        assert.deepEqual(documented.sort(), served.sort());
    });
});
