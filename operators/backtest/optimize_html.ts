/**
 * The page `optimize` writes beside its parameter-set file: every candidate tried, as a
 * heatmap of its in-sample score in every fold, the candidate each fold chose and that
 * choice's out-of-sample result, and the stitched out-of-sample line. Only the chosen
 * candidate of a fold is run out of sample (docs/optimisation.md), so the page never
 * shows, and nobody can pick by, the out-of-sample figures of the others. Static HTML
 * with inline styles: it opens offline and loads nothing. Data strings are escaped.
 */

import { html, htmlPage, money, NOT_AVAILABLE, percent, ratio, type Raw, raw } from "./_html.ts";
import type { Candidate, FoldResult, ParamsFile, RunSummary } from "./optimize.ts";

/** What `optimizeHtml()` renders. */
export interface OptimizeHtmlInput {
  /** The parameter-set file as written. */
  readonly document: ParamsFile;
  /** Its id (the file's SHA-256 name). */
  readonly id: string;
  /** Every candidate, in the order run: the folds' `scores` are in this order. */
  readonly candidates: readonly Candidate[];
  readonly folds: readonly FoldResult[];
}

const STYLE = raw(`
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;margin:0 auto;max-width:1320px;padding:12px 24px 24px}
h1{font-size:22px;margin:6px 0 2px}h2{font-size:17px;margin:22px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:14px;margin:10px 0 6px}.sub{color:#555;margin:0 0 8px}
table{border-collapse:collapse;margin:4px 0 10px;font-variant-numeric:tabular-nums}
th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:left}th{background:#f6f6f6;font-weight:600}
td.n,th.n{text-align:right;white-space:nowrap}.pos{color:#1a7f37}.neg{color:#c62828}
.heat td.s{text-align:right;min-width:4.5em}.heat td.chosen{outline:2px solid #111;outline-offset:-2px;font-weight:700}
.grids{display:flex;flex-wrap:wrap;gap:8px 28px}.scroll{max-height:560px;overflow-y:auto;border:1px solid #eee;display:inline-block}
.scroll thead th{position:sticky;top:0}.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;overflow-wrap:anywhere}
`);

/** Renders the optimisation page. */
export function optimizeHtml(input: OptimizeHtmlInput): string {
  const { document: doc, id, candidates, folds } = input;
  const params = Object.keys(doc.space);
  const s = doc.stitched;
  return htmlPage(
    `Walk-forward optimisation ${id.slice(0, 12)}`,
    STYLE,
    html`
      <h1>Walk-forward optimisation</h1>
      <p
        class="sub">Parameter set <span class="mono">${id}</span> · data ${doc.data.map((d) =>
          d.name
        ).join(", ")} · ${doc.range.from} to ${doc.range.to} (UTC) · ${candidates
          .length} candidates (${doc.search.method}) · ${folds.length} folds · objective ${doc
          .objective}</p>
      <p>Stitched out of sample: <b>${s.trades} trades, net profit ${money(
        s.net_profit,
      )}</b>, worst max drawdown ${percent(s.worst_max_drawdown_pct)}, mean ${doc
        .objective} ${ratio(s.mean_score)}. Chosen on the latest in-sample window: ${valuesText(
          doc.chosen,
        )}.</p>
      <h2>Folds</h2>${foldTable(folds)}
      <h2>In-sample ${doc.objective} by parameter</h2>${pivots(params, candidates, folds)}
      <h2>Every candidate</h2>${candidateTable(params, candidates, folds)}
      <p class="sub">Only each fold's chosen candidate runs out of sample: comparing
        candidates out of sample would choose on the test data (docs/optimisation.md).</p>
    `,
  );
}

function valuesText(values: Readonly<Record<string, unknown>>): string {
  return Object.entries(values).map(([p, v]) => `${p} = ${String(v)}`).join(", ");
}

function resultCells(r: RunSummary): Raw {
  return html`
    <td class="n">${r.trades}</td>
    <td class="n ${r.net_profit > 0 ? "pos" : r.net_profit < 0 ? "neg" : ""}">${money(
      r.net_profit,
    )}</td>
    <td class="n">${ratio(r.sharpe)}</td>
    <td class="n">${ratio(r.calmar)}</td>
    <td class="n">${percent(r.max_drawdown_pct)}</td>
  `;
}

function foldTable(folds: readonly FoldResult[]): Raw {
  const iso = (us: number) => new Date(us / 1000).toISOString().slice(0, 16).replace("T", " ");
  return html`
    <table>
      <tr><th>Fold</th><th>Sample</th><th>From</th><th>To</th><th>Chosen</th><th class="n">Trades</th><th class="n">Net profit</th><th class="n">Sharpe</th><th class="n">Calmar</th><th class="n">Max DD</th></tr>
      ${folds.map((f) =>
        html`
          <tr>
            <td rowspan="2">${f.fold + 1}</td>
            <td>in</td>
            <td>${iso(f.inSample.fromUs)}</td>
            <td>${iso(f.inSample.toUs)}</td>
            <td rowspan="2">#${f.chosen.index} ${valuesText(f.chosen.values)}</td>
            ${resultCells(f.inSampleResult)}
          </tr>
          <tr>
            <td><b>out</b></td>
            <td>${iso(f.outOfSample.fromUs)}</td>
            <td>${iso(f.outOfSample.toUs)}</td>
            ${resultCells(f.outOfSampleResult)}
          </tr>
        `
      )}
    </table>
  `;
}

