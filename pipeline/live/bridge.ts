/**
 * The EA bridge: one MT5 terminal's sessions on the server side of protocol v1
 * (docs/mt5-protocol.md), independent of the transport (HTTP or TCP) that carries them.
 *
 * It validates each envelope, answers retries from memory, reconciles the terminal's
 * positions with the journal on every hello, feeds bars and execution reports into the
 * live pipeline (reports attached to the bar they happened in, as the backtest's
 * simulator books them), and replies with every order command not yet acknowledged.
 * Envelopes are handled one at a time, in arrival order. It must never reply before the
 * envelope's events are journalled, send an order the journal does not hold, or feed a
 * report the journal already has.
 */

import {
  type BarEvent,
  EVENT_VERSION,
  type FillEvent,
  isoFromUs,
  type OrderEvent,
  type PendingOrderEvent,
  type RejectionEvent,
  type Side,
  type TradeEvent,
} from "../events.ts";
import type { MarketEvent } from "../events.ts";
import type { ComponentHealth } from "../health.ts";
import type { RiskEngine } from "../../operators/risk/engine.ts";
import type { RemoteBroker } from "../../operators/execution/remote.ts";
import type { SymbolSpec } from "../symbols.ts";
import type { LiveFeed } from "./feed.ts";
import { FeedGuard } from "./feed_guard.ts";
import type { Plausibility } from "../plausibility.ts";
import {
  type Envelope,
  type Hello,
  parseEnvelope,
  PROTOCOL_VERSION,
  ProtocolError,
  type Reply,
  type TerminalPosition,
} from "./protocol.ts";

/** What the bridge reads from and marks in the journal. */
export interface BridgeJournal {
  /** Positions opened by a journalled fill and not yet closed by a journalled trade. */
  openPositions(symbol: string): readonly { positionId: string; side: Side; lots: number }[];
  /** Orders sent or to send that no fill, rejection or acknowledgement has settled. */
  pendingOrders(): readonly (OrderEvent | PendingOrderEvent)[];
  markOrderDone(
    clientOrderId: string,
    status: "rejected" | "acked" | "cancelled",
    reason: string,
  ): void;
  /** Every journalled fill and trade, read once at start to drop reports sent again. */
  fills(): readonly FillEvent[];
  trades(): readonly TradeEvent[];
}

function fillKey(fill: FillEvent): string {
  return `${fill.clientOrderId}|${fill.action}|${fill.positionId}`;
}

/** MT5 trade-server retcodes with a simulator reason of the same meaning. */
const RETCODE_REASONS: Readonly<Record<string, string>> = {
  "10014": "invalid_lots", // TRADE_RETCODE_INVALID_VOLUME
  "10038": "invalid_lots", // TRADE_RETCODE_INVALID_CLOSE_VOLUME
  "10015": "invalid_price", // TRADE_RETCODE_INVALID_PRICE
  "10021": "invalid_price", // TRADE_RETCODE_PRICE_OFF
  "10016": "invalid_stops", // TRADE_RETCODE_INVALID_STOPS
  "10019": "insufficient_margin", // TRADE_RETCODE_NO_MONEY
  "10036": "unknown_position", // TRADE_RETCODE_POSITION_CLOSED
  "10018": "market_closed", // TRADE_RETCODE_MARKET_CLOSED
};

/**
 * The reason a terminal's rejection code is counted under: the simulator's own reason for
 * an MT5 retcode that means the same, the EA's own codes in lower case (STALE_COMMAND is
 * `expired`, as the simulator's time in force), else `mt5_<code>`.
 */
function rejectReasonOf(code: string): string {
  if (code in RETCODE_REASONS) return RETCODE_REASONS[code];
  if (code === "STALE_COMMAND") return "expired";
  if (/^[A-Za-z_]+$/.test(code)) return code.toLowerCase();
  return `mt5_${code.toLowerCase()}`;
}

