/**
 * The trading config described from its zod schemas (`tradingConfigFileSchema`): every
 * setting's path, type, bounds, default and description, rendered two ways from the one
 * source: the commented JSONC file `deno task init` writes, and docs/config-reference.md.
 * Run as a script it rewrites that reference (`deno task config-reference`); a test
 * checks the committed file is what the schemas say. It never invents a default: a
 * setting whose default depends on the run (fusion with or without a model, the news rule
 * with or without a calendar) is written commented out.
 */

import { DEFAULT_BROKER_PROFILE } from "../../operators/execution/mod.ts";
import { inputJsonSchema } from "../issues.ts";
import { tradingConfigFileSchema } from "./strategy.ts";

/** The slice of JSON Schema zod emits for these schemas. */
interface Node {
  type?: string;
  description?: string;
  default?: unknown;
  properties?: Record<string, Node>;
  anyOf?: Node[];
  items?: Node;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  format?: string;
  pattern?: string;
  /** `z.never()`: a key that is refused, such as a setting that moved elsewhere. */
  not?: unknown;
}

/** One setting: a leaf of the config (a value, a list, or a free-form object). */
export interface ConfigField {
  readonly path: readonly string[];
  readonly type: string;
  /** Undefined when the setting has no default (it is optional). */
  readonly default: unknown;
  readonly bounds: string;
  readonly description: string;
}

/** A section or object of settings: its path and description, for headings and comments. */
export interface ConfigGroup {
  readonly path: readonly string[];
  readonly description: string;
}

/** The default broker profile: what `execution.broker` stands for when it is left out. */
const BROKER_DEFAULTS: Readonly<Record<string, unknown>> = DEFAULT_BROKER_PROFILE;

const SAFE = Number.MAX_SAFE_INTEGER;

function typeOf(node: Node): string {
  if (node.anyOf) return node.anyOf.map(typeOf).join(" | ");
  if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (node.const !== undefined) return JSON.stringify(node.const);
  if (node.type === "array") return `list of ${node.items ? typeOf(node.items) : "values"}`;
  if (node.type === "object") return "object";
  return node.type ?? "any";
}

function boundsOf(node: Node): string {
  const parts: string[] = [];
  for (const inner of node.anyOf ?? [node]) {
    if (inner.exclusiveMinimum !== undefined) parts.push(`> ${inner.exclusiveMinimum}`);
    if (inner.minimum !== undefined && inner.minimum > -SAFE) parts.push(`>= ${inner.minimum}`);
    if (inner.maximum !== undefined && inner.maximum < SAFE) parts.push(`<= ${inner.maximum}`);
    if (inner.exclusiveMaximum !== undefined) parts.push(`< ${inner.exclusiveMaximum}`);
    if (inner.minItems !== undefined && inner.minItems > 0) {
      parts.push(`at least ${inner.minItems} item${inner.minItems === 1 ? "" : "s"}`);
    }
    if (inner.format !== undefined) parts.push(`a ${inner.format}`);
  }
  return parts.join(", ");
}

/** Is this node a group of named settings (rather than a value, a list or a free map)? */
const isGroup = (node: Node) => node.type === "object" && node.properties !== undefined;

/** Every group and setting of the trading config, in schema order. */
export function configOutline(): { groups: ConfigGroup[]; fields: ConfigField[] } {
  const root = inputJsonSchema(tradingConfigFileSchema) as Node;
  const groups: ConfigGroup[] = [];
  const fields: ConfigField[] = [];
  const walk = (node: Node, path: string[]) => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const at = [...path, key];
      // A refused key (it moved: execution.symbol into the broker profile) is no setting.
      if (child.not !== undefined) continue;
      if (isGroup(child)) {
        groups.push({ path: at, description: child.description ?? "" });
        walk(child, at);
        continue;
      }
      const brokerDefault = path.join(".") === "execution.broker"
        ? BROKER_DEFAULTS[key]
        : undefined;
      fields.push({
        path: at,
        type: typeOf(child),
        // A list without a declared default is an optional list: none means empty.
        default: "default" in child
          ? child.default
          : brokerDefault ?? (child.type === "array" ? [] : undefined),
        bounds: boundsOf(child),
        description: child.description ?? "",
      });
    }
  };
  walk(root, []);
  return { groups, fields };
}

const inline = (value: unknown) => JSON.stringify(value);

