import assert from "node:assert/strict";
import { riskConfigSchema } from "@/operators/risk/config.ts";
import { tokenFingerprint } from "@/pipeline/control/auth.ts";
import type { ConfigStore, StoredConfig } from "@/pipeline/control/config.ts";
import { authed, testApp, TOKEN } from "./_app.ts";

/** An in-memory store whose reads and writes take a tick, as a database's would. */
function memoryStore() {
  const rows: (StoredConfig & { actor: string })[] = [];
  const store: ConfigStore = {
    latest: async () => {
      await Promise.resolve();
      return rows.at(-1) ?? null;
    },
    append: async (version, config, actor) => {
      await Promise.resolve();
      rows.push({ version, config, actor });
    },
  };
  return { store, rows };
}

function withConfig(apply?: (config: unknown) => void) {
  const { store, rows } = memoryStore();
  const { app, audited } = testApp({ config: { schema: riskConfigSchema, store, apply } });
  const put = (body: unknown) => app.request("/v1/config", authed({ method: "PUT", json: body }));
  return { app, rows, audited, put };
}

Deno.test("GET /v1/config answers version 0 and no config before the first PUT", async () => {
  const { app } = withConfig();
  assert.deepEqual(await (await app.request("/v1/config", authed())).json(), {
    version: 0,
    config: null,
  });
});

Deno.test("PUT /v1/config validates, stores the next version with the actor, and audits", async () => {
  const { app, rows, audited, put } = withConfig();
  const res = await put({ version: 0, config: { riskPercent: 0.25 } });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.version, 1);
  assert.equal(body.config.riskPercent, 0.25, "stored as parsed, defaults filled in");
  assert.deepEqual(rows.map((r) => [r.version, r.actor]), [[1, tokenFingerprint(TOKEN)]]);
  assert.deepEqual(await (await app.request("/v1/config", authed())).json(), body);
  assert.deepEqual(audited.map((e) => [e.method, e.path, e.status]), [["PUT", "/v1/config", 200]]);
});

Deno.test("PUT /v1/config answers 409 to a stale version and stores nothing", async () => {
  const { rows, put } = withConfig();
  await put({ version: 0, config: {} });
  const res = await put({ version: 0, config: { riskPercent: 0.5 } });
  assert.equal(res.status, 409);
  const body = await res.json();
  assert.equal(body.version, 1);
  assert.match(body.error, /the config version given is stale: version 1 is in force/);
  assert.equal(rows.length, 1);
});

Deno.test("PUT /v1/config lets only one of two concurrent changes of a version win", async () => {
  const { rows, put } = withConfig();
  const statuses = await Promise.all([
    put({ version: 0, config: { riskPercent: 0.25 } }),
    put({ version: 0, config: { riskPercent: 0.5 } }),
  ]).then((responses) => responses.map((r) => r.status).sort());
  assert.deepEqual(statuses, [200, 409]);
  assert.deepEqual(rows.map((r) => r.version), [1]);
});

Deno.test("PUT /v1/config answers 400 naming the invalid field and stores nothing", async () => {
  const { rows, put } = withConfig();
  const res = await put({ version: 0, config: { riskPercent: "lots" } });
  assert.equal(res.status, 400);
  assert.match((await res.json()).error, /^config is invalid: riskPercent: /);
  const noVersion = await put({ config: {} });
  assert.match((await noVersion.json()).error, /config change is invalid: version: /);
  assert.equal(rows.length, 0);
});

Deno.test("PUT /v1/config stores nothing when applying the config fails", async () => {
  const { rows, put } = withConfig(() => {
    throw new Error("engine refused");
  });
  const res = await put({ version: 0, config: {} });
  assert.equal(res.status, 500);
  assert.deepEqual(await res.json(), { error: "internal error" });
  assert.equal(rows.length, 0);
});

Deno.test("PUT /v1/config counts unknown fields and never repeats one a client sent", async () => {
  const { put } = withConfig();
  const res = await put({ version: 0, config: { riskPercent: 0.5, "<script>x": 2 } });
  assert.equal(res.status, 400);
  const { error } = await res.json();
  assert.match(error, /unknown field\(s\) \(1 not shown\): only the documented fields are allowed/);
  assert.ok(!error.includes("script"), error);
});