export interface BridgeOptions {
  readonly feed: LiveFeed;
  readonly broker: RemoteBroker;
  readonly engine: RiskEngine;
  readonly journal: BridgeJournal;
  readonly spec: SymbolSpec;
  readonly health: ComponentHealth;
  /** A bar closed more than this before the envelope was sent is a backlog (default 120). */
  readonly staleAfterSeconds?: number;
  readonly heartbeatMs?: number;
  /** Wall clock in ms; defaults to `Date.now`. */
  readonly now?: () => number;
  /** Where reconciliation outcomes and other notable events are said. */
  readonly log?: (line: string) => void;
  /** Bounds on the feed's prices and times beyond the defaults (a bar outside: 400). */
  readonly plausibility?: Partial<Plausibility>;
}

interface Session {
  readonly id: string;
  lastSeq: number;
  lastReply: Reply | null;
}

/** How many sessions' retry state is kept; an older session must say hello again. */
const SESSIONS_KEPT = 8;
/** How many recent commands a late rejection can be matched to. */
const SENT_KEPT = 10_000;

export class EaBridge {
  readonly #options: BridgeOptions;
  readonly #sessions = new Map<string, Session>();
  /** Commands the terminal has not acknowledged, by client order id, in issue order. */
  readonly #outbox = new Map<string, OrderEvent | PendingOrderEvent>();
  /** The latest commands sent, acknowledged or not: a late rejection names one of them. */
  readonly #sent = new Map<string, OrderEvent | PendingOrderEvent>();
  readonly #fillsSeen: Set<string>;
  readonly #tradesSeen: Set<string>;
  #queue: Promise<unknown> = Promise.resolve();
  #lastEnvelopeMs: number | null = null;
  #mismatch: string | null = null;
  #lastBarUs = 0;
  readonly #staleUs: number;
  readonly #guard: FeedGuard;

  constructor(options: BridgeOptions) {
    this.#options = options;
    this.#staleUs = (options.staleAfterSeconds ?? 120) * 1_000_000;
    this.#guard = new FeedGuard(options.plausibility);
    const { journal } = options;
    for (const order of journal.pendingOrders()) this.#enqueue(order);
    this.#fillsSeen = new Set(journal.fills().map(fillKey));
    this.#tradesSeen = new Set(journal.trades().map((trade) => trade.positionId));
    options.health.report("idle", "waiting for an EA to say hello");
  }

  /** Handles one envelope from the wire; a bad one throws `ProtocolError` and changes nothing. */
  handle(input: unknown): Promise<Reply> {
    const envelope = parseEnvelope(input);
    const run = this.#queue.then(() => this.#handle(envelope));
    this.#queue = run.catch(() => {});
    return run;
  }

