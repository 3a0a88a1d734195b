/**
 * JSON with comments (JSONC, as deno.json and VS Code settings use it): `//` line and
 * `/* *\/` block comments, and a trailing comma before `}` or `]`. Every config file this
 * program reads goes through here, so a commented config (`deno task init`) loads wherever
 * a plain JSON one does. Comments are replaced by spaces, keeping every newline, so a
 * syntax error's line and column are those of the file. It never changes a string.
 */

/** Calls `visit(i)` for each character index outside a string literal. */
function outsideStrings(text: string, visit: (i: number) => number | void): void {
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
      i++;
    } else {
      i = visit(i) ?? i + 1;
    }
  }
}

/** `text` with comments and trailing commas blanked out; still JSON.parse-able positions. */
export function stripJsonComments(text: string): string {
  const out = text.split("");
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== "\n" && out[k] !== "\r") out[k] = " ";
    return to;
  };
  outsideStrings(text, (i) => {
    if (text[i] !== "/") return;
    if (text[i + 1] === "/") {
      const end = text.indexOf("\n", i);
      return blank(i, end === -1 ? text.length : end);
    }
    if (text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      return blank(i, end === -1 ? text.length : end + 2);
    }
  });
  const code = out.join("");
  outsideStrings(code, (i) => {
    if (code[i] !== ",") return;
    let j = i + 1;
    while (j < code.length && /\s/.test(code[j])) j++;
    if (code[j] === "}" || code[j] === "]") out[i] = " ";
  });
  return out.join("");
}

/** Line and column (1-based) of a character offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - before.lastIndexOf("\n") };
}

/**
 * Parses JSON or JSONC; a syntax error names the line and column, e.g.
 * `line 4, column 3: Expected ',' or '}' after property value`.
 */
export function parseJsonc(text: string): unknown {
  const stripped = stripJsonComments(text.replace(/^\uFEFF/, ""));
  try {
    return JSON.parse(stripped);
  } catch (error) {
    const message = (error as Error).message;
    const position = /at position (\d+)/.exec(message);
    const reason = message.replace(/ in JSON at position \d+.*$/, "").replace(/, ".*$/s, "");
    if (position === null) {
      throw new SyntaxError(stripped.trim() === "" ? "the file is empty" : reason);
    }
    const { line, column } = lineColumn(stripped, Number(position[1]));
    throw new SyntaxError(`line ${line}, column ${column}: ${reason}`);
  }
}
