/**
 * The economic calendar for the news blackout: a CSV reader and a time index.
 *
 * Format (UTF-8, one event per line, `#` lines are comments, blank lines ignored):
 * ```
 * time_utc,currency,impact,title
 * 2024-03-08T13:30:00Z,USD,high,Non-Farm Employment Change
 * ```
 * `time_utc` is ISO-8601 with an explicit `Z`; `currency` an upper-case ISO code;
 * `impact` one of low, medium, high; `title` is the rest of the line (it may hold commas,
 * and may be a CSV quoted field).
 * Each line is validated with zod and a bad one fails the whole file, naming the file and
 * line: a calendar that silently loses events is worse than none. This module must never
 * read a clock: `now` is always an argument.
 */

import { z } from "zod";
import { US_PER_MINUTE, usFromIso } from "../../pipeline/events.ts";
import { BadInputError } from "../../pipeline/errors.ts";

export const NEWS_CALENDAR_HEADER = "time_utc,currency,impact,title";
export const NEWS_IMPACTS = ["low", "medium", "high"] as const;
export type NewsImpact = typeof NEWS_IMPACTS[number];

export interface NewsEvent {
  readonly timeUs: number;
  readonly currency: string;
  readonly impact: NewsImpact;
  readonly title: string;
}

/** Which events block trading, and for how long around each. */
export interface BlackoutWindow {
  readonly beforeMinutes: number;
  readonly afterMinutes: number;
  readonly currencies: readonly string[];
  readonly impacts: readonly NewsImpact[];
}

/** Does the text start with a real date (Date.parse accepts 2024-02-30 as 1 March)? */
function isCalendarDate(text: string): boolean {
  const ms = Date.parse(text.slice(0, 10));
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === text.slice(0, 10);
}

const rowSchema = z.object({
  time_utc: z.string()
    .regex(
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?Z$/,
      "expected ISO-8601 UTC with a Z, such as 2024-03-08T13:30:00Z",
    )
    .refine(isCalendarDate, "not a calendar date")
    .refine((text) => Number(text.slice(11, 13)) < 24, "hour must be 00 to 23"),
  currency: z.string().regex(/^[A-Z]{3}$/, "expected an upper-case ISO currency code, such as USD"),
  impact: z.enum(NEWS_IMPACTS, {
    error: (issue) =>
      `unknown impact ${JSON.stringify(issue.input)}; expected one of ${NEWS_IMPACTS.join(", ")}`,
  }),
  title: z.string().min(1, "title is empty"),
});

/** Events in time order, searchable by instant. */
export class NewsCalendar {
  readonly events: readonly NewsEvent[];

  constructor(events: readonly NewsEvent[]) {
    this.events = [...events].sort((a, b) => a.timeUs - b.timeUs);
  }

  /** The first and last event times: outside them the calendar knows nothing. */
  get coverage(): { readonly fromUs: number; readonly toUs: number } | null {
    if (this.events.length === 0) return null;
    return { fromUs: this.events[0].timeUs, toUs: this.events[this.events.length - 1].timeUs };
  }

  /**
   * The first event whose blackout [time - before, time + after) holds `nowUs`, or null.
   */
  blackoutAt(nowUs: number, window: BlackoutWindow): NewsEvent | null {
    const fromUs = nowUs - window.afterMinutes * US_PER_MINUTE;
    const toUs = nowUs + window.beforeMinutes * US_PER_MINUTE;
    for (let i = this.firstAfter(fromUs); i < this.events.length; i++) {
      const event = this.events[i];
      if (event.timeUs > toUs) break;
      if (window.currencies.includes(event.currency) && window.impacts.includes(event.impact)) {
        return event;
      }
    }
    return null;
  }

  /** Index of the first event strictly after `timeUs` (binary search). */
  private firstAfter(timeUs: number): number {
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.events[mid].timeUs <= timeUs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** A title written as a CSV quoted field ("a, b" with "" for a quote) loses its quotes. */
function unquote(title: string): string {
  return title.length >= 2 && title.startsWith('"') && title.endsWith('"')
    ? title.slice(1, -1).replaceAll('""', '"')
    : title;
}

/** Parses calendar CSV text; `file` names it in errors. */
export function parseNewsCalendar(text: string, file: string): NewsCalendar {
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  const events: NewsEvent[] = [];
  let header = false;
  for (const [i, raw] of lines.entries()) {
    const line = raw.replace(/\r$/, "");
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    if (!header) {
      if (trimmed !== NEWS_CALENDAR_HEADER) {
        throw new BadInputError(file, i + 1, `expected the header "${NEWS_CALENDAR_HEADER}"`, line);
      }
      header = true;
      continue;
    }
    const fields = trimmed.split(",");
    if (fields.length < 4) {
      throw new BadInputError(file, i + 1, `expected 4 fields (${NEWS_CALENDAR_HEADER})`, line);
    }
    const row = {
      time_utc: fields[0].trim(),
      currency: fields[1].trim(),
      impact: fields[2].trim(),
      title: unquote(fields.slice(3).join(",").trim()),
    };
    const result = rowSchema.safeParse(row);
    if (!result.success) {
      const problems = result.error.issues.map((issue) =>
        `${issue.path.join(".")}: ${issue.message}`
      );
      throw new BadInputError(file, i + 1, problems.join("; "), line);
    }
    const { time_utc, currency, impact, title } = result.data;
    events.push({ timeUs: usFromIso(time_utc), currency, impact, title });
  }
  if (!header) throw new BadInputError(file, null, `no header "${NEWS_CALENDAR_HEADER}"`);
  return new NewsCalendar(events);
}

/** Reads a calendar CSV file. */
export async function readNewsCalendar(path: string): Promise<NewsCalendar> {
  return parseNewsCalendar(await Deno.readTextFile(path), path);
}