  /** An operator looked at the terminal: lift the UNRECONCILED hold. */
  acceptReconciliation(actor: string): boolean {
    if (this.#mismatch === null) return false;
    this.#say(`reconciliation accepted by ${actor}: ${this.#mismatch}`);
    this.#mismatch = null;
    this.#options.engine.hold("UNRECONCILED", null);
    this.#options.health.report("ok", "reconciled by an operator");
    return true;
  }

  /** Seconds since the last envelope, or null before the first: the feed's wall-clock age. */
  feedAgeSeconds(nowMs = (this.#options.now ?? Date.now)()): number | null {
    return this.#lastEnvelopeMs === null ? null : (nowMs - this.#lastEnvelopeMs) / 1000;
  }

  /** Marks the feed degraded once no envelope came for the staleness limit; call on a timer. */
  checkStaleness(): void {
    const age = this.feedAgeSeconds();
    if (age !== null && age * 1_000_000 > this.#staleUs && this.#mismatch === null) {
      this.#options.health.report("degraded", `feed stale: no envelope for ${age.toFixed(0)} s`);
    }
  }

  async #handle(envelope: Envelope): Promise<Reply> {
    const session = this.#session(envelope);
    if (session.lastReply !== null && envelope.seq === session.lastSeq) return session.lastReply;
    if (envelope.seq !== session.lastSeq + 1) {
      throw new ProtocolError(
        `this session expected seq ${session.lastSeq + 1}, got ${envelope.seq}`,
        409,
      );
    }
    this.#refuseHistory(envelope);
    this.#guard.check(envelope, this.#lastBarUs);
    const { feed, broker, engine, health } = this.#options;
    this.#lastEnvelopeMs = (this.#options.now ?? Date.now)();

    let reports: MarketEvent[] = [];
    let batch: MarketEvent[] = [];
    let batchStale = false;
    const flush = async () => {
      if (batch.length === 0) return;
      if (batchStale) {
        engine.hold(
          "FEED_STALE",
          "the bars decided on are a backlog older than the staleness limit",
        );
      }
      try {
        await feed.push(batch);
      } finally {
        if (batchStale) engine.hold("FEED_STALE", null);
      }
      batch = [];
    };
    for (const message of envelope.messages) {
      switch (message.kind) {
        case "hello":
          this.#reconcile(message, envelope);
          reports.push(message.state);
          break;
        case "reject": {
          // The risk engine hears of it (so its view stays the terminal's) and the journal keeps it.
          const order = this.#sent.get(message.clientOrderId);
          this.#settle(message.clientOrderId, "rejected", `${message.code}: ${message.detail}`);
          if (order === undefined) break;
          reports.push(this.#rejection(
            message.clientOrderId,
            message.timeUs,
            order.kind === "pending" ? "pending" : order.action,
            order.kind === "pending" ? null : order.positionId,
            rejectReasonOf(message.code),
            `${message.code}: ${message.detail}`,
          ));
          break;
        }
        case "cancelled":
          // A pending order acknowledged earlier and gone without a fill: expired or cancelled.
          this.#settle(message.clientOrderId, "cancelled", `${message.reason}: ${message.detail}`);
          reports.push(
            this.#rejection(
              message.clientOrderId,
              message.timeUs,
              "pending",
              null,
              message.reason,
              message.detail,
            ),
          );
          break;
        case "fill":
          if (this.#fillsSeen.has(fillKey(message))) break;
          this.#fillsSeen.add(fillKey(message));
          this.#outbox.delete(message.clientOrderId);
          reports.push(message);
          break;
        case "trade":
          if (this.#tradesSeen.has(message.positionId)) break;
          this.#tradesSeen.add(message.positionId);
          reports.push(message);
          break;
        case "account":
          reports.push(message);
          break;
        case "tick":
          batch.push(message);
          break;
        case "bar": {
          if (message.closeUs <= this.#lastBarUs) {
            // Already processed (a resend after a reconnect or a restart): its reports go
            // with the next new bar.
            health.count("bars already processed");
            break;
          }
          const stale = message.closeUs < envelope.sentUs - this.#staleUs;
          if (stale !== batchStale) await flush();
          batchStale = stale;
          broker.attach(message, reports);
          reports = [];
          batch.push(message);
          this.#lastBarUs = message.closeUs;
          health.sawEvent(message.closeUs);
          health.count("bars");
          break;
        }
      }
    }
    await flush();
    // Reports after the envelope's last bar: their own batch, after it.
    batch = reports;
    batchStale = false;
    await flush();
    // After the messages: a command both acknowledged and rejected in one envelope is rejected.
    for (const id of envelope.acks) this.#settle(id, "acked", "acknowledged by the terminal");
    for (const order of broker.takeOrders()) this.#enqueue(order);

    const reply: Reply = {
      v: PROTOCOL_VERSION,
      seq: envelope.seq,
      commands: [...this.#outbox.values()],
      holds: this.#holds(),
      heartbeatMs: this.#options.heartbeatMs ?? 1000,
      serverTimeUs: (this.#options.now ?? Date.now)() * 1000,
    };
    session.lastSeq = envelope.seq;
    session.lastReply = reply;
    if (this.#mismatch === null) health.report("ok", `session ${session.id}, seq ${envelope.seq}`);
    return reply;
  }

  /** Puts `order` in every reply until the terminal answers for it; keeps it for a late rejection. */
  #enqueue(order: OrderEvent | PendingOrderEvent): void {
    this.#outbox.set(order.clientOrderId, order);
    this.#sent.set(order.clientOrderId, order);
    if (this.#sent.size > SENT_KEPT) this.#sent.delete(this.#sent.keys().next().value!);
  }

  #rejection(
    clientOrderId: string,
    timeUs: number,
    action: RejectionEvent["action"],
    positionId: string | null,
    reason: string,
    detail: string,
  ): RejectionEvent {
    return {
      v: EVENT_VERSION,
      kind: "rejection",
      symbol: this.#options.spec.symbol,
      timeUs,
      clientOrderId,
      action,
      positionId,
      reason,
      detail,
    };
  }

  /**
   * Bars up to `bar` are already in the pipeline's state (replayed from the journal): older
   * ones are dropped, and the next is judged for plausibility against it.
   */
  resumeAfter(bar: BarEvent): void {
    this.#lastBarUs = Math.max(this.#lastBarUs, bar.closeUs);
    this.#guard.resumeAfter(bar);
  }

  /**
   * Refuses an envelope whose bars all end well before the last bar processed: a terminal
   * replaying history into a journal that has moved past it. A resend after a reconnect
   * overlaps the last bars and passes; its old bars are dropped one by one.
   */
  #refuseHistory(envelope: Envelope): void {
    let newest = -Infinity;
    for (const message of envelope.messages) {
      if (message.kind === "bar") newest = Math.max(newest, message.closeUs);
    }
    if (newest === -Infinity || newest >= this.#lastBarUs - this.#staleUs) return;
    throw new ProtocolError(
      `the envelope's bars end at ${isoFromUs(newest)}, before the last bar processed (${
        isoFromUs(this.#lastBarUs)
      }): time cannot go back; to replay history, start serve on a fresh journal (--db)`,
      409,
    );
  }

  /** Why new orders are held now, as of the latest bar. */
  #holds(): Reply["holds"] {
    const status = this.#options.engine.status(this.#lastBarUs);
    if (status.state !== "halted") return [];
    return status.reasons.map(({ code, detail }) => ({ code, detail }));
  }

  #session(envelope: Envelope): Session {
    const known = this.#sessions.get(envelope.session);
    if (known !== undefined) return known;
    if (envelope.messages[0]?.kind !== "hello") {
      throw new ProtocolError("hello required: the session is not known", 409);
    }
    if (envelope.seq !== 1) {
      throw new ProtocolError(
        `a new session expected seq 1, got ${envelope.seq}`,
        409,
      );
    }
    const session: Session = { id: envelope.session, lastSeq: 0, lastReply: null };
    this.#sessions.set(session.id, session);
    while (this.#sessions.size > SESSIONS_KEPT) {
      this.#sessions.delete(this.#sessions.keys().next().value!);
    }
    return session;
  }

  /** Settles a pending command; one that is not pending (filled, settled) is left alone. */
  #settle(
    clientOrderId: string,
    status: "acked" | "rejected" | "cancelled",
    reason: string,
  ): void {
    if (this.#outbox.delete(clientOrderId)) {
      this.#options.journal.markOrderDone(clientOrderId, status, reason);
    } else if (status === "rejected") {
      this.#say(`ignored a rejection of ${clientOrderId}, which is not pending: ${reason}`);
    }
  }

