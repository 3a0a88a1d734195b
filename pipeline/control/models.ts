/**
 * The model registry over HTTP: `POST /v1/models` uploads an ONNX model with its card from
 * a training machine and registers it as a candidate; `POST /v1/models/:id/promote` and
 * `POST /v1/models/rollback` move stages through the registry's gates. The registry does
 * the verifying (the bytes' SHA-256 against the card's id, the ONNX metadata's feature spec
 * hash against the card's); this file only adds the running spec. It must never write a
 * model file itself or move a stage around the registry.
 */

import { Hono } from "hono";
import type { Context } from "hono";
import { z } from "zod";
import { parseModelCard } from "../../models/card.ts";
import { type Registry, RegistryError } from "../../models/registry.ts";
import type { ControlEnv } from "./auth.ts";
import { httpError, readJson } from "./_http.ts";

/** The registry's operations the routes use (`Registry` itself, or a wrapper that reloads). */
export type ModelRegistryControl = Pick<Registry, "get" | "register" | "promote" | "rollback">;

export interface ModelRoutesDeps {
  readonly registry: ModelRegistryControl;
  /** The feature spec hash the server computes; an upload for another spec is refused. */
  readonly runningSpecHash?: string;
}

const shortHash = (hash: string) => `${hash.slice(0, 12)}…`;

const reasonBody = z.object({ reason: z.string().trim().min(1).max(500).optional() }).strict();

const modelId = z.string().regex(/^[0-9a-f]{8,64}$/, "8 to 64 lowercase hex digits");

const jsonUpload = z.object({
  card: z.record(z.string(), z.unknown()),
  /** The ONNX file, base64. */
  onnx: z.string().min(1),
}).strict();

interface Upload {
  readonly bytes: Uint8Array;
  readonly card: unknown;
}

function parseCardText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw httpError(400, 'model upload: the "card" part is not JSON');
  }
}

/**
 * The ONNX bytes and card of an upload: multipart/form-data with parts "onnx" (a file) and
 * "card" (JSON text or file), or JSON `{ "card": {...}, "onnx": "<base64>" }`.
 */
async function readUpload(c: Context): Promise<Upload> {
  const type = (c.req.header("content-type") ?? "").toLowerCase();
  if (type.startsWith("multipart/form-data")) {
    const form = await c.req.formData().catch(() => {
      throw httpError(400, "model upload: the multipart body cannot be parsed");
    });
    const onnx = form.get("onnx");
    const card = form.get("card");
    if (!(onnx instanceof File)) throw httpError(400, 'model upload: missing the "onnx" file part');
    if (card === null) throw httpError(400, 'model upload: missing the "card" part');
    return {
      bytes: new Uint8Array(await onnx.arrayBuffer()),
      card: parseCardText(typeof card === "string" ? card : await card.text()),
    };
  }
  if (type.startsWith("application/json")) {
    const body = await readJson(c, jsonUpload, "model upload");
    try {
      return { bytes: Uint8Array.fromBase64(body.onnx), card: body.card };
    } catch {
      throw httpError(400, 'model upload: "onnx" is not valid base64');
    }
  }
  throw httpError(
    400,
    "model upload: send multipart/form-data (onnx, card) or application/json { card, onnx: base64 }",
  );
}

/** Runs a registry call, answering its refusal as `status` with the registry's message. */
function refusedAs<T>(status: 400 | 404 | 409, call: () => T): T {
  try {
    return call();
  } catch (error) {
    if (error instanceof RegistryError) throw httpError(status, error.message);
    throw error;
  }
}

export function modelRoutes(deps: ModelRoutesDeps): Hono<ControlEnv> {
  const { registry } = deps;
  const reasonOf = async (c: Context<ControlEnv>, fallback: string) => {
    const { reason } = await readJson(c, reasonBody, "request", true);
    return `${reason ?? fallback} (${c.get("actor")})`;
  };

  return new Hono<ControlEnv>()
    .post("/v1/models", async (c) => {
      const upload = await readUpload(c);
      let card;
      try {
        card = parseModelCard(upload.card, "uploaded");
      } catch (error) {
        throw httpError(400, (error as Error).message);
      }
      if (deps.runningSpecHash !== undefined && card.featureSpec.hash !== deps.runningSpecHash) {
        throw httpError(
          400,
          `model upload: the card's feature spec ${
            shortHash(card.featureSpec.hash)
          } differs from the server's ${shortHash(deps.runningSpecHash)}`,
        );
      }
      const known = (() => {
        try {
          return registry.get(card.id);
        } catch (error) {
          if (error instanceof RegistryError) return null;
          throw error;
        }
      })();
      if (known !== null) {
        throw httpError(409, `model ${shortHash(card.id)} is already registered (${known.stage})`);
      }
      const model = refusedAs(400, () => registry.register(upload.bytes, upload.card));
      c.set("auditDetail", `registered model ${model.id} as ${model.stage}`);
      return c.json({ id: model.id, stage: model.stage }, 201);
    })
    .post("/v1/models/rollback", async (c) => {
      const reason = await reasonOf(c, "rolled back over the control plane");
      const model = refusedAs(409, () => registry.rollback(reason));
      c.set("auditDetail", `restored model ${model.id} to production: ${reason}`);
      return c.json({ id: model.id, stage: model.stage });
    })
    .post("/v1/models/:id/promote", async (c) => {
      const id = modelId.safeParse(c.req.param("id"));
      if (!id.success) {
        throw httpError(400, `the model id in the path must be ${id.error.issues[0].message}`);
      }
      refusedAs(404, () => registry.get(id.data));
      const reason = await reasonOf(c, "promoted over the control plane");
      const { model, gate } = refusedAs(409, () => registry.promote(id.data, reason));
      c.set("auditDetail", `promoted model ${model.id} to ${model.stage}: ${reason}`);
      return c.json({ id: model.id, stage: model.stage, gate });
    });
}
