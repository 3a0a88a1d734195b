/**
 * MT5 protocol v1: what an Expert Advisor and the server say to each other, validated
 * with zod at the edge (docs/mt5-protocol.md is the prose version).
 *
 * The EA sends envelopes (`POST /v1/ea/sync`, or one line each over TCP) holding the
 * pipeline's own events (closed bars, ticks, account reports, fills, closed trades) plus
 * a `hello`, order rejections and pending-order cancellations; the server answers every
 * envelope with the order commands (market and pending) not yet acknowledged. Market and execution messages *are* `pipeline/events.ts`
 * events, so nothing is translated twice and a NATS transport can carry them unchanged.
 * This module only describes and validates; it must never hold session state.
 */

import { z } from "zod";
import {
  type AccountEvent,
  type BarEvent,
  ENTRY_REASONS,
  EVENT_VERSION,
  EXIT_REASONS,
  type FillEvent,
  type OrderEvent,
  type PendingOrderEvent,
  type TickEvent,
  TIMEFRAMES,
  type TradeEvent,
} from "../events.ts";

export const PROTOCOL_VERSION = 1 as const;

/** Integer epoch microseconds, UTC. */
const timeUs = z.number().int().nonnegative();
const price = z.number().positive().finite();
const money = z.number().finite();
const lots = z.number().positive().finite();
const side = z.enum(["buy", "sell"]);
const symbol = z.string().min(1).max(32);
const id = z.string().min(1).max(128);
const v = z.literal(EVENT_VERSION);

const ohlc = z.object({ open: price, high: price, low: price, close: price }).refine(
  (bar) => bar.low <= Math.min(bar.open, bar.close) && bar.high >= Math.max(bar.open, bar.close),
  { message: "high/low must contain open and close" },
);

export const barSchema: z.ZodType<BarEvent> = z.object({
  v,
  kind: z.literal("bar"),
  symbol,
  timeframe: z.enum(TIMEFRAMES),
  openUs: timeUs,
  closeUs: timeUs,
  bid: ohlc,
  ask: ohlc.nullable(),
  spread: z.number().nonnegative().finite().nullable(),
  volume: z.number().nonnegative().finite(),
}).refine((bar) => bar.closeUs > bar.openUs, { message: "closeUs must follow openUs" });

export const tickSchema: z.ZodType<TickEvent> = z.object({
  v,
  kind: z.literal("tick"),
  symbol,
  timeUs,
  bid: price,
  ask: price,
}).refine((tick) => tick.ask >= tick.bid, { message: "ask below bid" });

export const accountSchema: z.ZodType<AccountEvent> = z.object({
  v,
  kind: z.literal("account"),
  timeUs,
  balance: money,
  equity: money,
  margin: z.number().nonnegative().finite(),
  openPositions: z.number().int().nonnegative(),
});

const exitReason = z.enum(EXIT_REASONS);

export const fillSchema: z.ZodType<FillEvent> = z.object({
  v,
  kind: z.literal("fill"),
  symbol,
  timeUs,
  clientOrderId: id,
  positionId: id,
  action: z.enum(["open", "close"]),
  side,
  lots,
  price,
  commission: money,
  slippage: z.number().finite(),
  reason: z.union([z.enum(ENTRY_REASONS), exitReason]),
});

export const tradeSchema: z.ZodType<TradeEvent> = z.object({
  v,
  kind: z.literal("trade"),
  symbol,
  positionId: id,
  side,
  lots,
  entryTimeUs: timeUs,
  entryPrice: price,
  exitTimeUs: timeUs,
  exitPrice: price,
  exitReason,
  pnl: money,
  commission: money,
  swap: money,
  spreadCost: money,
  mae: money,
  mfe: money,
});

/** A position the terminal holds, as it reports it on (re)connect for reconciliation. */
export interface TerminalPosition {
  readonly positionId: string;
  /** The client order id the EA wrote into the order comment; null for a manual trade. */
  readonly clientOrderId: string | null;
  readonly symbol: string;
  readonly side: "buy" | "sell";
  readonly lots: number;
  readonly openPrice: number;
  readonly stopLoss: number | null;
  readonly takeProfit: number | null;
}

const positionSchema: z.ZodType<TerminalPosition> = z.object({
  positionId: id,
  clientOrderId: id.nullable(),
  symbol,
  side,
  lots,
  openPrice: price,
  stopLoss: price.nullable(),
  takeProfit: price.nullable(),
});

/** The symbol as the terminal specifies it; checked against the server's own spec. */
export const symbolSpecSchema = z.object({
  name: symbol,
  digits: z.number().int().min(0).max(8),
  point: z.number().positive(),
  contractSize: z.number().positive(),
  volumeMin: lots,
  volumeMax: lots,
  volumeStep: lots,
});

export const helloSchema = z.object({
  kind: z.literal("hello"),
  /** The EA build, for the logs. */
  ea: z.string().min(1).max(64),
  account: z.object({
    login: z.string().min(1).max(32),
    server: z.string().max(128),
    currency: z.string().min(3).max(8),
    leverage: z.number().int().positive(),
  }),
  symbol: symbolSpecSchema,
  /** The account as it stands: the opening account report. */
  state: accountSchema,
  positions: z.array(positionSchema).max(1000),
});
export type Hello = z.infer<typeof helloSchema>;

