/**
 * `GET /metrics`: the health registry in the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/): one HELP and TYPE line
 * per metric family, then its samples, label values escaped. Component statuses are a
 * state set (1 for the current status, 0 for the others). Beside it, the refusals the
 * control plane and the EA's TCP port counted. It only reads.
 */

import { Hono } from "hono";
import { HEALTH_STATUSES, type HealthRegistry, type HealthSnapshot } from "../health.ts";
import type { ControlEnv } from "./auth.ts";
import type { RefusalLog } from "./refusals.ts";

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** A label value with backslash, double quote and line feed escaped, as the format demands. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labels(pairs: Record<string, string>): string {
  const text = Object.entries(pairs).map(([name, value]) => `${name}="${escapeLabelValue(value)}"`)
    .join(",");
  return text === "" ? "" : `{${text}}`;
}

/** A sample value as Prometheus parses it (Go float syntax for the infinities). */
function sampleValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

interface Family {
  readonly name: string;
  readonly type: "gauge" | "counter";
  readonly help: string;
  readonly samples: ReadonlyArray<readonly [Record<string, string>, number]>;
}

function family({ name, type, help, samples }: Family): string {
  return [
    `# HELP ${name} ${help}`,
    `# TYPE ${name} ${type}`,
    ...samples.map(([pairs, value]) => `${name}${labels(pairs)} ${sampleValue(value)}`),
  ].join("\n");
}

/** The refusal counters, as metric families. */
function refusalFamilies(refusals: RefusalLog): Family[] {
  return [
    {
      name: "aigs_http_refusals_total",
      type: "counter",
      help: "Requests refused since start, by HTTP status (401, 403, 429).",
      samples: [...refusals.counts()].map(([status, n]) =>
        [{ status: String(status) }, n] as const
      ),
    },
    {
      name: "aigs_audit_refusals_not_written_total",
      type: "counter",
      help: "Refusals left out of the audit trail by its rate limit since start.",
      samples: [[{}, refusals.notWrittenTotal]],
    },
  ];
}

/** The exposition text of a health snapshot, the running build's version and refusals. */
export function prometheusText(
  snapshot: HealthSnapshot,
  version: string,
  refusals?: RefusalLog,
): string {
  const components = Object.entries(snapshot.components);
  const stateSet = (status: string, extra: Record<string, string> = {}) =>
    HEALTH_STATUSES.map((s) => [{ ...extra, status: s }, s === status ? 1 : 0] as const);
  const families: Family[] = [
    {
      name: "aigs_build_info",
      type: "gauge",
      help: "The running build; always 1.",
      samples: [[{ version }, 1]],
    },
    {
      name: "aigs_health_status",
      type: "gauge",
      help: "Overall health: 1 for the current status (the worst component's), 0 for the others.",
      samples: stateSet(snapshot.status),
    },
    {
      name: "aigs_component_status",
      type: "gauge",
      help: "Component health: 1 for the component's current status, 0 for the others.",
      samples: components.flatMap(([component, c]) => stateSet(c.status, { component })),
    },
    {
      name: "aigs_component_events_total",
      type: "counter",
      help: "Events counted by a component since start, by counter name.",
      samples: components.flatMap(([component, c]) =>
        Object.entries(c.counters).map(([counter, value]) =>
          [{ component, counter }, value] as const
        )
      ),
    },
    {
      name: "aigs_component_last_event_age_seconds",
      type: "gauge",
      help: "Wall-clock seconds since the component last saw an event (absent before the first).",
      samples: components.flatMap(([component, c]) =>
        c.lastEventAgeSeconds === null ? [] : [[{ component }, c.lastEventAgeSeconds] as const]
      ),
    },
    ...(refusals ? refusalFamilies(refusals) : []),
  ];
  return families.map(family).join("\n") + "\n";
}

export function metricsRoutes(
  health: HealthRegistry,
  version: string,
  refusals?: RefusalLog,
): Hono<ControlEnv> {
  return new Hono<ControlEnv>().get(
    "/metrics",
    (c) =>
      c.body(prometheusText(health.snapshot(), version, refusals), 200, {
        "Content-Type": PROMETHEUS_CONTENT_TYPE,
      }),
  );
}
