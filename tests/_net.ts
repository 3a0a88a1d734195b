/**
 * A loopback port free right now, for a server a test must start (or restart) on a port
 * known in advance. Another process could take it in between; tests accept that small race.
 */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
