/**
 * A Worker of the random-entry baseline (random_baseline_parallel.ts): it keeps the setup
 * it is sent, runs the pilot when asked (publishing the rate to every thread) or waits
 * for the rate, then runs the seeds it takes from the shared counter and posts their
 * results back. It owns nothing: every run is rebuilt from the messages.
 */

/// <reference lib="deno.worker" />

import { NewsCalendar } from "../risk/mod.ts";
import type { RandomRunSetup } from "./random_baseline.ts";
import {
  type BaselineAnswer,
  type BaselineMessage,
  pilotRate,
  publishedRate,
  publishRate,
  takeSeeds,
} from "./random_baseline_parallel.ts";

let setup: Omit<RandomRunSetup, "entryRate"> | null = null;

self.onmessage = async (event: MessageEvent<BaselineMessage>) => {
  const message = event.data;
  if (message.kind === "setup") {
    const { calendarEvents } = message;
    const calendar = calendarEvents === null ? null : new NewsCalendar(calendarEvents);
    setup = { ...message.setup, calendar };
    return;
  }
  if (setup === null) throw new Error("a random-baseline worker was asked to run before its setup");
  const { pilot, seeds, shared } = message;
  if (pilot !== null) publishRate(shared, pilotRate(setup, pilot.calibration, pilot.seed));
  const entryRate = await publishedRate(shared);
  const answer: BaselineAnswer = takeSeeds({ ...setup, entryRate }, seeds, shared);
  self.postMessage(answer);
};
