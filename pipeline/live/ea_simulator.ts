/**
 * The EA simulator: a TypeScript stand-in for the MT5 terminal and its Expert Advisor,
 * speaking protocol v1 over the real transport (HTTP or TCP). It replays a CSV as a
 * terminal would see it, one closed M1 bar at a time, and executes the commands it gets
 * on its own simulated broker, the backtest's, so its fills follow the same rules.
 *
 * It is what the end-to-end tests drive `serve` with; `deno task ea-sim` runs it by hand.
 * Like the real EA it executes each client order id at most once, resends an envelope
 * that got no reply with the same seq, and starts a new session with a hello when the
 * server no longer knows it (after a restart). It must never read a bar before sending
 * the previous one, or report a fill its broker did not make.
 */

import type {
  BarEvent,
  EventBatch,
  MarketEvent,
  OrderEvent,
  PendingOrderEvent,
  RejectionEvent,
  TradeEvent,
} from "../events.ts";
import { eventsOf } from "../replay.ts";
import type { Source } from "../../sources/source.ts";
import {
  accountReport,
  type ExecutionConfigInput,
  SimulatedBroker,
} from "../../operators/execution/mod.ts";
import { orderAuthority } from "../../operators/execution/remote.ts";
import { type EaMessage, type Envelope, PROTOCOL_VERSION, type Reply } from "./protocol.ts";
import { LineSplitter } from "./line_splitter.ts";

/** One request and its answer: a reply, a refusal with a status, or nothing (no connection). */
export type Exchange =
  | { readonly ok: true; readonly reply: Reply }
  | { readonly ok: false; readonly status: number; readonly error: string };

export interface EaTransport {
  /** Sends an envelope; throws when the server cannot be reached (the caller retries). */
  send(envelope: Envelope): Promise<Exchange>;
  close(): Promise<void> | void;
}

/** HTTP as MQL5's `WebRequest` does it: one POST per envelope. */
export function httpTransport(url: string, token: string): EaTransport {
  const endpoint = new URL("/v1/ea/sync", url).href;
  return {
    async send(envelope) {
      const response = await fetch(endpoint, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify(envelope),
      });
      const body = await response.json().catch(() => ({ error: "the reply is not JSON" }));
      if (response.ok) return { ok: true, reply: body as Reply };
      return { ok: false, status: response.status, error: String(body.error ?? "") };
    },
    close() {},
  };
}

/** TCP with newline-delimited JSON; reconnects (and authenticates again) after a failure. */
export function tcpTransport(hostname: string, port: number, token: string): EaTransport {
  let conn: Deno.TcpConn | null = null;
  // No length limit: the server's replies are trusted here.
  let lines = new LineSplitter(Infinity);
  const chunk = new Uint8Array(16 * 1024);
  const encoder = new TextEncoder();
  const drop = () => {
    try {
      conn?.close();
    } catch {
      // already closed
    }
    conn = null;
  };
  const request = async (value: unknown): Promise<Record<string, unknown>> => {
    const bytes = encoder.encode(JSON.stringify(value) + "\n");
    for (let at = 0; at < bytes.length;) at += await conn!.write(bytes.subarray(at));
    let line = lines.next();
    while (typeof line !== "string") {
      const read = await conn!.read(chunk);
      if (read === null) throw new Error("the server closed the connection");
      lines.push(chunk.subarray(0, read));
      line = lines.next();
    }
    return JSON.parse(line);
  };
  return {
    async send(envelope) {
      try {
        if (conn === null) {
          conn = await Deno.connect({ hostname, port });
          conn.setNoDelay(true);
          lines = new LineSplitter(Infinity);
          const hello = await request({ v: PROTOCOL_VERSION, token });
          if (hello.ok !== true) return { ok: false, status: 401, error: String(hello.error) };
        }
        const answer = await request(envelope);
        if (typeof answer.error === "string") {
          return { ok: false, status: Number(answer.status ?? 400), error: answer.error };
        }
        return { ok: true, reply: answer as unknown as Reply };
      } catch (error) {
        drop();
        throw error;
      }
    },
    close: drop,
  };
}

export interface EaSimulatorOptions {
  readonly source: Source;
  readonly transport: EaTransport;
  /** The simulated broker's settings (its broker profile is the terminal's symbol and account). */
  readonly execution?: ExecutionConfigInput;
  /** Gives up after this long without reaching the server (default 30 s). */
  readonly patienceMs?: number;
  /** Called after each bar's envelope is answered (tests use it to kill the server mid-run). */
  readonly onBar?: (bar: BarEvent, index: number) => Promise<void> | void;
  readonly log?: (line: string) => void;
}

export interface EaSimulatorResult {
  readonly trades: readonly TradeEvent[];
  readonly fills: readonly MarketEvent[];
  /** Client order ids executed, in order. */
  readonly executed: readonly string[];
  /** Commands received again after being executed, and ignored. */
  readonly repeatsIgnored: number;
  readonly sessions: number;
  readonly envelopes: number;
}

