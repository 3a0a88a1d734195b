/**
 * The ask rule (`barSpread`, `quoteBar`, `quotedBars`, `quoteTick`, `SpreadModel`), the configuration schema and the
 * swap calendar, the last checked day by day against `Intl`'s New York time zone.
 */

import assert from "node:assert/strict";
import { US_PER_DAY, US_PER_HOUR, usFromIso } from "@/pipeline/events.ts";
import { XAUUSD } from "@/pipeline/symbols.ts";
import {
  barSpread,
  DEFAULT_BROKER_PROFILE,
  DEFAULT_NY_HOUR_SPREADS,
  emptyQuotes,
  quoteBar,
  quotedBars,
  quoteTick,
  resolveExecutionConfig,
  SpreadModel,
} from "@/operators/execution/mod.ts";
import { nextRolloverUs, rolloverNights } from "@/operators/execution/_rollover.ts";
import { bar, tick } from "./_fixtures.ts";
import { barEventAt } from "@/pipeline/replay.ts";
import { BarColumnsBuilder } from "@/sources/source.ts";

const BID = [1300.0, 1301.0, 1299.0, 1300.5] as const;
const at = (iso: string) => usFromIso(iso);

Deno.test("quoteBar() takes the ask columns, else bid + the spread column, else bid + the model", async (t) => {
  const model = new SpreadModel(0.30);
  const askOf = (b: ReturnType<typeof bar>) => {
    const q = quoteBar(b, model, emptyQuotes());
    return [q.askOpen, q.askHigh, q.askLow, q.askClose];
  };
  await t.step("ask OHLC present (OANDA)", () => {
    const ask = [1300.2, 1301.5, 1299.3, 1300.9] as const;
    assert.deepEqual(askOf(bar(0, BID, { ask })), [...ask]);
  });
  await t.step("spread column (MT5)", () => {
    assert.deepEqual(askOf(bar(0, BID, { spread: 0.12 })), BID.map((p) => p + 0.12));
  });
  await t.step("neither (HistData): the configured spread", () => {
    assert.deepEqual(askOf(bar(0, BID, { spread: null })), BID.map((p) => p + 0.30));
  });
  await t.step("bid OHLC copied unchanged", () => {
    const q = quoteBar(bar(0, BID, { spread: null }), model, emptyQuotes());
    assert.deepEqual([q.bidOpen, q.bidHigh, q.bidLow, q.bidClose], [...BID]);
  });
});

Deno.test("barSpread() is null with ask columns, else the spread column, else the model's, else null", () => {
  const model = new SpreadModel(0.30);
  const ask = [1300.2, 1301.5, 1299.3, 1300.9] as const;
  assert.equal(barSpread(bar(0, BID, { ask }), model), null);
  assert.equal(barSpread(bar(0, BID, { spread: 0.12 }), model), 0.12);
  assert.equal(barSpread(bar(0, BID, { spread: 0.12 }), null), 0.12);
  assert.equal(barSpread(bar(0, BID, { spread: null }), model), 0.30);
  assert.equal(barSpread(bar(0, BID, { spread: null }), null), null);
});

Deno.test("quoteTick() is a bar whose four prices are the tick's", () => {
  const q = quoteTick(tick(0, 1300, 1300.25), emptyQuotes());
  assert.deepEqual(Object.values(q), [1300, 1300, 1300, 1300, 1300.25, 1300.25, 1300.25, 1300.25]);
});

Deno.test("SpreadModel.spreadAt() reads New York time of day, DST included, and wraps midnight", () => {
  const model = new SpreadModel(0.30, [
    { fromMinute: 17 * 60, toMinute: 20 * 60, spread: 0.60 },
    { fromMinute: 22 * 60, toMinute: 2 * 60, spread: 0.45 },
  ]);
  const cases: [string, number][] = [
    ["2017-01-10T21:30:00Z", 0.30], // 16:30 EST
    ["2017-01-10T22:30:00Z", 0.60], // 17:30 EST
    ["2017-07-11T21:30:00Z", 0.60], // 17:30 EDT
    ["2017-07-12T03:30:00Z", 0.45], // 23:30 EDT
    ["2017-07-12T05:30:00Z", 0.45], // 01:30 EDT
    ["2017-07-12T06:30:00Z", 0.30], // 02:30 EDT
  ];
  for (const [iso, spread] of cases) assert.equal(model.spreadAt(at(iso)), spread, iso);
});

Deno.test("resolveExecutionConfig() gives the documented defaults in working units", () => {
  const { spreadModel, profile, ...rest } = resolveExecutionConfig();
  assert.deepEqual(rest, {
    initialBalance: 10_000,
    accountCurrency: "USD",
    spec: XAUUSD,
    slippage: 0.02,
    latencyUs: 250_000,
    orderTimeoutUs: 30_000_000,
    rolloverMinuteNy: 17 * 60,
    detail: "finest",
    markToMarket: true,
    requireRiskDecision: true,
  });
  assert.equal(profile, DEFAULT_BROKER_PROFILE);
  assert.deepEqual(spreadModel.byHour, DEFAULT_NY_HOUR_SPREADS);
});

