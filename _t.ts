import { inflateOffThread } from "./sources/_inflate.ts";
const t0 = performance.now();
let first = -1, n = 0;
for await (const c of inflateOffThread("../shared/data/xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2018.csv.gz", 262144)) {
  if (first < 0) first = performance.now() - t0;
  n += c.length;
}
console.log("first chunk", first.toFixed(0), "ms; all", (performance.now() - t0).toFixed(0), "ms", n);
