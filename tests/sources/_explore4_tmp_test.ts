import { openSource } from "../../sources/mod.ts";
Deno.test("ticks", async () => {
  const t0 = performance.now();
  const src = await openSource(`/work/shared/data/xauusd_ticks_oanda/XAUUSD_OANDA_ticks_20140501-20140515.csv.gz`);
  let n = 0;
  for await (const b of src.batches()) n += b.length;
  console.log(n, JSON.stringify(src.report), performance.now() - t0);
});
Deno.test("ticks early stop", async () => {
  const src = await openSource(`/work/shared/data/xauusd_ticks_oanda/XAUUSD_OANDA_ticks_20140501-20140515.csv.gz`, {toUs: Date.parse("2014-05-01T01:00:00Z")*1000});
  let n = 0;
  for await (const b of src.batches()) n += b.length;
  console.log(n, JSON.stringify(src.report));
});
Deno.test("break out of batches", async () => {
  const src = await openSource(`/work/shared/data/xauusd_ticks_oanda/XAUUSD_OANDA_ticks_20140501-20140515.csv.gz`);
  for await (const _b of src.batches()) break;
});
Deno.test("truncated gz", async () => {
  const bytes = await Deno.readFile(`/work/shared/data/xauusd_ticks_oanda/XAUUSD_OANDA_ticks_20140501-20140515.csv.gz`);
  const p = await Deno.makeTempFile({suffix: ".csv.gz"});
  await Deno.writeFile(p, bytes.subarray(0, 100_000));
  const src = await openSource(p);
  let n = 0;
  try { for await (const b of src.batches()) n += b.length; } catch (e) { console.log("ERR", n, e); }
  console.log(JSON.stringify(src.report));
  await Deno.remove(p);
});
Deno.test("empty gz", async () => {
  const p = await Deno.makeTempFile({suffix: ".csv.gz"});
  const gz = new Uint8Array(await new Response(new Blob([new Uint8Array(0)]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer());
  await Deno.writeFile(p, gz);
  try { await openSource(p); } catch (e) { console.log("ERR", e); }
  await Deno.remove(p);
});
Deno.test("quote bars", async () => {
  for (const f of ["xauusd_ticks_oanda/XAUUSD_OANDA_M1_quote_20140501-20140515.csv", "xauusd_h1_d1_oanda/XAUUSD_OANDA_H1_quote_20060320-20181231.csv","xauusd_h1_d1_oanda/XAUUSD_OANDA_D1_quote_20060320-20181231.csv"]) {
  const t0 = performance.now();
  const src = await openSource(`/work/shared/data/${f}`);
  for await (const _ of src.batches());
  console.log(src.resolution, src.sides, JSON.stringify(src.report), performance.now()-t0);
  }
});
