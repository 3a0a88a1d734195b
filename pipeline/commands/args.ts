/**
 * Command-line parsing shared by every subcommand: flags are parsed strictly (an unknown
 * flag is an error with a "did you mean", not ignored) and validated with zod, so a typo
 * never runs a job with a silently different setting. Every error names the flag and the
 * value given, and files are checked before any work: an input that is missing or a
 * directory, an output whose folder does not exist, are refused up front.
 */

import { parseArgs } from "node:util";
import { dirname } from "node:path";
import { z } from "zod";
import { isoFromUs, isTimeframe, type Timeframe, US_PER_DAY, usFromIso } from "../events.ts";
import { looksBinary } from "../errors.ts";
import { issueText } from "../issues.ts";
import { parseJsonc } from "../jsonc.ts";
import type { OpenSourceOptions } from "../../sources/mod.ts";
import { type Plausibility, plausibility } from "../plausibility.ts";
import { FORMATS } from "../../sources/source.ts";
import { defaultReadCacheDir } from "../../sources/read_cache.ts";
import { closest } from "./_suggest.ts";
import { type FlagSpec, SOURCE_FLAGS } from "./usage.ts";

export { SOURCE_FLAGS };

/** A user error in the command line: printed as is, with the usage, and exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The message of one node:util parseArgs error, in our words. */
function parseArgsMessage(error: Error & { code?: string }, flags: FlagSpec): string {
  const option = /'(-[^' ]*)/.exec(error.message)?.[1];
  switch (error.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION": {
      const name = (option ?? "").replace(/^-+/, "").replace(/=.*$/, "");
      const near = closest(name, Object.keys(flags));
      return `unknown flag ${option}${
        near !== null
          ? `: did you mean --${near}?`
          : `; the flags are ${Object.keys(flags).map((f) => `--${f}`).join(", ")}`
      }`;
    }
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return /does not take an argument/.test(error.message)
        ? `${option} is a switch and takes no value`
        : `${option} needs a value, e.g. ${option} VALUE`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL": {
      const value = /'([^']*)'/.exec(error.message)?.[1] ?? "";
      return `unexpected argument "${value}": every value goes after its flag (e.g. --data FILE)`;
    }
    default:
      return error.message;
  }
}

