/**
 * A Worker that runs a share of the random-entry baseline's seeds (random_baseline.ts)
 * and posts their results back. It owns nothing: every run is rebuilt from the message.
 */

/// <reference lib="deno.worker" />

import { NewsCalendar } from "../risk/mod.ts";
import { randomRun } from "./random_baseline.ts";
import type { BaselineJob } from "./random_baseline_parallel.ts";

self.onmessage = (event: MessageEvent<BaselineJob>) => {
  const { setup, calendarEvents, seeds } = event.data;
  const calendar = calendarEvents === null ? null : new NewsCalendar(calendarEvents);
  self.postMessage(seeds.map((seed) => randomRun({ ...setup, calendar }, seed)));
};
