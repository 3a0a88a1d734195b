/**
 * The report's sections on how the decisions were made (warm-up, sources, halts, costs,
 * the chance baseline) and on the run's setting (news calendar, broker profile). Halts and
 * a model's low coverage become banners for the top of the page: a reader must see them
 * first. Every data string goes through `html`, so it is escaped.
 */

import { html, money, NOT_AVAILABLE, percent, price, ratio, type Raw } from "./_html.ts";
import { coverageTooLow } from "./attribution.ts";
import type { BacktestJson, Bands, SourceReport } from "./schema.ts";

/** The model that ran, as `config.ml` records it; null: technical only. */
export interface ModelRecord {
  readonly modelId: string;
  readonly featureSpecHash: string;
  readonly kind?: string;
}

/** `config.ml`, or null when the run was technical only (or the field is absent). */
export function modelOf(doc: BacktestJson): ModelRecord | null {
  const ml = doc.config.ml as ModelRecord | null | undefined;
  return ml ?? null;
}

const share = (value: number | null) => percent(value === null ? null : value * 100);
const when = (iso: string | null) => (iso === null ? NOT_AVAILABLE : iso.replace("T", " "));

/**
 * The banners for the top of the page: every halt (enforced, or only recorded in research
 * mode), and a model that voted on too few decision bars.
 */
export function banners(doc: BacktestJson): Raw {
  const halts = doc.halts.map((h) => {
    const until = h.until_utc === null
      ? "until the end of the run"
      : `until ${when(h.until_utc)} UTC`;
    return h.enforced
      ? html`
        <div class="banner halt"
          role="alert"><b>Trading halted ${when(h.time_utc)} UTC: ${h
            .code}</b> · ${h.detail} · ${until} · ${share(
              h.untraded_share,
            )} of the period not traded</div>
      `
      : html`
        <div class="banner recorded"
          role="note"><b>Halt recorded, not enforced, ${when(
            h.time_utc,
          )} UTC: ${h.code}</b> · ${h
            .detail} · ${until} · trading went on (risk.onHalt "record")</div>
      `;
  });
  const ml = doc.sources.ml;
  const coverage = coverageTooLow(ml)
    ? html`
      <div class="banner coverage"
        role="alert"><b>The model voted on ${share(
          ml.coverage,
        )} of decision bars</b> (${ml.voted_bars} of ${ml.decision_bars}; first vote ${when(
          ml.first_vote_utc,
        )}): the rest of the run was decided without it.</div>
    `
    : null;
  return html`${halts}${coverage}`;
}

/** Warm-up: how much history came before trading, and what each source needed. */
export function warmupSection(doc: BacktestJson): Raw {
  const w = doc.warmup;
  return html`
    <table>
      <tr>
        <th>From (requested)</th>
        <td>${when(w.requested_from_utc)}</td>
      </tr>
      <tr>
        <th>History from</th>
        <td>${when(w.history_start_utc)}</td>
      </tr>
      <tr>
        <th>Trading from</th>
        <td>${when(w.trading_start_utc)}</td>
      </tr>
      <tr>
        <th>Warm-up bars (M1)</th>
        <td class="n">${w.warm_bars}</td>
      </tr>
      <tr>
        <th>Every source warm</th>
        <td class="${w.complete ? "pos" : "neg"}">${w.complete ? "yes" : "no"}</td>
      </tr>
    </table>
    ${w.required.length === 0 ? null : html`
      <table><tr><th>Source</th><th>Timeframe</th><th class="n">Bars needed</th></tr>${w.required
        .map((r) =>
          html`
            <tr>
              <td>${r.source}</td>
              <td>${r.timeframe}</td>
              <td class="n">${r.bars}</td>
            </tr>
          `
        )}</table>
    `}${w.notes.length === 0
      ? null
      : html`<ul class="notes">${w.notes.map((n) => html`<li>${n}</li>`)}</ul>`}
  `;
}

const group = (g: SourceReport["trades_supported"]) => `${g.trades} · ${money(g.net_profit)}`;

