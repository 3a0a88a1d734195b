import assert from "node:assert/strict";
import { authed, testApp, TOKEN } from "./_app.ts";

/** `app.request` from a connection whose peer is `hostname`. */
function from(app: ReturnType<typeof testApp>["app"], hostname: string) {
  return (path: string, init: RequestInit = {}) =>
    app.request(path, init, { remoteAddr: { hostname, port: 1, transport: "tcp" } });
}

const wrongToken = { headers: { Authorization: `Bearer ${"x".repeat(TOKEN.length)}` } };

Deno.test("createControlApp() never lets wrong-token requests spend the token holder's budget", async () => {
  const { app } = testApp({
    limits: {
      rate: { burst: 3, perSecond: 1 },
      publicRate: { burst: 5, perSecond: 1 },
      authFailures: { burst: 2, perSecond: 1 },
    },
  });
  const ea = from(app, "10.0.0.1");
  // A flood of wrong tokens from the EA's own address: 2 get 401, then the failure
  // bucket is empty (429), then the public bucket too (429).
  const flood = await Promise.all(Array.from({ length: 50 }, () => ea("/v1/status", wrongToken)));
  assert.deepEqual(flood.slice(0, 3).map((r) => r.status), [401, 401, 429]);
  assert.ok(flood.every((r) => r.status === 401 || r.status === 429));
  // The right token still has its whole burst of 3.
  const mine = await Promise.all([1, 2, 3].map(() => ea("/v1/status", authed())));
  assert.deepEqual(mine.map((r) => r.status), [200, 200, 200]);
  assert.equal((await ea("/v1/status", authed())).status, 429, "and no more than its own rate");
});

Deno.test("createControlApp() limits failed authentications per address in their own bucket", async () => {
  let nowMs = 0;
  const { app } = testApp({
    now: () => nowMs,
    limits: { authFailures: { burst: 2, perSecond: 0.1 } },
  });
  const guesser = from(app, "10.0.0.1");
  assert.equal((await guesser("/v1/status", wrongToken)).status, 401);
  assert.equal((await guesser("/v1/status")).status, 401, "a missing token is a failure too");
  const limited = await guesser("/v1/status", wrongToken);
  assert.equal(limited.status, 429);
  // One failure comes back in 1 / 0.1 = 10 s.
  assert.equal(limited.headers.get("retry-after"), "10");
  assert.match((await limited.json()).error, /too many failed authentications/);
  assert.equal((await guesser("/health")).status, 200, "public routes are not failures");
  assert.equal((await guesser("/v1/status", authed())).status, 200, "the right token passes");
  assert.equal((await from(app, "10.0.0.2")("/v1/status")).status, 401, "another address");
  nowMs += 10_000;
  assert.equal((await guesser("/v1/status", wrongToken)).status, 401, "the bucket refills");
});

Deno.test("createControlApp() believes X-Forwarded-For only from a trusted proxy", async (t) => {
  const viaProxy = (trustedProxies: string[]) => {
    const { app } = testApp({
      limits: { publicRate: { burst: 1, perSecond: 0.01 }, trustedProxies },
    });
    const proxy = from(app, "10.0.0.9");
    return (client: string) => proxy("/health", { headers: { "X-Forwarded-For": client } });
  };
  await t.step("untrusted: every client shares the peer's bucket", async () => {
    const request = viaProxy([]);
    assert.equal((await request("203.0.113.1")).status, 200);
    assert.equal((await request("203.0.113.2")).status, 429);
  });
  await t.step("trusted: each forwarded client has its own", async () => {
    const request = viaProxy(["10.0.0.9"]);
    assert.equal((await request("203.0.113.1")).status, 200);
    assert.equal((await request("203.0.113.2")).status, 200);
    assert.equal((await request("203.0.113.1")).status, 429);
  });
});

Deno.test("createControlApp() audits each refused login with the address, at most its rate", async () => {
  let nowMs = Date.UTC(2026, 10, 25, 12);
  const { app, audited } = testApp({
    now: () => nowMs,
    limits: { auditRefusalsPerMinute: 2 },
  });
  const stranger = from(app, "203.0.113.7");
  for (let i = 0; i < 5; i++) await stranger("/v1/kill-switch", { method: "POST", ...wrongToken });
  assert.deepEqual(
    audited,
    [1, 2].map(() => ({
      timeUs: nowMs * 1000,
      actor: "anonymous",
      method: "POST",
      path: "/v1/kill-switch",
      status: 401,
      detail: "refused 203.0.113.7: invalid bearer token",
    })),
  );
  // A minute refills the budget of 2; the next entry says how many were left out (3).
  nowMs += 60_000;
  await stranger("/v1/status");
  assert.equal(audited.length, 3);
  assert.equal(
    audited[2].detail,
    "refused 203.0.113.7: missing bearer token; 3 refusals before this one not written (audit rate limit)",
  );
  assert.ok(!JSON.stringify(audited).includes("x".repeat(TOKEN.length)), "no presented token");
});

Deno.test("GET /metrics counts every 401, 403 and 429 by status", async () => {
  const { app } = testApp({
    limits: { auditRefusalsPerMinute: 1, authFailures: { burst: 3, perSecond: 0.01 } },
  });
  const stranger = from(app, "203.0.113.7");
  for (let i = 0; i < 4; i++) await stranger("/v1/status", wrongToken);
  const text = await (await app.request("/metrics", authed())).text();
  // 4 failures: 3 answered 401 (the failure burst), the fourth 429; 1 audited, 3 left out.
  assert.match(text, /^aigs_http_refusals_total\{status="401"\} 3$/m);
  assert.match(text, /^aigs_http_refusals_total\{status="403"\} 0$/m);
  assert.match(text, /^aigs_http_refusals_total\{status="429"\} 1$/m);
  assert.match(text, /^aigs_audit_refusals_not_written_total 3$/m);
});

/** A request body that sends `head` and then nothing until `release` is called. */
function stalledBody(head: string) {
  let release = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(head));
      release = () => controller.close();
    },
  });
  return { body, release: () => release() };
}

Deno.test("createControlApp() answers 408 to a request whose body does not arrive in time", async () => {
  const { app } = testApp({
    limits: { requestTimeoutMs: 50 },
    risk: { status: () => ({ state: "active", reasons: [] }), killSwitch: () => {} },
  });
  const stalled = stalledBody('{"on": true,');
  const res = await app.request(
    "/v1/kill-switch",
    authed({ method: "POST", body: stalled.body, headers: { "Content-Type": "application/json" } }),
  );
  stalled.release();
  assert.equal(res.status, 408);
  assert.deepEqual(await res.json(), { error: "request not answered within 0.05 s" });
});

Deno.test("createControlApp() refuses a second model upload while one is in progress", async () => {
  const { app } = testApp({ limits: { uploads: 1 } });
  const stalled = stalledBody("--x");
  const first = app.request("/v1/models", authed({ method: "POST", body: stalled.body }));
  const second = await app.request("/v1/models", authed({ method: "POST", body: "y" }));
  assert.equal(second.status, 503);
  assert.equal(second.headers.get("retry-after"), "30");
  assert.match((await second.json()).error, /another model upload is in progress/);
  stalled.release();
  // No registry is wired: the first, once its body is in, reaches the 404.
  assert.equal((await first).status, 404);
  const third = await app.request("/v1/models", authed({ method: "POST", body: "z" }));
  assert.equal(third.status, 404, "the slot is free again");
});
