import assert from "node:assert/strict";
import type { ModelCard } from "../../models/card.ts";
import {
  checkGates,
  DEFAULT_GATES,
  Registry,
  RegistryError,
  sha256Hex,
} from "../../models/registry.ts";

// Unit tests of the registry's bookkeeping. The "ONNX bytes" here are a JSON stand-in read
// by an injected metadata reader; tests/models/train_cli_test.ts covers real ONNX files.
const SPEC = "a".repeat(64);
const fakeOnnx = (tag: string, spec = SPEC) =>
  new TextEncoder().encode(JSON.stringify({ tag, metadata: { feature_spec_hash: spec } }));
const readMetadata = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes)).metadata;

function card(
  bytes: Uint8Array,
  improvement: number[],
  overrides: Partial<ModelCard> = {},
): ModelCard {
  return {
    id: sha256Hex(bytes),
    kind: "trees",
    description: "",
    createdAt: "2026-11-25T12:00:00Z",
    featureSpec: { hash: SPEC, name: "default", names: ["f1"] },
    classes: ["down", "flat", "up"],
    label: { type: "triple_barrier" },
    ranges: { train: { from: "2017-01-01T00:00:00Z", to: "2017-12-31T00:00:00Z" } },
    data: [{ file: "x.csv.gz", sha256: "b".repeat(64), rows: 10 }],
    hyperparameters: {},
    metrics: {
      folds: improvement.map((imp, fold) => ({
        fold,
        test: { from: "2017-06-01T00:00:00Z", to: "2017-07-01T00:00:00Z" },
        rows: 100,
        logLoss: 1.0 * (1 - imp),
        baselineLogLoss: 1.0,
      })),
      stitched: {},
    },
    parent: null,
    ...overrides,
  };
}

