/**
 * The report's sections on how the decisions were made (issue 12: warm-up, sources,
 * halts, costs, the chance baseline) and on the run's setting (news calendar, broker
 * profile, broker refusals). Each renders only when its part of the document is present,
 * so a document written before those parts existed still renders. Halts and a model's
 * low coverage become banners for the top of the page: a reader must see them first.
 * Every data string goes through `html`, so it is escaped.
 */

import { html, money, NOT_AVAILABLE, percent, price, ratio, type Raw } from "./_html.ts";
import type { BacktestJson, Bands } from "./schema.ts";

/** Source names as the decision sections list them. */
export type SourceName = "technical" | "ml" | "regime" | "llm";

interface TradeGroup {
  readonly trades: number;
  readonly net_profit: number;
}

export interface WarmupSection {
  readonly requested_from_utc: string | null;
  readonly history_start_utc: string;
  readonly trading_start_utc: string;
  readonly warm_bars: number;
  readonly required: readonly { source: string; timeframe: string; bars: number }[];
  readonly complete: boolean;
  readonly notes: readonly string[];
}

export interface SourceSection {
  readonly configured: boolean;
  readonly weight: number;
  readonly decision_bars: number;
  readonly voted_bars: number;
  /** voted_bars / decision_bars, 0-1. */
  readonly coverage: number;
  readonly first_vote_utc: string | null;
  readonly agreed: number;
  readonly opposed: number;
  readonly agreement_rate: number | null;
  readonly trades_supported: TradeGroup;
  readonly trades_opposed: TradeGroup;
  readonly trades_neutral: TradeGroup;
}

export interface HaltSection {
  readonly time_utc: string;
  readonly code: string;
  readonly detail: string;
  /** Null: to the end of the run. */
  readonly until_utc: string | null;
  /** Share of the period under this halt, 0-1. */
  readonly untraded_share: number;
}

export interface CostsSection {
  readonly trades: number;
  /** Averages per trade, in price units. */
  readonly per_trade: {
    readonly spread: number;
    readonly slippage: number;
    readonly commission: number;
    readonly swap: number;
    readonly total: number;
  };
  readonly average_stop_distance: number | null;
  readonly average_take_distance: number | null;
  readonly cost_share_of_stop: number | null;
  readonly cost_share_of_take: number | null;
  readonly breakeven_win_rate: number | null;
}

export interface RandomBaseline {
  readonly runs: number;
  readonly seed: number;
  /** Entries per decision bar. */
  readonly entry_rate: number;
  readonly trades: Bands;
  readonly net_profit: Bands;
  readonly profit_factor: Bands;
  readonly sharpe: Bands;
  /** The strategy's percentile among the random runs, 0-100. */
  readonly percentile: {
    readonly net_profit: number;
    readonly profit_factor: number | null;
    readonly sharpe: number | null;
  };
}

/** The document's parts that may be absent: from issue 12 and the broker and news work. */
export interface DecisionSections {
  readonly warmup?: WarmupSection;
  readonly sources?: Readonly<Partial<Record<SourceName, SourceSection>>>;
  readonly halts?: readonly HaltSection[];
  readonly costs?: CostsSection;
  readonly baseline?: {
    readonly buy_and_hold: BacktestJson["metrics"]["buy_and_hold"];
    readonly random: RandomBaseline | null;
  };
  readonly news?: { readonly enabled: boolean; readonly calendar: string | null };
  readonly broker?: Readonly<Record<string, unknown>>;
}

/** A model's coverage under this share of decision bars gets a banner. */
export const COVERAGE_WARNING = 0.99;

/** The model that ran, as `config.ml` records it; null: technical only. */
export interface ModelRecord {
  readonly modelId: string;
  readonly featureSpecHash: string;
  readonly kind?: string;
}

/** The document with its optional sections typed. */
export type ReportDocument = BacktestJson & DecisionSections & {
  readonly metrics: { readonly broker_refusals_by_reason?: Readonly<Record<string, number>> };
};

/** `config.ml`, or null when the run was technical only (or the field is absent). */
export function modelOf(doc: BacktestJson): ModelRecord | null {
  const ml = doc.config.ml as ModelRecord | null | undefined;
  return ml ?? null;
}

const share = (value: number | null) => percent(value === null ? null : value * 100);
const when = (iso: string | null) => (iso === null ? NOT_AVAILABLE : iso.replace("T", " "));

