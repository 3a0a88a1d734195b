/**
 * Escape-by-default HTML building, as in Hono's `html` helper and lit: every value put
 * into an `html` template is escaped unless it is already `Raw` output of another
 * template. So data (a trade id, a config string) can never become markup, even where
 * a caller forgets to think about it. Also the number formats the report shows.
 */

/** Markup that is already safe; only `html` and `raw` make one. */
export class Raw {
  constructor(readonly text: string) {}
}

/** A value an `html` template accepts: escaped unless `Raw`; null and undefined are empty. */
export type HtmlValue = Raw | string | number | null | undefined | readonly HtmlValue[];

const ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Text made safe for element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

function render(value: HtmlValue): string {
  if (value instanceof Raw) return value.text;
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(String(value));
}

const compacted = new WeakMap<TemplateStringsArray, readonly string[]>();

/**
 * A template whose interpolations are escaped. A line break and the indentation after
 * it in the template's own text become one space (HTML treats them alike), so the
 * formatter's layout of the source does not bloat a report of thousands of trades.
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Raw {
  let parts = compacted.get(strings);
  if (parts === undefined) {
    parts = strings.map((s) => s.replace(/\n\s*/g, " "));
    compacted.set(strings, parts);
  }
  let out = parts[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + parts[i + 1];
  return new Raw(out);
}

/** Markup this module's caller wrote itself (constant CSS, generated SVG numbers). */
export function raw(text: string): Raw {
  return new Raw(text);
}

/** A whole page: the doctype, a head with its title and inline styles, and the body. */
export function htmlPage(title: string, style: Raw, body: Raw): string {
  const page = html`
    <!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width,initial-scale=1">
        <title>${title}</title>
        <style>${style}</style>
      </head>
      <body>${body}</body>
    </html>
  `;
  return page.text.trim() + "\n";
}

/**
 * A value as JSON for the body of a `<script type="application/json">`: every `<` is
 * written `\u003c`, so no data can close the element or open a comment in it, and
 * `JSON.parse` of the element's text gives the value back unchanged.
 */
export function jsonForScript(value: unknown): Raw {
  return new Raw(JSON.stringify(value).replace(/</g, "\\u003c"));
}

const MONEY = new Intl.NumberFormat("en-US", {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});
const PRICE = new Intl.NumberFormat("en-US", {
  minimumFractionDigits: 2,
  maximumFractionDigits: 5,
});
const RATIO = new Intl.NumberFormat("en-US", {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});

/** "n/a" stands for every null figure; the notes say why it is null. */
export const NOT_AVAILABLE = "n/a";

export function money(value: number | null): string {
  return value === null ? NOT_AVAILABLE : MONEY.format(value);
}

export function price(value: number | null): string {
  return value === null ? NOT_AVAILABLE : PRICE.format(value);
}

export function ratio(value: number | null): string {
  return value === null ? NOT_AVAILABLE : RATIO.format(value);
}

export function percent(value: number | null): string {
  return value === null ? NOT_AVAILABLE : `${RATIO.format(value)} %`;
}
