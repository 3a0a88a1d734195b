import assert from "node:assert/strict";
import type { ModelEvent, RegisteredModel } from "@/models/registry.ts";
import { modelsTable, modelText } from "@/pipeline/commands/models.ts";
import { cardFor, onnxModel } from "../control/_models.ts";

/** Two registered models: one whose folds beat the baseline by 1 %, one by 0.1 % (below 0.2 %). */
function models(): RegisteredModel[] {
  return [[1, 0.01, "production"], [2, 0.001, "candidate"]].map(([seed, improvement, stage]) => {
    const card = cardFor(onnxModel(seed as number), improvement as number);
    return { id: card.id, stage, card, onnxPath: `models/${card.id}.onnx` } as RegisteredModel;
  });
}

Deno.test("modelsTable() lists each model with headers and its gate result", () => {
  const [good, weak] = models();
  const lines = modelsTable([good, weak]).split("\n");
  assert.match(
    lines[0],
    /^id\s+stage\s+kind\s+created \(UTC\)\s+gates\s+trained on \(UTC\)\s+description$/,
  );
  assert.match(lines[1], /^-+\s+-+/);
  assert.match(
    lines[2],
    new RegExp(
      `^${
        good.id.slice(0, 12)
      }\\s+production\\s+linear\\s+2026-11-25 12:00\\s+pass 3/3\\s+2017-01-01 \\.\\. 2017-12-31\\s+test model$`,
    ),
  );
  assert.match(lines[3], /candidate .* fail 0\/3 /);
});

Deno.test("modelText() shows the card as facts and a fold table, never as raw JSON", () => {
  const [good] = models();
  const events: ModelEvent[] = [{
    seq: 1,
    id: good.id,
    from: null,
    to: "candidate",
    action: "register",
    at: "2026-11-25T12:00:00Z",
    reason: "trained",
  }];
  const text = modelText(good, events);
  assert.doesNotMatch(text, /[{}]/);
  assert.match(
    text,
    /^gates\s+pass: 3 of 3 folds beat the class-prior log loss by 0\.20% or more/m,
  );
  // Fold 1 of 3: log loss 0.99 against the baseline's 1.00 is 1.00 % better.
  assert.match(
    text,
    /^\s+1\s+2017-06-01 00:00\s+2017-07-01 00:00\s+100\s+0\.9900\s+1\.0000\s+1\.00%\s+pass$/m,
  );
  assert.match(text, /2026-11-25 12:00\s+-\s+candidate\s+register\s+trained/);
});