/** One row per source: coverage, agreement with the fused side, and the trades it backed. */
export function sourcesSection(doc: BacktestJson): Raw {
  return html`
    <table><tr><th>Source</th><th class="n">Weight</th><th class="n">Coverage</th><th>First vote (UTC)</th><th class="n">Agreed / opposed</th><th class="n">Agreement</th><th class="n">Trades supported</th><th class="n">Opposed</th><th class="n">Neutral</th></tr>${Object
      .entries(doc.sources).map(([name, s]) =>
        html`
          <tr class="${s.configured ? "" : "muted"}">
            <td>${name}${s.configured ? "" : " (off)"}</td>
            <td class="n">${ratio(s.weight)}</td>
            <td class="n ${coverageTooLow(s) ? "neg" : ""}">${share(
              s.coverage,
            )}</td>
            <td>${when(s.first_vote_utc)}</td>
            <td class="n">${s.agreed} / ${s.opposed}</td>
            <td class="n">${share(s.agreement_rate)}</td>
            <td class="n">${group(s.trades_supported)}</td>
            <td class="n">${group(s.trades_opposed)}</td>
            <td class="n">${group(s.trades_neutral)}</td>
          </tr>
        `
      )}</table>
    <p
      class="sub">Coverage: the share of the traded period's decision bars the source voted on. Trades: count · net P&amp;L.</p>
  `;
}

/** Costs per trade in price units, against the stop and target distances. */
export function costsSection(doc: BacktestJson): Raw {
  const c = doc.costs;
  const p = c.per_trade;
  return html`
    <table>
      <tr>
        <th>Per trade (price units)</th>
        <th class="n">Spread</th>
        <th class="n">Slippage</th>
        <th class="n">Commission</th>
        <th class="n">Swap</th>
        <th class="n">Total</th>
      </tr>
      <tr>
        <td>average over ${c.trades} trades</td>
        <td class="n">${price(p.spread)}</td>
        <td class="n">${price(p.slippage)}</td>
        <td class="n">${price(p.commission)}</td>
        <td class="n">${price(p.swap)}</td>
        <td class="n"><b>${price(p.total)}</b></td>
      </tr>
    </table>
    <table>
      <tr>
        <th>Average stop distance</th>
        <td class="n">${price(c.average_stop_distance)}</td>
        <th>Cost / stop</th>
        <td class="n">${share(c.cost_share_of_stop)}</td>
      </tr>
      <tr>
        <th>Average target distance</th>
        <td class="n">${price(c.average_take_distance)}</td>
        <th>Cost / target</th>
        <td class="n">${share(c.cost_share_of_take)}</td>
      </tr>
      <tr>
        <th>Break-even win rate</th>
        <td class="n">${share(c.breakeven_win_rate)}</td>
        <th>Actual win rate</th>
        <td class="n">${percent(doc.metrics.win_rate_pct)}</td>
      </tr>
    </table>
  `;
}

/** Random entries through the same engine and broker: where the strategy falls among them. */
export function baselineSection(doc: BacktestJson): Raw {
  const r = doc.baseline.random;
  if (r === null) return html`<p>No random baseline was run (--baseline-runs 0).</p>`;
  const m = doc.metrics;
  const row = (
    label: string,
    b: Bands | null,
    value: number | null,
    rank: number | null,
    f: (v: number | null) => string,
  ) =>
    html`
      <tr>
        <td>${label}</td>${(b === null ? [null, null, null, null, null] : [
          b.p5,
          b.p25,
          b.p50,
          b.p75,
          b.p95,
        ]).map((v) => html`<td class="n">${f(v)}</td>`)}
        <td class="n"><b>${f(value)}</b></td>
        <td class="n">${rank === null ? NOT_AVAILABLE : ratio(rank)}</td>
      </tr>
    `;
  const count = (v: number | null) => (v === null ? NOT_AVAILABLE : String(Math.round(v)));
  return html`
    <p
      class="sub">${r.runs} runs (seed ${r.seed}) entering at random on ${share(
        r.entry_rate,
      )} of the decision bars with room for a trade (calibrated to this run's trade count), through the same levels, risk engine and broker.</p>
    <table><tr><th></th><th class="n">5 %</th><th class="n">25 %</th><th class="n">50 %</th><th class="n">75 %</th><th class="n">95 %</th><th class="n">This run</th><th class="n">Percentile</th></tr>${[
      row("Trades", r.trades, m.trades, null, count),
      row("Net profit", r.net_profit, m.net_profit, r.percentile.net_profit, money),
      row("Profit factor", r.profit_factor, m.profit_factor, r.percentile.profit_factor, ratio),
      row("Sharpe", r.sharpe, m.sharpe, r.percentile.sharpe, ratio),
    ]}</table>
  `;
}

/** The news calendar and broker profile the run used, as setting rows. */
export function settingRows(doc: BacktestJson): [string, string][] {
  const rows: [string, string][] = [[
    "News blackout",
    doc.news.enabled ? `on, calendar ${doc.news.calendar ?? NOT_AVAILABLE}` : "off",
  ]];
  for (const [key, value] of Object.entries(doc.broker)) {
    rows.push([`Broker ${key}`, typeof value === "string" ? value : JSON.stringify(value)]);
  }
  return rows;
}
