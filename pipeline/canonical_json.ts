/**
 * Canonical JSON: what the content hashes (a feature spec's, a meta model's primary, a
 * parameter set's and a sweep job's id) are taken over. Every object's keys are sorted and
 * keys whose value is `undefined` are left out, as `JSON.stringify` leaves them out, so
 * equal settings hash alike whatever their key order or how they were built. It must
 * never change its output for a value it already accepts: stored hashes name models and
 * files.
 */

/**
 * `value` as JSON without whitespace, every object's keys sorted.
 *
 * @example
 * ```ts
 * canonicalJson({ b: 1, a: [true, { d: undefined, c: "x" }] }); // '{"a":[true,{"c":"x"}],"b":1}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
