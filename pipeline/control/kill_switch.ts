/**
 * `POST /v1/kill-switch` with `{ "on": boolean, "reason": string }`: halts (or resumes)
 * new trading through the risk engine's manual kill switch. A reason is required either
 * way, so the audit trail says why. It must never act on a body that fails validation.
 */

import { Hono } from "hono";
import { z } from "zod";
import type { ControlEnv } from "./auth.ts";
import { readJson } from "./_http.ts";

/** The risk engine's manual switch (`RiskEngine.killSwitch`). */
export type KillSwitch = (on: boolean, reason: string) => void | Promise<void>;

const killSwitchBody = z.object({
  on: z.boolean(),
  reason: z.string().trim().min(1, "a reason is required").max(500),
}).strict();

export function killSwitchRoutes(killSwitch: KillSwitch): Hono<ControlEnv> {
  return new Hono<ControlEnv>().post("/v1/kill-switch", async (c) => {
    const { on, reason } = await readJson(c, killSwitchBody, "kill switch request");
    await killSwitch(on, reason);
    c.set("auditDetail", `kill switch ${on ? "on" : "off"}: ${reason}`);
    return c.json({ on, reason });
  });
}
