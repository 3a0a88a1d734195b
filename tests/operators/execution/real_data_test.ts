/**
 * Invariants of `SimulatedBroker` over real replays, checked by an independent ledger
 * built only from the events it emits: a deterministic order generator trades OANDA M1
 * bid/ask bars, the MT5 export (spread column), HistData 2017 (bid only: the spread model)
 * and a day of OANDA ticks. For every price:
 * - every fill's quote (price less its slippage) lies in the bar's bid range (sells) or
 *   ask range (buys), and equals the open when it is dated before the close;
 * - every opening fill had an accepted risk decision; orders without one never fill;
 * - at every account event, balance = the previous balance + the closes' gross less
 *   commissions + the swaps due (by an `Intl` rollover calendar), and equity = balance +
 *   open P&L (longs at the bid, shorts at the ask, less entry commission);
 * - each trade's P&L = gross - commission + swap, with MAE <= gross <= MFE;
 * and at the end, the sum of trade P&L = final balance - initial balance.
 */

import { orderAuthority } from "@/operators/execution/remote.ts";
import assert from "node:assert/strict";
import { from, lastValueFrom, toArray } from "rxjs";
import { dataPath, dataTest } from "../../_data.ts";
import {
  EVENT_VERSION,
  type EventBatch,
  type FillEvent,
  type MarketEvent,
  type OrderEvent,
  type Side,
  US_PER_DAY,
  US_PER_HOUR,
  usFromIso,
} from "@/pipeline/events.ts";
import { eventsOf, eventTimeUs } from "@/pipeline/replay.ts";
import { commissionFor, marginFor } from "@/pipeline/symbols.ts";
import { openSource } from "@/sources/mod.ts";
import type { SourceOptions } from "@/sources/source.ts";
import {
  emptyQuotes,
  type ExecutionConfigInput,
  type ExecutionSettings,
  quoteBar,
  type Quotes,
  quoteTick,
  roundCents,
  SimulatedBroker,
  simulateExecution,
  SpreadModel,
} from "@/operators/execution/mod.ts";

const OANDA_M1 = "xauusd_ticks_oanda/XAUUSD_OANDA_M1_quote_20140501-20140515.csv";
const OANDA_TICKS = "xauusd_ticks_oanda/XAUUSD_OANDA_ticks_20140501-20140515.csv.gz";
const MT5 = "xauusd_m1_mt5_export/XAUUSD_M1.csv";
const HISTDATA_2017 = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz";

/**
 * Every `every`-th price it trades: alternately buys and sells 0.10 or 0.20 lot with a
 * stop 2.50 and a target 4.00 from the exit side; some positions are closed 30 prices
 * later or have their stop moved 10 prices later; some orders are sent twice, and some
 * without a risk decision.
 */
class OrderGenerator {
  private count = 0;
  private seq = 0;
  private readonly later = new Map<number, OrderEvent[]>();
  /** Client order ids the generator authorised with an accepted risk decision. */
  readonly accepted = new Set<string>();
  /** Opening orders sent without a decision: none may ever fill. */
  readonly unauthorised = new Set<string>();
  duplicatesSent = 0;

  constructor(private readonly every: number) {}

  /** Decisions and orders made at `timeUs`, after the price with these quotes. */
  after(timeUs: number, q: Quotes): MarketEvent[] {
    const made: MarketEvent[] = [];
    this.count++;
    for (const order of this.later.get(this.count) ?? []) made.push(this.stamp(order, timeUs, q));
    this.later.delete(this.count);
    if (this.count % this.every !== 0) return made;
    const n = this.seq++;
    const side: Side = n % 2 === 0 ? "buy" : "sell";
    const id = `o${n}`;
    const dir = side === "buy" ? 1 : -1;
    const exitQuote = side === "buy" ? q.bidClose : q.askClose;
    const order: OrderEvent = {
      v: EVENT_VERSION,
      kind: "order",
      symbol: "XAUUSD",
      timeUs,
      clientOrderId: id,
      action: "open",
      side,
      lots: n % 3 === 0 ? 0.2 : 0.1,
      stopLoss: round2(exitQuote - dir * 2.5),
      takeProfit: round2(exitQuote + dir * 4),
      positionId: null,
      reason: "signal",
    };
    if (n % 11 === 4) {
      this.unauthorised.add(id);
    } else {
      made.push(orderAuthority(order));
      this.accepted.add(id);
    }
    made.push(order);
    if (n % 9 === 3) {
      made.push(order);
      this.duplicatesSent++;
    }
    const exitSide: Side = side === "buy" ? "sell" : "buy";
    if (n % 4 === 1) {
      this.schedule(30, {
        ...order,
        clientOrderId: `${id}-close`,
        action: "close",
        side: exitSide,
        positionId: id,
      });
    }
    if (n % 5 === 2) {
      this.schedule(10, {
        ...order,
        clientOrderId: `${id}-modify`,
        action: "modify",
        positionId: id,
      });
    }
    return made;
  }

