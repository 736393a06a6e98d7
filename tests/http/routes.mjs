// The route table of the server, read from src/http/routes.c so that tests that must cover every
// route (tenancy, the OpenAPI document) fail when a route is added without them.
import fs from "node:fs";
import path from "node:path";

import { REPO } from "./harness.mjs";

// The query parameters a route takes: NULL, a string literal, or a macro naming one.
function queryNames(source, field) {
    if (field === "NULL") return [];
    const literal = field.startsWith('"') ? field : new RegExp(`#define ${field} ("[^"]*")`).exec(source)?.[1];
    if (!literal) throw new Error(`query list ${field} not found in src/http/routes.c`);
    return literal.slice(1, -1).split(" ");
}

export function routeTable() {
    const source = fs.readFileSync(path.join(REPO, "src/http/routes.c"), "utf8");
    const table = /static const struct route ROUTES\[\] = \{([\s\S]*?)\n\};/.exec(source);
    if (!table) throw new Error("ROUTES[] not found in src/http/routes.c");
    const routes = [...table[1].matchAll(/\{"([A-Z]+)", "([^"]+)", (\w+), (\w+), (true|false), (NULL|\w+|"[^"]*")\}/g)].map((m) => ({
        method: m[1],
        template: m[2],
        auth: m[3],
        handler: m[4],
        keyCheckedByCommitter: m[5] === "true",
        query: queryNames(source, m[6]),
    }));
    if (routes.length === 0) throw new Error("no route parsed from src/http/routes.c");
    return routes;
}
