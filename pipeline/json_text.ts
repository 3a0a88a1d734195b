/**
 * JSON as files and `--json` output write it: two-space indented, with binary floating-point
 * noise removed from every fractional number (-1007.3100000000002 is written -1007.31), so
 * a figure reads as a person would write it and still checks by hand. It rounds to 12
 * significant digits: far below a cent on any balance, far above the noise (about 1e-16
 * relative). Integers (times in microseconds, counts) are written as they are.
 */

/** A number without its binary noise: 12 significant digits. */
export function denoise(value: number): number {
  return Number.isInteger(value) || !Number.isFinite(value) ? value : Number(value.toPrecision(12));
}

/**
 * `value` as indented JSON with every fractional number denoised, ending in a newline.
 *
 * @example
 * roundedJson({ pnl: 0.1 + 0.2 }); // '{\n  "pnl": 0.3\n}\n'
 */
export function roundedJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => typeof v === "number" ? denoise(v) : v, 2) + "\n";
}
