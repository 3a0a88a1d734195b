/**
 * The feature spec as a contract: its hash identifies exactly what changes the numbers
 * (stable across key order and runs; changed by any parameter, output, scale, timeframe,
 * day start or feature order; not by the spec's name or description), a spec from
 * outside is refused with an error naming the problem, and the engine refuses what the
 * data cannot feed. Each kind's default parameters are the ones docs/features.md lists.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  DEFAULT_FEATURE_SPEC,
  FEATURE_KINDS,
  FeatureEngine,
  type FeatureSpec,
  loadFeatureSpec,
  parseFeatureSpec,
  specHash,
} from "@/operators/features/mod.ts";
import { TIMEFRAMES } from "@/pipeline/events.ts";
import { dataTest } from "../../_data.ts";
import { histdataRel, histdataYear, sliceBars } from "./_history.ts";
import { DOCUMENTED_DEFAULTS } from "./_reference.ts";

/**
 * The default spec's hash, as models trained on it record it. It changes only when the
 * default features change; then models must be retrained and this line updated.
 */
const DEFAULT_SPEC_HASH = "f6ffdd61f48fc689b8c48a54865bab69a99c68dbce16da000914431e821573b0";

/** The spec as plain JSON, as a file would hold it. */
function plain(spec: FeatureSpec): Record<string, unknown> {
  return JSON.parse(JSON.stringify(spec));
}

/** A deep copy with every object's keys in the order `order` gives. */
function reorderKeys(value: unknown, order: (keys: string[]) => string[]): unknown {
  if (Array.isArray(value)) return value.map((v) => reorderKeys(v, order));
  if (value !== null && typeof value === "object") {
    const object = value as Record<string, unknown>;
    return Object.fromEntries(
      order(Object.keys(object)).map((k) => [k, reorderKeys(object[k], order)]),
    );
  }
  return value;
}

function withFeature(spec: FeatureSpec, j: number, change: Record<string, unknown>): unknown {
  const json = plain(spec);
  const features = json.features as Record<string, unknown>[];
  features[j] = { ...features[j], ...change };
  return json;
}

const small = (features: unknown[], extra: Record<string, unknown> = {}) => ({
  version: 1,
  name: "small",
  features,
  ...extra,
});

/** Asserts that parsing `value` throws a TypeError whose message contains every `needle`. */
function assertRefused(value: unknown, ...needles: string[]): void {
  assert.throws(() => parseFeatureSpec(value, '"spec.json"'), (error: Error) => {
    assert.ok(error instanceof TypeError, `a TypeError, got ${error}`);
    for (const needle of needles) {
      assert.ok(error.message.includes(needle), `"${error.message}" names ${needle}`);
    }
    return true;
  });
}

Deno.test("specHash() of the default spec is the recorded one, run after run", () => {
  assert.equal(specHash(DEFAULT_FEATURE_SPEC), DEFAULT_SPEC_HASH);
  assert.equal(specHash(parseFeatureSpec(plain(DEFAULT_FEATURE_SPEC), "copy")), DEFAULT_SPEC_HASH);
  assert.match(DEFAULT_SPEC_HASH, /^[0-9a-f]{64}$/);
});

Deno.test("specHash() does not depend on the key order of the spec file", () => {
  const macd = small([{
    name: "h1_macd",
    timeframe: "H1",
    kind: "macd",
    params: { fast: 8, slow: 21, signal: 5 },
    output: "signal",
    scale: "atr",
  }]);
  for (const json of [plain(DEFAULT_FEATURE_SPEC), plain(parseFeatureSpec(macd, "macd"))]) {
    const expected = specHash(parseFeatureSpec(json, "as written"));
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        // A key order per seed: sort keys by a seeded hash of their name.
        const rank = (k: string) =>
          [...k].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), seed);
        const shuffled = reorderKeys(json, (keys) => keys.sort((a, b) => rank(a) - rank(b)));
        // Parsed, as from a file, and hashed as is, as a spec embedded in a model card.
        return specHash(parseFeatureSpec(shuffled, "shuffled")) === expected &&
          specHash(shuffled as FeatureSpec) === expected;
      }),
      { numRuns: 50 },
    );
    const reversed = reorderKeys(json, (keys) => keys.reverse());
    assert.equal(specHash(reversed as FeatureSpec), expected);
  }
});

Deno.test("specHash() ignores the spec's name and description", () => {
  const json = plain(DEFAULT_FEATURE_SPEC);
  const renamed = { ...json, name: "another name", description: "another description" };
  assert.equal(specHash(parseFeatureSpec(renamed, "renamed")), DEFAULT_SPEC_HASH);
  const { description: _, ...undescribed } = json;
  assert.equal(specHash(parseFeatureSpec(undescribed, "undescribed")), DEFAULT_SPEC_HASH);
});

Deno.test("specHash() resolves defaults: an omitted output, scale or day start hashes as written out", () => {
  const bare = small([{ name: "a", timeframe: "H4", kind: "macd", params: {} }]);
  const explicit = small(
    [{ name: "a", timeframe: "H4", kind: "macd", params: {}, output: "line", scale: "none" }],
    { dayStart: "new-york-17", description: "" },
  );
  assert.equal(specHash(parseFeatureSpec(bare, "bare")), specHash(parseFeatureSpec(explicit, "x")));
});

