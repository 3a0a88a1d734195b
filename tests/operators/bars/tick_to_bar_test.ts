import assert from "node:assert/strict";
import { dataTest } from "../../_data.ts";
import { US_PER_MINUTE, US_PER_SECOND, usFromIso } from "@/pipeline/events.ts";
import { BarColumnsBuilder } from "@/sources/source.ts";
import { aggregateTicks, TickToBar } from "@/operators/bars/mod.ts";
import {
  concatBars,
  firstBarDifference,
  readBars,
  readTicks,
  TICK_M1_ORACLE_PATH,
  TICKS_PATH,
} from "./_data.ts";

const T0 = usFromIso("2014-05-01T00:00:00Z");

function m1(): { out: BarColumnsBuilder; agg: TickToBar } {
  const out = new BarColumnsBuilder("M1", "bid-ask", true);
  return { out, agg: new TickToBar(out) };
}

// Oracle: OANDA's M1 quote bars built from exactly these ticks (data README: "each M1 bar
// equals exactly the first, max, min and last bid and ask of the ticks in that UTC minute").
dataTest(
  "aggregateTicks() reproduces all 15,222 OANDA M1 bid/ask bars from their ticks exactly",
  [TICKS_PATH, TICK_M1_ORACLE_PATH],
  async () => {
    const { out, agg } = m1();
    let ticks = 0;
    for (const batch of await readTicks(TICKS_PATH)) {
      aggregateTicks(batch, agg);
      ticks += batch.length;
    }
    agg.flush();
    const bars = out.take();
    const oracle = concatBars(await readBars(TICK_M1_ORACLE_PATH));
    assert.equal(oracle.length, 15_222);
    assert.equal(firstBarDifference(bars, oracle), null);
    assert.equal(bars.volume!.reduce((a, b) => a + b, 0), ticks);
  },
);

Deno.test("TickToBar.update() emits a minute's bar only when a tick of a later minute arrives", () => {
  const { out, agg } = m1();
  agg.update(T0 + 1, 1300.1, 1300.4);
  agg.update(T0 + 30 * US_PER_SECOND, 1300.5, 1300.9);
  agg.update(T0 + US_PER_MINUTE - 1, 1299.8, 1300.0);
  assert.equal(out.length, 0);
  assert.equal(agg.forming, true);
  agg.update(T0 + US_PER_MINUTE, 1299.9, 1300.2);
  const bars = out.take();
  assert.equal(bars.length, 1);
  assert.deepEqual(
    [bars.openUs[0], bars.closeUs[0], bars.volume![0]],
    [T0, T0 + US_PER_MINUTE, 3],
  );
  assert.deepEqual(
    [bars.bidOpen[0], bars.bidHigh[0], bars.bidLow[0], bars.bidClose[0]],
    [1300.1, 1300.5, 1299.8, 1299.8],
  );
  assert.deepEqual(
    [bars.askOpen![0], bars.askHigh![0], bars.askLow![0], bars.askClose![0]],
    [1300.4, 1300.9, 1300.0, 1300.0],
  );
});

Deno.test("TickToBar.update() skips minutes without ticks instead of inventing bars", () => {
  const { out, agg } = m1();
  agg.update(T0, 1300, 1300.3);
  agg.update(T0 + 5 * US_PER_MINUTE + 7, 1301, 1301.3);
  agg.flush();
  assert.deepEqual(Array.from(out.take().openUs), [T0, T0 + 5 * US_PER_MINUTE]);
});

Deno.test("TickToBar.flush() emits the forming bar once and then keeps its minute closed", () => {
  const { out, agg } = m1();
  agg.flush();
  assert.equal(out.length, 0);
  agg.update(T0 + 10, 1300, 1300.3);
  agg.flush();
  agg.flush();
  assert.equal(out.length, 1);
  assert.equal(agg.forming, false);
  assert.throws(() => agg.update(T0 + 20, 1300, 1300.3), RangeError);
  agg.update(T0 + US_PER_MINUTE, 1300, 1300.3);
  assert.equal(agg.forming, true);
});

Deno.test("TickToBar.update() refuses a tick earlier than the one before", () => {
  const { agg } = m1();
  agg.update(T0 + 2 * US_PER_MINUTE, 1300, 1300.3);
  assert.throws(
    () => agg.update(T0 + US_PER_MINUTE, 1300, 1300.3),
    /Cannot add the tick at 2014-05-01T00:01:00Z: ticks must not go back in time/,
  );
});