/** Replays `source` as a terminal, trading on the server's commands; resolves at end of data. */
export async function runEaSimulator(options: EaSimulatorOptions): Promise<EaSimulatorResult> {
  const broker = new SimulatedBroker(options.execution ?? {});
  const spec = broker.spec;
  const log = options.log ?? (() => {});
  const executed: string[] = [];
  const handled = new Set<string>();
  const trades: TradeEvent[] = [];
  const fills: MarketEvent[] = [];
  let acks: string[] = [];
  let session = "";
  let sessions = 0;
  let seq = 0;
  let envelopes = 0;
  let lastUs = 0;

  const hello = (timeUs: number): EaMessage => {
    return {
      kind: "hello",
      ea: "ea-simulator/1",
      account: { login: "simulator", server: "local", currency: "USD", leverage: spec.leverage },
      symbol: {
        name: spec.symbol,
        digits: spec.digits,
        point: spec.point,
        contractSize: spec.contractSize,
        volumeMin: spec.minLot,
        volumeMax: spec.maxLot,
        volumeStep: spec.lotStep,
      },
      state: accountReport(broker, timeUs),
      positions: broker.openPositions().map((p) => ({
        positionId: p.id,
        clientOrderId: p.id,
        symbol: spec.symbol,
        side: p.side,
        lots: p.lots,
        openPrice: p.entryPrice,
        stopLoss: p.stopLoss,
        takeProfit: p.takeProfit,
      })),
    };
  };

  /** Sends messages until answered, opening a new session when the server asks for one. */
  const exchange = async (messages: EaMessage[], sentUs: number): Promise<Reply> => {
    const started = Date.now();
    let envelope: Envelope | null = null;
    for (let attempt = 0;; attempt++) {
      if (session === "") {
        sessions++;
        session = `sim-${crypto.randomUUID()}`;
        seq = 0;
        envelope = null;
        messages = [hello(sentUs), ...messages];
      }
      envelope ??= { v: PROTOCOL_VERSION, session, seq: ++seq, sentUs, messages, acks };
      let answer: Exchange;
      try {
        answer = await options.transport.send(envelope);
      } catch (error) {
        if (Date.now() - started > (options.patienceMs ?? 30_000)) {
          throw new Error(
            `EA simulator: server unreachable for ${options.patienceMs ?? 30_000} ms`,
            {
              cause: error,
            },
          );
        }
        await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 1000)));
        continue;
      }
      envelopes++;
      if (answer.ok) {
        acks = [];
        return answer.reply;
      }
      if (answer.status === 429) {
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      if (answer.status === 409 && answer.error.startsWith("hello required")) {
        log(`server lost session ${session}: saying hello again`);
        session = "";
        continue;
      }
      throw new Error(`EA simulator: the server refused envelope ${envelope.seq}: ${answer.error}`);
    }
  };

  /** Executes each new command once; repeats are acknowledged again without executing. */
  let repeatsIgnored = 0;
  const execute = (commands: readonly (OrderEvent | PendingOrderEvent)[]): EaMessage[] => {
    const out: EaMessage[] = [];
    for (const command of commands) {
      acks.push(command.clientOrderId);
      if (handled.has(command.clientOrderId)) {
        repeatsIgnored++;
        continue;
      }
      handled.add(command.clientOrderId);
      if (command.kind === "pending" || command.action === "open") {
        broker.noteRiskDecision(orderAuthority(command));
      }
      const result = broker.submit(command);
      executed.push(command.clientOrderId);
      if (result.status === "rejected") out.push(terminalReport(result.event));
    }
    return out;
  };

  const record = (made: readonly MarketEvent[]) => {
    for (const event of made) {
      if (event.kind === "trade") trades.push(event);
      if (event.kind === "fill") fills.push(event);
    }
  };

  let carried: EaMessage[] = [];
  let index = 0;
  for await (const batch of options.source.batches()) {
    const events: EventBatch = eventsOf(batch, options.source.symbol);
    for (const event of events) {
      if (event.kind !== "bar") continue;
      const made = broker.onBar(event, []);
      record(made);
      lastUs = event.closeUs;
      const messages = [...carried, ...made.map(toEaMessage), event];
      const reply = await exchange(messages, event.closeUs);
      carried = execute(reply.commands);
      await options.onBar?.(event, index++);
    }
  }
  const last = broker.closeAll("end_of_data", lastUs, []);
  record(last);
  await exchange([...carried, ...last.map(toEaMessage)], lastUs);
  await options.transport.close();
  return { trades, fills, executed, repeatsIgnored, sessions, envelopes };
}

/** What the terminal says of an order its broker did not execute, as the EA says it. */
function terminalReport(rejection: RejectionEvent): EaMessage {
  const gone = rejection.action === "pending" &&
    (rejection.reason === "expired" || rejection.reason === "cancelled");
  return gone
    ? {
      kind: "cancelled",
      clientOrderId: rejection.clientOrderId,
      timeUs: rejection.timeUs,
      reason: rejection.reason as "expired" | "cancelled",
      detail: rejection.detail,
    }
    : {
      kind: "reject",
      clientOrderId: rejection.clientOrderId,
      timeUs: rejection.timeUs,
      code: rejection.reason,
      detail: rejection.detail,
    };
}

/** A broker event as a protocol message: reports go as they are, refusals as the EA words them. */
function toEaMessage(event: MarketEvent): EaMessage {
  return event.kind === "rejection" ? terminalReport(event) : event as EaMessage;
}
