import { openSource } from "../../sources/mod.ts";
const src = await openSource(`/work/shared/data/xauusd_m1_mt5_export/XAUUSD_M1.csv`);
const t: number[] = []; const sp: number[] = []; const vol: number[] = [];
for await (const b of src.batches()) { if (b.kind !== "bars") continue; for (let i=0;i<b.length;i++) {t.push(b.openUs[i]); sp.push(b.spread![i]); vol.push(b.volume![i]);} }
console.log(JSON.stringify(src.report), src.sides, src.resolution, new Date(src.report.firstUs!/1000), new Date(src.report.lastUs!/1000));
for (let i=1;i<t.length;i++){ const g=(t[i]-t[i-1])/60e6; if (g>3) console.log(new Date(t[i-1]/1000).toISOString(), new Date(t[i]/1000).toISOString(), g); }
const h = new Map<number,number>(); for (const s of sp) h.set(s,(h.get(s)??0)+1); console.log([...h].sort());
