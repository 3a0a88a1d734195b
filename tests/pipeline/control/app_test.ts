import assert from "node:assert/strict";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { tokenFingerprint } from "@/pipeline/control/auth.ts";
import { createHealthRegistry, type HealthStatus } from "@/pipeline/health.ts";
import { authed, testApp, TOKEN } from "./_app.ts";

function appWith(statuses: HealthStatus[]) {
  const health = createHealthRegistry({ now: () => 0 });
  statuses.forEach((status, i) => health.register(`c${i}`).report(status, "why"));
  return testApp({ health });
}

Deno.test("createControlApp() answers GET /health with the snapshot, without a token", async () => {
  const { app, health } = appWith(["ok"]);
  const res = await app.request("/health");
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
      const res = await appWith(["ok", status]).app.request("/health");
      assert.equal(res.status, http);
      assert.equal((await res.json()).status, status);
    });
  }
});

Deno.test("createControlApp() answers 401 (JSON) without a token or with a wrong one", async (t) => {
  const { app } = testApp();
  const cases: [string, Record<string, string>, number][] = [
    ["no header", {}, 401],
    ["a wrong token of the same length", {
      Authorization: `Bearer ${"x".repeat(TOKEN.length)}`,
    }, 401],
    ["a wrong shorter token", { Authorization: "Bearer short" }, 401],
    ["the token under another scheme (400)", { Authorization: `Basic ${TOKEN}` }, 400],
  ];
  for (const [name, headers, status] of cases) {
    await t.step(name, async () => {
      const res = await app.request("/v1/status", { headers });
      assert.equal(res.status, status);
      assert.match((await res.json()).error, /token|Authorization/);
      assert.ok(res.headers.get("www-authenticate")?.startsWith("Bearer"));
    });
  }
  await t.step("the right token passes", async () => {
    assert.equal((await app.request("/v1/status", authed())).status, 200);
  });
});

Deno.test("createControlApp() keeps unknown routes behind the token: 401 without, 404 with", async () => {
  const { app } = testApp();
  assert.equal((await app.request("/nope", { method: "POST" })).status, 401);
  const res = await app.request("/nope", authed({ method: "POST" }));
  assert.equal(res.status, 404);
  assert.deepEqual(await res.json(), { error: "not found" });
});

Deno.test("createControlApp() hides an error's message and stack behind a 500", async () => {
  const { app, logged } = testApp();
  app.get("/boom", () => {
    throw new Error(`token ${TOKEN} at /etc/passwd`);
  });
  const res = await app.request("/boom", authed());
  const body = await res.text();
  assert.equal(res.status, 500);
  assert.deepEqual(JSON.parse(body), { error: "internal error" });
  assert.ok(!body.includes(TOKEN) && !body.includes("at "), body);
  assert.equal((logged[0] as Error).message, `token ${TOKEN} at /etc/passwd`);
});

Deno.test("createControlApp() passes a deliberate client error through", async () => {
  const { app, logged } = testApp();
  app.get("/private", () => {
    throw new HTTPException(403, { res: new Response("Forbidden", { status: 403 }) });
  });
  const res = await app.request("/private", authed());
  assert.equal(res.status, 403);
  assert.equal(await res.text(), "Forbidden");
  assert.equal(logged.length, 0);
});

Deno.test("createControlApp() answers 413 (JSON) to a body over the limit", async (t) => {
  const { app } = testApp({ limits: { bodyBytes: 1024 } });
  const body = "x".repeat(1025);
  await t.step("streamed", async () => {
    const res = await app.request("/v1/kill-switch", authed({ method: "POST", body }));
    assert.equal(res.status, 413);
    assert.deepEqual(await res.json(), { error: "request body larger than 1024 bytes" });
  });
  await t.step("announced by Content-Length", async () => {
    const headers = { "Content-Length": String(body.length) };
    const res = await app.request("/v1/kill-switch", authed({ method: "POST", body, headers }));
    assert.equal(res.status, 413);
  });
});

Deno.test("createControlApp() lets a model upload past the default body limit, up to its own", async () => {
  const { app } = testApp({ limits: { bodyBytes: 1024, uploadBytes: 4096 } });
  const upload = (size: number) =>
    app.request("/v1/models", authed({ method: "POST", body: "x".repeat(size) }));
  // No registry is wired here, so a body within the limit reaches the 404.
  assert.equal((await upload(2048)).status, 404);
  assert.equal((await upload(4097)).status, 413);
});

