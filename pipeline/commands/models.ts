/**
 * `models`: the registry from the command line: list, show, promote (through the gates),
 * rollback, and push (upload a model to a running server's control plane).
 * `--json` prints machine-readable output for scripts. It never edits a model file;
 * stage changes go through the registry, which records each with its reason, and it
 * never prints the API token.
 */

import { z } from "zod";
import { readOnnxMetadata } from "../../models/onnx/metadata.ts";
import {
  checkGates,
  DEFAULT_GATES,
  type ModelEvent,
  type RegisteredModel,
  Registry,
} from "../../models/registry.ts";
import { roundedJson } from "../json_text.ts";
import { textTable } from "../text_table.ts";
import { clientApiToken, SECRET_ENV } from "../control/secrets.ts";
import { inputFile, parseFlags, UsageError, validate } from "./args.ts";
import { MODELS } from "./usage.ts";

const schema = z.object({
  registry: z.string().min(1).default("data/models"),
  json: z.boolean().default(false),
  reason: z.string().min(1).optional(),
  to: z.url({ protocol: /^https?$/, error: "expected the server's http(s):// URL" }).optional(),
  id: z.string().min(1).optional(),
  "token-file": inputFile.optional(),
});

type Flags = z.infer<typeof schema>;

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

export function openRegistry(dir: string): Registry {
  return Registry.open(dir, { readMetadata: readOnnxMetadata });
}

const minute = (iso: string) => iso.slice(0, 16).replace("T", " ");

/** The registry as a table: newest last, the gate result beside each model. */
export function modelsTable(models: readonly RegisteredModel[]): string {
  return textTable(
    ["id", "stage", "kind", "created (UTC)", "gates", "trained on (UTC)", "description"],
    models.map((m) => {
      const gate = checkGates(m.card, DEFAULT_GATES);
      const folds = gate.folds.filter((f) => f.pass).length;
      return [
        m.id.slice(0, 12),
        m.stage,
        m.card.task === "meta" ? "meta" : m.card.kind,
        minute(m.card.createdAt),
        `${gate.pass ? "pass" : "fail"} ${folds}/${gate.folds.length}`,
        `${minute(m.card.ranges.train.from).slice(0, 10)} .. ${
          minute(m.card.ranges.train.to).slice(0, 10)
        }`,
        m.card.description,
      ];
    }),
  );
}

/** One model for a person: what it is, what it was trained on, each fold against the baseline. */
export function modelText(model: RegisteredModel, events: readonly ModelEvent[]): string {
  const { card } = model;
  const gate = checkGates(card, DEFAULT_GATES);
  const h = card.hyperparameters as {
    members?: { type: string }[];
    method?: string;
    calibration?: string;
  };
  const facts: [string, string][] = [
    ["id", card.id],
    ["stage", model.stage],
    [
      "kind",
      `${card.kind}${h.members ? ` of ${h.members.map((m) => m.type).join(", ")}` : ""}${
        h.method ? `, ${h.method}` : ""
      }${h.calibration ? `, calibration ${h.calibration}` : ""}`,
    ],
    ["description", card.description || "-"],
    ["created", card.createdAt],
    [
      "feature spec",
      `${card.featureSpec.name} (${card.featureSpec.names.length} features, hash ${
        card.featureSpec.hash.slice(0, 12)
      }…)`,
    ],
    ["trained on", `${card.ranges.train.from} .. ${card.ranges.train.to}`],
    ["data", card.data.map((d) => `${d.file} (${d.rows.toLocaleString("en-US")} rows)`).join(", ")],
    ["gates", `${gate.pass ? "pass" : "fail"}: ${gate.reason}`],
    ["parent", card.parent ?? "-"],
    ["file", model.onnxPath],
  ];
  const width = Math.max(...facts.map(([k]) => k.length));
  const folds = textTable(
    ["fold", "test from (UTC)", "test to", "rows", "log loss", "baseline", "improvement", "gate"],
    card.metrics.folds.map((f, i) => [
      String(f.fold + 1),
      minute(f.test.from),
      minute(f.test.to),
      f.rows.toLocaleString("en-US"),
      f.logLoss.toFixed(4),
      f.baselineLogLoss.toFixed(4),
      `${(gate.folds[i].improvement * 100).toFixed(2)}%`,
      gate.folds[i].pass ? "pass" : "fail",
    ]),
  );
  const history = events.length === 0 ? "  (none)" : textTable(
    ["at (UTC)", "from", "to", "action", "reason"],
    events.map((e) => [minute(e.at), e.from ?? "-", e.to, e.action, e.reason]),
    "  ",
  );
  return [
    ...facts.map(([k, v]) => `${k.padEnd(width)}  ${v}`),
    "",
    "walk-forward folds, out of sample (log loss against the class-prior baseline):",
    folds,
    "",
    "stage history:",
    history,
  ].join("\n");
}

