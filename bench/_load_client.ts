/**
 * A second load generator for bench/ai_signal_bench.ts, in a process of its own beside the
 * server as wrk is: `connections` keep-alive loops POST the same JSON body for `seconds`,
 * each timing every request from send to the last byte of the answer. It prints one JSON
 * line: requests, req/s, p50, p99 and max in ms, and the answers that were not 200.
 * Why a second one: on this machine wrk has printed latencies its own throughput rules
 * out (a mean of 11 ms at 18 k req/s on 16 connections, where Little's law allows
 * 16 / 18,000 s = 0.9 ms), so every wrk figure is checked against another generator.
 *
 *   deno run --allow-net=127.0.0.1 --allow-read bench/_load_client.ts URL TOKEN BODY_FILE
 *     CONNECTIONS SECONDS
 */

const [url, token, bodyFile, connectionsText, secondsText] = Deno.args;
const connections = Number(connectionsText);
const seconds = Number(secondsText);
if (!url || !token || !bodyFile || !(connections >= 1) || !(seconds > 0)) {
  console.error("usage: _load_client.ts URL TOKEN BODY_FILE CONNECTIONS SECONDS");
  Deno.exit(2);
}
const body = await Deno.readTextFile(bodyFile);
const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
const latencies: number[] = [];
let refused = 0;
let stop = false;
const started = performance.now();
setTimeout(() => stop = true, seconds * 1000);

async function loop(): Promise<void> {
  while (!stop) {
    const sent = performance.now();
    const response = await fetch(url, { method: "POST", headers, body });
    await response.arrayBuffer();
    latencies.push(performance.now() - sent);
    if (response.status !== 200) refused++;
  }
}

await Promise.all(Array.from({ length: connections }, loop));
const wall = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const at = (q: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))];
console.log(JSON.stringify({
  requests: latencies.length,
  rps: latencies.length / wall,
  p50Ms: at(0.5),
  p99Ms: at(0.99),
  maxMs: latencies[latencies.length - 1],
  non2xx: refused,
}));
