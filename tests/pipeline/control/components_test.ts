import assert from "node:assert/strict";
import type { ComponentController } from "@/pipeline/control/components.ts";
import { authed, testApp } from "./_app.ts";

function controller() {
  const calls: [string, boolean][] = [];
  const components: ComponentController = {
    has: (name) => name === "ml",
    list: () => [{ name: "ml", enabled: true }],
    setEnabled: (name, enabled) => void calls.push([name, enabled]),
  };
  return { components, calls };
}

Deno.test("POST /v1/components/:name/enable|disable calls the controller", async () => {
  const { components, calls } = controller();
  const { app } = testApp({ components });
  const off = await app.request("/v1/components/ml/disable", authed({ method: "POST" }));
  assert.equal(off.status, 200);
  assert.deepEqual(await off.json(), { component: "ml", enabled: false });
  await app.request("/v1/components/ml/enable", authed({ method: "POST" }));
  assert.deepEqual(calls, [["ml", false], ["ml", true]]);
});

Deno.test("POST /v1/components/:name/... answers 404 for an unknown component and changes nothing", async () => {
  const { components, calls } = controller();
  const { app } = testApp({ components });
  const res = await app.request("/v1/components/nope/disable", authed({ method: "POST" }));
  assert.equal(res.status, 404);
  assert.match((await res.json()).error, /^no component by that name$/);
  assert.equal(
    (await app.request("/v1/components/ml/restart", authed({ method: "POST" }))).status,
    404,
  );
  assert.deepEqual(calls, []);
});
