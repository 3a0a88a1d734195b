/**
 * Broker profiles: the two examples load, and every bad profile a trader could write
 * fails before anything runs, with the field, the value and the file named.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  DEFAULT_BROKER_PROFILE,
  parseBrokerProfile,
  readBrokerProfile,
  resolveExecutionConfig,
  SimulatedBroker,
} from "@/operators/execution/mod.ts";
import { tradingConfigSchema, withBrokerProfile } from "@/pipeline/commands/strategy.ts";

const profile = (name: string) =>
  fileURLToPath(new URL(`../../../profiles/${name}`, import.meta.url));
const RAW = profile("raw_spread_1_100.json");
const EU = profile("eu_retail_1_20.json");

Deno.test("readBrokerProfile() loads both example profiles, and the broker trades on them", async () => {
  const raw = resolveExecutionConfig({ broker: await readBrokerProfile(RAW) });
  assert.deepEqual(
    [raw.spec.leverage, raw.spec.lotStep, raw.spec.commission, raw.profile.spread.model],
    [100, 0.01, { model: "per_lot", perLotPerSide: 3.5 }, "default_ny_hours"],
  );
  const eu = new SimulatedBroker({ broker: await readBrokerProfile(EU) });
  assert.deepEqual(
    [eu.spec.leverage, eu.spec.minLot, eu.spec.lotStep, eu.spec.stopsLevelPoints],
    [20, 0.1, 0.1, 20],
  );
  // 0.40 outside the 16:00-19:00 New York window, 0.80 inside it (2018-03-07 is EST, UTC-5).
  assert.equal(eu.settings.spreadModel.spreadAt(Date.UTC(2018, 2, 7, 15) * 1000), 0.4);
  assert.equal(eu.settings.spreadModel.spreadAt(Date.UTC(2018, 2, 7, 22) * 1000), 0.8);
});

Deno.test("readBrokerProfile() names the field, the value and the file of each bad input", async (t) => {
  const dir = await Deno.makeTempDir();
  const base = JSON.parse(await Deno.readTextFile(EU));
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["a zero contract size", { contractSize: 0 }, /contractSize: .*\(got 0\)/],
    [
      "a lot step that does not divide the minimum",
      { minLot: 0.1, lotStep: 0.03 },
      /lotStep: lotStep 0\.03 does not divide minLot 0\.1/,
    ],
    [
      "a stop-out level above the margin-call level",
      { marginCallLevel: 50, stopOutLevel: 80 },
      /stopOutLevel: stopOutLevel 80% must be below marginCallLevel 50%/,
    ],
    [
      "an unknown commission model",
      { commission: { model: "per_trade", amount: 7 } },
      /commission\.model: unknown commission model "per_trade"; expected "per_lot" or "per_million"/,
    ],
    ["a missing leverage", { leverage: undefined }, /leverage: .*expected number/i],
    ["a margin in EUR", { marginCurrency: "EUR" }, /marginCurrency: only USD margin/],
    [
      "an unknown spread model",
      { spread: { model: "wide" } },
      /spread\.model: unknown spread model "wide"/,
    ],
    ["a field no profile has", { swapDays: 3 }, /Unrecognized key.*swapDays/],
  ];
  for (const [name, change, message] of cases) {
    await t.step(name, async () => {
      const path = `${dir}/bad.json`;
      await Deno.writeTextFile(path, JSON.stringify({ ...base, ...change }));
      await assert.rejects(() => readBrokerProfile(path), (error: Error) => {
        assert.match(error.message, new RegExp(`^Broker profile "${path}" is invalid: `));
        assert.match(error.message, message);
        return true;
      });
    });
  }
  await t.step("a file that is not JSON", async () => {
    const path = `${dir}/broken.json`;
    await Deno.writeTextFile(path, "{ leverage: 20 }");
    await assert.rejects(
      () => readBrokerProfile(path),
      /Broker profile ".*broken\.json" is not JSON/,
    );
  });
  await t.step("a file that does not exist", async () => {
    await assert.rejects(
      () => readBrokerProfile(`${dir}/none.json`),
      /Cannot read broker profile ".*none\.json"/,
    );
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("parseBrokerProfile() accepts the default profile as it is", () => {
  assert.deepEqual(parseBrokerProfile(DEFAULT_BROKER_PROFILE, "(default)"), DEFAULT_BROKER_PROFILE);
});

Deno.test("withBrokerProfile() refuses a profile given both by --broker and in the config", async () => {
  const config = tradingConfigSchema.parse({
    execution: { broker: await readBrokerProfile(RAW) },
  });
  await assert.rejects(
    () => withBrokerProfile(config, EU),
    /--broker ".*eu_retail_1_20\.json" and the config's execution\.broker both give a broker profile/,
  );
  const merged = await withBrokerProfile(tradingConfigSchema.parse({}), EU);
  assert.equal(resolveExecutionConfig(merged.execution).spec.leverage, 20);
});
