/**
 * Who is calling, as far as the network says: the peer address of the connection, or,
 * only when that peer is a proxy the operator named (`--trust-proxy`), the address the
 * proxy forwarded in `X-Forwarded-For`. Limits key on the address's group: an IPv4
 * address itself, an IPv6 address's /64 (one host may own a whole /64).
 * It must never believe a forwarded header from a peer that is not a trusted proxy:
 * any client can send one.
 */

import type { Context } from "hono";

/** The connection's peer from `Deno.serve`'s info; "unknown" without one (`app.request` in tests). */
function peerAddress(c: Context): string {
  const info = c.env as { remoteAddr?: { hostname?: string } } | undefined;
  return info?.remoteAddr?.hostname ?? "unknown";
}

/** An address as a forwarded header may carry it: IPv4 or IPv6 text, nothing else. */
const ADDRESS = /^(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9A-Fa-f:.]{2,45})$/;

/**
 * The client's address: the peer, or, when the peer is a trusted proxy, the right-most
 * `X-Forwarded-For` entry that is not itself a trusted proxy (entries to its left were
 * written by the client and prove nothing). A malformed entry stops the walk at the proxy.
 */
export function clientAddress(c: Context, trustedProxies: ReadonlySet<string>): string {
  const peer = peerAddress(c);
  if (!trustedProxies.has(peer)) return peer;
  const forwarded = c.req.header("x-forwarded-for");
  if (forwarded === undefined) return peer;
  const hops = forwarded.split(",");
  let client = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i].trim();
    if (!ADDRESS.test(hop)) return client;
    client = hop;
    if (!trustedProxies.has(hop)) return hop;
  }
  return client;
}

/** The eight 16-bit groups of an IPv6 address, or null when it is not one. */
function ipv6Groups(address: string): number[] | null {
  const halves = address.split("::");
  if (halves.length > 2) return null;
  const parse = (part: string) => part === "" ? [] : part.split(":");
  const head = parse(halves[0]);
  const tail = halves.length === 2 ? parse(halves[1]) : [];
  if (tail.at(-1)?.includes(".") || head.at(-1)?.includes(".")) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  const values = groups.map((g) => /^[0-9A-Fa-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN);
  return values.some(Number.isNaN) ? null : values;
}

/**
 * The key a per-address limit counts under: an IPv6 address's /64 prefix
 * (`2001:db8:0:1::/64`), any other address as given.
 */
export function addressGroup(address: string): string {
  const groups = ipv6Groups(address);
  if (groups === null) return address;
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(":")}::/64`;
}
