/**
 * `models`: the registry from the command line: list, show, promote (through the gates),
 * rollback, and push (upload a model to a running server's control plane).
 * `--json` prints machine-readable output for scripts. It never edits a model file;
 * stage changes go through the registry, which records each with its reason, and it
 * never prints the API token.
 */

import { z } from "zod";
import { readOnnxMetadata } from "../../models/onnx/metadata.ts";
import { type RegisteredModel, Registry } from "../../models/registry.ts";
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

function line(model: RegisteredModel): string {
  const folds = model.card.metrics.folds;
  const beat = folds.filter((f) => f.logLoss < f.baselineLogLoss).length;
  return `${model.id.slice(0, 16)}  ${model.stage.padEnd(10)} ${
    model.card.kind.padEnd(8)
  } ${model.card.createdAt}  ` +
    `beats prior on ${beat}/${folds.length} folds  ${model.card.description}`;
}

/**
 * Uploads a registered model (verified as `load` verifies it: bytes against the id, spec
 * hash in the ONNX metadata) to a server's `POST /v1/models`, where it becomes a candidate.
 */
async function push(registry: Registry, flags: Flags): Promise<{ id: string; stage: string }> {
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
  return { id: body.id, stage: body.stage };
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
    console.log(flags.json ? JSON.stringify(value, null, 2) : text);
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
          all.length === 0 ? `no models in ${flags.registry}` : all.map(line).join("\n"),
        );
      }
      case "show": {
        if (!positional) throw new UsageError("show needs a model ID");
        const model = registry.get(positional);
        const events = registry.events(model.id);
        return print(
          { ...model, events },
          `${line(model)}\n${JSON.stringify(model.card, null, 2)}\nhistory:\n${
            events.map((e) => `  ${e.at} ${e.from ?? "-"} -> ${e.to} (${e.action}): ${e.reason}`)
              .join("\n")
          }`,
        );
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
          `${pushed.id} uploaded to ${flags.to}: registered there as ${pushed.stage}`,
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
