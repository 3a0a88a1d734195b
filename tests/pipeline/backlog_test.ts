import assert from "node:assert/strict";
import { Backlog } from "@/pipeline/backlog.ts";

Deno.test("Backlog.ready() is undefined while the pending work is at or under the limit", () => {
  const backlog = new Backlog(10);
  assert.equal(backlog.ready(), undefined);
  backlog.add(10);
  assert.equal(backlog.ready(), undefined, "10 pending, limit 10");
  assert.equal(backlog.pending, 10);
});

Deno.test("Backlog.ready() resolves once removals bring the pending work down to the limit", async () => {
  const backlog = new Backlog(10);
  backlog.add(25);
  const ready = backlog.ready();
  assert.ok(ready instanceof Promise);
  let resolved = false;
  ready.then(() => resolved = true);
  backlog.remove(10); // 15 pending: still over
  await Promise.resolve();
  assert.equal(resolved, false);
  backlog.remove(5); // 10 pending: at the limit
  await ready;
  assert.equal(resolved, true);
  assert.equal(backlog.ready(), undefined);
});

Deno.test("Backlog refuses a negative or NaN limit", () => {
  assert.throws(() => new Backlog(-1), RangeError);
  assert.throws(() => new Backlog(NaN), RangeError);
});
