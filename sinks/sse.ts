/**
 * The dashboard's live feed: a sink that keeps a bounded recent state (for a snapshot)
 * and fans every batch out to the connected Server-Sent Events clients.
 *
 * Role: turn the pipeline's batches into what a person watches (bars, buy and sell
 * signals, risk decisions, trades, account points, regimes, open positions), plus a
 * periodic frame with component health and the models in use.
 *
 * It must never:
 * - block or fail the pipeline because of a client: a client whose buffer is full is
 *   dropped, with the reason sent as its last frame;
 * - write per event: a batch is encoded once and is one write per client;
 * - grow without bound: the recent state and each client's buffer have limits.
 */

import type {
  AccountEvent,
  BarEvent,
  EventBatch,
  RegimeEvent,
  RiskDecisionEvent,
  SignalEvent,
  Timeframe,
  TradeEvent,
} from "@/pipeline/events.ts";
import type { HealthSnapshot } from "@/pipeline/health.ts";
import type { ComponentState } from "@/pipeline/control/components.ts";
import { tradingDayOf } from "@/operators/backtest/trading_days.ts";
import type { RiskStatus } from "@/operators/risk/engine.ts";
import { PositionBook } from "@/operators/risk/positions.ts";
import type { OpenPosition } from "@/operators/risk/rule.ts";
import type { Sink } from "@/sinks/sink.ts";

/** A model in use, as the dashboard names it. */
export interface ModelRef {
  readonly id: string;
  readonly detail?: string;
}

/**
 * What the status provider tells besides the events: the models in production and shadow,
 * and, when this process trades, what the page's buttons act on.
 */
export interface DashboardStatus {
  readonly production: ModelRef | null;
  readonly shadow: ModelRef | null;
  /** The risk engine's state (the kill switch is one of its halts); absent: no engine here. */
  readonly trading?: RiskStatus | null;
  /** The stages an operator may switch on and off; absent or empty: none. */
  readonly components?: readonly ComponentState[];
}

/**
 * Running figures over every event the hub has seen since it started, not only the kept
 * ones, so the summary does not shrink as old trades leave the recent lists.
 */
export interface DashboardTally {
  readonly trades: number;
  readonly wins: number;
  readonly netProfit: number;
  /** Rejected risk decisions per reason code (a decision with several counts under each). */
  readonly rejectionsByReason: Readonly<Record<string, number>>;
  /**
   * Equity carried into the trading day (17:00 New York) of the latest account point: the
   * last equity of an earlier day, or the day's first when none came before. Null before any.
   */
  readonly dayStartEquity: number | null;
}

/** How many of each kind the recent state keeps (and the most one frame carries). */
export interface RecentLimits {
  readonly bars: number;
  readonly signals: number;
  readonly risk: number;
  readonly trades: number;
  readonly account: number;
  readonly regimes: number;
}

export const DEFAULT_RECENT_LIMITS: RecentLimits = {
  bars: 1440,
  signals: 500,
  risk: 500,
  trades: 200,
  account: 2000,
  regimes: 50,
};

/** The events of interest, grouped by kind and oldest first: a `batch` frame's body. */
export interface DashboardDelta {
  /** Counts batches that carried something of interest; the frame's SSE id. */
  readonly seq: number;
  readonly bars: readonly BarEvent[];
  /** Buy and sell signals only: a hold on every bar would drown them. */
  readonly signals: readonly SignalEvent[];
  readonly risk: readonly RiskDecisionEvent[];
  readonly trades: readonly TradeEvent[];
  readonly account: readonly AccountEvent[];
  readonly regimes: readonly RegimeEvent[];
  /** All open positions after the batch, when an order, fill or trade changed them; else null. */
  readonly positions: readonly OpenPosition[] | null;
  /** The running figures after the batch. */
  readonly tally: DashboardTally;
}

/** Everything the page needs to start: the recent state plus health and models. */
export interface DashboardSnapshot extends Omit<DashboardDelta, "positions"> {
  readonly v: 1;
  readonly timeframe: Timeframe;
  /** How many of each kind the page keeps as batches arrive. */
  readonly limits: RecentLimits;
  readonly positions: readonly OpenPosition[];
  readonly health: HealthSnapshot | null;
  readonly status: DashboardStatus | null;
}

export interface SseHubOptions {
  /** Names the sink in health reports; default "dashboard". */
  readonly name?: string;
  /** The bar timeframe the price chart shows; bars of others are ignored. Default M1. */
  readonly timeframe?: Timeframe;
  readonly limits?: Partial<RecentLimits>;
  /** Bytes a client may have queued before it is dropped; default 1 MiB. */
  readonly clientBufferBytes?: number;
  readonly health?: () => HealthSnapshot;
  readonly status?: () => DashboardStatus;
  /** How often connected clients get a `status` frame (health and models); default 2000 ms. */
  readonly statusIntervalMs?: number;
  /** Told when a client is dropped; default `console.warn`. */
  readonly onDrop?: (reason: string) => void;
}

