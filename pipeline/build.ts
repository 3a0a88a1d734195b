/**
 * The one pipeline: a source of event batches, a chain of named stages, and sinks. The
 * same `runPipeline` runs a backtest replay, a paced demo and the live feed;
 * only what the composition root passes in differs.
 *
 * Each stage is an RxJS operator over batches. The pipeline reports every stage's and
 * sink's progress to the health registry and drops empty batches between stages. It
 * must never schedule per event or reorder events.
 */

import { filter, type Observable, type OperatorFunction, tap } from "rxjs";
import type { Sink } from "../sinks/sink.ts";
import type { EventBatch } from "./events.ts";
import type { ComponentHealth, HealthRegistry } from "./health.ts";
import { eventTimeUs } from "./replay.ts";

export interface Stage {
  readonly name: string;
  readonly operator: OperatorFunction<EventBatch, EventBatch>;
  /** The stage's own health handle, when it reports on itself (a supervised stage). */
  readonly health?: ComponentHealth;
}

export interface PipelineOptions {
  /** Names the source in health reports. */
  readonly sourceName: string;
  readonly source$: Observable<EventBatch>;
  readonly stages: readonly Stage[];
  readonly sinks: readonly Sink[];
  readonly health: HealthRegistry;
}

export interface PipelineRun {
  /** Resolves when the source completes and every sink has closed; rejects on the first error. */
  readonly done: Promise<void>;
  /** Stops reading and closes the sinks. */
  stop(): Promise<void>;
}

/** Wires and starts the pipeline. */
export function runPipeline(options: PipelineOptions): PipelineRun {
  const { health } = options;
  const observe = (name: string, own?: ComponentHealth) => {
    const component = own ?? health.register(name);
    return tap<EventBatch>({
      subscribe: () => component.report("ok", "running"),
      next: (batch) => {
        component.sawEvent(eventTimeUs(batch[batch.length - 1]));
        component.count("events", batch.length);
      },
      complete: () => component.report("stopped", "input finished"),
      error: (error) => component.report("failed", String((error as Error).message ?? error)),
    });
  };

  let stream = options.source$.pipe(
    filter((batch) => batch.length > 0),
    observe(options.sourceName),
  );
  for (const stage of options.stages) {
    stream = stream.pipe(
      stage.operator,
      filter((batch) => batch.length > 0),
      observe(stage.name, stage.health),
    );
  }

  const sinkHealth = options.sinks.map((sink) => health.register(sink.name));
  let closed = false;
  const closeSinks = async () => {
    if (closed) return;
    closed = true;
    for (const [i, sink] of options.sinks.entries()) {
      await sink.close();
      sinkHealth[i].report("stopped", "closed");
    }
  };

  let subscription: { unsubscribe(): void } | undefined;
  const done = new Promise<void>((resolve, reject) => {
    // Sinks write inside the stream, so a sink that throws fails the run instead of
    // being reported asynchronously by RxJS as an unhandled error.
    const written = stream.pipe(tap((batch) => {
      for (const [i, sink] of options.sinks.entries()) {
        sink.write(batch);
        sinkHealth[i].sawEvent(eventTimeUs(batch[batch.length - 1]));
        sinkHealth[i].count("events", batch.length);
      }
    }));
    subscription = written.subscribe({
      complete: () => closeSinks().then(resolve, reject),
      error: (error) => {
        for (const sink of options.sinks) sink.abort?.(error);
        closeSinks().finally(() => reject(error));
      },
    });
  });
  for (const component of sinkHealth) component.report("ok", "running");

  return {
    done,
    async stop() {
      subscription?.unsubscribe();
      await closeSinks();
    },
  };
}
