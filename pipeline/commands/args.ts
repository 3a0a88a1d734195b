/**
 * Command-line parsing shared by every subcommand: flags are parsed strictly (an unknown
 * flag is an error, not ignored) and validated with zod, so a typo never runs a job with
 * a silently different setting.
 */

import { parseArgs } from "node:util";
import { z } from "zod";
import { isTimeframe, type Timeframe, US_PER_DAY, usFromIso } from "../events.ts";
import type { OpenSourceOptions } from "../../sources/mod.ts";
import { type Plausibility, plausibility } from "../plausibility.ts";
import { FORMATS } from "../../sources/source.ts";

/** A user error in the command line: printed as is, with the usage, and exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

type FlagSpec = Record<string, { type: "string" | "boolean"; multiple?: boolean }>;

/** Parses `argv` against `flags`; unknown flags and stray positionals are errors. */
export function parseFlags<T extends FlagSpec>(argv: string[], flags: T) {
  try {
    return parseArgs({ args: argv, options: flags, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Validates parsed flags with a zod schema, naming each bad flag in the error. */
export function validate<S extends z.ZodType>(schema: S, values: unknown): z.infer<S> {
  const result = schema.safeParse(values);
  if (!result.success) {
    throw new UsageError(
      result.error.issues.map((issue) => `--${issue.path.join(".")}: ${issue.message}`).join("; "),
    );
  }
  return result.data;
}

const isoTime = z.string().transform((text, ctx) => {
  try {
    return usFromIso(text);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
    return z.NEVER;
  }
});

export const timeframe = z.string().refine(isTimeframe, {
  message: "expected one of M1, M5, M15, M30, H1, H4, D1",
}).transform((tf) => tf as Timeframe);

/** Flags every file-reading command shares, and their schema. */
export const SOURCE_FLAGS = {
  data: { type: "string" },
  format: { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  "on-bad-line": { type: "string" },
  "server-time": { type: "string" },
  "histdata-clock": { type: "string" },
  "input-timeframe": { type: "string" },
  symbol: { type: "string" },
  "min-price": { type: "string" },
  "max-price": { type: "string" },
  "max-jump": { type: "string" },
  "max-ask-bid": { type: "string" },
  earliest: { type: "string" },
  latest: { type: "string" },
  "max-time-step-days": { type: "string" },
} as const;

const positive = z.coerce.number().positive().finite();

export const sourceSchema = z.object({
  data: z.string({ error: "is required: the market-data file to read" }).min(1),
  format: z.enum(FORMATS).optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
  "on-bad-line": z.enum(["fail", "skip"]).default("fail"),
  "server-time": z.string().regex(/^(us-dst|[+-]?\d{1,2})$/, {
    message: 'expected "us-dst" (UTC+2 winter / UTC+3 summer) or a fixed offset in hours such as 3',
  }).default("us-dst"),
  "histdata-clock": z.enum(["auto", "new-york", "new-york-eu-windows"]).default("auto"),
  "input-timeframe": timeframe.optional(),
  symbol: z.string().regex(/^[A-Za-z0-9._-]{1,32}$/).default("XAUUSD"),
  // Plausibility bounds (pipeline/plausibility.ts); absent, the documented defaults apply.
  "min-price": positive.optional(),
  "max-price": positive.optional(),
  "max-jump": positive.optional(),
  "max-ask-bid": z.coerce.number().min(1).finite().optional(),
  earliest: isoTime.optional(),
  latest: isoTime.optional(),
  "max-time-step-days": positive.optional(),
});

/** How to read the files, from the source flags: everything but the time window. */
export function readOptions(
  flags: Omit<z.infer<typeof sourceSchema>, "data" | "from" | "to">,
): OpenSourceOptions {
  const serverTime = flags["server-time"];
  const days = flags["max-time-step-days"];
  const bounds: Partial<Plausibility> = {
    minPrice: flags["min-price"],
    maxPrice: flags["max-price"],
    maxJump: flags["max-jump"],
    maxAskBid: flags["max-ask-bid"],
    earliestUs: flags.earliest,
    latestUs: flags.latest,
    maxTimeStepUs: days === undefined ? undefined : days * US_PER_DAY,
  };
  try {
    plausibility(bounds);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const given = Object.entries(bounds).filter(([, value]) => value !== undefined);
  return {
    format: flags.format,
    onBadLine: flags["on-bad-line"],
    serverTime: serverTime === "us-dst" ? "us-dst" : Number(serverTime),
    histdataClock: flags["histdata-clock"],
    timeframe: flags["input-timeframe"],
    symbol: flags.symbol,
    ...(given.length > 0 ? { plausibility: Object.fromEntries(given) } : {}),
  };
}

/**
 * The JSON file a flag names. Unreadable or malformed, it is a usage error naming the flag
 * and the file, never a bare "Unexpected token".
 */
export async function readJsonFlag(flag: string, path: string): Promise<unknown> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    throw new UsageError(`cannot read --${flag} "${path}": ${(error as Error).message}`);
  }
}

export function sourceOptions(flags: z.infer<typeof sourceSchema>): OpenSourceOptions {
  if (flags.from !== undefined && flags.to !== undefined && flags.from >= flags.to) {
    throw new UsageError("--from must be before --to");
  }
  return { ...readOptions(flags), fromUs: flags.from, toUs: flags.to };
}