Deno.test("resolveExecutionConfig() takes a broker profile and converts sessions and points", () => {
  const settings = resolveExecutionConfig({
    broker: {
      ...XAUUSD,
      name: "test",
      leverage: 30,
      commission: { model: "per_lot", perLotPerSide: 0 },
      spread: {
        model: "fixed",
        spread: 0.3,
        sessions: [{ from: "17:00", to: "18:30", spread: 0.8 }],
      },
    },
    slippagePoints: 5,
    latencyMs: 1.5,
    rolloverNy: "16:59",
  });
  assert.deepEqual(settings.spec, {
    ...XAUUSD,
    leverage: 30,
    commission: { model: "per_lot", perLotPerSide: 0 },
  });
  assert.equal(settings.slippage, 0.05);
  assert.equal(settings.latencyUs, 1500);
  assert.equal(settings.rolloverMinuteNy, 16 * 60 + 59);
  assert.deepEqual(settings.spreadModel.windows, [{
    fromMinute: 1020,
    toMinute: 1110,
    spread: 0.8,
  }]);
  assert.deepEqual(settings.spreadModel.byHour, new Array(24).fill(0.3));
});

Deno.test("resolveExecutionConfig() refuses unknown fields and impossible values", async (t) => {
  const bad: [string, unknown, RegExp][] = [
    ["an unknown field", { latency: 250 }, /latency/],
    ["a negative slippage", { slippagePoints: -1 }, /slippagePoints/],
    ["an account in EUR", { accountCurrency: "EUR" }, /accountCurrency/],
    [
      "a rollover at 19:00 New York (next UTC day in winter)",
      { rolloverNy: "19:00" },
      /before 19:00/,
    ],
    ["a rollover that is not HH:MM", { rolloverNy: "5pm" }, /HH:MM/],
    [
      "a min lot above the max lot",
      { broker: { ...DEFAULT_BROKER_PROFILE, minLot: 100 } },
      /execution\.broker\.minLot: minLot must not exceed maxLot/,
    ],
    ["an unknown detail", { detail: "M2" }, /detail/],
    [
      "the old symbol section",
      { symbol: { leverage: 30 } },
      /execution\.symbol moved into the broker profile/,
    ],
    [
      "the old spread section",
      { spread: { fixed: 0.3 } },
      /execution\.spread moved into the broker profile/,
    ],
    [
      "a time in force within the latency",
      { latencyMs: 40_000 },
      /orderTimeoutSeconds must exceed latencyMs/,
    ],
  ];
  for (const [name, input, message] of bad) {
    await t.step(name, () => {
      assert.throws(() => resolveExecutionConfig(input as never), message);
    });
  }
});

/** New York wall clock of an instant by the platform's time-zone database. */
const NY = new Intl.DateTimeFormat("en-US", {
  timeZone: "America/New_York",
  weekday: "short",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});

Deno.test("nextRolloverUs() is 17:00 New York on each weekday by Intl, 2007 to 2026", () => {
  const expected: number[] = [];
  for (let day = at("2007-01-01"); day < at("2027-01-01"); day += US_PER_DAY) {
    for (const hour of [21, 22]) {
      const t = day + hour * US_PER_HOUR;
      const parts = Object.fromEntries(NY.formatToParts(t / 1000).map((p) => [p.type, p.value]));
      if (parts.hour === "17" && parts.minute === "00" && !["Sat", "Sun"].includes(parts.weekday)) {
        expected.push(t);
      }
    }
  }
  const actual: number[] = [];
  for (let t = nextRolloverUs(at("2007-01-01"), 17 * 60); t < at("2027-01-01");) {
    actual.push(t);
    t = nextRolloverUs(t, 17 * 60);
  }
  assert.deepEqual(actual, expected);
});

Deno.test("rolloverNights() is 3 on the triple-swap weekday and 1 otherwise", () => {
  const wednesday = at("2017-03-08T22:00:00Z");
  assert.equal(rolloverNights(wednesday, 3), 3);
  assert.equal(rolloverNights(wednesday + US_PER_DAY, 3), 1);
  assert.equal(rolloverNights(wednesday + 2 * US_PER_DAY, 5), 3);
});

Deno.test("quotedBars() quotes every row as quoteBar() quotes its bar event", async (t) => {
  const model = new SpreadModel(DEFAULT_NY_HOUR_SPREADS);
  // A day of M1 bid bars from 2024-03-20 00:00 UTC, every hour of the model's table.
  const rows = 24 * 60;
  const columns = (sides: "bid" | "bid-spread") => {
    const builder = new BarColumnsBuilder("M1", sides, false);
    const start = usFromIso("2024-03-20T00:00:00Z");
    for (let i = 0; i < rows; i++) {
      const mid = 2150 + Math.sin(i / 50) * 5;
      const openUs = start + i * 60_000_000;
      const spread = sides === "bid-spread" ? 0.2 + (i % 7) * 0.01 : NaN;
      builder.push(
        openUs,
        openUs + 60_000_000,
        mid,
        mid + 0.4,
        mid - 0.3,
        mid + 0.1,
        NaN,
        NaN,
        NaN,
        NaN,
        spread,
        NaN,
      );
    }
    return builder.take();
  };
  for (const sides of ["bid", "bid-spread"] as const) {
    await t.step(sides, () => {
      const bars = columns(sides);
      const quoted = quotedBars(bars, model, 10);
      assert.ok(Number.isNaN(quoted.askClose[9]), "rows before `from` are not quoted");
      const q = emptyQuotes();
      for (let i = 10; i < rows; i++) {
        quoteBar(barEventAt(bars, "XAUUSD", i), model, q);
        assert.deepEqual(
          [quoted.askOpen[i], quoted.askHigh[i], quoted.askLow[i], quoted.askClose[i]],
          [q.askOpen, q.askHigh, q.askLow, q.askClose],
          `row ${i}`,
        );
      }
    });
  }
});