  /**
   * Compares the terminal's positions with the journal's as they will be once this
   * envelope's own reports are in (a hello sent again after a server crash carries the
   * fills the crashed server never committed, and the terminal's list already has them);
   * a difference holds new orders.
   */
  #reconcile(hello: Hello, envelope: Envelope): void {
    const { spec, journal, engine, health } = this.#options;
    if (hello.symbol.name !== spec.symbol || hello.symbol.contractSize !== spec.contractSize) {
      throw new ProtocolError(
        `the terminal's ${hello.symbol.name} (contract ${hello.symbol.contractSize}) is not the server's ${spec.symbol} (contract ${spec.contractSize})`,
        409,
      );
    }
    const terms = termDifferences(hello, spec);
    if (terms.length > 0) {
      throw new ProtocolError(
        `the terminal's terms differ from the server's broker profile: ${terms.join("; ")}. ` +
          "Start serve with a profile copied from this terminal (--broker FILE)",
        409,
      );
    }
    const expected = new Map(journal.openPositions(spec.symbol).map((p) => [p.positionId, p]));
    for (const message of envelope.messages) {
      if (message.kind === "fill" && message.symbol === spec.symbol) {
        if (message.action === "open" && !this.#fillsSeen.has(fillKey(message))) {
          const { positionId, side, lots } = message;
          const held = expected.get(positionId)?.lots ?? 0;
          expected.set(positionId, { positionId, side, lots: held + lots });
        }
      } else if (message.kind === "trade" && !this.#tradesSeen.has(message.positionId)) {
        expected.delete(message.positionId);
      }
    }
    const differences = positionDifferences([...expected.values()], hello.positions);
    if (differences.length === 0) {
      if (this.#mismatch !== null) {
        this.#say("reconciled: the terminal now agrees with the journal");
      }
      this.#mismatch = null;
      engine.hold("UNRECONCILED", null);
      return;
    }
    this.#mismatch = differences.join("; ");
    engine.hold("UNRECONCILED", `terminal and journal disagree: ${this.#mismatch}`);
    health.report("degraded", `new orders held: terminal and journal disagree: ${this.#mismatch}`);
    this.#say(`reconciliation failed, new orders held: ${this.#mismatch}`);
  }

  #say(line: string): void {
    (this.#options.log ?? console.error)(`ea-bridge: ${line}`);
  }
}

