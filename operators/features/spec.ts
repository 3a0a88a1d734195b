/**
 * The feature spec: the one declarative, versioned list of features (name, indicator,
 * parameters, timeframe, scaling) that training, backtest and live all compute from.
 * Its content hash identifies it: a model records the hash it was trained with and is
 * refused when the running spec's hash differs. Specs from files are validated with zod.
 * This module describes features; it must never compute one.
 */

import { createHash } from "node:crypto";
import { z } from "zod";
import { canonicalJson } from "../../pipeline/canonical_json.ts";
import { TIMEFRAMES } from "../../pipeline/events.ts";
import { FEATURE_KINDS, type FeatureKind } from "./catalogue.ts";

export const FEATURE_SPEC_VERSION = 1 as const;

const featureSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, "snake_case, starting with a letter"),
  timeframe: z.enum(TIMEFRAMES, {
    error: (issue) =>
      `unknown timeframe ${JSON.stringify(issue.input)}; expected one of ${TIMEFRAMES.join(", ")}`,
  }),
  kind: z.enum(Object.keys(FEATURE_KINDS) as [keyof typeof FEATURE_KINDS], {
    error: (issue) =>
      `unknown kind ${JSON.stringify(issue.input)}; expected one of ${
        Object.keys(FEATURE_KINDS).join(", ")
      }`,
  }),
  /** Indicator parameters, such as `{ "period": 14 }`; the kind says which it takes. */
  params: z.record(z.string(), z.number()).default({}),
  /** Which output of a multi-output indicator; the kind's first output by default. */
  output: z.string().optional(),
  /**
   * Normalisation, so a feature means the same at $1,200 and at $4,400 gold: `none`,
   * `close` (divide by the bar's close: a relative value) or `atr` (divide by ATR(14) of
   * the same timeframe: distances in ATRs).
   */
  scale: z.enum(["none", "close", "atr"]).default("none"),
});

export const featureSpecSchema = z.strictObject({
  version: z.literal(FEATURE_SPEC_VERSION),
  name: z.string().min(1),
  description: z.string().default(""),
  /** Where H4 and D1 bars start: UTC midnight or 17:00 New York (the gold trading day). */
  dayStart: z.enum(["utc", "new-york-17"]).default("new-york-17"),
  features: z.array(featureSchema).min(1),
}).superRefine((spec, ctx) => {
  const seen = new Set<string>();
  for (const [i, feature] of spec.features.entries()) {
    if (seen.has(feature.name)) {
      ctx.addIssue({
        code: "custom",
        path: ["features", i, "name"],
        message: `duplicate feature name "${feature.name}"`,
      });
    }
    seen.add(feature.name);
    const kind: FeatureKind = FEATURE_KINDS[feature.kind];
    const output = feature.output ?? kind.outputs[0];
    if (!kind.outputs.includes(output)) {
      ctx.addIssue({
        code: "custom",
        path: ["features", i, "output"],
        message: `"${feature.kind}" has outputs ${kind.outputs.join(", ")}, not "${output}"`,
      });
    }
    const unknown = Object.keys(feature.params).filter((param) => !kind.params.includes(param));
    for (const param of unknown) {
      ctx.addIssue({
        code: "custom",
        path: ["features", i, "params", param],
        message: `"${feature.kind}" takes ${kind.params.join(", ") || "no parameters"}`,
      });
    }
    if (unknown.length === 0) {
      // Building the computer checks the values (a period of 0, MACD fast >= slow) now,
      // naming the feature, rather than when the engine starts.
      try {
        kind.make(feature.params, new Float64Array(kind.outputs.length), 0);
      } catch (error) {
        ctx.addIssue({
          code: "custom",
          path: ["features", i, "params"],
          message: `feature "${feature.name}": ${(error as Error).message}`,
        });
      }
    }
  }
});

export type FeatureSpec = z.infer<typeof featureSpecSchema>;
export type FeatureDef = FeatureSpec["features"][number];

/**
 * SHA-256 of everything that changes the numbers: version, day start and the features
 * with their outputs resolved. The name and description are labels and do not count.
 */
export function specHash(spec: FeatureSpec): string {
  const features = spec.features.map((f) => ({
    ...f,
    output: f.output ?? (FEATURE_KINDS[f.kind] as FeatureKind).outputs[0],
  }));
  const content = canonicalJson({ version: spec.version, dayStart: spec.dayStart, features });
  return createHash("sha256").update(content).digest("hex");
}

/** Validates a spec from outside (a file, a model card), naming each problem. */
export function parseFeatureSpec(value: unknown, origin: string): FeatureSpec {
  const result = featureSpecSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((issue) =>
      `${issue.path.join(".")}: ${issue.message}`
    );
    throw new TypeError(`Feature spec ${origin} is invalid: ${problems.join("; ")}`);
  }
  return result.data;
}

export async function loadFeatureSpec(path: string): Promise<FeatureSpec> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new TypeError(`Cannot read feature spec "${path}": ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TypeError(`Feature spec "${path}" is not JSON: ${(error as Error).message}`);
  }
  return parseFeatureSpec(json, `"${path}"`);
}
