/**
 * `spread-profile`: measures a tick file's spread by hour of the New York day (quotes,
 * median, 90th percentile, and the median rounded up to the cent that a spread model
 * charges) and prints the table docs/execution.md shows; `--json` also writes it with the
 * 24 model figures a broker profile's `"spread": { "model": "ny_hours", "byHour": [...] }`
 * takes. It only reads: it never changes a profile by itself.
 */

import { z } from "zod";
import { measureSpreadProfile } from "../../operators/execution/spread_profile.ts";
import { openSource } from "../../sources/mod.ts";
import { isoFromUs } from "../events.ts";
import { parseFlags, sourceOptions, sourceSchema, validate } from "./args.ts";
import { SPREAD_PROFILE } from "./usage.ts";

const schema = sourceSchema.extend({
  json: z.string().min(1).optional(),
});

const fixed = (value: number | null, digits = 3) => value === null ? "-" : value.toFixed(digits);

export async function spreadProfile(argv: string[]): Promise<void> {
  const flags = validate(schema, parseFlags(argv, SPREAD_PROFILE.flags));
  const source = await openSource(flags.data, sourceOptions(flags));
  const profile = await measureSpreadProfile(source);
  console.log(
    `spread by New York hour of ${source.path}: ${
      profile.quotes.toLocaleString("en-US")
    } quotes, ` +
      `${isoFromUs(profile.firstUs)} to ${isoFromUs(profile.lastUs)}`,
  );
  console.log(
    "| New York hour | quotes | median | 90th percentile | model (median, up to the cent) |",
  );
  console.log(
    "| ------------- | -----: | -----: | --------------: | -----------------------------: |",
  );
  for (const h of profile.hours) {
    const hour = `${String(h.hour).padStart(2, "0")}:00`;
    console.log(
      `| ${hour} | ${h.quotes.toLocaleString("en-US")} | ${fixed(h.median)} | ${fixed(h.p90)} | ${
        fixed(h.model, 2)
      } |`,
    );
  }
  if (flags.json !== undefined) {
    const byHour = profile.hours.map((h) => h.model);
    await Deno.writeTextFile(
      flags.json,
      JSON.stringify({ source: source.path, ...profile, byHour }, null, 2) + "\n",
    );
    console.log(`wrote ${flags.json}`);
  }
}
