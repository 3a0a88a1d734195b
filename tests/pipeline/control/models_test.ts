import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type RegisteredModel, type Registry, sha256Hex } from "@/models/registry.ts";
import { tokenFingerprint } from "@/pipeline/control/auth.ts";
import type { Measurement } from "@/models/verification.ts";
import { openRegistry } from "@/pipeline/commands/models.ts";
import type { RunningSpec } from "@/pipeline/control/models.ts";
import {
  cardFor,
  evaluationRows,
  linearModel,
  measureOn,
  onnxModel,
  SPEC,
  uploadForm,
} from "./_models.ts";
import { authed, testApp, TOKEN } from "./_app.ts";

interface ServerOptions {
  readonly runningSpec?: RunningSpec;
  /** The server's measurement; by default none (it holds no data). */
  readonly measure?: (registry: Registry) => (model: RegisteredModel) => Promise<Measurement>;
}

async function withServer(
  fn: (ctx: {
    app: ReturnType<typeof testApp>["app"];
    registry: Registry;
    dir: string;
    post: (path: string, init?: RequestInit & { json?: unknown }) => Response | Promise<Response>;
  }) => Promise<void>,
  options: ServerOptions = {},
) {
  const dir = await Deno.makeTempDir();
  const registry = openRegistry(dir);
  try {
    const { app } = testApp({
      models: {
        registry,
        runningSpec: options.runningSpec,
        measure: options.measure?.(registry),
        logError: () => {},
      },
    });
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
    assert.deepEqual(await res.json(), {
      id: card.id,
      stage: "candidate",
      verification: {
        measured: false,
        gate: null,
        reason: "not verified: this server holds no data to measure models on",
      },
    });
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
  }, { runningSpec: { hash: SPEC, features: 4 } });
});

Deno.test("POST /v1/models refuses a model whose input width is not the server's feature count", async () => {
  await withServer(async ({ post, registry }) => {
    const bytes = onnxModel();
    const res = await post("/v1/models", { body: uploadForm(bytes, cardFor(bytes)) });
    assert.equal(res.status, 400);
    assert.equal(
      (await res.json()).error,
      "model upload: the model reads 4 features per row; the server's feature spec has 57",
    );
    assert.deepEqual(registry.list(), []);
  }, { runningSpec: { hash: SPEC, features: 57 } });
});

Deno.test("POST /v1/models refuses a model whose input width is not its card's feature count", async () => {
  await withServer(async ({ post }) => {
    const bytes = onnxModel();
    const card = cardFor(bytes);
    const res = await post("/v1/models", {
      body: uploadForm(bytes, { ...card, featureSpec: { ...card.featureSpec, names: ["f1"] } }),
    });
    assert.equal(res.status, 400);
    assert.match((await res.json()).error, /reads 4 features per row; its card lists 1$/);
  });
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

/** Sharpened, the model that labelled the rows scores well on them; negated, badly. */
const truth = linearModel(1);
const good = linearModel(1, 4);
const bad = linearModel(1, -4);
const measured = { measure: (registry: Registry) => measureOn(registry, evaluationRows(truth)) };

Deno.test("POST /v1/models measures an upload on the server's rows and reports the gates' verdict", async () => {
  await withServer(async ({ post, registry }) => {
    const bytes = onnxModel(1, SPEC, good);
    const res = await post("/v1/models", { body: uploadForm(bytes, cardFor(bytes)) });
    assert.equal(res.status, 201);
    const { stage, verification } = await res.json();
    assert.equal(stage, "candidate", "measured, but not promoted");
    assert.equal(verification.measured, true);
    assert.equal(verification.gate.folds.length, 4);
    assert.match(verification.reason, /^measured by the server on 1200 rows of the test's rows/);
    const history = registry.events(sha256Hex(bytes)).map((e) => [e.action, e.reason]);
    assert.deepEqual(history[0], ["register", `uploaded by ${tokenFingerprint(TOKEN)}`]);
    assert.equal(history[1][0], "verify");
    assert.match(history[1][1], /^measured at upload: measured by the server on 1200 rows/);
  }, measured);
});

Deno.test("POST /v1/models/:id/promote judges the server's measurement, never the card's claims", async (t) => {
  await t.step(
    "a card claiming 50% better log loss, measured worse than the prior, stays",
    async () => {
      await withServer(async ({ post, registry }) => {
        const bytes = onnxModel(1, SPEC, bad);
        const id = sha256Hex(bytes);
        assert.equal(
          (await post("/v1/models", { body: uploadForm(bytes, cardFor(bytes, 0.5)) })).status,
          201,
        );
        const res = await post(`/v1/models/${id}/promote`);
        assert.equal(res.status, 409);
        assert.match((await res.json()).error, /gate failed: 0 of 4 folds beat/);
        assert.equal(registry.get(id).stage, "candidate");
      }, measured);
    },
  );
  await t.step("a card claiming a failure, measured better than the prior, moves up", async () => {
    await withServer(async ({ post, registry }) => {
      const bytes = onnxModel(1, SPEC, good);
      const id = sha256Hex(bytes);
      await post("/v1/models", { body: uploadForm(bytes, cardFor(bytes, -0.5)) });
      const res = await post(`/v1/models/${id.slice(0, 12)}/promote`, {
        json: { reason: "looks good" },
      });
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.deepEqual([body.id, body.stage, body.gate.pass, body.gate.share], [
        id,
        "shadow",
        true,
        1,
      ]);
      assert.match(body.measured, /^measured by the server on 1200 rows/);
      assert.match(registry.events(id).at(-1)!.reason, /^looks good \(token:[0-9a-f]{12}\)/);
    }, measured);
  });
});

Deno.test("POST /v1/models/:id/promote leaves a model it cannot measure where it is, with the reason", async () => {
  await withServer(async ({ post, registry }) => {
    const bytes = onnxModel();
    const id = sha256Hex(bytes);
    const upload = await (await post("/v1/models", { body: uploadForm(bytes, cardFor(bytes)) }))
      .json();
    assert.equal(upload.verification.measured, false);
    const res = await post(`/v1/models/${id}/promote`);
    assert.equal(res.status, 409);
    assert.equal(
      (await res.json()).error,
      `Cannot promote ${
        id.slice(0, 12)
      }…: it could not be measured on this server's data (this server holds no data to measure models on); it stays candidate`,
    );
    assert.equal(registry.get(id).stage, "candidate");
    assert.deepEqual(registry.events(id).map((e) => e.action), ["register", "verify", "verify"]);
  });
});

Deno.test("POST /v1/models/:id/promote answers 400 and 404 for a bad id and an unknown one, echoing neither", async () => {
  await withServer(async ({ post }) => {
    const bad = await post("/v1/models/XYZ/promote");
    assert.equal(bad.status, 400);
    assert.ok(!(await bad.text()).includes("XYZ"));
    const unknown = await post(`/v1/models/${"e".repeat(12)}/promote`);
    assert.equal(unknown.status, 404);
    const text = await unknown.text();
    assert.ok(!text.includes("eeeeeeeeeeee") && !text.includes("/"), text);
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
