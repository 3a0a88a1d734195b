/**
 * Component health: each source, operator and sink registers by name and reports what
 * it is doing, so `/health` and the dashboard answer "is it running, and is data flowing?".
 *
 * Two clocks, kept apart: `lastEventUs` is event time (what the data says, which lags in
 * a replay or over a weekend) and the wall clock, injected as `now`, records when the
 * component last saw an event. The age of the last event is measured on the wall clock,
 * so a stalled feed shows a growing age even while event time looks fresh.
 */

import { isoFromUs } from "@/pipeline/events.ts";

/** Statuses from best to worst; the overall status is the worst of the components'. */
export const HEALTH_STATUSES = ["ok", "idle", "starting", "degraded", "stopped", "failed"] as const;
export type HealthStatus = typeof HEALTH_STATUSES[number];

/** The handle a component keeps to report on itself. */
export interface ComponentHealth {
  readonly name: string;
  report(status: HealthStatus, detail?: string): void;
  /** Records the event time of the latest event handled, and when (wall clock) it was. */
  sawEvent(eventUs: number): void;
  /** Adds `by` (default 1) to a named counter, such as "bars" or "rejects". */
  count(counter: string, by?: number): void;
}

export interface ComponentSnapshot {
  readonly status: HealthStatus;
  readonly detail: string;
  /** ISO-8601 UTC event time of the last event, or null before the first. */
  readonly lastEventTime: string | null;
  /** Wall-clock seconds since the component last saw an event, or null before the first. */
  readonly lastEventAgeSeconds: number | null;
  readonly counters: Readonly<Record<string, number>>;
}

export interface HealthSnapshot {
  readonly status: HealthStatus;
  readonly components: Readonly<Record<string, ComponentSnapshot>>;
}

export interface HealthRegistry {
  /** Adds a component in status "starting"; a name registers once. */
  register(name: string): ComponentHealth;
  /** A plain JSON-ready view; with no components the status is "starting". */
  snapshot(nowMs?: number): HealthSnapshot;
}

export interface HealthRegistryOptions {
  /** Wall clock in ms; defaults to `Date.now`. */
  readonly now?: () => number;
}

/** Creates an empty registry; the composition root makes one and hands it to every component. */
export function createHealthRegistry(options: HealthRegistryOptions = {}): HealthRegistry {
  const now = options.now ?? Date.now;
  const components = new Map<string, ComponentState>();

  return {
    register(name) {
      if (components.has(name)) {
        throw new Error(`Cannot register health component "${name}": the name is already taken`);
      }
      const state: ComponentState = {
        status: "starting",
        detail: "",
        lastEventUs: null,
        lastSeenMs: null,
        counters: {},
      };
      components.set(name, state);
      return {
        name,
        report(status, detail = "") {
          state.status = status;
          state.detail = detail;
        },
        sawEvent(eventUs) {
          state.lastEventUs = eventUs;
          state.lastSeenMs = now();
        },
        count(counter, by = 1) {
          state.counters[counter] = (state.counters[counter] ?? 0) + by;
        },
      };
    },
    snapshot(nowMs = now()) {
      let overall: HealthStatus = components.size === 0 ? "starting" : "ok";
      const out: Record<string, ComponentSnapshot> = {};
      for (const [name, state] of components) {
        if (severity(state.status) > severity(overall)) overall = state.status;
        out[name] = {
          status: state.status,
          detail: state.detail,
          lastEventTime: state.lastEventUs === null ? null : isoFromUs(state.lastEventUs),
          // Clamped so a wall clock stepped backwards never shows a negative age.
          lastEventAgeSeconds: state.lastSeenMs === null
            ? null
            : Math.max(0, nowMs - state.lastSeenMs) / 1000,
          counters: { ...state.counters },
        };
      }
      return { status: overall, components: out };
    },
  };
}

interface ComponentState {
  status: HealthStatus;
  detail: string;
  lastEventUs: number | null;
  lastSeenMs: number | null;
  counters: Record<string, number>;
}

function severity(status: HealthStatus): number {
  return HEALTH_STATUSES.indexOf(status);
}
