import assert from "node:assert/strict";
import { parseRiskConfig } from "@/operators/risk/config.ts";
import { RiskEngine } from "@/operators/risk/engine.ts";
import { authed, testApp } from "./_app.ts";

function withEngine() {
  const engine = new RiskEngine({ config: parseRiskConfig({ news: { enabled: false } }, "test") });
  const { app, audited } = testApp({
    risk: {
      status: () => engine.status(0),
      killSwitch: (on, reason) => engine.killSwitch(on, reason),
    },
  });
  return { app, audited, engine };
}

Deno.test("POST /v1/kill-switch turns the risk engine's kill switch on and off", async () => {
  const { app, engine, audited } = withEngine();
  const on = await app.request(
    "/v1/kill-switch",
    authed({ method: "POST", json: { on: true, reason: "news" } }),
  );
  assert.equal(on.status, 200);
  assert.deepEqual(await on.json(), { on: true, reason: "news" });
  assert.equal(engine.status(0).state, "halted");
  assert.match(engine.status(0).reasons[0].detail, /manual kill switch: news/);
  await app.request(
    "/v1/kill-switch",
    authed({ method: "POST", json: { on: false, reason: "calm" } }),
  );
  assert.notEqual(engine.status(0).state, "halted");
  assert.deepEqual(audited.map((e) => [e.path, e.status, e.detail]), [
    ["/v1/kill-switch", 200, "kill switch on: news"],
    ["/v1/kill-switch", 200, "kill switch off: calm"],
  ]);
});

Deno.test("POST /v1/kill-switch refuses a body without a boolean and a reason, naming the field", async (t) => {
  const { app, engine } = withEngine();
  const cases: [string, string, RegExp][] = [
    ["no reason", JSON.stringify({ on: true }), /reason/],
    ["a blank reason", JSON.stringify({ on: true, reason: "  " }), /reason: a reason is required/],
    ["on as a string", JSON.stringify({ on: "yes", reason: "x" }), /on: /],
    ["an extra field", JSON.stringify({ on: true, reason: "x", flatten: true }), /flatten/],
    ["not JSON", "on=1", /must be a JSON body/],
  ];
  for (const [name, body, message] of cases) {
    await t.step(name, async () => {
      const res = await app.request("/v1/kill-switch", authed({ method: "POST", body }));
      assert.equal(res.status, 400);
      assert.match((await res.json()).error, message);
    });
  }
  assert.equal(engine.status(0).state, "active");
});
