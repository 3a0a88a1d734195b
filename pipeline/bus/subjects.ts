/**
 * Where each event travels on the bus and what identifies it: the subject (per kind and
 * symbol, or per account for orders and execution) and the message id, the event's
 * natural key, which JetStream dedupes on publish and consumers drop again on delivery.
 * docs/scale-out.md has the full table. Pure functions of the event: this module must
 * never look at a clock, a counter or anything else that would give one event two ids.
 */

import type { MarketEvent } from "../events.ts";

/** The account that orders and execution reports belong to when none is named. */
export const DEFAULT_ACCOUNT = "default";

/**
 * A name made safe for one subject token: NATS splits subjects on "." and reserves "*",
 * ">" and whitespace, so those become "_" (a broker suffix "XAUUSD.m" routes as
 * "XAUUSD_m"; the event itself keeps the real symbol).
 */
export function subjectToken(name: string): string {
  if (name.length === 0) throw new RangeError("Cannot route an empty symbol or account name");
  return name.replace(/[^A-Za-z0-9_-]/g, "_");
}

/** The subject an event is published on; `account` routes orders and execution reports. */
export function subjectOf(event: MarketEvent, account = DEFAULT_ACCOUNT): string {
  switch (event.kind) {
    case "tick":
      return `md.${subjectToken(event.symbol)}.tick`;
    case "bar":
      return `md.${subjectToken(event.symbol)}.bar.${event.timeframe}`;
    case "gap":
      return `md.${subjectToken(event.symbol)}.gap.${event.timeframe}`;
    case "features":
      return `feat.${subjectToken(event.symbol)}`;
    case "regime":
      return `regime.${subjectToken(event.symbol)}.${event.timeframe}`;
    case "prediction":
      return `pred.${subjectToken(event.symbol)}.${event.role}`;
    case "signal":
    case "risk":
      return `sig.${subjectToken(event.symbol)}`;
    case "order":
    case "pending":
      return `ord.${subjectToken(account)}`;
    case "fill":
    case "trade":
    case "account":
    case "rejection":
      return `exec.${subjectToken(account)}`;
    case "watermark":
      // On the subject of what it marks, so one consumer sees it after all of that.
      return event.component === "ingest"
        ? `md.${subjectToken(event.symbol)}.bar.M1`
        : `${event.component === "strategy" ? "ord" : "exec"}.${subjectToken(account)}`;
  }
}

/**
 * The event's natural key, prefixed by its kind so keys of different kinds sharing one
 * stream's dedupe window can never collide. Two events with the same id are the same
 * event sent twice.
 */
export function eventId(event: MarketEvent): string {
  switch (event.kind) {
    case "tick":
      return `tick|${event.symbol}|${event.timeUs}|${event.bid}|${event.ask}`;
    case "bar":
      return `bar|${event.symbol}|${event.timeframe}|${event.openUs}`;
    case "gap":
      return `gap|${event.symbol}|${event.timeframe}|${event.fromUs}`;
    case "features":
      return `features|${event.symbol}|${event.openUs}|${event.specHash}`;
    case "regime":
      return `regime|${event.symbol}|${event.timeframe}|${event.timeUs}`;
    case "prediction":
      return `prediction|${event.symbol}|${event.openUs}|${event.modelId}|${event.role}`;
    case "signal":
    case "risk":
      return `${event.kind}|${event.symbol}|${event.timeUs}`;
    case "order":
      return `order|${event.clientOrderId}`;
    case "pending":
      return `pending|${event.clientOrderId}`;
    case "rejection":
      return `rejection|${event.clientOrderId}`;
    case "fill":
      return `fill|${event.clientOrderId}|${event.action}|${event.positionId}`;
    case "trade":
      return `trade|${event.positionId}`;
    case "account":
      return `account|${event.timeUs}|${event.balance}|${event.equity}`;
    case "watermark":
      return `watermark|${event.component}|${event.symbol}|${event.timeUs}|${event.final}`;
  }
}

/**
 * Does `subject` fall under `filter`? NATS wildcards: "*" matches one token, ">" (last
 * token only) one or more.
 */
export function subjectMatches(filter: string, subject: string): boolean {
  const want = filter.split(".");
  const have = subject.split(".");
  for (let i = 0; i < want.length; i++) {
    if (want[i] === ">") return i === want.length - 1 && have.length > i;
    if (i >= have.length || (want[i] !== "*" && want[i] !== have[i])) return false;
  }
  return want.length === have.length;
}