  private schedule(prices: number, order: OrderEvent): void {
    const at = this.count + prices;
    this.later.set(at, [...(this.later.get(at) ?? []), order]);
  }

  /** A later order, dated now; a modify moves the stop to 1.00 from the current exit side. */
  private stamp(order: OrderEvent, timeUs: number, q: Quotes): OrderEvent {
    if (order.action !== "modify") return { ...order, timeUs };
    const dir = order.side === "buy" ? 1 : -1;
    const exitQuote = dir === 1 ? q.bidClose : q.askClose;
    return { ...order, timeUs, stopLoss: round2(exitQuote - dir * 1) };
  }
}

function round2(price: number): number {
  return Math.round(price * 100) / 100;
}

/** 17:00 New York rollovers (Monday to Friday) in [fromUs, toUs), by `Intl`, with their nights. */
function intlRollovers(fromUs: number, toUs: number): { timeUs: number; nights: number }[] {
  const ny = new Intl.DateTimeFormat("en-US", {
    timeZone: "America/New_York",
    weekday: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });
  const out: { timeUs: number; nights: number }[] = [];
  for (let day = Math.floor(fromUs / US_PER_DAY) * US_PER_DAY; day < toUs; day += US_PER_DAY) {
    for (const hour of [21, 22]) {
      const t = day + hour * US_PER_HOUR;
      const p = Object.fromEntries(ny.formatToParts(t / 1000).map((x) => [x.type, x.value]));
      if (p.hour !== "17" || p.minute !== "00" || p.weekday === "Sat" || p.weekday === "Sun") {
        continue;
      }
      if (t >= fromUs && t < toUs) out.push({ timeUs: t, nights: p.weekday === "Wed" ? 3 : 1 });
    }
  }
  return out;
}

interface LedgerPosition {
  readonly dir: 1 | -1;
  readonly lots: number;
  readonly price: number;
  readonly commission: number;
  swap: number;
}

/** The account rebuilt from the broker's events alone, checked at every price. */
class Ledger {
  readonly positions = new Map<string, LedgerPosition>();
  balance: number;
  pnlSum = 0;
  fills = 0;
  trades = 0;
  accounts = 0;
  swaps = 0;
  private lastClosed: { gross: number; commission: number; swap: number } | null = null;
  private rollovers: { timeUs: number; nights: number }[] = [];
  private nextRollover = 0;
  /** The rollover calendar is built 30 days at a time, up to here. */
  private calendarEndUs: number;
  private prevStartUs = -Infinity;
  private readonly contract: number;

  constructor(
    private readonly settings: ExecutionSettings,
    private readonly generator: OrderGenerator,
    fromUs: number,
  ) {
    this.balance = settings.initialBalance;
    this.contract = settings.spec.contractSize;
    this.calendarEndUs = fromUs;
  }

