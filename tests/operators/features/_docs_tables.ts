/**
 * The tables of docs/features.md, generated from the code, and a reader for markdown
 * tables, so docs_test.ts can hold the page to the catalogue and the default spec.
 * To regenerate a table after changing either, print it and paste it into the page:
 *
 * ```sh
 * deno eval 'import { catalogueTable } from "./tests/operators/features/_docs_tables.ts";
 *   console.log(catalogueTable())'
 * ```
 */

import { DEFAULT_FEATURE_SPEC, FEATURE_KINDS, type FeatureSpec } from "@/operators/features/mod.ts";
import { DOCUMENTED_DEFAULTS } from "./_reference.ts";

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

const code = (text: string) => `\`${text}\``;

/** Every kind: its parameters with their defaults, its outputs, its needs and meaning. */
export function catalogueTable(): string {
  const rows = Object.entries(FEATURE_KINDS).map(([name, kind]) => {
    const defaults = DOCUMENTED_DEFAULTS[name] ?? {};
    const params = kind.params.map((p) => `${code(p)} = ${defaults[p]}`).join(", ") || "none";
    const needsSpread = "needsSpread" in kind && kind.needsSpread ? "spread" : "";
    return [code(name), params, kind.outputs.map(code).join(", "), needsSpread, kind.describe];
  });
  return table(
    ["kind", "params (default)", "outputs (first is the default)", "needs", "meaning"],
    rows,
  );
}

/** Every feature of a spec: name, timeframe, kind, params, resolved output and scale. */
export function specTable(spec: FeatureSpec = DEFAULT_FEATURE_SPEC): string {
  const rows = spec.features.map((f, j) => {
    const kind = FEATURE_KINDS[f.kind];
    const params = Object.entries(f.params).map(([k, v]) => `${k}=${v}`).join(", ") ||
      "defaults";
    return [
      String(j + 1),
      code(f.name),
      f.timeframe,
      code(f.kind),
      params,
      f.output ?? kind.outputs[0],
      f.scale,
    ];
  });
  return table(["#", "name", "timeframe", "kind", "params", "output", "scale"], rows);
}

/** The cells of a markdown table's rows (header and separator excluded), trimmed. */
function cellsOf(lines: readonly string[]): string[][] {
  return lines.slice(2).map((line) =>
    line.trim().replace(/^\||\|$/g, "").split("|").map((c) => c.trim())
  );
}

/**
 * The rows of the table in `markdown` whose header is `header`'s (cells compared after
 * trimming, so `deno fmt`'s column alignment does not matter); null when there is none.
 */
export function findTable(markdown: string, header: string): string[][] | null {
  const wanted = cellsOf(["", "", header.split("\n")[0]])[0].join("|");
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].trim().startsWith("|")) continue;
    if (cellsOf(["", "", lines[i]])[0].join("|") !== wanted) continue;
    let end = i;
    while (end < lines.length && lines[end].trim().startsWith("|")) end++;
    return cellsOf(lines.slice(i, end));
  }
  return null;
}

/** The generated table's rows, as `findTable` reads them. */
export function rowsOf(generated: string): string[][] {
  return cellsOf(generated.split("\n"));
}