Deno.test("createControlApp() answers 429 with Retry-After to a client over its rate", async () => {
  let nowMs = 0;
  const { app } = testApp({
    now: () => nowMs,
    limits: { publicRate: { burst: 2, perSecond: 0.5 } },
  });
  const from = (hostname: string) =>
    app.request("/health", {}, { remoteAddr: { hostname, port: 1, transport: "tcp" } });
  assert.equal((await from("10.0.0.1")).status, 200);
  assert.equal((await from("10.0.0.1")).status, 200);
  const limited = await from("10.0.0.1");
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get("retry-after"), "2");
  assert.match((await limited.json()).error, /too many requests/);
  assert.equal((await from("10.0.0.2")).status, 200, "another client has its own bucket");
  nowMs += 2000;
  assert.equal((await from("10.0.0.1")).status, 200, "the bucket refills");
});

Deno.test("createControlApp() audits authenticated calls but GET, by token fingerprint", async () => {
  const { app, audited } = testApp();
  await app.request("/v1/status", authed());
  await app.request("/v1/kill-switch", authed({ method: "POST", json: {} }));
  assert.deepEqual(audited, [{
    timeUs: Date.UTC(2026, 10, 25, 12) * 1000,
    actor: tokenFingerprint(TOKEN),
    method: "POST",
    path: "/v1/kill-switch",
    status: 404,
    detail: null,
  }]);
  assert.ok(!JSON.stringify(audited).includes(TOKEN));
});

Deno.test("createControlApp() still answers when the audit sink fails, and logs it", async () => {
  const { app, logged } = testApp({
    audit: () => {
      throw new Error("journal closed");
    },
  });
  const res = await app.request("/nope", authed({ method: "POST" }));
  assert.equal(res.status, 404);
  assert.equal((logged[0] as Error).message, "journal closed");
});

Deno.test("createControlApp() serves mounts publicly or behind the token, as each asks", async () => {
  const page = new Hono().get("/", (c) => c.text("page"));
  const data = new Hono().get("/", (c) => c.json({ equity: 1 }));
  const { app } = testApp({
    mounts: [{ path: "/dashboard", app: page, auth: false }, {
      path: "/dashboard/api",
      app: data,
      auth: true,
    }],
  });
  assert.equal(await (await app.request("/dashboard")).text(), "page");
  assert.equal((await app.request("/dashboard/api")).status, 401);
  assert.deepEqual(await (await app.request("/dashboard/api", authed())).json(), { equity: 1 });
});

Deno.test("createControlApp() leaves out of the audit only the mounts that ask", async () => {
  const signal = new Hono().post("/ai_signal", (c) => c.json({ signal: "HOLD" }));
  const bridge = new Hono().post("/", (c) => c.json({ ok: true }));
  const { app, audited } = testApp({
    mounts: [
      { path: "/", app: signal, auth: true, audit: false },
      { path: "/bridge", app: bridge, auth: true },
    ],
    risk: { status: () => ({ state: "active", reasons: [] }), killSwitch: () => {} },
  });
  assert.equal((await app.request("/ai_signal", authed({ method: "POST" }))).status, 200);
  assert.equal(
    (await app.request("/ai_signal", { method: "POST" })).status,
    401,
    "still behind the token",
  );
  assert.equal((await app.request("/bridge", authed({ method: "POST" }))).status, 200);
  await app.request("/v1/kill-switch", authed({ method: "POST", json: { on: true, reason: "x" } }));
  assert.deepEqual(
    audited.filter((e) => e.actor !== "anonymous").map((e) => e.path),
    ["/bridge", "/v1/kill-switch"],
    "the refused /ai_signal is audited as a refusal, the authenticated one not at all",
  );
});

Deno.test("createControlApp() shows no folder of a filesystem path in GET /health, only in /v1/status", async () => {
  const health = createHealthRegistry({ now: () => 0 });
  const detail = "/srv/aigs/data/DAT_ASCII_XAUUSD_M1_2017.csv:12: price is not finite";
  health.register("feed").report("failed", detail);
  const { app } = testApp({ health });
  const open = await (await app.request("/health")).json();
  assert.equal(
    open.components.feed.detail,
    "DAT_ASCII_XAUUSD_M1_2017.csv:12: price is not finite",
  );
  const status = await (await app.request("/v1/status", authed())).json();
  assert.equal(status.health.components.feed.detail, detail);
});
