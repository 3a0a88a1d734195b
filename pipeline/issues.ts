/**
 * zod validation problems as sentences a trader can act on: what is wrong, where (the
 * file, the key path, the flag) and what would be right, with "did you mean" for a
 * misspelt key. Every edge that validates with zod (config files, flags) renders its
 * problems here, so no raw validation JSON ever reaches a terminal. It never prints a
 * value it was not given to print (a config value could be a secret): only paths, rules
 * and the known keys.
 */

import { z } from "zod";
import { closest } from "./commands/_suggest.ts";

/** "risk.dailyLoss.pct", "jobs[2].from"; empty for the root. */
function issuePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** What a JSON schema node accepts as keys, for "did you mean"; null when not an object. */
type JsonSchemaNode = {
  properties?: Record<string, JsonSchemaNode>;
  anyOf?: JsonSchemaNode[];
  oneOf?: JsonSchemaNode[];
  items?: JsonSchemaNode;
};

/** A node and the alternatives of a union, flattened. */
const alternatives = (node: JsonSchemaNode): JsonSchemaNode[] => [
  node,
  ...(node.anyOf ?? []).flatMap(alternatives),
  ...(node.oneOf ?? []).flatMap(alternatives),
];

function keysAt(root: JsonSchemaNode | undefined, path: readonly PropertyKey[]): string[] {
  let nodes: JsonSchemaNode[] = root === undefined ? [] : [root];
  for (const key of path) {
    nodes = nodes.flatMap(alternatives).flatMap((node) =>
      typeof key === "number"
        ? (node.items ? [node.items] : [])
        : (node.properties?.[String(key)] ? [node.properties[String(key)]] : [])
    );
  }
  return [
    ...new Set(nodes.flatMap(alternatives).flatMap((node) => Object.keys(node.properties ?? {}))),
  ];
}

/**
 * The JSON schema of `schema`'s input: the known keys at a path here, every setting in the
 * config reference (config_doc.ts). Throws for a schema zod cannot express in JSON.
 */
export function inputJsonSchema(schema: z.ZodType): JsonSchemaNode {
  return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchemaNode;
}

const bound = (value: unknown) => typeof value === "bigint" ? value.toString() : String(value);

function sized(origin: string | undefined, count: unknown, unit: string): string {
  return origin === "array" || origin === "set"
    ? `${bound(count)} item${count === 1 ? "" : "s"}`
    : origin === "string"
    ? `${bound(count)} character${count === 1 ? "" : "s"}`
    : `${unit}${bound(count)}`;
}

export interface IssueTextOptions {
  /** The thing named at the start, e.g. `--from "yesterday"` or `risk.riskPercent`. */
  readonly subject: string;
  /** The input's JSON schema, to name the known keys of an unknown one. */
  readonly jsonSchema?: JsonSchemaNode;
}

/** One issue as a sentence starting with its subject. */
export function issueText(issue: z.core.$ZodIssue, options: IssueTextOptions): string {
  const { subject } = options;
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = keysAt(options.jsonSchema, issue.path);
      const where = issue.path.length === 0 ? "" : ` in ${subject}`;
      return issue.keys.map((key) => {
        const near = closest(key, known);
        return `unknown key "${key}"${where}${
          near !== null
            ? `: did you mean "${near}"?`
            : known.length > 0
            ? ` (known keys: ${known.join(", ")})`
            : ""
        }`;
      }).join("; ");
    }
    case "invalid_type": {
      const received = /received (\w+)/.exec(issue.message)?.[1];
      if (received === "undefined") return `${subject} is required`;
      const article = /^[aeiou]/.test(issue.expected) ? "an" : "a";
      return `${subject} must be ${article} ${issue.expected}${
        received === undefined || received === "NaN" ? "" : `, not ${received}`
      }`;
    }
    case "invalid_union": {
      // Every alternative wanted a value that is not there: the key is missing.
      const missing = issue.errors.length > 0 &&
        issue.errors.every((branch) =>
          branch.some((inner) =>
            inner.code === "invalid_type" && /received undefined$/.test(inner.message)
          )
        );
      if (missing) return `${subject} is required`;
      const options = (issue as { options?: unknown[] }).options;
      if (options !== undefined) {
        return `${subject} must be one of ${options.map((o) => JSON.stringify(o)).join(", ")}`;
      }
      // Each alternative's expected type: "a number or a string".
      const expected = issue.errors.flatMap((branch) =>
        branch.filter((inner) => inner.code === "invalid_type" && inner.path.length === 0)
          .map((inner) => (inner as { expected: string }).expected)
      );
      return expected.length === issue.errors.length
        ? `${subject} must be ${
          expected.map((e) => `${/^[aeiou]/.test(e) ? "an" : "a"} ${e}`).join(" or ")
        }`
        : `${subject} matches none of its allowed forms`;
    }
    case "too_big":
      return `${subject} must be ${issue.inclusive === false ? "below" : "at most"} ${
        sized(issue.origin, issue.maximum, "")
      }`;
    case "too_small":
      return `${subject} must be ${issue.inclusive === false ? "above" : "at least"} ${
        sized(issue.origin, issue.minimum, "")
      }`;
    case "invalid_value":
      return `${subject} must be ${issue.values.length === 1 ? "" : "one of "}${
        issue.values.map((v) => JSON.stringify(v)).join(", ")
      }`;
    default: {
      const message = issue.message.replace(/^Invalid input: /, "");
      return subject === "" ? message : `${subject}: ${message}`;
    }
  }
}

/**
 * Every issue of `error` as sentences, each naming its key path inside `where` (a file
 * name, quoted, or a description such as `config`). `schema` is what was validated, so an
 * unknown key gets its known neighbours.
 *
 * @example
 * describeZodError(error, `"config.jsonc"`, schema);
 * // '"config.jsonc": risk.riskPercent must be at most 5; unknown key "slipage" in execution: did you mean "slippagePoints"?'
 */
export function describeZodError(error: z.ZodError, where: string, schema?: z.ZodType): string {
  let jsonSchema: JsonSchemaNode | undefined;
  try {
    jsonSchema = schema === undefined ? undefined : inputJsonSchema(schema);
  } catch {
    // A schema without a JSON form: its problems are named without the known keys.
  }
  const sentences = error.issues.map((issue) =>
    issueText(issue, { subject: issuePath(issue.path) || "the top level", jsonSchema })
  );
  return `${where}: ${sentences.join("; ")}`;
}