/** Parses `argv` against `flags`; unknown flags and stray positionals are errors. */
export function parseFlags<T extends FlagSpec>(argv: string[], flags: T) {
  try {
    return parseArgs({ args: argv, options: flags, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(parseArgsMessage(error as Error, flags));
  }
}

/** `--flag "value"` for an issue of the parsed flags, the value as the user typed it. */
function flagSubject(path: readonly PropertyKey[], values: unknown): string {
  const name = String(path[0] ?? "");
  let value = (values as Record<string, unknown> | null)?.[name];
  if (Array.isArray(value) && typeof path[1] === "number") value = value[path[1]];
  return typeof value === "string" ? `--${name} "${value}"` : `--${name}`;
}

/** zod's own messages start with a capital ("Invalid input", "Too big"); ours never do. */
const isZodDefault = (message: string) => /^[A-Z]/.test(message);

/** Validates parsed flags with a zod schema, naming each bad flag and its value in the error. */
export function validate<S extends z.ZodType>(schema: S, values: unknown): z.infer<S> {
  const result = schema.safeParse(values);
  if (!result.success) {
    throw new UsageError(
      result.error.issues.map((issue) => {
        const subject = flagSubject(issue.path, values);
        if (isZodDefault(issue.message)) return issueText(issue, { subject });
        return /^(is|cannot|does) /.test(issue.message)
          ? `${subject} ${issue.message}`
          : `${subject}: ${issue.message}`;
      }).join("; "),
    );
  }
  return result.data;
}

/** Whether `path` names an existing directory. */
export function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** Whether something other than a directory is at `path` (a file where a folder is wanted). */
export function isNonDirectory(path: string): boolean {
  try {
    return !Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** Why `path` cannot be read as a file, or null when it can. */
export function inputFileProblem(path: string): string | null {
  try {
    return Deno.statSync(path).isDirectory ? "is a directory, not a file" : null;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "does not exist";
    if (error instanceof Deno.errors.PermissionDenied) return "cannot be read (permission denied)";
    return `cannot be read: ${(error as Error).message}`;
  }
}

/**
 * Why a file cannot be written at `path`, or null: it is a directory, or its folder does
 * not exist. Checked before any work, so a long job never fails at its last step.
 */
export function outputFileProblem(path: string): string | null {
  try {
    if (Deno.statSync(path).isDirectory) return "is a directory; give a file name inside it";
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      return `cannot be written: ${(error as Error).message}`;
    }
  }
  const folder = dirname(path);
  try {
    if (!Deno.statSync(folder).isDirectory) return `cannot be written: "${folder}" is a file`;
  } catch (error) {
    return error instanceof Deno.errors.NotFound
      ? `cannot be written: its folder "${folder}" does not exist (mkdir -p ${folder})`
      : `cannot be written: ${(error as Error).message}`;
  }
  return null;
}

/** A file the command reads: it must exist and not be a directory. */
export const inputFile = z.string().min(1).superRefine((path, ctx) => {
  const problem = inputFileProblem(path);
  if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
});

/** A file the command writes: its folder must exist and it must not be a directory. */
export const outputFile = z.string().min(1).superRefine((path, ctx) => {
  const problem = outputFileProblem(path);
  if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
});

/** Throws a usage error naming `flag` when `path` cannot be written. */
export function checkOutputFile(flag: string, path: string): void {
  const problem = outputFileProblem(path);
  if (problem !== null) throw new UsageError(`--${flag} "${path}" ${problem}`);
}

const ISO_RULE = "expected an ISO-8601 UTC time such as 2017-01-02 or 2017-01-02T18:00:00Z";

/** An ISO time flag, kept as the text given (checked here, so a bad one names its flag). */
export const isoTimeText = z.string().refine((text) => {
  try {
    usFromIso(text);
    return true;
  } catch {
    return false;
  }
}, ISO_RULE);

/** An ISO time flag as epoch µs. */
const isoTime = isoTimeText.transform((text) => usFromIso(text));

export const timeframe = z.string().refine(isTimeframe, {
  message: "expected one of M1, M5, M15, M30, H1, H4, D1",
}).transform((tf) => tf as Timeframe);

const positive = z.coerce.number().positive().finite();

export const sourceSchema = z.object({
  data: z.string({ error: "is required: the market-data file to read" }).pipe(inputFile),
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

/** The source flags of commands that read several files (`--data` repeated) in time order. */
export const multiSourceSchema = sourceSchema.omit({ data: true, from: true, to: true }).extend({
  data: z.array(inputFile).min(1, "is required: one or more market-data files, in time order"),
  from: isoTimeText.optional(),
  to: isoTimeText.optional(),
});

/** The read cache's flags (sources/read_cache.ts), for a command's schema to extend with. */
export const readCacheFlags = {
  "no-cache": z.boolean().default(false),
  "cache-dir": z.string().min(1).optional(),
};

/**
 * The read cache's folder the flags name: `--cache-dir`, else the default one (none when
 * there is no home to put it in), nothing with `--no-cache`; both given is a usage error.
 */
export function readCacheDir(
  flags: { readonly "no-cache": boolean; readonly "cache-dir"?: string },
): string | undefined {
  if (flags["cache-dir"] !== undefined && flags["no-cache"]) {
    throw new UsageError("give --cache-dir DIR or --no-cache, not both");
  }
  if (flags["no-cache"]) return undefined;
  return flags["cache-dir"] ?? defaultReadCacheDir() ?? undefined;
}

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
 * The JSON (or JSONC: comments and trailing commas allowed) file a flag names. Missing, a
 * directory or malformed, it is a usage error naming the flag, the file and the line,
 * never a bare "Unexpected token".
 */
export function readJsonFlag(flag: string, path: string): Promise<unknown> {
  return readJsonFile(path, `--${flag} "${path}"`);
}

/** As readJsonFlag, for a file `named` otherwise in messages: one a config file names. */
export async function readJsonFile(path: string, named: string): Promise<unknown> {
  const problem = inputFileProblem(path);
  if (problem !== null) throw new UsageError(`${named} ${problem}`);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new UsageError(`cannot read ${named}: ${(error as Error).message}`);
  }
  if (looksBinary(text.slice(0, 4096))) {
    throw new UsageError(`${named} is a binary file, not JSON`);
  }
  try {
    return parseJsonc(text);
  } catch (error) {
    throw new UsageError(`${named} is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * Refuses a window that ends where or before it starts, naming both ends: `--from` and
 * `--to` as the text given (`multiSourceSchema`) or as µs (`sourceSchema`).
 */
export function checkWindow(
  flags: { readonly from?: string | number; readonly to?: string | number },
): void {
  const { from, to } = flags;
  if (from === undefined || to === undefined) return;
  const us = (time: string | number) => typeof time === "number" ? time : usFromIso(time);
  const shown = (time: string | number) => typeof time === "number" ? isoFromUs(time) : time;
  if (us(from) >= us(to)) {
    throw new UsageError(`--from "${shown(from)}" must be before --to "${shown(to)}"`);
  }
}

export function sourceOptions(flags: z.infer<typeof sourceSchema>): OpenSourceOptions {
  checkWindow(flags);
  return { ...readOptions(flags), fromUs: flags.from, toUs: flags.to };
}
