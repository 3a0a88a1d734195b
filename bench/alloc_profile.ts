/**
 * Where a command's memory is allocated: runs one `main.ts` command in this process under
 * V8's sampling heap profiler (through `node:inspector`), counting objects the garbage
 * collector has already freed too, then prints the bytes allocated by function and by
 * file, largest first. What the young generation's collections cost follows from these
 * bytes, so this is where a hot path's allocations show. Sampled (one sample per
 * `--interval` bytes on average), so small figures are rough. A diagnostic, never part of
 * the test suite or `deno task bench`; it writes only what the command writes.
 *
 *   deno run -A --v8-flags=--initial-old-space-size=128 bench/alloc_profile.ts [--top 30]
 *     [--interval 16384] -- backtest --data FILE --no-ml ...
 */

import { Session } from "node:inspector/promises";
import { parseArgs } from "node:util";
import { main } from "../main.ts";

const dash = Deno.args.indexOf("--");
const { values } = parseArgs({
  args: dash < 0 ? Deno.args : Deno.args.slice(0, dash),
  options: {
    top: { type: "string", default: "30" },
    interval: { type: "string", default: "16384" },
  },
  strict: true,
});
const top = Number(values.top);
const interval = Number(values.interval);
if (dash < 0 || !Number.isInteger(top) || top < 1 || !Number.isInteger(interval) || interval < 1) {
  console.error(
    "alloc profile: give --top and --interval as whole numbers, then -- and a main.ts command",
  );
  Deno.exit(2);
}

/** A node of the sampling heap profile (Chrome DevTools protocol, HeapProfiler domain). */
interface SamplingNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly SamplingNode[];
}

const session = new Session();
session.connect();
await session.post("HeapProfiler.startSampling", {
  samplingInterval: interval,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
const code = await main(Deno.args.slice(dash + 1));
const { profile } = await session.post("HeapProfiler.stopSampling") as {
  profile: { head: SamplingNode };
};
session.disconnect();

const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
let total = 0;
const add = (map: Map<string, number>, key: string, bytes: number) =>
  map.set(key, (map.get(key) ?? 0) + bytes);
const nodes: SamplingNode[] = [profile.head];
for (let node = nodes.pop(); node !== undefined; node = nodes.pop()) {
  nodes.push(...node.children);
  if (node.selfSize === 0) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  // The file relative to this checkout; V8 counts lines from 0.
  const file = url.replace(new URL("../", import.meta.url).href, "") || "(native)";
  add(byFunction, `${functionName || "(anonymous)"} ${file}:${lineNumber + 1}`, node.selfSize);
  add(byFile, file, node.selfSize);
  total += node.selfSize;
}
const table = (title: string, map: Map<string, number>) => {
  console.log(`\n| MB | ${title} |\n|---:|---|`);
  for (const [key, bytes] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`| ${(bytes / 1e6).toFixed(1)} | ${key} |`);
  }
};
console.log(
  `allocated while the command ran (exit code ${code}): ${(total / 1e6).toFixed(0)} MB, ` +
    `sampled every ${interval} bytes on average, freed objects included`,
);
table("function (line of the emitted JavaScript)", byFunction);
table("file", byFile);
