import { openSources } from "./sources/mod.ts";
import { replay$ } from "./pipeline/replay.ts";
import { lastValueFrom } from "rxjs";
const t0 = performance.now();
const s = await openSources(["../shared/data/xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2018.csv.gz"], {});
console.log("opened", (performance.now() - t0).toFixed(0));
let first = -1; let n = 0;
await lastValueFrom(replay$(s), { defaultValue: null }).catch(() => {});
for await (const b of s.batches()) { if (first < 0) first = performance.now() - t0; n += b.length; }
console.log("first batch", first.toFixed(0), "all", (performance.now() - t0).toFixed(0), n);