/**
 * Where the terminal's lots and leverage differ from the server's profile: risk would size
 * orders the terminal refuses, or margin it cannot hold.
 */
function termDifferences(hello: Hello, spec: SymbolSpec): string[] {
  const out: string[] = [];
  const pairs: [string, number, number][] = [
    ["volumeMin / minLot", hello.symbol.volumeMin, spec.minLot],
    ["volumeStep / lotStep", hello.symbol.volumeStep, spec.lotStep],
    ["volumeMax / maxLot", hello.symbol.volumeMax, spec.maxLot],
    ["leverage", hello.account.leverage, spec.leverage],
  ];
  for (const [name, terminal, server] of pairs) {
    if (Math.abs(terminal - server) > 1e-9 * Math.max(1, server)) {
      out.push(`${name} is ${terminal} at the terminal, ${server} in the profile`);
    }
  }
  return out;
}

/** Every way the two position lists differ, in words. */
export function positionDifferences(
  journal: readonly { positionId: string; side: Side; lots: number }[],
  terminal: readonly TerminalPosition[],
): string[] {
  const out: string[] = [];
  const known = new Map(journal.map((p) => [p.positionId, p]));
  for (const position of terminal) {
    const mine = known.get(position.positionId);
    known.delete(position.positionId);
    if (mine === undefined) {
      out.push(
        `position ${position.positionId} (${position.side} ${position.lots} ${position.symbol}) is not in the journal`,
      );
    } else if (mine.side !== position.side || Math.abs(mine.lots - position.lots) > 1e-9) {
      out.push(
        `position ${position.positionId} is ${position.side} ${position.lots} in the terminal, ${mine.side} ${mine.lots} in the journal`,
      );
    }
  }
  for (const missing of known.values()) {
    out.push(
      `position ${missing.positionId} (${missing.side} ${missing.lots}) is not in the terminal`,
    );
  }
  return out;
}