  /**
   * Checks what the broker made on one price with quotes `q` over [startUs, endUs];
   * `rollovers` false for the end-of-data close, which is no new price.
   */
  onPrice(
    startUs: number,
    endUs: number,
    q: Quotes,
    made: readonly MarketEvent[],
    rollovers = true,
  ): void {
    let pending = 0;
    while (rollovers && this.calendarEndUs <= startUs) {
      this.rollovers = this.rollovers.slice(this.nextRollover);
      this.nextRollover = 0;
      this.rollovers.push(
        ...intlRollovers(this.calendarEndUs, this.calendarEndUs + 30 * US_PER_DAY),
      );
      this.calendarEndUs += 30 * US_PER_DAY;
    }
    while (
      rollovers &&
      this.nextRollover < this.rollovers.length &&
      this.rollovers[this.nextRollover].timeUs <= startUs
    ) {
      const { timeUs, nights } = this.rollovers[this.nextRollover++];
      if (timeUs <= this.prevStartUs) continue;
      for (const p of this.positions.values()) {
        const perLot = p.dir === 1
          ? this.settings.spec.swapLongPerLot
          : this.settings.spec.swapShortPerLot;
        const amount = roundCents(perLot * p.lots * nights);
        p.swap = roundCents(p.swap + amount);
        pending += amount;
        this.swaps++;
      }
    }
    this.prevStartUs = startUs;
    let closing = false;
    for (const e of made) {
      const t = eventTimeUs(e);
      assert.ok(
        t >= startUs && t <= endUs,
        `${e.kind} at ${t} outside its price [${startUs}, ${endUs}]`,
      );
      if (t === endUs) closing = true;
      else assert.ok(!closing, "an event dated at the open follows one dated at the close");
      if (e.kind === "fill") pending += this.onFill(e, t < endUs || startUs === endUs, q);
      else if (e.kind === "trade") this.onTrade(e);
      else if (e.kind === "account") {
        this.accounts++;
        this.balance = roundCents(this.balance + pending);
        pending = 0;
        assert.ok(
          Math.abs(e.balance - this.balance) < 1e-6,
          `balance ${e.balance} != ledger ${this.balance}`,
        );
        const atOpen = t < endUs;
        const bid = atOpen ? q.bidOpen : q.bidClose;
        const ask = atOpen ? q.askOpen : q.askClose;
        let open = 0;
        let margin = 0;
        for (const p of this.positions.values()) {
          open += p.dir * ((p.dir === 1 ? bid : ask) - p.price) * this.contract * p.lots -
            p.commission;
          // Margin moves with the price: a long's at the ask, a short's at the bid.
          margin += roundCents(marginFor(this.settings.spec, p.dir === 1 ? ask : bid, p.lots));
        }
        assert.ok(
          Math.abs(e.equity - (e.balance + open)) <= 0.005 + 1e-9,
          `equity ${e.equity} != balance ${e.balance} + open P&L ${open}`,
        );
        assert.ok(Math.abs(e.margin - margin) < 1e-6, `margin ${e.margin} != ${margin}`);
        assert.equal(e.openPositions, this.positions.size);
      }
    }
    assert.equal(pending, 0, "the balance changed without an account event");
  }

  /** Checks a fill and returns the cash it books (closes only). */
  private onFill(f: FillEvent, atOpen: boolean, q: Quotes): number {
    this.fills++;
    const quote = f.side === "buy" ? f.price - f.slippage : f.price + f.slippage;
    const [low, high, open] = f.side === "buy"
      ? [q.askLow, q.askHigh, q.askOpen]
      : [q.bidLow, q.bidHigh, q.bidOpen];
    assert.ok(
      quote >= low - 1e-9 && quote <= high + 1e-9,
      `${f.side} at ${quote} outside [${low}, ${high}]`,
    );
    if (atOpen) assert.ok(Math.abs(quote - open) < 1e-9, `fill at the open ${quote} != ${open}`);
    const commission = roundCents(commissionFor(this.settings.spec, f.price, f.lots));
    assert.equal(f.commission, commission);
    if (f.action === "open") {
      assert.ok(
        this.generator.accepted.has(f.clientOrderId),
        `${f.clientOrderId} filled without a risk decision`,
      );
      assert.ok(!this.positions.has(f.positionId), `${f.positionId} opened twice`);
      this.positions.set(f.positionId, {
        dir: f.side === "buy" ? 1 : -1,
        lots: f.lots,
        price: f.price,
        commission,
        swap: 0,
      });
      return 0;
    }
    const p = this.positions.get(f.positionId);
    assert.ok(p !== undefined, `${f.positionId} closed while not open`);
    assert.equal(f.side, p.dir === 1 ? "sell" : "buy");
    this.positions.delete(f.positionId);
    const gross = roundCents(p.dir * (f.price - p.price) * this.contract * p.lots);
    const total = roundCents(p.commission + commission);
    this.lastClosed = { gross, commission: total, swap: p.swap };
    return gross - total;
  }