/**
 * Uploads a registered model (verified as `load` verifies it: bytes against the id, spec
 * hash in the ONNX metadata) to a server's `POST /v1/models`, where it becomes a candidate.
 */
/** What the server answered an upload: the stage, and whether it could measure the model. */
interface Pushed {
  readonly id: string;
  readonly stage: string;
  readonly verification?: { readonly measured: boolean; readonly reason: string };
}

async function push(registry: Registry, flags: Flags): Promise<Pushed> {
  if (flags.to === undefined) throw new UsageError("push needs --to URL (the server)");
  if (flags.id === undefined) throw new UsageError("push needs --id ID (the model)");
  const token = await clientApiToken(flags["token-file"]);
  if (token === null) {
    throw new UsageError(`push needs --token-file FILE or ${SECRET_ENV.apiToken} set`);
  }
  const model = registry.get(flags.id);
  const { bytes, card } = registry.load(model.id, model.card.featureSpec.hash);
  const form = new FormData();
  // Read from a file, so backed by a plain ArrayBuffer, as Blob requires.
  form.append("onnx", new Blob([bytes as Uint8Array<ArrayBuffer>]), `${model.id}.onnx`);
  form.append("card", JSON.stringify(card));
  const url = new URL("v1/models", flags.to.endsWith("/") ? flags.to : `${flags.to}/`);
  if (url.protocol === "http:" && !LOOPBACK.has(url.hostname)) {
    console.error(`warning: the API token goes to ${url.host} unencrypted; use https`);
  }
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}` },
      body: form,
    });
  } catch (error) {
    throw new Error(
      `Cannot push model ${model.id.slice(0, 12)}… to ${url}: ${(error as Error).message}`,
    );
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(
      `Cannot push model ${
        model.id.slice(0, 12)
      }… to ${url}: the server answered ${response.status}: ${body.error ?? response.statusText}`,
    );
  }
  return { id: body.id, stage: body.stage, verification: body.verification };
}

export async function models(argv: string[]): Promise<void> {
  const [action, ...rest] = argv;
  const positional = rest[0] !== undefined && !rest[0].startsWith("--") ? rest.shift() : undefined;
  const flags = validate(
    schema,
    parseFlags(rest, MODELS.flags),
  );
  const registry = openRegistry(flags.registry);
  const print = (value: unknown, text: string) =>
    console.log(flags.json ? roundedJson(value).trimEnd() : text);
  try {
    switch (action) {
      case "list": {
        const all = registry.list();
        return print(
          all.map((m) => ({
            id: m.id,
            stage: m.stage,
            kind: m.card.kind,
            createdAt: m.card.createdAt,
          })),
          all.length === 0
            ? `no models in ${flags.registry} (deno task train makes one)`
            : modelsTable(all),
        );
      }
      case "show": {
        if (!positional) throw new UsageError("show needs a model ID");
        const model = registry.get(positional);
        const events = registry.events(model.id);
        return print({ ...model, events }, modelText(model, events));
      }
      case "promote": {
        if (!positional) throw new UsageError("promote needs a model ID");
        const { model, gate } = registry.promote(positional, flags.reason);
        return print(
          { id: model.id, stage: model.stage, gate },
          `${model.id} is now ${model.stage}: ${gate.reason}`,
        );
      }
      case "rollback": {
        const model = registry.rollback(flags.reason);
        return print({ id: model.id, stage: model.stage }, `${model.id} is back in production`);
      }
      case "push": {
        const pushed = await push(registry, flags);
        return print(
          { ...pushed, to: flags.to },
          `${pushed.id} uploaded to ${flags.to}: registered there as ${pushed.stage}${
            pushed.verification ? `; ${pushed.verification.reason}` : ""
          }`,
        );
      }
      default:
        throw new UsageError(
          `unknown action "${action ?? ""}"; expected list, show, promote, rollback or push`,
        );
    }
  } finally {
    registry.close();
  }
}