Deno.test("specHash() changes with any parameter, output, scale, timeframe, day start or feature order", () => {
  const spec = DEFAULT_FEATURE_SPEC;
  const hashes = new Map<string, string>([[DEFAULT_SPEC_HASH, "the default spec"]]);
  const expectNew = (label: string, value: unknown) => {
    const hash = specHash(parseFeatureSpec(value, label));
    assert.ok(!hashes.has(hash), `${label} hashes as ${hashes.get(hash)}`);
    hashes.set(hash, label);
  };
  for (const [j, def] of spec.features.entries()) {
    const kind = FEATURE_KINDS[def.kind];
    for (const param of kind.params) {
      const value = def.params[param] ?? DOCUMENTED_DEFAULTS[def.kind][param];
      expectNew(
        `${def.name} ${param} + 1`,
        withFeature(spec, j, { params: { ...def.params, [param]: value + 1 } }),
      );
    }
    const output = def.output ?? kind.outputs[0];
    const other = kind.outputs.find((o) => o !== output);
    if (other !== undefined) {
      expectNew(`${def.name} output ${other}`, withFeature(spec, j, { output: other }));
    }
    for (const scale of ["none", "close", "atr"].filter((s) => s !== def.scale)) {
      expectNew(`${def.name} scale ${scale}`, withFeature(spec, j, { scale }));
    }
    const timeframe = TIMEFRAMES.find((tf) => tf !== def.timeframe);
    expectNew(`${def.name} timeframe ${timeframe}`, withFeature(spec, j, { timeframe }));
  }
  expectNew("dayStart utc", { ...plain(spec), dayStart: "utc" });
  const json = plain(spec);
  const features = json.features as unknown[];
  expectNew("first two features swapped", {
    ...json,
    features: [features[1], features[0], ...features.slice(2)],
  });
  expectNew("a feature renamed", withFeature(spec, 0, { name: "m1_return_1" }));
});

Deno.test("parseFeatureSpec() refuses a bad output, a duplicate name and an unknown param, naming each", () => {
  const rsi = { name: "a", timeframe: "M1", kind: "rsi" };
  assertRefused(
    small([{ ...rsi, output: "signal" }]),
    "spec.json",
    "features.0.output",
    '"signal"',
    "value",
  );
  assertRefused(
    small([rsi, { ...rsi, timeframe: "M5" }]),
    "features.1.name",
    'duplicate feature name "a"',
  );
  assertRefused(
    small([{ ...rsi, params: { length: 3 } }]),
    "features.0.params.length",
    "takes period",
  );
  assertRefused(small([{ ...rsi, kind: "rsx" }]), "features.0.kind");
  assertRefused(small([{ ...rsi, name: "Bad-Name" }]), "features.0.name", "snake_case");
  assertRefused(small([{ ...rsi, scale: "percent" }]), "features.0.scale");
  assertRefused(small([]), "features");
  assertRefused({ ...small([rsi]), version: 2 }, "version");
});

Deno.test(
  "parseFeatureSpec() refuses an unknown kind or timeframe, quoting it",
  () => {
    const rsi = { name: "a", timeframe: "M1", kind: "rsi" };
    assertRefused(small([{ ...rsi, kind: "rsx" }]), "features.0.kind", '"rsx"');
    assertRefused(small([{ ...rsi, timeframe: "M2" }]), "features.0.timeframe", '"M2"');
  },
);

Deno.test(
  "parseFeatureSpec() refuses a field it does not know, naming it, rather than dropping it",
  () => {
    const rsi = { name: "a", timeframe: "M1", kind: "rsi" };
    assertRefused(small([{ ...rsi, parms: { period: 7 } }]), "parms");
    assertRefused(small([{ ...rsi, scal: "atr" }]), "scal");
    assertRefused(small([rsi], { dayStrat: "utc" }), "dayStrat");
  },
);

Deno.test(
  "parseFeatureSpec() refuses parameter values the kind cannot take, naming the feature",
  () => {
    const base = { name: "fast_rsi", timeframe: "M1", kind: "rsi" };
    for (const period of [0, 1.5, -2]) {
      assertRefused(
        small([{ ...base, params: { period } }]),
        "features.0",
        "period",
        String(period),
      );
    }
    assertRefused(small([{ ...base, kind: "macd", params: { fast: 30 } }]), "features.0", "slow");
  },
);

