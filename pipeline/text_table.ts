/**
 * Plain-text tables for the terminal: a header, a rule, and rows with each column padded
 * to its widest cell, numbers right-aligned. The console summaries (backtest, models list,
 * a model card) share it so every table the program prints reads the same way. It only
 * formats: the caller rounds and formats each cell.
 */

export interface TableColumn {
  readonly header: string;
  /** Default: right when every cell of the column looks like a number, else left. */
  readonly align?: "left" | "right";
}

/** A cell that reads as a number: "-1,007.31", "42.5%", "n/a" and "-" count as numbers too. */
const NUMERIC = /^(?:[+-]?[\d,]*\.?\d+(?:e[+-]?\d+)?\s?[%x]?|n\/a|-)$/i;

/**
 * The table as lines joined by "\n", without a trailing newline.
 *
 * @example
 * textTable(["reason", "trades"], [["stop_loss", "3"], ["take_profit", "12"]]);
 * // reason       trades
 * // -----------  ------
 * // stop_loss         3
 * // take_profit      12
 */
export function textTable(
  columns: readonly (string | TableColumn)[],
  rows: readonly (readonly string[])[],
  indent = "",
): string {
  const cols: TableColumn[] = columns.map((c) => typeof c === "string" ? { header: c } : c);
  const widths = cols.map((c, i) =>
    Math.max(c.header.length, ...rows.map((row) => (row[i] ?? "").length))
  );
  const aligns = cols.map((c, i) =>
    c.align ??
      (rows.length > 0 && rows.every((row) => NUMERIC.test(row[i] ?? "")) ? "right" : "left")
  );
  const line = (cells: readonly string[]) =>
    indent +
    cells.map((cell, i) =>
      aligns[i] === "right" ? cell.padStart(widths[i]) : cell.padEnd(widths[i])
    ).join("  ").trimEnd();
  return [
    line(cols.map((c) => c.header)),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map((row) => line(cols.map((_, i) => row[i] ?? ""))),
  ].join("\n");
}

/** Money as "1,234.56" (two decimals, thousands separated); "n/a" for null. */
export function money(value: number | null): string {
  if (value === null) return "n/a";
  // Two decimals, and never "-0.00".
  const cents = Math.round(value * 100) / 100;
  return (cents === 0 ? 0 : cents).toLocaleString("en-US", {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  });
}

/** A ratio or a percentage with `digits` decimals; "n/a" for null. */
export function fixed(value: number | null, digits = 2): string {
  if (value === null) return "n/a";
  const text = value.toFixed(digits);
  return /^-0\.?0*$/.test(text) ? text.slice(1) : text;
}
