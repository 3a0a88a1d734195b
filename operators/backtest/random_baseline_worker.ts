/**
 * A Worker of the random-entry baseline (random_baseline_parallel.ts): it keeps the setup
 * it is sent, then runs the seeds it takes from the shared counter at the rate it is sent
 * and posts their results back. It owns nothing: every run is rebuilt from the messages.
 */

/// <reference lib="deno.worker" />

import { NewsCalendar } from "../risk/mod.ts";
import type { RandomRunSetup } from "./random_baseline.ts";
import {
  type BaselineAnswer,
  type BaselineMessage,
  takeSeeds,
} from "./random_baseline_parallel.ts";

let setup: Omit<RandomRunSetup, "entryRate"> | null = null;

self.onmessage = (event: MessageEvent<BaselineMessage>) => {
  const message = event.data;
  if (message.kind === "setup") {
    const { calendarEvents } = message;
    const calendar = calendarEvents === null ? null : new NewsCalendar(calendarEvents);
    setup = { ...message.setup, calendar };
    return;
  }
  if (setup === null) throw new Error("a random-baseline worker was asked to run before its setup");
  const answer: BaselineAnswer = takeSeeds(
    { ...setup, entryRate: message.entryRate },
    message.seeds,
    message.counts,
  );
  self.postMessage(answer);
};
