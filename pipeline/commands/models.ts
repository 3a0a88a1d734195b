/**
 * `models`: the registry from the command line: list, show, promote (through the gates),
 * rollback. `--json` prints machine-readable output for scripts. It never edits a model
 * file; stage changes go through the registry, which records each with its reason.
 */

import { z } from "zod";
import { readOnnxMetadata } from "../../models/onnx/metadata.ts";
import { type RegisteredModel, Registry } from "../../models/registry.ts";
import { parseFlags, UsageError, validate } from "./args.ts";

const schema = z.object({
  registry: z.string().min(1).default("data/models"),
  json: z.boolean().default(false),
  reason: z.string().min(1).optional(),
});

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

export function models(argv: string[]): void {
  const [action, ...rest] = argv;
  const positional = rest[0] !== undefined && !rest[0].startsWith("--") ? rest.shift() : undefined;
  const flags = validate(
    schema,
    parseFlags(rest, {
      registry: { type: "string" },
      json: { type: "boolean" },
      reason: { type: "string" },
    }),
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
      default:
        throw new UsageError(
          `unknown action "${action ?? ""}"; expected list, show, promote or rollback`,
        );
    }
  } finally {
    registry.close();
  }
}
