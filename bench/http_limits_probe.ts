/**
 * What `Deno.serve` itself does with slow and idle HTTP clients, since it takes no header,
 * idle or connection limit (docs/control-plane.md, "HTTP timeouts"): a bare server on
 * loopback, and raw sockets that send nothing, drip headers every 5 s, idle after one
 * request, send oversized headers, or announce a body and send 2 bytes of it (to a handler
 * that waits for it, and to one that gives up after 0.5 s with a 408). Prints, for
 * each, when the server closed the connection (or that it had not after `--seconds`) and
 * what it answered. It only observes; nothing here is part of the product.
 *
 *   deno run --allow-net=127.0.0.1 bench/http_limits_probe.ts [--seconds 100]
 */

import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Deno.args,
  options: { seconds: { type: "string", default: "100" } },
});
const seconds = Number(values.seconds);

/**
 * `/timeout` answers 408 with `Connection: close` after 0.5 s of waiting for the body,
 * cancelling its reader, as a request timeout would; every other POST waits for its body.
 */
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
  if (req.method !== "POST") return new Response("ok");
  if (new URL(req.url).pathname !== "/timeout") {
    await req.arrayBuffer().catch(() => {});
    return new Response("ok");
  }
  const reader = req.body!.getReader();
  const body = (async () => {
    while (!(await reader.read()).done) { /* read on */ }
    return new Response("ok");
  })();
  const late = new Promise<Response>((resolve) =>
    setTimeout(() => {
      reader.cancel().catch(() => {});
      resolve(new Response("timeout", { status: 408, headers: { Connection: "close" } }));
    }, 500)
  );
  return await Promise.race([body, late]);
});
const port = server.addr.port;
const encoder = new TextEncoder();
const started = performance.now();

/** Reads until the server closes or the time is up; says which, and the answer's first line. */
async function watch(name: string, conn: Deno.Conn): Promise<string> {
  const buffer = new Uint8Array(65536);
  let text = "";
  let closedByServer = true;
  const stop = setTimeout(() => {
    closedByServer = false;
    conn.close();
  }, seconds * 1000);
  try {
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      text += new TextDecoder().decode(buffer.subarray(0, n));
    }
  } catch (error) {
    if (closedByServer) text += `(${(error as Error).message})`;
  }
  clearTimeout(stop);
  const after = ((performance.now() - started) / 1000).toFixed(1);
  const answer = text.split("\r\n")[0] || "(nothing)";
  return `| ${name} | ${
    closedByServer ? `closed by the server after ${after} s` : `still open after ${seconds} s`
  } | ${answer} |`;
}

const connect = () => Deno.connect({ hostname: "127.0.0.1", port });
const probes: Promise<string>[] = [];

probes.push(watch("connects and sends nothing", await connect()));

const dripping = await connect();
await dripping.write(encoder.encode("GET / HTTP/1.1\r\nHost: x\r\n"));
const drip = setInterval(
  () => dripping.write(encoder.encode("X-A: b\r\n")).catch(() => clearInterval(drip)),
  5000,
);
probes.push(
  watch("a request line, then a header line every 5 s", dripping).finally(() => {
    clearInterval(drip);
  }),
);

const idle = await connect();
await idle.write(encoder.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
probes.push(watch("one request, then idle on the kept-alive connection", idle));

for (const kib of [63, 64, 128]) {
  const big = await connect();
  big.write(encoder.encode(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(kib * 1024)}\r\n\r\n`))
    .catch(() => {});
  probes.push(watch(`a ${kib} KiB header`, big));
}

const slowBody = await connect();
await slowBody.write(encoder.encode("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab"));
probes.push(watch("announces a 100-byte body and sends 2 bytes", slowBody));

const timedOut = await connect();
await timedOut.write(
  encoder.encode("POST /timeout HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab"),
);
probes.push(watch("the same, answered 408 + Connection: close, reader cancelled", timedOut));

console.log(`# Deno ${Deno.version.deno}: Deno.serve with slow and idle clients, ${seconds} s`);
console.log("| client | connection | answer |");
console.log("|---|---|---|");
for (const row of await Promise.all(probes)) console.log(row);
await server.shutdown();
