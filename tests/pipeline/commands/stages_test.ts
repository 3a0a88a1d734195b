/**
 * The bar tape a backtest keeps for its chance baseline (`barTape`): every M1 bar the
 * pipeline is given, warm-up included, for an M1 file (its batches kept as they pass) and
 * for ticks (the bars made of them), checked against the file read another way.
 */

import assert from "node:assert/strict";
import { lastValueFrom } from "rxjs";
import { recordBars } from "@/operators/bars/mod.ts";
import { barTape, m1Stages } from "@/pipeline/commands/stages.ts";
import { usFromIso } from "@/pipeline/events.ts";
import { replay$ } from "@/pipeline/replay.ts";
import { openSources } from "@/sources/mod.ts";
import { BarColumnsBuilder } from "@/sources/source.ts";
import { dataPath, dataTest } from "../../_data.ts";

const OANDA_M1 = "xauusd_ticks_oanda/XAUUSD_OANDA_M1_quote_20140501-20140515.csv";
const OANDA_TICKS = "xauusd_ticks_oanda/XAUUSD_OANDA_ticks_20140501-20140515.csv.gz";

dataTest(
  "barTape() of an M1 file holds every bar replayed, as a builder fed bar by bar holds them",
  OANDA_M1,
  async () => {
    const path = dataPath(OANDA_M1);
    // The reference: the replay's bar events pushed one by one into a builder.
    const plain = await openSources([path], {});
    const builder = new BarColumnsBuilder("M1", plain.sides, false);
    await lastValueFrom(replay$(plain).pipe(recordBars(plain.symbol, builder)));
    const expected = builder.take();

    const tape = barTape(await openSources([path], {}));
    assert.deepEqual(tape.stages, [], "an M1 file's tape needs no stage");
    await lastValueFrom(replay$(tape.source));
    const kept = tape.take();
    assert.ok(expected.length > 10_000, `${expected.length} bars in two weeks`);
    assert.deepEqual(kept, expected);
  },
);

dataTest(
  "barTape() of ticks holds one bar per minute with ticks, its bid and ask OHLC from them",
  OANDA_TICKS,
  async () => {
    const path = dataPath(OANDA_TICKS);
    const window = { toUs: usFromIso("2014-05-01T03:00:00Z") };
    // The reference, by hand: the ticks grouped by UTC minute.
    const minutes = new Map<number, number[][]>();
    for await (const batch of (await openSources([path], window)).batches()) {
      assert.equal(batch.kind, "ticks");
      if (batch.kind !== "ticks") continue;
      for (let i = 0; i < batch.length; i++) {
        const minute = Math.floor(batch.timeUs[i] / 60_000_000) * 60_000_000;
        if (!minutes.has(minute)) minutes.set(minute, []);
        minutes.get(minute)!.push([batch.bid[i], batch.ask[i]]);
      }
    }

    const source = await openSources([path], window);
    const tape = barTape(source);
    let events$ = replay$(tape.source);
    for (const stage of [...m1Stages(source, "tests"), ...tape.stages]) {
      events$ = events$.pipe(stage.operator);
    }
    await lastValueFrom(events$);
    const bars = tape.take();
    assert.ok(minutes.size > 100, `${minutes.size} minutes with ticks`);
    assert.deepEqual([...bars.openUs], [...minutes.keys()]);
    let i = 0;
    for (const ticks of minutes.values()) {
      const bids = ticks.map(([bid]) => bid);
      const asks = ticks.map(([, ask]) => ask);
      assert.deepEqual(
        [bars.bidOpen[i], bars.bidHigh[i], bars.bidLow[i], bars.bidClose[i]],
        [bids[0], Math.max(...bids), Math.min(...bids), bids.at(-1)],
      );
      assert.deepEqual(
        [bars.askOpen![i], bars.askHigh![i], bars.askLow![i], bars.askClose![i]],
        [asks[0], Math.max(...asks), Math.min(...asks), asks.at(-1)],
      );
      i++;
    }
  },
);
