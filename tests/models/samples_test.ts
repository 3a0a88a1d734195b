/**
 * The class tallies trainers start from, on hand-made samples.
 * These tests must never read real data.
 */

import { deepStrictEqual } from "node:assert";
import { classMass, type Samples } from "@/models/samples.ts";

const samples = (y: number[], weight?: number[]): Samples => ({
  rows: y.length,
  nFeatures: 1,
  x: new Float32Array(y.length),
  y: Uint8Array.from(y),
  weight: weight === undefined ? undefined : Float32Array.from(weight),
});

Deno.test("classMass() counts the rows of each class when the samples carry no weights", () => {
  // Labels 0, 2, 2 over 3 classes: one down, no flat, two up.
  deepStrictEqual([...classMass(samples([0, 2, 2]), 3)], [1, 0, 2]);
});

Deno.test("classMass() sums the weights of each class on top of the pseudo-count it starts from", () => {
  // Start 1; class 0: 1 + 0.5 = 1.5; class 1: 1 + 2 + 0.25 = 3.25; class 2: 1 (no rows).
  deepStrictEqual([...classMass(samples([0, 1, 1], [0.5, 2, 0.25]), 3, 1)], [1.5, 3.25, 1]);
});
