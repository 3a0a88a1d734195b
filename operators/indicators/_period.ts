/**
 * Argument checks shared by the indicator constructors, so a bad period fails at
 * construction with a message naming the indicator, never as NaN values later.
 * Private to this folder; it must never hold indicator math.
 */

/** Throws a RangeError unless `value` is an integer of at least `min`; returns it. */
export function checkPeriod(indicator: string, name: string, value: number, min = 1): number {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(
      `Cannot create ${indicator}: "${name}" must be an integer >= ${min}, got "${value}"`,
    );
  }
  return value;
}