/** The terminal refused or could not execute a command. */
export const rejectSchema = z.object({
  kind: z.literal("reject"),
  clientOrderId: id,
  timeUs,
  /** The terminal's code (MT5 retcode or the EA's own, such as "STALE_COMMAND"). */
  code: z.string().min(1).max(64),
  detail: z.string().max(512),
});
export type Reject = z.infer<typeof rejectSchema>;

// ---- Pending orders (limit and stop entries, one-cancels-other groups) ----

/**
 * A pending-order command (server -> EA), in the reply's `commands` beside the market
 * orders and in issue order: place a buy or sell limit or stop at `price` with its stop,
 * target, expiry and one-cancels-other group. The EA cancels the group's other orders when
 * one fills, and deletes an order at its expiry.
 */
export const pendingCommandSchema: z.ZodType<PendingOrderEvent> = z.object({
  v,
  kind: z.literal("pending"),
  symbol,
  timeUs,
  clientOrderId: id,
  side,
  type: z.enum(["limit", "stop"]),
  price,
  lots,
  stopLoss: price.nullable(),
  takeProfit: price.nullable(),
  expiresUs: timeUs.nullable(),
  ocoGroup: id.nullable(),
  reason: z.string().max(64),
});

/**
 * A pending order the terminal no longer holds without a fill (EA -> server): it expired,
 * was cancelled by a cancel command, or was cancelled because another order of its
 * one-cancels-other group filled.
 */
export const cancelledSchema = z.object({
  kind: z.literal("cancelled"),
  clientOrderId: id,
  timeUs,
  reason: z.enum(["expired", "cancelled"]),
  detail: z.string().max(512),
});
export type Cancelled = z.infer<typeof cancelledSchema>;

export const messageSchema = z.discriminatedUnion("kind", [
  helloSchema,
  cancelledSchema,
  barSchema as unknown as z.ZodObject<{ kind: z.ZodLiteral<"bar"> }>,
  tickSchema as unknown as z.ZodObject<{ kind: z.ZodLiteral<"tick"> }>,
  accountSchema as unknown as z.ZodObject<{ kind: z.ZodLiteral<"account"> }>,
  fillSchema as unknown as z.ZodObject<{ kind: z.ZodLiteral<"fill"> }>,
  tradeSchema as unknown as z.ZodObject<{ kind: z.ZodLiteral<"trade"> }>,
  rejectSchema,
]);
export type EaMessage =
  | Hello
  | BarEvent
  | TickEvent
  | AccountEvent
  | FillEvent
  | TradeEvent
  | Reject
  | Cancelled;

/** At most this many messages in one envelope: a backlog is sent in several. */
export const MAX_MESSAGES = 5000;

export const envelopeSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  /** One EA run: a new session must start with a hello. */
  session: id,
  /** 1, 2, 3... per session; a retry repeats the same seq with the same content. */
  seq: z.number().int().positive(),
  /** The EA's clock (UTC µs) when it sent the envelope: the feed's staleness is judged on it. */
  sentUs: timeUs,
  messages: z.array(messageSchema).max(MAX_MESSAGES),
  /** Client order ids of commands the EA has received and handled (executed or rejected). */
  acks: z.array(id).max(MAX_MESSAGES).default([]),
});
export interface Envelope {
  readonly v: typeof PROTOCOL_VERSION;
  readonly session: string;
  readonly seq: number;
  readonly sentUs: number;
  readonly messages: readonly EaMessage[];
  readonly acks: readonly string[];
}

/** What the server says to one envelope. */
export interface Reply {
  readonly v: typeof PROTOCOL_VERSION;
  readonly seq: number;
  /**
   * Every command the EA has not acknowledged yet, oldest first; the EA dedupes by id.
   * Market orders (`kind: "order"`) and pending orders (`kind: "pending"`) in issue order.
   */
  readonly commands: readonly (OrderEvent | PendingOrderEvent)[];
  /** New orders are held for these reasons (stale feed, unreconciled positions...). */
  readonly holds: readonly { readonly code: string; readonly detail: string }[];
  /** Send the next envelope within this many ms even with nothing to say (heartbeat). */
  readonly heartbeatMs: number;
  readonly serverTimeUs: number;
}

/** A request the server cannot take, with the path of the offending field. */
export class ProtocolError extends Error {
  constructor(
    message: string,
    /** HTTP-like status: 400 malformed, 409 out of sequence or hello missing. */
    readonly status: 400 | 409,
  ) {
    super(message);
    this.name = "ProtocolError";
  }
}

/** Validates an envelope from the wire; the error names the first bad field by its path. */
export function parseEnvelope(input: unknown): Envelope {
  const parsed = envelopeSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.length > 0 ? issue.path.join(".") : "(envelope)";
    throw new ProtocolError(`bad envelope at ${path}: ${issue.message}`, 400);
  }
  return parsed.data as Envelope;
}
