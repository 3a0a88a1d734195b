/**
 * JSON as files and `--json` output write it: two-space indented, with binary floating-point
 * noise removed from every fractional number (-1007.3100000000002 is written -1007.31), so
 * a figure reads as a person would write it and still checks by hand. It rounds to 12
 * significant digits: far below a cent on any balance, far above the noise (about 1e-16
 * relative). Integers (times in microseconds, counts) are written as they are.
 */

/**
 * A number without its binary noise: 12 significant digits.
 *
 * Whole cents below 1e9 (most money in a report) are returned at once: such a value is
 * the double nearest to k / 100 with k of at most 11 digits, so its 12 significant digits
 * are k / 100's own and read back as the same double; the test is exact because the
 * division rounds k / 100 to its nearest double.
 */
export function denoise(value: number): number {
  if (Number.isInteger(value) || !Number.isFinite(value)) return value;
  if (Math.abs(value) < 1e9 && Math.round(value * 100) / 100 === value) return value;
  return Number(value.toPrecision(12));
}

/**
 * `value` as indented JSON with every fractional number denoised, ending in a newline.
 * The numbers are denoised in a copy first, so `JSON.stringify` runs without a replacer
 * (a callback for every value of a year's 7 MB report costs it about a third more).
 *
 * @example
 * roundedJson({ pnl: 0.1 + 0.2 }); // '{\n  "pnl": 0.3\n}\n'
 */
export function roundedJson(value: unknown): string {
  return JSON.stringify(denoisedCopy(value, ""), null, 2) + "\n";
}

/** `value` with every number denoised, read as `JSON.stringify` reads it (`toJSON` first). */
function denoisedCopy(value: unknown, key: string): unknown {
  if (typeof value === "number") return denoise(value);
  if (value === null || typeof value !== "object") return value;
  const json = (value as { toJSON?: (key: string) => unknown }).toJSON;
  if (typeof json === "function") return denoisedCopy(json.call(value, key), key);
  if (Array.isArray(value)) {
    const copy = new Array(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = denoisedCopy(value[i], String(i));
    return copy;
  }
  const copy: Record<string, unknown> = {};
  for (const name of Object.keys(value)) {
    copy[name] = denoisedCopy((value as Record<string, unknown>)[name], name);
  }
  return copy;
}