async function withRegistry(fn: (registry: Registry, dir: string) => void | Promise<void>) {
  const dir = await Deno.makeTempDir();
  let clock = Date.UTC(2026, 10, 25);
  const registry = Registry.open(dir, { readMetadata, now: () => new Date(clock += 1000) });
  try {
    await fn(registry, dir);
  } finally {
    registry.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const GOOD = [0.01, 0.01, 0.01];
const BAD = [0.01, -0.02, -0.01];

Deno.test("checkGates() passes only when enough folds beat the baseline by the margin", () => {
  const bytes = fakeOnnx("m");
  assert.equal(checkGates(card(bytes, GOOD), DEFAULT_GATES).pass, true);
  const failing = checkGates(card(bytes, BAD), DEFAULT_GATES);
  assert.equal(failing.pass, false);
  assert.match(failing.reason, /1 of 3 folds/);
  assert.equal(
    checkGates(card(bytes, [0.001, 0.001]), { margin: 0.002, minShareOfFolds: 0.5 }).pass,
    false,
  );
});

Deno.test("Registry.register() names a model by the SHA-256 of its bytes and starts it as a candidate", async () => {
  await withRegistry((registry) => {
    const bytes = fakeOnnx("m1");
    const model = registry.register(bytes, card(bytes, GOOD));
    assert.equal(model.id, sha256Hex(bytes));
    assert.equal(model.stage, "candidate");
    assert.equal(registry.get(model.id.slice(0, 8)).id, model.id);
    assert.deepEqual(registry.events(model.id).map((e) => [e.from, e.to]), [[null, "candidate"]]);
  });
});

Deno.test("Registry.register() refuses a card whose id is not the bytes' hash, or a duplicate", async () => {
  await withRegistry((registry) => {
    const bytes = fakeOnnx("m1");
    assert.throws(() => registry.register(bytes, card(fakeOnnx("other"), GOOD)), /hash to/);
    registry.register(bytes, card(bytes, GOOD));
    assert.throws(() => registry.register(bytes, card(bytes, GOOD)), /already registered/);
  });
});

Deno.test("Registry.register() refuses ONNX metadata naming another feature spec than the card", async () => {
  await withRegistry((registry) => {
    const bytes = fakeOnnx("m1", "c".repeat(64));
    assert.throws(
      () => registry.register(bytes, card(bytes, GOOD)),
      /metadata names feature spec cccc/,
    );
  });
});

Deno.test("Registry.promote() moves candidate -> shadow -> production through the gates", async () => {
  await withRegistry((registry) => {
    const bytes = fakeOnnx("m1");
    const { id } = registry.register(bytes, card(bytes, GOOD));
    assert.equal(registry.promote(id).model.stage, "shadow");
    assert.equal(registry.shadow()?.id, id);
    assert.equal(registry.promote(id).model.stage, "production");
    assert.equal(registry.production()?.id, id);
    assert.throws(() => registry.promote(id), /only candidate and shadow/);
  });
});

Deno.test("Registry.promote() refuses a model whose out-of-sample folds fail the gate", async () => {
  await withRegistry((registry) => {
    const bytes = fakeOnnx("weak");
    const { id } = registry.register(bytes, card(bytes, BAD));
    assert.throws(
      () => registry.promote(id),
      (e: Error) => e instanceof RegistryError && /gate failed/.test(e.message),
    );
    assert.equal(registry.get(id).stage, "candidate");
  });
});

Deno.test("Registry.promote() refuses an uploaded model without the server's own measurement", async () => {
  await withRegistry((registry) => {
    const bytes = fakeOnnx("uploaded");
    const { id } = registry.register(bytes, card(bytes, GOOD), {
      origin: "upload",
      reason: "uploaded by token:0123456789ab",
    });
    assert.equal(registry.origin(id), "upload");
    assert.throws(() => registry.promote(id), /uploaded.*never on its card's figures/);
    assert.equal(registry.get(id).stage, "candidate");
  });
});

Deno.test("Registry.promote() judges a measurement it is given, never the card's folds", async () => {
  await withRegistry((registry) => {
    // The card claims every fold 1% better; the measurement says 1 of 3 (0.5% better,
    // then 1% and 2% worse): 1/3 < 0.6 fails, whatever the card says.
    const bytes = fakeOnnx("claims");
    const { id } = registry.register(bytes, card(bytes, GOOD), { origin: "upload" });
    const measured = [0.995, 1.01, 1.02].map((logLoss, fold) => ({
      fold,
      logLoss,
      baselineLogLoss: 1,
    }));
    assert.throws(() => registry.promote(id, "try", measured), /gate failed: 1 of 3 folds/);
    // And a card that claims failure moves up on a measurement that passes.
    const modest = fakeOnnx("modest");
    const other = registry.register(modest, card(modest, BAD), { origin: "upload" });
    const passing = [0.99, 0.99, 0.99].map((logLoss, fold) => ({
      fold,
      logLoss,
      baselineLogLoss: 1,
    }));
    assert.equal(registry.promote(other.id, "measured", passing).model.stage, "shadow");
  });
});

Deno.test("Registry.recordVerification() writes a measurement into the model's history, stage unchanged", async () => {
  await withRegistry((registry) => {
    const bytes = fakeOnnx("m1");
    const { id } = registry.register(bytes, card(bytes, GOOD));
    assert.equal(registry.origin(id), "local");
    registry.recordVerification(id, "not verified: no rows");
    const last = registry.events(id).at(-1)!;
    assert.deepEqual([last.action, last.from, last.to, last.reason], [
      "verify",
      "candidate",
      "candidate",
      "not verified: no rows",
    ]);
  });
});

Deno.test("Registry.rollback() restores the previous production model and retires the current one", async () => {
  await withRegistry((registry) => {
    const a = fakeOnnx("a");
    const b = fakeOnnx("b");
    const first = registry.register(a, card(a, GOOD)).id;
    const second = registry.register(b, card(b, GOOD, { parent: sha256Hex(a) })).id;
    registry.promote(first);
    registry.promote(first);
    registry.promote(second);
    registry.promote(second);
    assert.equal(registry.get(first).stage, "retired");
    assert.equal(registry.rollback("drift").id, first);
    assert.equal(registry.production()?.id, first);
    assert.equal(registry.get(second).stage, "retired");
    assert.throws(() => registry.rollback(), /no earlier production model/);
  });
});

Deno.test("Registry.load() refuses a tampered file and a feature spec mismatch, naming both hashes", async () => {
  await withRegistry(async (registry) => {
    const bytes = fakeOnnx("m1");
    const { id, onnxPath } = registry.register(bytes, card(bytes, GOOD));
    assert.deepEqual(registry.load(id, SPEC).bytes, bytes);
    assert.throws(
      () => registry.load(id, "d".repeat(64)),
      /feature spec aaaaaaaaaaaa… differs from the running spec dddddddddddd…/,
    );
    const tampered = bytes.slice();
    tampered[5] ^= 1;
    await Deno.writeFile(onnxPath, tampered);
    assert.throws(() => registry.load(id, SPEC), /was modified or corrupted/);
  });
});

Deno.test("Registry.get() refuses ids that are not hex and prefixes that are ambiguous or unknown", async () => {
  await withRegistry((registry) => {
    assert.throws(() => registry.get("../../etc/passwd"), /is not a model id/);
    assert.throws(() => registry.get("0123abcd"), /No model/);
  });
});
