/**
 * Broker profiles: the trader's own terms in one validated document, copied from the
 * terminal's symbol specification (contract, digits, lots, leverage, margin call and
 * stop-out levels, stops level, swaps, commission) plus the spread to assume for bid-only
 * data. The simulated broker, risk sizing and margin checks, fusion's levels and the
 * reports all read the one profile a run is given (`execution.broker` in the trading
 * config, or `--broker FILE`). A bad profile fails before any bar is replayed, with the
 * field and the file named; it must never fall back to a default field by field.
 */

import { z } from "zod";
import {
  checkSymbolSpec,
  type SymbolSpec,
  symbolSpecShape,
  XAUUSD,
} from "../../pipeline/symbols.ts";
import { DEFAULT_NY_HOUR_SPREADS, SpreadModel } from "./quotes.ts";

/** "HH:MM", 24-hour, as minutes after midnight. */
export const wallClock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "expected HH:MM (24-hour)")
  .transform((text) => Number(text.slice(0, 2)) * 60 + Number(text.slice(3)));

const spreadValue = z.number().nonnegative().max(100);

const spreadSession = z.strictObject({
  from: wallClock.describe("New York wall-clock start of the window, inclusive"),
  to: wallClock.describe("New York wall-clock end of the window, exclusive; before `from` wraps"),
  spread: spreadValue.describe("spread in price units inside the window"),
});

const sessions = z.array(spreadSession).default([]).describe(
  "New York time-of-day windows with their own spread; the first holding the bar's open wins",
);

/** The spread assumed for bars that carry neither ask prices nor a spread column. */
export const spreadModelSchema = z.discriminatedUnion("model", [
  z.strictObject({
    model: z.literal("default_ny_hours").describe(
      "the median OANDA spread of each New York hour (docs/execution.md)",
    ),
    sessions,
  }),
  z.strictObject({
    model: z.literal("ny_hours"),
    byHour: z.array(spreadValue).length(24).describe(
      "24 spreads in price units, for New York hours 00:00 to 23:00",
    ),
    sessions,
  }),
  z.strictObject({
    model: z.literal("fixed"),
    spread: spreadValue.describe("one spread in price units at every hour"),
    sessions,
  }),
], {
  error: (issue) =>
    issue.code === "invalid_union"
      ? `unknown spread model ${
        JSON.stringify((issue.input as { model?: unknown } | undefined)?.model)
      }; expected "default_ny_hours", "ny_hours" or "fixed"`
      : undefined,
});
export type SpreadModelConfig = z.infer<typeof spreadModelSchema>;

export const brokerProfileSchema = z.strictObject({
  name: z.string().min(1).max(200).describe("what this profile is, for reports"),
  ...symbolSpecShape,
  spread: spreadModelSchema.describe("the spread for bid-only data"),
}).superRefine(checkSymbolSpec);

export type BrokerProfile = z.output<typeof brokerProfileSchema>;
export type BrokerProfileInput = z.input<typeof brokerProfileSchema>;

/** The profile every run uses unless given one: the XAUUSD defaults and the measured spreads. */
export const DEFAULT_BROKER_PROFILE: BrokerProfile = Object.freeze({
  name: "default: XAUUSD raw-spread account at 1:100 (pipeline/symbols.ts)",
  ...XAUUSD,
  spread: { model: "default_ny_hours", sessions: [] },
}) as BrokerProfile;

/**
 * Validates a profile; the error names the origin (a file, or the config section) and
 * every bad field with its value, as a trader can fix it.
 */
export function parseBrokerProfile(value: unknown, origin: string): BrokerProfile {
  const result = brokerProfileSchema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.join(".") || "(profile)";
    const got = valueAt(value, issue.path);
    return `${field}: ${issue.message}${
      got === undefined || issue.code === "invalid_union" ? "" : ` (got ${JSON.stringify(got)})`
    }`;
  });
  throw new TypeError(`Broker profile ${origin} is invalid: ${problems.join("; ")}`);
}

/**
 * Reads and validates a profile file (JSON); errors name the file. Returns the profile as
 * written (times as "HH:MM"), for a config's `execution.broker`, which parses it again.
 */
export async function readBrokerProfile(path: string): Promise<BrokerProfileInput> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new TypeError(
      `Cannot read broker profile "${path}": ${(error as Error).message}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TypeError(`Broker profile "${path}" is not JSON: ${(error as Error).message}`);
  }
  parseBrokerProfile(value, `"${path}"`);
  return value as BrokerProfileInput;
}

/** The contract part of a profile. */
export function specOf(profile: BrokerProfile): SymbolSpec {
  const { name: _name, spread: _spread, ...spec } = profile;
  return spec;
}

/** The profile's spread for bid-only data as a model the broker and risk can ask. */
export function spreadModelOf(profile: BrokerProfile): SpreadModel {
  const s = profile.spread;
  const base = s.model === "default_ny_hours"
    ? DEFAULT_NY_HOUR_SPREADS
    : s.model === "ny_hours"
    ? s.byHour
    : s.spread;
  return new SpreadModel(
    base,
    s.sessions.map((w) => ({ fromMinute: w.from, toMinute: w.to, spread: w.spread })),
  );
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at = value;
  for (const key of path) {
    if (typeof at !== "object" || at === null) return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}