  private onTrade(trade: Extract<MarketEvent, { kind: "trade" }>): void {
    this.trades++;
    const closed = this.lastClosed;
    assert.ok(closed !== null, "a trade without its closing fill");
    this.lastClosed = null;
    assert.equal(trade.commission, closed.commission);
    assert.equal(trade.swap, closed.swap);
    assert.equal(trade.pnl, roundCents(closed.gross - closed.commission + closed.swap));
    assert.ok(
      trade.mae <= closed.gross + 1e-9 && closed.gross <= trade.mfe + 1e-9,
      "MAE <= gross <= MFE",
    );
    assert.ok(trade.spreadCost >= 0);
    this.pnlSum += trade.pnl;
  }
}

interface Replay {
  readonly broker: SimulatedBroker;
  readonly ledger: Ledger;
  readonly generator: OrderGenerator;
  /** Everything the broker emitted, in order. */
  readonly emitted: MarketEvent[];
}

/** Replays `rel` through a broker directly, checking each price with the ledger. */
async function replay(
  rel: string,
  config: ExecutionConfigInput,
  every: number,
  options: SourceOptions = {},
): Promise<Replay> {
  const source = await openSource(dataPath(rel), options);
  const broker = new SimulatedBroker(config);
  const generator = new OrderGenerator(every);
  const model = broker.settings.spreadModel;
  const q = emptyQuotes();
  const emitted: MarketEvent[] = [];
  let ledger: Ledger | null = null;
  let lastUs = -Infinity;
  const made: MarketEvent[] = [];
  for await (const batch of source.batches()) {
    for (const event of eventsOf(batch, source.symbol)) {
      let startUs: number, endUs: number;
      made.length = 0;
      if (event.kind === "bar") {
        broker.onBar(event, made);
        quoteBar(event, model, q);
        [startUs, endUs] = [event.openUs, event.closeUs];
      } else if (event.kind === "tick") {
        broker.onTick(event, made);
        quoteTick(event, q);
        [startUs, endUs] = [event.timeUs, event.timeUs];
      } else continue;
      ledger ??= new Ledger(broker.settings, generator, startUs);
      ledger.onPrice(startUs, endUs, q, made);
      emitted.push(...made);
      lastUs = endUs;
      for (const input of generator.after(endUs, q)) {
        if (input.kind === "risk") broker.noteRiskDecision(input);
        else if (input.kind === "order") {
          // A refusal on arrival is an event of its own, as simulateExecution emits it.
          const result = broker.submit(input);
          if (result.status === "rejected") emitted.push(result.event);
        }
      }
    }
  }
  assert.ok(ledger !== null, `no prices in ${rel}`);
  const last = broker.closeAll("end_of_data");
  ledger.onPrice(lastUs, lastUs, { ...q, bidOpen: q.bidClose, askOpen: q.askClose }, last, false);
  emitted.push(...last);
  return { broker, ledger, generator, emitted };
}

/** The end-of-run checks every replay shares. */
function assertClosedBooks(run: Replay, minTrades: number): void {
  const { broker, ledger, generator } = run;
  const initial = broker.settings.initialBalance;
  assert.equal(broker.openPositions().length, 0);
  assert.ok(ledger.trades >= minTrades, `only ${ledger.trades} trades`);
  assert.ok(
    Math.abs(ledger.pnlSum - (broker.balance - initial)) < 1e-6,
    "sum of trade P&L != balance change",
  );
  assert.equal(broker.balance, ledger.balance);
  assert.equal(broker.stats.duplicates, generator.duplicatesSent);
  assert.equal(broker.stats.trades, ledger.trades);
  const refused = new Set(
    broker.rejections.filter((r) => r.reason === "no_risk_decision").map((r) => r.clientOrderId),
  );
  assert.deepEqual(refused, generator.unauthorised);
  assert.ok(ledger.swaps > 0, "no swap was ever booked");
}

