import assert from "node:assert/strict";
import { createHealthRegistry, type HealthStatus } from "@/pipeline/health.ts";
import { usFromIso } from "@/pipeline/events.ts";

Deno.test("createHealthRegistry() reports starting while nothing is registered", () => {
  assert.deepEqual(createHealthRegistry().snapshot(0), { status: "starting", components: {} });
});

Deno.test("HealthRegistry.register() starts a component in status starting", () => {
  const registry = createHealthRegistry();
  registry.register("journal");
  assert.deepEqual(registry.snapshot(0).components.journal, {
    status: "starting",
    detail: "",
    lastEventTime: null,
    lastEventAgeSeconds: null,
    counters: {},
  });
});

Deno.test("HealthRegistry.register() refuses a name twice", () => {
  const registry = createHealthRegistry();
  registry.register("journal");
  assert.throws(() => registry.register("journal"), {
    message: 'Cannot register health component "journal": the name is already taken',
  });
});

Deno.test("HealthRegistry.snapshot() ages the last event on the injected wall clock", () => {
  let nowMs = 1_000_000;
  const registry = createHealthRegistry({ now: () => nowMs });
  const source = registry.register("csv");
  source.report("ok", "replaying 2024");
  source.sawEvent(usFromIso("2024-03-04T10:15:00Z") + 250);
  source.count("bars", 500);
  source.count("bars");
  nowMs += 2_500;

  assert.deepEqual(registry.snapshot(), {
    status: "ok",
    components: {
      csv: {
        status: "ok",
        detail: "replaying 2024",
        lastEventTime: "2024-03-04T10:15:00.000250Z",
        lastEventAgeSeconds: 2.5,
        counters: { bars: 501 },
      },
    },
  });
  assert.equal(registry.snapshot(nowMs + 500).components.csv.lastEventAgeSeconds, 3);
  assert.equal(registry.snapshot(0).components.csv.lastEventAgeSeconds, 0);
});

Deno.test("HealthRegistry.snapshot() copies counters so later counts do not change it", () => {
  const registry = createHealthRegistry();
  const sink = registry.register("journal");
  sink.count("batches");
  const before = registry.snapshot(0);
  sink.count("batches");
  assert.deepEqual(before.components.journal.counters, { batches: 1 });
});

Deno.test("HealthRegistry.snapshot() takes the worst component status as overall", async (t) => {
  const cases: [HealthStatus[], HealthStatus][] = [
    [["ok", "ok"], "ok"],
    [["ok", "idle"], "idle"],
    [["idle", "starting"], "starting"],
    [["starting", "degraded", "ok"], "degraded"],
    [["degraded", "stopped"], "stopped"],
    [["failed", "ok", "stopped"], "failed"],
  ];
  for (const [statuses, overall] of cases) {
    await t.step(`${statuses.join(" + ")} is ${overall}`, () => {
      const registry = createHealthRegistry();
      statuses.forEach((status, i) => registry.register(`c${i}`).report(status));
      assert.equal(registry.snapshot(0).status, overall);
    });
  }
});

Deno.test("HealthRegistry.snapshot() is plain JSON", () => {
  const registry = createHealthRegistry({ now: () => 0 });
  const component = registry.register("bars");
  component.sawEvent(0);
  const snapshot = registry.snapshot(1_000);
  assert.deepEqual(JSON.parse(JSON.stringify(snapshot)), snapshot);
});
