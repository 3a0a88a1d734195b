import { openSource } from "../../sources/mod.ts";
const y = Deno.args[0];
const src = await openSource(`/work/shared/data/xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_${y}.csv.gz`);
const t: number[] = [];
for await (const b of src.batches()) { if (b.kind !== "bars") continue; for (let i=0;i<b.length;i++) t.push(b.openUs[i]); }
const fmt = new Intl.DateTimeFormat("en-CA",{timeZone:"America/New_York",hourCycle:"h23",year:"numeric",month:"2-digit",day:"2-digit",hour:"2-digit",minute:"2-digit",weekday:"short"});
const parts = (us:number)=>{ const p = Object.fromEntries(fmt.formatToParts(new Date(us/1000)).map(x=>[x.type,x.value])); return {date:`${p.year}-${p.month}-${p.day}`, min: +p.hour*60 + +p.minute, wd:p.weekday, hm:`${p.hour}:${p.minute}`}; };
// for each consecutive pair, does the hole span 17:00 NY? i.e. exists instant u with NY time 17:00 in (t[i-1], t[i])
const before = new Map<string,string>(), after = new Map<string,string>();
const hist = (m: Map<string,number>, k:string)=>m.set(k,(m.get(k)??0)+1);
const hb = new Map<string,number>(), ha = new Map<string,number>();
const odd: string[] = [];
for (let i=1;i<t.length;i++){
  const a = parts(t[i-1]), b = parts(t[i]);
  // spans 17:00 if a.min < 17*60 on its date, and (b.date > a.date or b.min >= 17*60)... simplified: a before 17:00 of a.date and b after
  const spans = (a.min < 1020 && (b.date !== a.date || b.min > 1020)) || (a.min >= 1020 && b.date !== a.date && b.min > 1020) ;
  if (spans) { hist(hb, a.hm); hist(ha, b.wd+" "+b.hm); if (a.min < 16*60+50 || b.hm !== "18:00" && b.hm !== "18:01") odd.push(`${a.wd} ${a.date} ${a.hm} -> ${b.wd} ${b.date} ${b.hm}`); }
}
console.log([...hb].sort().map(x=>x.join(":")).join(" "));
console.log([...ha].sort().map(x=>x.join("=")).join(" "));
console.log(odd.join("\n"));