/** Reports the run's figures, so a reader sees what the invariants covered. */
function summary(name: string, run: Replay): void {
  const { broker, ledger } = run;
  const reasons: Record<string, number> = {};
  for (const r of broker.rejections) reasons[r.reason] = (reasons[r.reason] ?? 0) + 1;
  console.log(
    `${name}: ${ledger.fills} fills, ${ledger.trades} trades, ${ledger.accounts} account events, ` +
      `${ledger.swaps} swap bookings, balance ${broker.balance.toFixed(2)}, refused ${
        JSON.stringify(reasons)
      }`,
  );
}

dataTest("SimulatedBroker keeps its invariants over OANDA M1 bid/ask bars", OANDA_M1, async () => {
  const run = await replay(OANDA_M1, {}, 97);
  assertClosedBooks(run, 100);
  summary("OANDA M1", run);
});

dataTest(
  "SimulatedBroker keeps its invariants over the MT5 export's spread column",
  MT5,
  async () => {
    const run = await replay(MT5, { slippagePoints: 0 }, 131);
    assertClosedBooks(run, 300);
    summary("MT5 M1", run);
  },
);

dataTest(
  "SimulatedBroker keeps its invariants over HistData 2017 with the spread model",
  HISTDATA_2017,
  async () => {
    const run = await replay(HISTDATA_2017, {}, 211);
    assertClosedBooks(run, 1000);
    summary("HistData 2017", run);
  },
);

dataTest(
  "SimulatedBroker fills on the first OANDA tick at or after decision + latency",
  OANDA_TICKS,
  async () => {
    const options = {
      fromUs: usFromIso("2014-05-05T00:00:00Z"),
      toUs: usFromIso("2014-05-07T00:00:00Z"),
    };
    const run = await replay(OANDA_TICKS, {}, 1500, options);
    assertClosedBooks(run, 50);
    // Each opening fill is on the first tick at or after its decision + 250 ms.
    const source = await openSource(dataPath(OANDA_TICKS), options);
    const times: number[] = [];
    for await (const batch of source.batches()) {
      if (batch.kind === "ticks") {
        times.push(...batch.timeUs);
      }
    }
    const decided = new Map<string, number>();
    let k = 0;
    const opens = run.emitted.filter((e): e is FillEvent =>
      e.kind === "fill" && e.action === "open"
    );
    for (const fill of opens) {
      // The generator decides on every 1500th tick, at that tick's time.
      const n = Number(fill.clientOrderId.slice(1));
      decided.set(fill.clientOrderId, times[(n + 1) * 1500 - 1]);
      const due = decided.get(fill.clientOrderId)! + 250_000;
      while (times[k] < due) k++;
      assert.equal(
        fill.timeUs,
        times[k],
        `${fill.clientOrderId} not on the first tick after ${due}`,
      );
    }
    assert.ok(opens.length > 50);
    summary("OANDA ticks", run);
  },
);

dataTest(
  "simulateExecution() emits exactly the broker's events, in time order, on a real replay",
  OANDA_M1,
  async () => {
    const direct = await replay(OANDA_M1, {}, 97);
    const source = await openSource(dataPath(OANDA_M1));
    const generator = new OrderGenerator(97);
    const q = emptyQuotes();
    const model = new SpreadModel(0.30);
    const batches: EventBatch[] = [];
    for await (const batch of source.batches()) {
      const events: MarketEvent[] = [];
      for (const bar of eventsOf(batch, source.symbol)) {
        if (bar.kind !== "bar") continue;
        events.push(bar, ...generator.after(bar.closeUs, quoteBar(bar, model, q)));
      }
      batches.push(events);
    }
    const broker = new SimulatedBroker();
    const out = (await lastValueFrom(from(batches).pipe(simulateExecution(broker), toArray())))
      .flat();
    for (let i = 1; i < out.length; i++) {
      assert.ok(eventTimeUs(out[i - 1]) <= eventTimeUs(out[i]), `event ${i} goes back in time`);
    }
    const made = out.filter((e) =>
      e.kind === "fill" || e.kind === "trade" || e.kind === "account" || e.kind === "rejection"
    );
    assert.deepEqual(made, direct.emitted);
    assert.deepEqual(broker.stats, direct.broker.stats);
  },
);
