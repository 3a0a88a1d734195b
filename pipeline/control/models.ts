/**
 * The model registry over HTTP: `POST /v1/models` uploads an ONNX model with its card from
 * a training machine and registers it as a candidate; `POST /v1/models/:id/promote` and
 * `POST /v1/models/rollback` move stages through the registry's gates. The registry checks
 * the bytes' SHA-256 against the card's id and the ONNX metadata's feature spec hash against
 * the card's; this file refuses, at upload, a model for another feature spec or input width
 * than the server runs, and has the server measure a model on its own data (the injected
 * `measure`) at upload and before every promotion: the gates judge that measurement, never
 * the card's figures, and a model that cannot be measured stays where it is, with the
 * reason in its history. It must never write a model file itself, move a stage around the
 * registry, or echo a request's value in an error.
 */

import { Hono } from "hono";
import type { Context } from "hono";
import { z } from "zod";
import { parseModelCard } from "../../models/card.ts";
import { INPUT_NAME } from "../../models/onnx/export.ts";
import { readOnnxInputs } from "../../models/onnx/metadata.ts";
import {
  type GateResult,
  type RegisteredModel,
  type Registry,
  RegistryError,
} from "../../models/registry.ts";
import type { Measurement } from "../../models/verification.ts";
import type { ControlEnv } from "./auth.ts";
import { httpError, readJson } from "./_http.ts";

/** The registry's operations the routes use (`Registry` itself, or a wrapper that reloads). */
export type ModelRegistryControl = Pick<
  Registry,
  "get" | "register" | "promote" | "rollback" | "judge" | "recordVerification"
>;

/** The feature spec the server computes: an upload for another is refused. */
export interface RunningSpec {
  readonly hash: string;
  /** Features per row, the width a model's input must have. */
  readonly features: number;
}

export interface ModelRoutesDeps {
  readonly registry: ModelRegistryControl;
  readonly runningSpec?: RunningSpec;
  /**
   * Measures a registered model on the server's own data. Without it no model is promoted
   * over HTTP: a card's figures are never enough.
   */
  readonly measure?: (model: RegisteredModel) => Promise<Measurement>;
  /** Where a failing measurement is reported; the caller hears only that it failed. */
  readonly logError?: (error: unknown) => void;
}

/** A measurement's outcome, as answered to the client and written to the model's history. */
interface Verification {
  readonly measured: boolean;
  readonly gate: GateResult | null;
  readonly reason: string;
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

/**
 * The model's input width, read from its ONNX graph: refused at upload when it is not the
 * running spec's feature count or its own card's.
 */
function checkInputWidth(bytes: Uint8Array, cardFeatures: number, running?: RunningSpec): void {
  let width: number | string | null | undefined;
  try {
    width = readOnnxInputs(bytes).find((input) => input.name === INPUT_NAME)?.dims[1];
  } catch (error) {
    throw httpError(
      400,
      `model upload: the ONNX bytes cannot be read: ${(error as Error).message}`,
    );
  }
  if (typeof width !== "number") {
    throw httpError(400, `model upload: the model has no "${INPUT_NAME}" input of fixed width`);
  }
  if (running !== undefined && width !== running.features) {
    throw httpError(
      400,
      `model upload: the model reads ${width} features per row; the server's feature spec has ${running.features}`,
    );
  }
  if (width !== cardFeatures) {
    throw httpError(
      400,
      `model upload: the model reads ${width} features per row; its card lists ${cardFeatures}`,
    );
  }
}

export function modelRoutes(deps: ModelRoutesDeps): Hono<ControlEnv> {
  const { registry } = deps;
  const reasonOf = async (c: Context<ControlEnv>, fallback: string) => {
    const { reason } = await readJson(c, reasonBody, "request", true);
    return `${reason ?? fallback} (${c.get("actor")})`;
  };
  // One measurement at a time: each scores thousands of rows on this process's threads.
  let measuring: Promise<unknown> = Promise.resolve();
  const measure = (model: RegisteredModel): Promise<Measurement> => {
    const run = measuring.then(async (): Promise<Measurement> => {
      if (deps.measure === undefined) {
        return { measured: false, reason: "this server holds no data to measure models on" };
      }
      try {
        return await deps.measure(model);
      } catch (error) {
        (deps.logError ?? console.error)(error);
        return { measured: false, reason: "the measurement failed; the server's log says why" };
      }
    });
    measuring = run.catch(() => {});
    return run;
  };
  /** Measures the model and writes the outcome to its history. */
  const verify = async (model: RegisteredModel, context: string) => {
    const measurement = await measure(model);
    const gate = measurement.measured ? registry.judge(measurement.folds) : null;
    const verification: Verification = {
      measured: measurement.measured,
      gate,
      reason: measurement.measured
        ? `${measurement.description}: ${gate!.reason}`
        : `not verified: ${measurement.reason}`,
    };
    registry.recordVerification(model.id, `${context}: ${verification.reason}`);
    return { measurement, verification };
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
      const running = deps.runningSpec;
      if (running !== undefined && card.featureSpec.hash !== running.hash) {
        throw httpError(
          400,
          `model upload: the card's feature spec ${
            shortHash(card.featureSpec.hash)
          } differs from the server's ${shortHash(running.hash)}`,
        );
      }
      checkInputWidth(upload.bytes, card.featureSpec.names.length, running);
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
      const model = refusedAs(
        400,
        () =>
          registry.register(upload.bytes, upload.card, {
            origin: "upload",
            reason: `uploaded by ${c.get("actor")}`,
          }),
      );
      const { verification } = await verify(model, "measured at upload");
      c.set(
        "auditDetail",
        `registered model ${model.id} as ${model.stage}: ${verification.reason}`,
      );
      return c.json({ id: model.id, stage: model.stage, verification }, 201);
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
      let model: RegisteredModel;
      try {
        model = registry.get(id.data);
      } catch (error) {
        if (!(error instanceof RegistryError)) throw error;
        throw httpError(404, "no model in the registry has that id (or the prefix is ambiguous)");
      }
      const reason = await reasonOf(c, "promoted over the control plane");
      const { measurement, verification } = await verify(model, "measured before promotion");
      if (!measurement.measured) {
        throw httpError(
          409,
          `Cannot promote ${shortHash(model.id)}: it could not be measured on this server's data (${
            verification.reason.replace(/^not verified: /, "")
          }); it stays ${model.stage}`,
        );
      }
      const promoted = refusedAs(
        409,
        () => registry.promote(model.id, reason, measurement.folds),
      );
      c.set("auditDetail", `promoted model ${model.id} to ${promoted.model.stage}: ${reason}`);
      return c.json({
        id: promoted.model.id,
        stage: promoted.model.stage,
        gate: promoted.gate,
        measured: measurement.description,
      });
    });
}