/**
 * A red-yellow-green colour for `score` within [lo, hi] (the fold's finite scores), as
 * spreadsheets colour a heatmap; grey for a candidate without a figure.
 */
export function heatColor(score: number | null, lo: number, hi: number): string {
  if (score === null) return "#e6e6e6";
  const t = hi > lo ? (score - lo) / (hi - lo) : 1;
  const mix = (a: readonly number[], b: readonly number[], u: number) =>
    a.map((c, i) => Math.round(c + (b[i] - c) * u));
  const rgb = t < 0.5
    ? mix([248, 105, 107], [255, 235, 132], t * 2)
    : mix([255, 235, 132], [99, 190, 123], (t - 0.5) * 2);
  return `rgb(${rgb.join(",")})`;
}

function scoreRange(scores: readonly (number | null)[]): [number, number] {
  const finite = scores.filter((s): s is number => s !== null);
  return finite.length === 0 ? [0, 0] : [Math.min(...finite), Math.max(...finite)];
}

function scoreCell(score: number | null, range: [number, number], chosen: boolean): Raw {
  return html`<td class="s${chosen ? " chosen" : ""}" style="background:${
    heatColor(
      score,
      ...range,
    )
  }">${score === null ? NOT_AVAILABLE : ratio(score)}${chosen ? " ★" : ""}</td>`;
}

/**
 * One grid per fold over the two parameters with the most values (rows and columns),
 * each cell the best in-sample score over the other parameters, as backtesting.py's
 * heatmap aggregates; one row per fold when the space has a single parameter.
 */
function pivots(
  params: readonly string[],
  candidates: readonly Candidate[],
  folds: readonly FoldResult[],
): Raw {
  const distinct = (p: string) => [...new Set(candidates.map((c) => c.values[p]))];
  const [rowParam, columnParam] = [...params].sort((a, b) =>
    distinct(b).length - distinct(a).length
  );
  const columns = columnParam === undefined ? [undefined] : distinct(columnParam);
  const rows = distinct(rowParam);
  return html`
    <p class="sub">${columnParam === undefined
      ? `Rows: ${rowParam}.`
      : `Rows: ${rowParam}; columns: ${columnParam}; each cell the best score over the other parameters.`} ★ the fold's choice; grey: no figure (no trades or no drawdown).</p>
    <div class="grids">${folds.map((fold) => {
      const range = scoreRange(fold.scores);
      const best = (row: unknown, column: unknown) => {
        let score: number | null = null;
        let chosen = false;
        for (const [i, c] of candidates.entries()) {
          if (c.values[rowParam] !== row) continue;
          if (columnParam !== undefined && c.values[columnParam] !== column) continue;
          const s = fold.scores[i];
          if (s !== null && (score === null || s > score)) score = s;
          chosen ||= c.index === fold.chosen.index;
        }
        return scoreCell(score, range, chosen);
      };
      return html`
        <div>
          <h3>Fold ${fold.fold + 1}</h3>
          <table class="heat"><tr><th>${rowParam}${columnParam === undefined
            ? ""
            : ` \\ ${columnParam}`}</th>${columns.map((c) =>
              html`<th class="n">${c === undefined ? "score" : String(c)}</th>`
            )}</tr>${rows.map((row) =>
              html`<tr><th>${String(row)}</th>${columns.map((column) => best(row, column))}</tr>`
            )}</table>
        </div>
      `;
    })}</div>
  `;
}

/** Every candidate with its values and its in-sample score in each fold. */
function candidateTable(
  params: readonly string[],
  candidates: readonly Candidate[],
  folds: readonly FoldResult[],
): Raw {
  const ranges = folds.map((f) => scoreRange(f.scores));
  return html`
    <div class="scroll">
      <table class="heat">
        <thead>
          <tr><th class="n">#</th>${params.map((p) => html`<th>${p}</th>`)}${folds.map((f) =>
            html`<th class="n">Fold ${f.fold + 1} in sample</th>`
          )}</tr>
        </thead>
        <tbody>${candidates.map((c, i) =>
          html`<tr><td class="n">${c.index}</td>${
            params.map((p) => html`<td>${String(c.values[p] ?? "")}</td>`)
          }${
            folds.map((f, k) => scoreCell(f.scores[i], ranges[k], f.chosen.index === c.index))
          }</tr>`
        )}</tbody>
      </table>
    </div>
  `;
}
