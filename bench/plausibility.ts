/**
 * The measurement behind the plausibility defaults (docs/data.md "Plausibility"): every
 * file in ../shared/data read with the default bounds under "skip", printing how many rows
 * were refused (must be 0) and how close the real data come to each bound: the lowest and
 * highest price, the largest ask/bid ratio, the longest step forward in time and the
 * largest jump in recent moves (replayed with `RecentMove` over the rows, as the reader
 * measures them), with its time.
 */

import { isoFromUs, TIMEFRAME_US, US_PER_DAY } from "../pipeline/events.ts";
import { DEFAULT_PLAUSIBILITY, RecentMove, TICK_SPAN_US } from "../pipeline/plausibility.ts";
import { openSource } from "../sources/mod.ts";
import { dataPath, haveData } from "../tests/_data.ts";
import { REAL_FILES } from "../tests/sources/_fuzz.ts";

interface Margins {
  rows: number;
  refused: number;
  minPrice: number;
  maxPrice: number;
  maxAskBid: number;
  maxStepUs: number;
  maxJump: number;
  maxJumpUs: number;
}

async function measure(rel: string): Promise<Margins> {
  const source = await openSource(dataPath(rel), { onBadLine: "skip" });
  const span = source.resolution === "tick" ? TICK_SPAN_US : TIMEFRAME_US[source.resolution];
  const moves = new RecentMove(span);
  const m: Margins = {
    rows: 0,
    refused: 0,
    minPrice: Infinity,
    maxPrice: -Infinity,
    maxAskBid: 1,
    maxStepUs: 0,
    maxJump: 0,
    maxJumpUs: 0,
  };
  let prev = NaN;
  for await (const b of source.batches()) {
    for (let i = 0; i < b.length; i++) {
      let t: number, high: number, low: number, close: number, top: number, ratio = 1;
      if (b.kind === "ticks") {
        t = b.timeUs[i];
        high = low = close = b.bid[i];
        top = b.ask[i];
        ratio = b.ask[i] / b.bid[i];
      } else {
        t = b.openUs[i];
        [high, low, close] = [b.bidHigh[i], b.bidLow[i], b.bidClose[i]];
        top = b.askHigh?.[i] ?? high;
        if (b.askOpen) {
          ratio = Math.max(
            b.askOpen[i] / b.bidOpen[i],
            b.askHigh![i] / high,
            b.askLow![i] / low,
            b.askClose![i] / close,
          );
        }
        if (b.spread) ratio = (low + b.spread[i]) / low;
      }
      m.rows++;
      m.minPrice = Math.min(m.minPrice, low);
      m.maxPrice = Math.max(m.maxPrice, top);
      m.maxAskBid = Math.max(m.maxAskBid, ratio);
      if (!Number.isNaN(prev)) m.maxStepUs = Math.max(m.maxStepUs, t - prev);
      prev = t;
      const jump = moves.multiple(t, high, low);
      if (jump > m.maxJump) [m.maxJump, m.maxJumpUs] = [jump, t];
      moves.commit(t, close, moves.lastMove);
    }
  }
  m.refused = Object.values(source.report.badLines).reduce((a, b) => a + b, 0);
  return m;
}

const d = DEFAULT_PLAUSIBILITY;
console.log(
  `bounds: prices ${d.minPrice}-${d.maxPrice}, jump ${d.maxJump}x, ask/bid ${d.maxAskBid}, ` +
    `time step ${d.maxTimeStepUs / US_PER_DAY} days, window ${
      isoFromUs(d.earliestUs).slice(0, 10)
    } ` +
    `to ${isoFromUs(d.latestUs).slice(0, 10)}`,
);
console.log(
  "| file | rows | refused | prices | largest ask/bid | longest step | largest jump (recent moves) |",
);
console.log("|---|---:|---:|---|---:|---:|---|");
for (const rel of Object.values(REAL_FILES).flat()) {
  if (!haveData(rel)) {
    console.log(`| ${rel} | missing | | | | | |`);
    continue;
  }
  const m = await measure(rel);
  console.log(
    `| ${rel.split("/").pop()} | ${
      m.rows.toLocaleString("en-US")
    } | ${m.refused} | ${m.minPrice}-${m.maxPrice} | ${m.maxAskBid.toFixed(5)} | ${
      (m.maxStepUs / US_PER_DAY).toFixed(2)
    } days | ${m.maxJump.toFixed(1)} at ${isoFromUs(m.maxJumpUs)} |`,
  );
}
