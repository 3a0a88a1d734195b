import assert from "node:assert/strict";
import { HTTPException } from "hono/http-exception";
import { createControlApp } from "@/pipeline/control/app.ts";
import { createHealthRegistry, type HealthStatus } from "@/pipeline/health.ts";

function appWith(statuses: HealthStatus[], logError: (error: unknown) => void = () => {}) {
  const health = createHealthRegistry({ now: () => 0 });
  statuses.forEach((status, i) => health.register(`c${i}`).report(status, "why"));
  return createControlApp({ health, version: "1.2.3", logError });
}

Deno.test("createControlApp() answers GET /health with the snapshot", async () => {
  const health = createHealthRegistry({ now: () => 0 });
  health.register("journal").report("ok");
  const res = await createControlApp({ health, version: "1.2.3" }).request("/health");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.deepEqual(await res.json(), { version: "1.2.3", ...health.snapshot() });
});

Deno.test("createControlApp() maps the overall health status to an HTTP status", async (t) => {
  const cases: [HealthStatus, number][] = [
    ["ok", 200],
    ["idle", 200],
    ["starting", 200],
    ["degraded", 200],
    ["stopped", 503],
    ["failed", 503],
  ];
  for (const [status, http] of cases) {
    await t.step(`${status} answers ${http}`, async () => {
      const res = await appWith(["ok", status]).request("/health");
      assert.equal(res.status, http);
      assert.equal((await res.json()).status, status);
    });
  }
});

Deno.test("createControlApp() answers unknown routes with a JSON 404", async () => {
  const res = await appWith(["ok"]).request("/nope", { method: "POST" });
  assert.equal(res.status, 404);
  assert.deepEqual(await res.json(), { error: "not found" });
});

Deno.test("createControlApp() hides an error's message and stack behind a 500", async () => {
  const logged: unknown[] = [];
  const app = appWith(["ok"], (error) => logged.push(error));
  app.get("/boom", () => {
    throw new Error("secret token abc at /etc/passwd");
  });
  const res = await app.request("/boom");
  const body = await res.text();
  assert.equal(res.status, 500);
  assert.deepEqual(JSON.parse(body), { error: "internal error" });
  assert.ok(!body.includes("secret") && !body.includes("at "), body);
  assert.equal((logged[0] as Error).message, "secret token abc at /etc/passwd");
});

Deno.test("createControlApp() passes a deliberate client error through", async () => {
  const logged: unknown[] = [];
  const app = appWith(["ok"], (error) => logged.push(error));
  app.get("/private", () => {
    throw new HTTPException(401, {
      res: new Response("Unauthorized", {
        status: 401,
        headers: { "WWW-Authenticate": 'Bearer realm=""' },
      }),
    });
  });
  const res = await app.request("/private");
  assert.equal(res.status, 401);
  assert.equal(res.headers.get("www-authenticate"), 'Bearer realm=""');
  assert.equal(await res.text(), "Unauthorized");
  assert.equal(logged.length, 0);
});
