import assert from "node:assert/strict";
import { z } from "zod";
import { authed, testApp } from "./_app.ts";

Deno.test("GET /v1/status gathers health, risk, models and config version from the providers", async () => {
  const { app, health } = testApp({
    risk: {
      status: () => ({ state: "halted", reasons: [{ code: "KILL_SWITCH", detail: "manual" }] }),
      killSwitch: () => {},
    },
    modelSlot: () => ({ production: "ab".repeat(32), shadow: null }),
    config: {
      schema: z.unknown(),
      store: { latest: () => ({ version: 7, config: {} }), append: () => {} },
    },
  });
  health.register("feed").report("ok");
  const res = await app.request("/v1/status", authed());
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), {
    version: "1.2.3",
    health: health.snapshot(),
    risk: { state: "halted", reasons: [{ code: "KILL_SWITCH", detail: "manual" }] },
    models: { production: "ab".repeat(32), shadow: null },
    config: { version: 7 },
  });
});

Deno.test("GET /v1/status shows null for a part with no provider", async () => {
  const { app } = testApp();
  const body = await (await app.request("/v1/status", authed())).json();
  assert.deepEqual([body.risk, body.models, body.config], [null, null, { version: null }]);
});