/** The reference as Markdown: a table per group, every setting with its default. */
export function configReference(): string {
  const { groups, fields } = configOutline();
  const escape = (text: string) => text.replaceAll("|", "\\|");
  const lines = [
    "# Trading config reference",
    "",
    "Every setting of the trading config (`--config FILE` of `backtest`, `serve`, `optimize` and",
    "`ea-sim`; `PUT /v1/config`), generated from the zod schemas that validate it, so it cannot",
    "drift from the code: `deno task config-reference` rewrites this file and a test checks it.",
    "The file may be JSON or JSONC (comments and trailing commas); `deno task init` writes a",
    "commented one. A setting left out takes its default; an unknown key is refused with the",
    "nearest known one. Prices are in price units (USD per ounce), money in account currency.",
    "",
    "Two defaults depend on the run. Without a model the strategy starts from the technical-only",
    "preset (weights 1/0/0, gate 0.5), with a model from the fused defaults below; a `fusion`",
    "section is layered over that start, so one that only moves the levels keeps its weights and",
    "gate. The news blackout (`risk.news.enabled`) is on exactly when `--news` gives a calendar.",
  ];
  const sections = [{ path: [] as string[], description: "" }, ...groups];
  for (const group of sections) {
    const own = fields.filter((f) =>
      f.path.length === group.path.length + 1 &&
      group.path.every((key, i) => f.path[i] === key)
    );
    if (own.length === 0) continue;
    lines.push(
      "",
      `## \`${group.path.length === 0 ? "(top level)" : group.path.join(".")}\``,
      "",
    );
    if (group.description !== "") {
      lines.push(`${group.description[0].toUpperCase()}${group.description.slice(1)}.`, "");
    }
    lines.push(
      "| setting | type | default | bounds | what it does |",
      "| --- | --- | --- | --- | --- |",
    );
    for (const f of own) {
      lines.push(
        `| \`${f.path.at(-1)}\` | ${escape(f.type)} | ${
          f.default === undefined ? "(none)" : `\`${escape(inline(f.default))}\``
        } | ${escape(f.bounds) || "-"} | ${escape(f.description) || "-"} |`,
      );
    }
  }
  return lines.join("\n") + "\n";
}

/**
 * Settings `init` writes as active values, every one equal to its default: the ones a
 * trader sets first. The rest are written commented out, with their defaults.
 */
const ACTIVE = new Set([
  "risk.riskPercent",
  "risk.maxDrawdownPercent",
  "risk.dailyLoss.maxPercent",
  "risk.positions.maxOpen",
  "risk.spread.maxSpread",
  "risk.flattenOnKill",
  "execution.initialBalance",
  "execution.slippagePoints",
  "execution.latencyMs",
  // The whole broker profile: a trader copies the terminal's symbol specification into it.
  ...Object.keys(BROKER_DEFAULTS).map((key) => `execution.broker.${key}`),
  "monteCarlo.runs",
  "monteCarlo.seed",
]);

/** `text` as `// ` comment lines of at most about 88 characters. */
function comment(text: string): string[] {
  const words = text.split(/\s+/).filter((w) => w !== "");
  const lines: string[] = [];
  let line = "";
  for (const word of words) {
    if (line !== "" && line.length + word.length > 84) {
      lines.push(`// ${line}`);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(`// ${line}`);
  return lines;
}

/** The header of the file `init` writes. */
const INIT_HEADER = [
  "// AI Gold Scalper trading config, written by `deno task init`.",
  "// Read by: deno task backtest --config FILE, deno task serve --config FILE, optimize, ea-sim.",
  "// JSONC: comments and trailing commas are allowed. Every setting is listed with its default;",
  "// the commented-out ones keep their defaults until you remove the // in front of them.",
  "// docs/config-reference.md explains each one; an unknown or misspelt key is refused.",
];

/** The commented config `deno task init` writes: every setting, most commented out. */
export function commentedConfig(): string {
  const { groups, fields } = configOutline();
  const out = [...INIT_HEADER, "{"];
  const describe = new Map(groups.map((g) => [g.path.join("."), g.description]));
  const notes: Record<string, string> = {
    fusion:
      "Fusion starts from the technical-only preset without a model (weights 1/0/0, gate 0.5) and from the fused defaults below with one; what you set here is layered over that start.",
    "risk.news":
      "In a backtest the news blackout is on exactly when --news gives a calendar. Live serve without --news refuses to start unless enabled is false here. enabled: true without a calendar is refused.",
    "execution.symbol":
      "The broker profile: the contract as your broker defines it (MT5: symbol specification).",
  };
  /**
   * Writes the settings under `path` at `indent`. Inside an object that is commented out
   * (`commentAt`: the indent its comment started at) every line carries one leading `// `
   * there, so toggling the comment of the block in an editor turns it on as a whole.
   */
  const write = (path: string[], indent: string, commentAt: string | null) => {
    const line = (text: string, on: boolean) =>
      commentAt !== null
        ? `${commentAt}// ${indent.slice(commentAt.length)}${text}`
        : `${indent}${on ? "" : "// "}${text}`;
    const children = [
      ...new Set(
        fields.filter((f) => f.path.length > path.length && path.every((k, i) => f.path[i] === k))
          .map((f) => f.path[path.length]),
      ),
    ];
    for (const key of children) {
      const at = [...path, key];
      const dotted = at.join(".");
      const field = fields.find((f) => f.path.join(".") === dotted);
      if (path.length === 0 && out.at(-1) !== "{") out.push("");
      if (field === undefined) {
        const on = commentAt === null && [...ACTIVE].some((p) => p.startsWith(`${dotted}.`));
        const about = [describe.get(dotted), notes[dotted]].filter((t) => t).join(". ");
        for (const text of comment(about)) out.push(line(text, true));
        out.push(line(`${JSON.stringify(key)}: {`, on));
        write(at, `${indent}  `, on ? null : (commentAt ?? indent));
        out.push(line("},", on));
        continue;
      }
      const on = commentAt === null && ACTIVE.has(dotted);
      const value = field.default === undefined ? "null" : inline(field.default);
      const about = [field.description, field.bounds && `(${field.bounds})`].filter((t) => t)
        .join(" ");
      for (const text of comment(about)) out.push(line(text, true));
      out.push(line(`${JSON.stringify(key)}: ${value},`, on));
    }
  };
  write([], "  ", null);
  out.push("}");
  return out.join("\n") + "\n";
}

/** Where the reference lives, and `text` as `deno fmt` lays Markdown out (the gate checks it). */
export const CONFIG_REFERENCE = new URL("../../docs/config-reference.md", import.meta.url);

export async function formatMarkdown(text: string): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext=md", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const output = await child.output();
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
  return new TextDecoder().decode(output.stdout);
}

if (import.meta.main) {
  await Deno.writeTextFile(CONFIG_REFERENCE, await formatMarkdown(configReference()));
  console.log(`wrote ${CONFIG_REFERENCE.pathname}`);
}
