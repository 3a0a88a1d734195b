import assert from "node:assert/strict";
import { withoutFolders } from "@/pipeline/control/public_health.ts";

Deno.test("withoutFolders() keeps a path's file name and leaves other slashes alone", async (t) => {
  const cases: [string, string][] = [
    ["/srv/aigs/data/x.csv:12: price is not finite", "x.csv:12: price is not finite"],
    ['no model in "data/models/x.onnx"', 'no model in "x.onnx"'],
    ["reading ./data/a.csv and ../b/c.csv.gz", "reading a.csv and c.csv.gz"],
    ["C:\\Users\\me\\x.csv:3: bad", "x.csv:3: bad"],
    ["~/data/x.csv failed", "x.csv failed"],
    ["a/b/c", "c"],
    ["bid/ask sides, 1/2 of the bars", "bid/ask sides, 1/2 of the bars"],
    ["connected to nats://127.0.0.1:4222", "connected to nats://127.0.0.1:4222"],
  ];
  for (const [text, expected] of cases) {
    await t.step(text, () => assert.equal(withoutFolders(text), expected));
  }
});
