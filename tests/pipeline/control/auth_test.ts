import assert from "node:assert/strict";
import fc from "fast-check";
import { tokenFingerprint, tokensEqual } from "@/pipeline/control/auth.ts";

// Timing cannot be measured reliably on a shared machine; these check the construction:
// both sides are hashed to 32 bytes before `timingSafeEqual`, which throws on unequal
// lengths, so any length reaching a clean `false` shows the hashing is in place.
Deno.test("tokensEqual() is true exactly for equal strings, whatever their lengths", () => {
  fc.assert(fc.property(fc.string(), fc.string(), (a, b) => tokensEqual(a, b) === (a === b)));
  assert.equal(tokensEqual("a".repeat(43), "a".repeat(43)), true);
  assert.equal(tokensEqual("a".repeat(43), "a".repeat(42) + "b"), false);
  assert.equal(tokensEqual("a".repeat(43), ""), false);
});

Deno.test("tokenFingerprint() is short, stable and does not contain the token", () => {
  const token = "abcdefghijklmnopqrstuvwxyz012345";
  const fingerprint = tokenFingerprint(token);
  assert.match(fingerprint, /^token:[0-9a-f]{12}$/);
  assert.equal(tokenFingerprint(token), fingerprint);
  assert.notEqual(tokenFingerprint(`${token}x`), fingerprint);
  assert.ok(!fingerprint.includes(token.slice(0, 6)));
});
