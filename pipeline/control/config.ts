/**
 * `GET /v1/config` and `PUT /v1/config`: the running configuration, validated by the
 * schema `serve` injects, versioned and persisted through a store. A PUT names the version
 * it replaces (optimistic concurrency): a stale version answers 409 and changes nothing.
 * Changes are serialised, so two PUTs of the same version never both win.
 */

import { Hono } from "hono";
import { z } from "zod";
import type { ControlEnv } from "./auth.ts";
import { describeIssues, httpError, readJson } from "./_http.ts";

export interface StoredConfig {
  /** 1 for the first stored config, then one more per change. */
  readonly version: number;
  readonly config: unknown;
}

/** Where config versions live (the journal's config table, in `serve`). */
export interface ConfigStore {
  /** The latest version, or null before the first. */
  latest(): StoredConfig | null | Promise<StoredConfig | null>;
  append(version: number, config: unknown, actor: string): void | Promise<void>;
}

export interface ConfigRoutesDeps {
  readonly schema: z.ZodType;
  readonly store: ConfigStore;
  /**
   * Puts a validated config in force before it is stored; throwing refuses the change
   * (nothing is stored) and answers 500.
   */
  readonly apply?: (config: unknown) => void | Promise<void>;
}

const putBody = z.object({
  /** The version this change replaces: 0 when no config is stored yet. */
  version: z.number().int().min(0),
  config: z.unknown(),
}).strict();

export function configRoutes(deps: ConfigRoutesDeps): Hono<ControlEnv> {
  let queue: Promise<unknown> = Promise.resolve();
  /** Runs `task` after every earlier change has finished, failed or not. */
  const serialised = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => {});
    return run;
  };

  return new Hono<ControlEnv>()
    .get("/v1/config", async (c) => {
      const latest = await deps.store.latest();
      return c.json({ version: latest?.version ?? 0, config: latest?.config ?? null });
    })
    .put("/v1/config", async (c) => {
      const body = await readJson(c, putBody, "config change");
      const parsed = deps.schema.safeParse(body.config);
      if (!parsed.success) throw httpError(400, describeIssues("config", parsed.error));
      return await serialised(async () => {
        const current = (await deps.store.latest())?.version ?? 0;
        if (body.version !== current) {
          return c.json({
            error:
              `the config version given is stale: version ${current} is in force; GET /v1/config and retry`,
            version: current,
          }, 409);
        }
        await deps.apply?.(parsed.data);
        await deps.store.append(current + 1, parsed.data, c.get("actor"));
        c.set("auditDetail", `config version ${current + 1} replaces ${current}`);
        return c.json({ version: current + 1, config: parsed.data });
      });
    });
}
