/**
 * The `regimes` command, called as `main.ts` will call it: the tables it prints for
 * real 2017 and 2018 data (the ones docs/regimes.md quotes), its JSON, and its refusals.
 */

import assert from "node:assert/strict";
import { REGIME_DEFAULTS, type RegimeEvent } from "@/operators/regime/mod.ts";
import { UsageError } from "@/pipeline/commands/args.ts";
import { regimes, type RegimesSummary, tallyRegimes } from "@/pipeline/commands/regimes.ts";
import { EVENT_VERSION, US_PER_HOUR, usFromIso } from "@/pipeline/events.ts";
import { dataPath, dataTest } from "../../_data.ts";
import { HISTDATA_2017 } from "./_bars.ts";

/** What `regimes(argv)` prints with console.log. */
async function printed(argv: string[]): Promise<string> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...parts: unknown[]) => lines.push(parts.join(" "));
  try {
    await regimes(argv);
  } finally {
    console.log = log;
  }
  return lines.join("\n");
}

for (const year of [2017, 2018]) {
  const rel = `xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_${year}.csv.gz`;
  dataTest(
    `regimes prints the ${year} tables exactly as docs/regimes.md quotes them`,
    rel,
    async () => {
      const text = await printed(["--data", dataPath(rel)]);
      const [title, source, ...rest] = text.split("\n");
      assert.match(
        title,
        new RegExp(`^regimes of XAUUSD on H1 bars, ${year}-01-0\\dT23:00:00Z to `),
      );
      assert.match(
        source,
        new RegExp(`^source: .*DAT_ASCII_XAUUSD_M1_${year}\\.csv\\.gz \\(histdata\\)$`),
      );
      for (const label of ["low", "normal", "high", "bear", "range", "bull", "high/bull", "any"]) {
        assert.match(text, new RegExp(`^  ${label} +\\d+\\.\\d%`, "m"), label);
      }
      // Everything but the source path, which names the file as it was passed.
      const doc = await Deno.readTextFile(new URL("../../../docs/regimes.md", import.meta.url));
      assert.ok(doc.includes(`${title}\nsource: `), `the ${year} title line is in the docs`);
      assert.ok(doc.includes(rest.join("\n")), `the ${year} tables in docs/regimes.md are current`);
    },
  );
}

dataTest("regimes --json adds up: shares, bars and episodes of 2017", HISTDATA_2017, async () => {
  const summary: RegimesSummary = JSON.parse(
    await printed(["--data", dataPath(HISTDATA_2017), "--json"]),
  );
  assert.deepEqual(summary.detector, REGIME_DEFAULTS);
  assert.equal(
    summary.warmupBars,
    REGIME_DEFAULTS.volatilityWindow + REGIME_DEFAULTS.percentileLookback - 1,
  );
  assert.equal(summary.warmupBars + summary.labelledBars, summary.bars);
  for (const table of [summary.volatility, summary.trend, summary.combined]) {
    const rows = table.slice(0, -1);
    const any = table.at(-1)!;
    assert.equal(any.label, "any");
    assert.equal(rows.reduce((sum, r) => sum + r.bars, 0), summary.labelledBars);
    assert.ok(Math.abs(rows.reduce((sum, r) => sum + r.share, 0) - 1) < 1e-12);
    assert.equal(rows.reduce((sum, r) => sum + r.episodes, 0), any.episodes);
    assert.ok(rows.every((r) => r.episodes > 0), "every label and pair occurs in 2017");
  }
  // Single labels change at most once per minimum duration, and in 2017 about once a day.
  for (const any of [summary.volatility.at(-1)!, summary.trend.at(-1)!]) {
    assert.ok(any.meanHours >= REGIME_DEFAULTS.minDurationBars, `${any.meanHours} h`);
    assert.ok(any.flipsPerDay < 1.5, `${any.flipsPerDay} flips per day`);
  }
});

Deno.test("tallyRegimes() gives each bar the labels of the last change at or before its close", () => {
  const start = usFromIso("2017-03-06T00:00:00Z"); // a Monday: 19:00 Sunday in New York
  const closes = Array.from({ length: 12 }, (_, i) => start + (i + 1) * US_PER_HOUR);
  const change = (bar: number, volatility: "low" | "high", trend: "bull" | "range") =>
    ({
      v: EVENT_VERSION,
      kind: "regime",
      symbol: "XAUUSD",
      timeframe: "H1",
      timeUs: closes[bar],
      volatility,
      trend,
      measures: {
        realisedVolatility: 0,
        volatilityPercentile: 0,
        adx: 0,
        efficiencyRatio: 0,
        move: 0,
      },
    }) satisfies RegimeEvent;
  // Bars 0-1 warm up; 2-5 low/bull; 6-8 high/bull; 9-11 high/range.
  const tables = tallyRegimes(
    closes,
    [change(2, "low", "bull"), change(6, "high", "bull"), change(9, "high", "range")],
    "H1",
  );
  assert.equal(tables.warmupBars, 2);
  assert.equal(tables.labelledBars, 10);
  assert.equal(tables.tradingDays, 1);
  const row = (rows: typeof tables.volatility, label: string) =>
    rows.find((r) => r.label === label);
  assert.deepEqual(row(tables.volatility, "high"), {
    label: "high",
    bars: 6,
    share: 0.6,
    episodes: 1,
    meanHours: 6,
    flipsPerDay: 1,
  });
  assert.deepEqual(row(tables.volatility, "low"), {
    label: "low",
    bars: 4,
    share: 0.4,
    episodes: 1,
    meanHours: 4,
    flipsPerDay: 0,
  });
  assert.equal(row(tables.trend, "bull")?.bars, 7);
  assert.equal(row(tables.trend, "bear")?.episodes, 0);
  assert.equal(row(tables.combined, "any")?.flipsPerDay, 2);
  assert.equal(row(tables.combined, "any")?.episodes, 3);
});

Deno.test("regimes refuses M1 as the regime timeframe and unknown flags before reading anything", async () => {
  await assert.rejects(printed(["--data", "missing.csv", "--timeframe", "M1"]), {
    name: "UsageError",
    message: /--timeframe "M1": must be longer than M1/,
  });
  await assert.rejects(printed(["--data", "x.csv", "--speed", "2"]), UsageError);
});

dataTest(
  "regimes refuses a file of H1 bars: it reads M1 bars or ticks",
  "xauusd_h1_d1_oanda/XAUUSD_OANDA_H1_quote_20060320-20181231.csv",
  async () => {
    await assert.rejects(
      printed([
        "--data",
        dataPath("xauusd_h1_d1_oanda/XAUUSD_OANDA_H1_quote_20060320-20181231.csv"),
      ]),
      { name: "UsageError", message: /regime labels need M1 bars or ticks; .* holds H1 bars/ },
    );
  },
);
