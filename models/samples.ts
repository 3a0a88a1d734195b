/**
 * What a trainer learns from: float32 feature rows in time order with a class per row
 * (0 = down, 1 = flat, 2 = up) and optional weights. Time-aware code (labels, splits)
 * works on `Dataset` in dataset.ts; trainers see only `Samples` and so cannot peek at time.
 */

export interface Samples {
  readonly rows: number;
  readonly nFeatures: number;
  /** rows x nFeatures, row-major. */
  readonly x: Float32Array;
  readonly y: Uint8Array;
  /** Per-row weight; 1 when absent. */
  readonly weight?: Float32Array;
}

/** The rows at `index` (in that order) as a new `Samples`. */
export function takeRows(samples: Samples, index: ArrayLike<number>): Samples {
  const f = samples.nFeatures;
  const x = new Float32Array(index.length * f);
  const y = new Uint8Array(index.length);
  const weight = samples.weight ? new Float32Array(index.length) : undefined;
  for (let i = 0; i < index.length; i++) {
    const r = index[i];
    x.set(samples.x.subarray(r * f, (r + 1) * f), i * f);
    y[i] = samples.y[r];
    if (weight) weight[i] = samples.weight![r];
  }
  return { rows: index.length, nFeatures: f, x, y, weight };
}

/**
 * Each class's total weight (its row count when unweighted) in `samples`, over `classes`
 * classes, every class starting from `start` (a pseudo-count, e.g. 1 for add-one smoothing).
 */
export function classMass(samples: Samples, classes: number, start = 0): Float64Array {
  const mass = new Float64Array(classes).fill(start);
  for (let r = 0; r < samples.rows; r++) {
    mass[samples.y[r]] += samples.weight ? samples.weight[r] : 1;
  }
  return mass;
}
