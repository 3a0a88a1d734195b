import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Registry } from "@/models/registry.ts";
import { openRegistry } from "@/pipeline/commands/models.ts";
import { cardFor, onnxModel, SPEC, uploadForm } from "./_models.ts";
import { authed, testApp } from "./_app.ts";

async function withServer(
  fn: (ctx: {
    app: ReturnType<typeof testApp>["app"];
    registry: Registry;
    dir: string;
    post: (path: string, init?: RequestInit & { json?: unknown }) => Response | Promise<Response>;
  }) => Promise<void>,
  runningSpecHash?: string,
) {
  const dir = await Deno.makeTempDir();
  const registry = openRegistry(dir);
  try {
    const { app } = testApp({ models: { registry, runningSpecHash } });
    const post = (path: string, init: RequestInit & { json?: unknown } = {}) =>
      app.request(path, authed({ method: "POST", ...init }));
    await fn({ app, registry, dir, post });
  } finally {
    registry.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("POST /v1/models registers a multipart upload as a candidate", async () => {
  await withServer(async ({ post, registry, dir }) => {
    const bytes = onnxModel();
    const card = cardFor(bytes);
    const res = await post("/v1/models", { body: uploadForm(bytes, card) });
    assert.equal(res.status, 201);
    assert.deepEqual(await res.json(), { id: card.id, stage: "candidate" });
    assert.equal(registry.get(card.id).stage, "candidate");
    assert.ok(existsSync(join(dir, `${card.id}.onnx`)));
  });
});

Deno.test("POST /v1/models accepts JSON with the ONNX bytes in base64", async () => {
  await withServer(async ({ post }) => {
    const bytes = onnxModel();
    const res = await post("/v1/models", {
      json: { card: cardFor(bytes), onnx: bytes.toBase64() },
    });
    assert.equal(res.status, 201);
  });
});

Deno.test("POST /v1/models refuses tampered bytes, naming both hashes", async () => {
  await withServer(async ({ post, registry }) => {
    const bytes = onnxModel();
    const card = cardFor(bytes);
    const tampered = bytes.slice();
    tampered[tampered.length - 5] ^= 0xff;
    const res = await post("/v1/models", { body: uploadForm(tampered, card) });
    assert.equal(res.status, 400);
    assert.match(
      (await res.json()).error,
      /card names id [0-9a-f]{12}… but the ONNX bytes hash to/,
    );
    assert.deepEqual(registry.list(), []);
  });
});

Deno.test("POST /v1/models refuses a card whose feature spec differs from the ONNX metadata", async () => {
  await withServer(async ({ post, registry }) => {
    const bytes = onnxModel(1, "c".repeat(64));
    const res = await post("/v1/models", { body: uploadForm(bytes, cardFor(bytes)) });
    assert.equal(res.status, 400);
    assert.match(
      (await res.json()).error,
      /ONNX metadata names feature spec cccc.* card names aaaa/,
    );
    assert.deepEqual(registry.list(), []);
  });
});

Deno.test("POST /v1/models refuses a model for another feature spec than the server runs", async () => {
  await withServer(async ({ post }) => {
    const spec = "d".repeat(64);
    const bytes = onnxModel(1, spec);
    const res = await post("/v1/models", { body: uploadForm(bytes, cardFor(bytes, 0.01, spec)) });
    assert.equal(res.status, 400);
    assert.match((await res.json()).error, /feature spec dddd.*differs from the server's aaaa/);
  }, SPEC);
});

Deno.test("POST /v1/models answers 400 for a bad upload, naming what is wrong", async (t) => {
  await withServer(async ({ post }) => {
    const bytes = onnxModel();
    const onlyCard = new FormData();
    onlyCard.append("card", JSON.stringify(cardFor(bytes)));
    const brokenCard = uploadForm(bytes, null);
    brokenCard.set("card", "{");
    const cases: [string, RequestInit & { json?: unknown }, RegExp][] = [
      [
        "an invalid card",
        { body: uploadForm(bytes, { ...cardFor(bytes), kind: "magic" }) },
        /kind/,
      ],
      ["a card that is not JSON", { body: brokenCard }, /"card" part is not JSON/],
      ["no ONNX part", { body: onlyCard }, /missing the "onnx" file part/],
      ["bad base64", { json: { card: cardFor(bytes), onnx: "***" } }, /not valid base64/],
      ["plain text", { body: "hello" }, /send multipart\/form-data/],
    ];
    for (const [name, init, message] of cases) {
      await t.step(name, async () => {
        const res = await post("/v1/models", init);
        assert.equal(res.status, 400);
        assert.match((await res.json()).error, message);
      });
    }
  });
});

Deno.test("POST /v1/models answers 409 to a model already registered", async () => {
  await withServer(async ({ post }) => {
    const bytes = onnxModel();
    assert.equal(
      (await post("/v1/models", { body: uploadForm(bytes, cardFor(bytes)) })).status,
      201,
    );
    const again = await post("/v1/models", { body: uploadForm(bytes, cardFor(bytes)) });
    assert.equal(again.status, 409);
    assert.match((await again.json()).error, /already registered \(candidate\)/);
  });
});

Deno.test("POST /v1/models/:id/promote moves a model up through the gates, with the reason", async () => {
  await withServer(async ({ post, registry }) => {
    const bytes = onnxModel();
    const model = registry.register(bytes, cardFor(bytes));
    const res = await post(`/v1/models/${model.id.slice(0, 12)}/promote`, {
      json: { reason: "looks good" },
    });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.deepEqual([body.id, body.stage, body.gate.pass], [model.id, "shadow", true]);
    assert.match(registry.events(model.id).at(-1)!.reason, /^looks good \(token:[0-9a-f]{12}\)/);
  });
});

Deno.test("POST /v1/models/:id/promote answers 400, 404 and 409 for a bad id, an unknown one and a failed gate", async () => {
  await withServer(async ({ post, registry }) => {
    const bytes = onnxModel();
    const weak = registry.register(bytes, cardFor(bytes, -0.01));
    assert.equal((await post("/v1/models/XYZ/promote")).status, 400);
    assert.equal((await post(`/v1/models/${"e".repeat(12)}/promote`)).status, 404);
    const refused = await post(`/v1/models/${weak.id}/promote`);
    assert.equal(refused.status, 409);
    assert.match((await refused.json()).error, /gate failed/);
    assert.equal(registry.get(weak.id).stage, "candidate");
  });
});

Deno.test("POST /v1/models/rollback restores the previous production model, or answers 409", async () => {
  await withServer(async ({ post, registry }) => {
    assert.equal((await post("/v1/models/rollback")).status, 409);
    const [first, second] = [1, 2].map((seed) => {
      const bytes = onnxModel(seed);
      const model = registry.register(bytes, cardFor(bytes));
      registry.promote(model.id);
      registry.promote(model.id);
      return model;
    });
    const res = await post("/v1/models/rollback", { json: { reason: "drawdown" } });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { id: first.id, stage: "production" });
    assert.equal(registry.get(second.id).stage, "retired");
  });
});
