/** Contract arithmetic of `pipeline/symbols.ts` shared by risk and the simulated broker. */

import assert from "node:assert/strict";
import { cleanLots, insideStopsLevel, XAUUSD } from "@/pipeline/symbols.ts";

Deno.test("insideStopsLevel() allows a level exactly the stops level away despite float noise", () => {
  const spec = { ...XAUUSD, stopsLevelPoints: 30 }; // 30 points x 0.01 = 0.30
  // 1300.00 - 1299.70 is 0.2999999999999545 in floats: the stops level, not inside it.
  assert.equal(insideStopsLevel(spec, 1300.0, 1299.7), false);
  assert.equal(insideStopsLevel(spec, 1300.0, 1300.3), false);
  // 0.29 away on either side is inside.
  assert.equal(insideStopsLevel(spec, 1300.0, 1299.71), true);
  assert.equal(insideStopsLevel(spec, 1300.0, 1300.29), true);
});

Deno.test("insideStopsLevel() finds nothing inside a stops level of 0, not even the price itself", () => {
  assert.equal(insideStopsLevel(XAUUSD, 1300.0, 1300.0), false);
});

Deno.test("cleanLots() strips the float dust of lot arithmetic to 8 decimals", () => {
  assert.equal(cleanLots(0.2 - 0.05), 0.15); // 0.15000000000000002 in floats
  assert.equal(cleanLots(0.1 + 0.2), 0.3); // 0.30000000000000004
  assert.equal(cleanLots(0.123456789), 0.12345679);
});
