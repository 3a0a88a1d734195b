/**
 * `POST /v1/components/:name/enable|disable`: turns a pipeline stage on or off at run time
 * through the controller `serve` injects. An unknown name answers 404 and changes nothing.
 */

import { Hono } from "hono";
import type { ControlEnv } from "./auth.ts";
import { httpError } from "./_http.ts";

/** A component an operator may switch, and whether it is on. */
export interface ComponentState {
  readonly name: string;
  readonly enabled: boolean;
}

export interface ComponentController {
  /** Whether `name` is a component this process can enable or disable. */
  has(name: string): boolean;
  /** Every such component with its state, for the dashboard's switches. */
  list(): readonly ComponentState[];
  setEnabled(name: string, enabled: boolean): void | Promise<void>;
}

export function componentRoutes(controller: ComponentController): Hono<ControlEnv> {
  return new Hono<ControlEnv>().post(
    "/v1/components/:name/:action{enable|disable}",
    async (c) => {
      const name = c.req.param("name");
      if (!controller.has(name)) throw httpError(404, "no component by that name");
      const enabled = c.req.param("action") === "enable";
      await controller.setEnabled(name, enabled);
      c.set("auditDetail", `${name} ${enabled ? "enabled" : "disabled"}`);
      return c.json({ component: name, enabled });
    },
  );
}