Deno.test("loadFeatureSpec() reads a spec file and refuses a missing, non-JSON or invalid one, naming it", async () => {
  const dir = await Deno.makeTempDir();
  const good = `${dir}/good.json`;
  await Deno.writeTextFile(good, JSON.stringify(plain(DEFAULT_FEATURE_SPEC)));
  assert.equal(specHash(await loadFeatureSpec(good)), DEFAULT_SPEC_HASH);
  await assert.rejects(
    loadFeatureSpec(`${dir}/missing.json`),
    /Cannot read feature spec ".*missing\.json"/,
  );
  await Deno.writeTextFile(`${dir}/broken.json`, "{ not json");
  await assert.rejects(
    loadFeatureSpec(`${dir}/broken.json`),
    /Feature spec ".*broken\.json" is not JSON/,
  );
  const cases: Array<[string, unknown, RegExp]> = [
    ["kind.json", small([{ name: "a", timeframe: "M1", kind: "rsx" }]), /features\.0\.kind/],
    ["output.json", small([{ name: "a", timeframe: "M1", kind: "atr", output: "mean" }]), /"mean"/],
    [
      "dup.json",
      small([{ name: "a", timeframe: "M1", kind: "atr" }, {
        name: "a",
        timeframe: "H1",
        kind: "atr",
      }]),
      /duplicate feature name "a"/,
    ],
    [
      "param.json",
      small([{ name: "a", timeframe: "M1", kind: "candle", params: { period: 3 } }]),
      /params\.period: "candle" takes no parameters/,
    ],
  ];
  for (const [file, value, pattern] of cases) {
    await Deno.writeTextFile(`${dir}/${file}`, JSON.stringify(value));
    await assert.rejects(loadFeatureSpec(`${dir}/${file}`), (error: Error) => {
      assert.ok(error instanceof TypeError);
      assert.match(
        error.message,
        new RegExp(`Feature spec ".*${file.replace(".", "\\.")}" is invalid`),
      );
      assert.match(error.message, pattern);
      return true;
    });
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("new FeatureEngine() refuses spread features on bid-only data, naming the feature", () => {
  const spec = parseFeatureSpec(
    small([
      { name: "m1_rsi", timeframe: "M1", kind: "rsi" },
      { name: "h1_spread_mean", timeframe: "H1", kind: "spread", output: "mean" },
    ]),
    "spread",
  );
  assert.throws(
    () => new FeatureEngine(spec, { hasSpread: false }),
    (error: Error) =>
      error instanceof TypeError &&
      /"h1_spread_mean" needs the bid-ask spread/.test(error.message) &&
      /bid prices only/.test(error.message),
  );
  assert.doesNotThrow(() => new FeatureEngine(spec, { hasSpread: true }));
  assert.doesNotThrow(() => new FeatureEngine(DEFAULT_FEATURE_SPEC, { hasSpread: false }));
});

Deno.test(
  "FeatureEngine.update() is not ready while an ATR-scaled feature warms up, even when the ATR is 0",
  () => {
    const spec = parseFeatureSpec(
      small([{
        name: "gap",
        timeframe: "M1",
        kind: "ema_gap",
        params: { period: 50 },
        scale: "atr",
      }]),
      "flat",
    );
    const engine = new FeatureEngine(spec, { hasSpread: false });
    const row = new Float64Array(1);
    for (let i = 0; i < 60; i++) {
      const ready = engine.update(i * 60e6, (i + 1) * 60e6, 1900, 1900, 1900, 1900, NaN, row);
      assert.equal(ready, i >= 49, `bar ${i + 1}: ready ${ready}, value ${row[0]}`);
    }
    assert.equal(row[0], 0, "a flat market is 0 ATRs from its EMA");
  },
);

dataTest(
  "FEATURE_KINDS use the default params docs/features.md lists when a spec leaves them out",
  histdataRel(2017),
  async () => {
    // 6,000 bars: the regime kind needs 744 bars of its timeframe (M5: 3,720 M1 bars).
    const m1 = sliceBars(await histdataYear(2017), 0, 6000);
    const defs = Object.keys(FEATURE_KINDS).flatMap((kind) =>
      ["M1", "M5"].map((timeframe) => ({ kind, timeframe }))
    );
    const spec = (explicit: boolean) =>
      parseFeatureSpec(
        small(defs.map(({ kind, timeframe }) => ({
          name: `${kind}_${timeframe.toLowerCase()}`,
          timeframe,
          kind,
          params: explicit ? DOCUMENTED_DEFAULTS[kind] : {},
        }))),
        explicit ? "explicit" : "defaults",
      );
    const engines = [spec(false), spec(true)].map((s) => new FeatureEngine(s, { hasSpread: true }));
    const rows = engines.map((e) => new Float64Array(e.names.length));
    let ready = 0;
    for (let i = 0; i < m1.length; i++) {
      const spread = 0.3 + (i % 7) * 0.01;
      const r = engines.map((e, k) =>
        e.update(
          m1.openUs[i],
          m1.closeUs[i],
          m1.open[i],
          m1.high[i],
          m1.low[i],
          m1.close[i],
          spread,
          rows[k],
        )
      );
      assert.equal(r[0], r[1]);
      if (r[0]) ready++;
      assert.deepEqual(rows[0], rows[1], `bar ${i}`);
    }
    assert.ok(ready > 1000, `${ready} ready rows compared`);
    for (const kind of Object.keys(FEATURE_KINDS)) {
      assert.deepEqual(
        Object.keys(DOCUMENTED_DEFAULTS[kind]),
        FEATURE_KINDS[kind as keyof typeof FEATURE_KINDS].params,
      );
    }
  },
);
