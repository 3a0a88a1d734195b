/**
 * Checks shared by the tree trainers at their edge: option values and the shape, labels
 * and weights of the samples. A trainer calls these first and then trusts its input.
 * They never repair a value: a bad one is a RangeError naming it.
 */

import type { Samples } from "../samples.ts";

/** `value` when it is an integer in [min, max], else a RangeError naming `name`. */
export function integerIn(name: string, value: number, min: number, max = Infinity): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Infinity ? `at least ${min}` : `in ${min}..${max}`;
    throw new RangeError(`Option "${name}" must be an integer ${range}, got ${value}`);
  }
  return value;
}

/** `value` when it is a number in (min, max] (or [min, max] when `minIncluded`). */
export function numberIn(
  name: string,
  value: number,
  min: number,
  max: number,
  minIncluded = false,
): number {
  const aboveMin = minIncluded ? value >= min : value > min;
  if (!(aboveMin && value <= max)) {
    const open = minIncluded ? "[" : "(";
    throw new RangeError(`Option "${name}" must be in ${open}${min}, ${max}], got ${value}`);
  }
  return value;
}

/**
 * Throws unless `samples` has consistent shapes, every label below `nClasses`, and
 * finite non-negative weights with a positive total; returns that total.
 */
export function checkSamples(what: string, samples: Samples, nClasses: number): number {
  const { rows, nFeatures, x, y, weight } = samples;
  if (rows < 1 || x.length !== rows * nFeatures || y.length !== rows) {
    throw new RangeError(
      `Cannot train on ${what} samples: ${rows} rows of ${nFeatures} features need ` +
        `x of ${rows * nFeatures} and y of ${rows}, got ${x.length} and ${y.length}`,
    );
  }
  for (let i = 0; i < rows; i++) {
    if (y[i] >= nClasses) {
      throw new RangeError(
        `Cannot train on ${what} samples: row ${i} has class ${y[i]}, classes are 0..${
          nClasses - 1
        }`,
      );
    }
  }
  if (!weight) return rows;
  if (weight.length !== rows) {
    throw new RangeError(
      `Cannot train on ${what} samples: ${weight.length} weights for ${rows} rows`,
    );
  }
  let total = 0;
  for (let i = 0; i < rows; i++) {
    if (!(weight[i] >= 0 && weight[i] < Infinity)) {
      throw new RangeError(`Cannot train on ${what} samples: row ${i} has weight ${weight[i]}`);
    }
    total += weight[i];
  }
  if (!(total > 0)) throw new RangeError(`Cannot train on ${what} samples: the weights sum to 0`);
  return total;
}