interface Client {
  readonly controller: ReadableStreamDefaultController<Uint8Array>;
  readonly limit: number;
}

const encoder = new TextEncoder();

/** One SSE frame: `data` is JSON on one line (JSON.stringify never writes a raw newline). */
function frame(event: string, data: unknown, id?: number): Uint8Array {
  const idLine = id === undefined ? "" : `id: ${id}\n`;
  return encoder.encode(`${idLine}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** Appends `items` to `list`, keeping only the newest `limit`. */
function keepNewest<T>(list: T[], items: readonly T[], limit: number): void {
  list.push(...items.slice(-limit));
  if (list.length > limit) list.splice(0, list.length - limit);
}

/**
 * The hub: a `Sink` for the pipeline and a source of SSE streams for the control plane.
 *
 * @example
 * ```ts
 * const hub = new SseHub({ health: () => health.snapshot() });
 * runPipeline({ ..., sinks: [journalSink(journal), hub] });
 * const body = hub.connect(); // a text/event-stream response body
 * ```
 */
export class SseHub implements Sink {
  readonly name: string;
  readonly timeframe: Timeframe;
  readonly #limits: RecentLimits;
  readonly #clientBufferBytes: number;
  readonly #options: SseHubOptions;
  readonly #clients = new Set<Client>();
  readonly #books = new Map<string, PositionBook>();
  #seq = 0;
  #closed = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  #tally = {
    trades: 0,
    wins: 0,
    netProfit: 0,
    rejectionsByReason: {} as Record<string, number>,
    dayStartEquity: null as number | null,
  };
  /** The trading day of the latest account point and the equity it ended on. */
  #accountDay: number | null = null;
  #lastEquity: number | null = null;
  readonly #recent = {
    bars: [] as BarEvent[],
    signals: [] as SignalEvent[],
    risk: [] as RiskDecisionEvent[],
    trades: [] as TradeEvent[],
    account: [] as AccountEvent[],
    regimes: [] as RegimeEvent[],
  };

  constructor(options: SseHubOptions = {}) {
    this.name = options.name ?? "dashboard";
    this.timeframe = options.timeframe ?? "M1";
    this.#limits = { ...DEFAULT_RECENT_LIMITS, ...options.limits };
    this.#clientBufferBytes = options.clientBufferBytes ?? 1024 * 1024;
    this.#options = options;
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  write(batch: EventBatch): void {
    const delta = this.#collect(batch);
    if (delta === null) return;
    for (const key of Object.keys(this.#recent) as (keyof RecentLimits)[]) {
      keepNewest(this.#recent[key] as unknown[], delta[key], this.#limits[key]);
    }
    if (this.#clients.size > 0) this.#broadcast(frame("batch", delta, delta.seq));
  }

  /** The recent state (copied: later batches do not change it), health and models, JSON-ready. */
  snapshot(): DashboardSnapshot {
    const recent = this.#recent;
    return {
      v: 1,
      seq: this.#seq,
      timeframe: this.timeframe,
      limits: this.#limits,
      bars: [...recent.bars],
      signals: [...recent.signals],
      risk: [...recent.risk],
      trades: [...recent.trades],
      account: [...recent.account],
      regimes: [...recent.regimes],
      positions: this.#positions(),
      tally: this.#tallyCopy(),
      health: this.#options.health?.() ?? null,
      status: this.#options.status?.() ?? null,
    };
  }

  /**
   * A new client's stream: a `snapshot` frame first, then a `batch` frame per batch and a
   * `status` frame every interval. Cancelling the stream (the client left) removes it.
   */
  connect(): ReadableStream<Uint8Array> {
    let client: Client;
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        client = { controller, limit: this.#clientBufferBytes };
        controller.enqueue(frame("snapshot", this.snapshot(), this.#seq));
        if (this.#closed) {
          controller.enqueue(frame("end", { reason: "the pipeline stopped" }));
          controller.close();
          return;
        }
        this.#clients.add(client);
        this.#startTimer();
      },
      cancel: () => this.#remove(client),
    }, new ByteLengthQueuingStrategy({ highWaterMark: this.#clientBufferBytes }));
  }

  /** Ends every client's stream with an `end` frame; safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const end = frame("end", { reason: "the pipeline stopped" });
    for (const client of [...this.#clients]) {
      this.#send(client, end);
      this.#end(client);
    }
  }

  /** The events of interest in `batch`, or null when it has none. */
  #collect(batch: EventBatch): DashboardDelta | null {
    const bars: BarEvent[] = [];
    const signals: SignalEvent[] = [];
    const risk: RiskDecisionEvent[] = [];
    const trades: TradeEvent[] = [];
    const account: AccountEvent[] = [];
    const regimes: RegimeEvent[] = [];
    let positionsChanged = false;
    for (const event of batch) {
      switch (event.kind) {
        case "bar":
          if (event.timeframe === this.timeframe) bars.push(event);
          break;
        case "signal":
          if (event.side !== "hold") signals.push(event);
          break;
        case "risk":
          risk.push(event);
          this.#countRejection(event);
          break;
        case "account":
          account.push(event);
          this.#countAccount(event);
          break;
        case "regime":
          regimes.push(event);
          break;
        case "order":
          this.#book(event.symbol).onOrder(event);
          positionsChanged = true;
          break;
        case "fill":
          this.#book(event.symbol).onFill(event);
          positionsChanged = true;
          break;
        case "trade":
          this.#book(event.symbol).onTrade(event);
          trades.push(event);
          this.#tally.trades++;
          if (event.pnl > 0) this.#tally.wins++;
          this.#tally.netProfit += event.pnl;
          positionsChanged = true;
          break;
      }
    }
    const lists = { bars, signals, risk, trades, account, regimes };
    if (!positionsChanged && Object.values(lists).every((list) => list.length === 0)) return null;
    const limit = this.#limits;
    return {
      seq: ++this.#seq,
      bars: bars.slice(-limit.bars),
      signals: signals.slice(-limit.signals),
      risk: risk.slice(-limit.risk),
      trades: trades.slice(-limit.trades),
      account: account.slice(-limit.account),
      regimes: regimes.slice(-limit.regimes),
      positions: positionsChanged ? this.#positions() : null,
      tally: this.#tallyCopy(),
    };
  }

  #countRejection(event: RiskDecisionEvent): void {
    if (event.decision !== "reject") return;
    const counts = this.#tally.rejectionsByReason;
    const codes = new Set(event.reasons.map((r) => r.code));
    if (codes.size === 0) codes.add("unspecified");
    for (const code of codes) counts[code] = (counts[code] ?? 0) + 1;
  }

  #countAccount(event: AccountEvent): void {
    const day = tradingDayOf(event.timeUs);
    if (day !== this.#accountDay) {
      this.#tally.dayStartEquity = this.#lastEquity ?? event.equity;
      this.#accountDay = day;
    }
    this.#lastEquity = event.equity;
  }

  #tallyCopy(): DashboardTally {
    return { ...this.#tally, rejectionsByReason: { ...this.#tally.rejectionsByReason } };
  }

  #book(symbol: string): PositionBook {
    let book = this.#books.get(symbol);
    if (book === undefined) this.#books.set(symbol, book = new PositionBook(symbol));
    return book;
  }

  #positions(): OpenPosition[] {
    return [...this.#books.values()].flatMap((book) => book.positions);
  }

  #broadcast(chunk: Uint8Array): void {
    for (const client of [...this.#clients]) this.#send(client, chunk);
  }

  /**
   * Queues `chunk` for one client, or drops the client when it does not fit: a chunk
   * larger than the whole buffer still goes to a client that has nothing queued.
   */
  #send(client: Client, chunk: Uint8Array): void {
    const free = client.controller.desiredSize ?? 0;
    const empty = free >= client.limit;
    if (!empty && chunk.byteLength > free) {
      const queued = client.limit - free;
      this.#drop(
        client,
        `slow client: ${queued} bytes still queued, ${chunk.byteLength} more would pass the ${client.limit}-byte limit`,
      );
      return;
    }
    try {
      client.controller.enqueue(chunk);
    } catch (error) {
      this.#drop(client, `stream closed: ${(error as Error).message}`);
    }
  }

  #drop(client: Client, reason: string): void {
    try {
      client.controller.enqueue(frame("dropped", { reason }));
    } catch {
      // The stream is already closed or errored: there is no one left to tell.
    }
    this.#end(client);
    (this.#options.onDrop ?? console.warn)(`dashboard client dropped: ${reason}`);
  }

  #end(client: Client): void {
    this.#remove(client);
    try {
      client.controller.close();
    } catch {
      // Already closed by the other side.
    }
  }

  #remove(client: Client): void {
    this.#clients.delete(client);
    if (this.#clients.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /** The status frame runs only while someone listens, so an idle hub holds no timer. */
  #startTimer(): void {
    if (this.#timer !== undefined) return;
    if (this.#options.health === undefined && this.#options.status === undefined) return;
    this.#timer = setInterval(() => {
      this.#broadcast(frame("status", {
        health: this.#options.health?.() ?? null,
        status: this.#options.status?.() ?? null,
      }));
    }, this.#options.statusIntervalMs ?? 2000);
  }
}
