import { openSource } from "../../sources/mod.ts";
const y = Deno.args[0];
const src = await openSource(`/work/shared/data/xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_${y}.csv.gz`);
const t: number[] = []; const o: number[] = []; const c: number[] = [];
for await (const b of src.batches()) { if (b.kind !== "bars") continue; for (let i=0;i<b.length;i++){ t.push(b.openUs[i]); o.push(b.bidOpen[i]); c.push(b.bidClose[i]); } }
console.log(JSON.stringify(src.report));
const fmt = new Intl.DateTimeFormat("en-US",{timeZone:"America/New_York",hourCycle:"h23",year:"numeric",month:"2-digit",day:"2-digit",hour:"2-digit",minute:"2-digit",weekday:"short"});
const ny = (us:number)=>fmt.format(new Date(us/1000));
// holes spanning 17:00 NY
const lastBefore = new Map<string, number>(); const firstAfter = new Map<string, number>();
let n=0;
for (let i=1;i<t.length;i++){ const gap=t[i]-t[i-1]; if (gap > 20*60e6) { n++; if (n<15 || Deno.args[1]) console.log(ny(t[i-1]), "->", ny(t[i]), gap/60e6); } }
// H1 comparison
const h1 = (await Deno.readTextFile("/work/shared/data/xauusd_h1_d1_oanda/XAUUSD_OANDA_H1_quote_20060320-20181231.csv")).split("\n").slice(1).filter(Boolean).map(l=>l.split(","));
const hmap = new Map(h1.map(r=>[Date.parse(r[0])*1000, +r[1]]));
const idx = new Map(t.map((x,i)=>[x,i]));
let d0=0,d1=0,k=0;
for (const [ht, hopen] of hmap) { const i = idx.get(ht); const j = idx.get(ht - 60e6); if (i===undefined||j===undefined) continue; d0 += Math.abs(o[i]-hopen); d1 += Math.abs(c[j]-hopen); k++; }
console.log("H1 open vs bar-at-hour open", d0/k, "vs close of bar before", d1/k, k);
const h1c = new Map(h1.map(r=>[Date.parse(r[0])*1000, +r[4]]));
for (const s of [-2,-1,0,1,2]) {
  let a=0,b=0,kk=0;
  for (const [ht, hopen] of hmap) { const i = idx.get(ht + s*60e6); const j = idx.get(ht + (59+s)*60e6); if (i===undefined||j===undefined) continue; a += Math.abs(o[i]-hopen); b += Math.abs(c[j]-h1c.get(ht)!); kk++; }
  console.log("shift", s, "open diff", (a/kk).toFixed(4), "close diff", (b/kk).toFixed(4), kk);
}
