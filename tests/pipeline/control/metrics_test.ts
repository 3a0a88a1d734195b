import assert from "node:assert/strict";
import { escapeLabelValue, prometheusText } from "@/pipeline/control/metrics.ts";
import { createHealthRegistry } from "@/pipeline/health.ts";
import { authed, testApp } from "./_app.ts";

function registry() {
  let nowMs = 1_000;
  const health = createHealthRegistry({ now: () => nowMs });
  const feed = health.register("feed");
  feed.report("ok");
  feed.sawEvent(0);
  feed.count("bars", 3);
  health.register("models").report("degraded", "no shadow");
  nowMs = 3_500;
  return health;
}

Deno.test("prometheusText() writes HELP and TYPE lines, then the samples of each family", () => {
  const text = prometheusText(registry().snapshot(), "1.2.3");
  const states = (labels: string, current: string) =>
    ["ok", "idle", "starting", "degraded", "stopped", "failed"].map((s) =>
      `aigs_${labels}status="${s}"} ${s === current ? 1 : 0}`
    );
  assert.equal(
    text,
    [
      "# HELP aigs_build_info The running build; always 1.",
      "# TYPE aigs_build_info gauge",
      'aigs_build_info{version="1.2.3"} 1',
      "# HELP aigs_health_status Overall health: 1 for the current status (the worst component's), 0 for the others.",
      "# TYPE aigs_health_status gauge",
      ...states("health_status{", "degraded"),
      "# HELP aigs_component_status Component health: 1 for the component's current status, 0 for the others.",
      "# TYPE aigs_component_status gauge",
      ...states('component_status{component="feed",', "ok"),
      ...states('component_status{component="models",', "degraded"),
      "# HELP aigs_component_events_total Events counted by a component since start, by counter name.",
      "# TYPE aigs_component_events_total counter",
      'aigs_component_events_total{component="feed",counter="bars"} 3',
      "# HELP aigs_component_last_event_age_seconds Wall-clock seconds since the component last saw an event (absent before the first).",
      "# TYPE aigs_component_last_event_age_seconds gauge",
      'aigs_component_last_event_age_seconds{component="feed"} 2.5',
      "",
    ].join("\n"),
  );
});

Deno.test("escapeLabelValue() escapes backslash, double quote and line feed", () => {
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  const health = createHealthRegistry({ now: () => 0 });
  health.register('odd "name"\n').report("ok");
  assert.match(prometheusText(health.snapshot(), "x"), /component="odd \\"name\\"\\n"/);
});

Deno.test("GET /metrics answers the exposition text with its content type, behind the token", async () => {
  const { app } = testApp({ health: registry() });
  assert.equal((await app.request("/metrics")).status, 401);
  const res = await app.request("/metrics", authed());
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  assert.match(await res.text(), /^# HELP aigs_build_info/);
});
