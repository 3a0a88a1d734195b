/**
 * Tests for pipeline/workers.ts: the one-shot Worker call settles on the answer after the
 * messages on the way, rejects with what the reader throws or with the named crash, and
 * the default worker count is the cores between 1 and 4.
 */

import assert from "node:assert/strict";
import { callWorker, defaultWorkers } from "@/pipeline/workers.ts";

/** A module Worker from source text: it runs `body` with `request` and `say` in scope. */
function script(body: string): URL {
  const text = `self.onmessage = (e) => { const request = e.data; ` +
    `const say = (m) => self.postMessage(m); ${body} };`;
  return new URL(`data:application/javascript,${encodeURIComponent(text)}`);
}

type Message = { kind: "progress"; line: string } | { kind: "done"; value: number };

Deno.test("callWorker() passes messages on the way and resolves with the answer", async () => {
  const lines: string[] = [];
  const answer = await callWorker(
    script(`say({ kind: "progress", line: "half" }); say({ kind: "done", value: request * 2 });`),
    21,
    {
      read: (m: Message) => {
        if (m.kind === "done") return m.value;
        lines.push(m.line);
        return undefined;
      },
      crashed: "the test worker crashed",
    },
  );
  // The worker doubles the request: 21 x 2 = 42, after one progress line.
  assert.equal(answer, 42);
  assert.deepEqual(lines, ["half"]);
});

Deno.test("callWorker() rejects with what read() throws", async () => {
  await assert.rejects(
    callWorker(script(`say("out of memory");`), null, {
      read: (m: string) => {
        throw new Error(m);
      },
      crashed: "the test worker crashed",
    }),
    /^Error: out of memory$/,
  );
});

Deno.test("callWorker() names the Worker when it crashes", async () => {
  await assert.rejects(
    callWorker(script(`throw new Error("boom");`), null, {
      read: (m: unknown) => m,
      crashed: "the test worker crashed",
    }),
    /^Error: the test worker crashed: .*boom/,
  );
});

Deno.test("defaultWorkers() is one per core, at least 1, at most 4", () => {
  // An own property over Navigator.prototype's getter, deleted again after each call.
  const withCores = (n: number) => {
    Object.defineProperty(navigator, "hardwareConcurrency", { value: n, configurable: true });
    try {
      return defaultWorkers();
    } finally {
      delete (navigator as { hardwareConcurrency?: number }).hardwareConcurrency;
    }
  };
  assert.equal(withCores(2), 2);
  assert.equal(withCores(16), 4);
  assert.equal(withCores(0), 1);
});
