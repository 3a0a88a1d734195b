import assert from "node:assert/strict";
import type { OrderEvent } from "@/pipeline/events.ts";
import { EVENT_VERSION, usFromIso } from "@/pipeline/events.ts";
import { type Exchange, runEaSimulator } from "@/pipeline/live/ea_simulator.ts";
import type { Envelope } from "@/pipeline/live/protocol.ts";
import { openSources } from "@/sources/mod.ts";
import { dataPath, dataTest } from "../../_data.ts";

const HISTDATA_2017 = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz";

dataTest(
  "the EA simulator executes a command repeated in every reply once, acknowledging each repeat",
  HISTDATA_2017,
  async () => {
    const source = await openSources([dataPath(HISTDATA_2017)], {
      fromUs: usFromIso("2017-03-07T09:00:00Z"),
      toUs: usFromIso("2017-03-07T09:10:00Z"),
    });
    const sent: Envelope[] = [];
    let command: OrderEvent | null = null;
    const result = await runEaSimulator({
      source,
      transport: {
        send(envelope): Promise<Exchange> {
          sent.push(structuredClone(envelope));
          const bar = envelope.messages.findLast((m) => m.kind === "bar");
          if (command === null && bar?.kind === "bar") {
            command = {
              v: EVENT_VERSION,
              kind: "order",
              symbol: "XAUUSD",
              timeUs: bar.closeUs,
              clientOrderId: `XAUUSD-${bar.closeUs}-buy`,
              action: "open",
              side: "buy",
              lots: 0.1,
              stopLoss: bar.bid.close - 5,
              takeProfit: bar.bid.close + 5,
              positionId: null,
              reason: "test",
            };
          }
          const reply = {
            v: 1 as const,
            seq: envelope.seq,
            commands: command === null ? [] : [command],
            holds: [],
            heartbeatMs: 1000,
            serverTimeUs: 0,
          };
          return Promise.resolve({ ok: true, reply });
        },
        close() {},
      },
    });
    assert.deepEqual(result.executed, [command!.clientOrderId]);
    // Every reply but the first carries a repeat; the last reply (after end of data) is not read.
    assert.equal(result.repeatsIgnored, sent.length - 2);
    assert.equal(result.fills.filter((f) => f.kind === "fill" && f.action === "open").length, 1);
    assert.ok(sent.slice(1).every((e) => e.acks.includes(command!.clientOrderId)));
  },
);