/** The banners for the top of the page: every halt, and a model that voted too rarely. */
export function banners(doc: ReportDocument): Raw {
  const halts = (doc.halts ?? []).map((h) =>
    html`
      <div class="banner halt"
        role="alert"><b>Trading halted ${when(h.time_utc)} UTC: ${h
          .code}</b> · ${h.detail} · ${h.until_utc === null
          ? "until the end of the run"
          : `until ${when(h.until_utc)} UTC`} · ${share(
            h.untraded_share,
          )} of the period not traded</div>
    `
  );
  const model = modelOf(doc);
  const ml = doc.sources?.ml;
  const coverage = model !== null && ml !== undefined && ml.coverage < COVERAGE_WARNING
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
export function warmupSection(doc: ReportDocument): Raw | null {
  const w = doc.warmup;
  if (w === undefined) return null;
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
    `}${notes(w.notes)}
  `;
}

function notes(list: readonly string[]): Raw | null {
  return list.length === 0
    ? null
    : html`<ul class="notes">${list.map((n) => html`<li>${n}</li>`)}</ul>`;
}

const group = (g: TradeGroup) => `${g.trades} · ${money(g.net_profit)}`;

/** One row per source: coverage, agreement with the fused side, and the trades it backed. */
export function sourcesSection(doc: ReportDocument): Raw | null {
  const entries = Object.entries(doc.sources ?? {}) as [SourceName, SourceSection][];
  if (entries.length === 0) return null;
  return html`
    <table><tr><th>Source</th><th class="n">Weight</th><th class="n">Coverage</th><th>First vote (UTC)</th><th class="n">Agreed / opposed</th><th class="n">Agreement</th><th class="n">Trades supported</th><th class="n">Opposed</th><th class="n">Neutral</th></tr>${entries
      .map(([name, s]) =>
        html`
          <tr class="${s.configured ? "" : "muted"}">
            <td>${name}${s.configured ? "" : " (off)"}</td>
            <td class="n">${ratio(s.weight)}</td>
            <td class="n ${s.configured && s.coverage < COVERAGE_WARNING ? "neg" : ""}">${share(
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
      class="sub">Coverage: the share of decision bars after warm-up the source voted on. Trades: count · net P&amp;L.</p>
  `;
}

/** Costs per trade in price units, against the stop and target distances. */
export function costsSection(doc: ReportDocument): Raw | null {
  const c = doc.costs;
  if (c === undefined) return null;
  const p = c.per_trade;
  const winRate = doc.metrics.win_rate_pct;
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
        <td class="n">${share(
          c.cost_share_of_stop,
        )}</td>
      </tr>
      <tr>
        <th>Average target distance</th>
        <td class="n">${price(c.average_take_distance)}</td>
        <th>Cost / target</th>
        <td class="n">${share(
          c.cost_share_of_take,
        )}</td>
      </tr>
      <tr>
        <th>Break-even win rate</th>
        <td class="n">${share(c.breakeven_win_rate)}</td>
        <th>Actual win rate</th>
        <td class="n">${percent(
          winRate,
        )}</td>
      </tr>
    </table>
  `;
}

/** Random entries through the same engine and broker: where the strategy falls among them. */
export function baselineSection(doc: ReportDocument): Raw | null {
  const r = doc.baseline?.random ?? null;
  if (r === null) return null;
  const m = doc.metrics;
  const row = (
    label: string,
    b: Bands,
    value: number | null,
    rank: number | null,
    f: (v: number | null) => string,
  ) =>
    html`
      <tr>
        <td>${label}</td>${[b.p5, b.p25, b.p50, b.p75, b.p95].map((v) =>
          html`<td class="n">${f(v)}</td>`
        )}
        <td class="n"><b>${f(value)}</b></td>
        <td class="n">${rank === null ? NOT_AVAILABLE : `${ratio(rank)}`}</td>
      </tr>
    `;
  const count = (v: number | null) => (v === null ? NOT_AVAILABLE : String(Math.round(v)));
  return html`
    <p
      class="sub">${r.runs} random-entry runs (seed ${r.seed}, ${ratio(
        r.entry_rate * 100,
      )} entries per 100 decision bars) through the same levels, risk engine and broker.</p>
    <table><tr><th></th><th class="n">5 %</th><th class="n">25 %</th><th class="n">50 %</th><th class="n">75 %</th><th class="n">95 %</th><th class="n">This run</th><th class="n">Percentile</th></tr>${[
      row("Trades", r.trades, m.trades, null, count),
      row("Net profit", r.net_profit, m.net_profit, r.percentile.net_profit, money),
      row("Profit factor", r.profit_factor, m.profit_factor, r.percentile.profit_factor, ratio),
      row("Sharpe", r.sharpe, m.sharpe, r.percentile.sharpe, ratio),
    ]}</table>
  `;
}

/** The news calendar and broker profile the run used, as setting rows. */
export function settingRows(doc: ReportDocument): [string, string][] {
  const rows: [string, string][] = [];
  if (doc.news !== undefined) {
    rows.push([
      "News blackout",
      doc.news.enabled ? `on, calendar ${doc.news.calendar ?? NOT_AVAILABLE}` : "off",
    ]);
  }
  for (const [key, value] of Object.entries(doc.broker ?? {})) {
    rows.push([`Broker ${key}`, typeof value === "string" ? value : JSON.stringify(value)]);
  }
  return rows;
}
