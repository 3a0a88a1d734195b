import assert from "node:assert/strict";
import { Hono } from "hono";
import { addressGroup, clientAddress } from "@/pipeline/control/client_address.ts";

Deno.test("addressGroup() keys an IPv6 address by its /64 and any other address by itself", async (t) => {
  const cases: [string, string][] = [
    ["203.0.113.7", "203.0.113.7"],
    ["2001:db8:0:1:aaaa:bbbb:cccc:dddd", "2001:db8:0:1::/64"],
    ["2001:db8:0:1::5", "2001:db8:0:1::/64"],
    ["2001:0db8:0000:0001::", "2001:db8:0:1::/64"],
    ["::1", "0:0:0:0::/64"],
    ["unknown", "unknown"],
    ["1:2:3", "1:2:3"],
  ];
  for (const [address, group] of cases) {
    await t.step(address, () => assert.equal(addressGroup(address), group));
  }
});

/** The client address a request from `peer` with `forwarded` resolves to. */
async function resolve(peer: string, forwarded: string | null, trusted: string[]) {
  const app = new Hono().get("/", (c) => c.text(clientAddress(c, new Set(trusted))));
  const headers: Record<string, string> = forwarded === null
    ? {}
    : { "X-Forwarded-For": forwarded };
  const res = await app.request("/", { headers }, {
    remoteAddr: { hostname: peer, port: 1, transport: "tcp" },
  });
  return await res.text();
}

Deno.test("clientAddress() ignores X-Forwarded-For from a peer that is not a trusted proxy", async () => {
  assert.equal(await resolve("198.51.100.4", "203.0.113.7", []), "198.51.100.4");
  assert.equal(await resolve("198.51.100.4", "203.0.113.7", ["10.0.0.1"]), "198.51.100.4");
});

Deno.test("clientAddress() takes the right-most forwarded address that is not a trusted proxy", async () => {
  const proxies = ["10.0.0.1", "10.0.0.2"];
  // The client wrote "6.6.6.6" itself; 10.0.0.2 forwarded to 10.0.0.1, which saw 203.0.113.7.
  assert.equal(
    await resolve("10.0.0.1", "6.6.6.6, 203.0.113.7, 10.0.0.2", proxies),
    "203.0.113.7",
  );
  assert.equal(await resolve("10.0.0.1", null, proxies), "10.0.0.1");
  assert.equal(
    await resolve("10.0.0.1", "203.0.113.7, <script>", proxies),
    "10.0.0.1",
    "a malformed hop stops the walk at the proxy",
  );
});
