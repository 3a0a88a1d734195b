/**
 * Each protection as a plug-in, on a hand-built context: the healthy context passes every
 * default rule, and each rule's allow and deny (or adjust) cases carry its stable code.
 */

import assert from "node:assert/strict";
import {
  dailyLossBudgetRule,
  dailyLossNearRule,
  dailyLossRule,
  DEFAULT_RULES,
  directionExposureRule,
  duplicateRule,
  killSwitchRule,
  lossCooldownRule,
  lossStreakSizeRule,
  maxDrawdownRule,
  maxPositionsRule,
  newsBlackoutRule,
  RISK_CODES,
  type RiskContext,
  type RiskRule,
  type RuleVerdict,
  sessionRule,
  spreadRule,
  stopRule,
  weekdayRule,
} from "@/operators/risk/mod.ts";
import { usFromIso } from "@/pipeline/events.ts";
import {
  account,
  config,
  context,
  NOW_US,
  pendingEntry,
  position,
  quote,
  sellSignal,
  signal,
  trade,
} from "./_fixtures.ts";

/** The verdict as a short string: "allow", "deny CODE" or "adjust CODE lots". */
function summary(verdict: RuleVerdict): string {
  if ("deny" in verdict) return `deny ${verdict.deny.code}`;
  if ("adjust" in verdict) return `adjust ${verdict.reason.code} ${verdict.adjust.lots}`;
  return "allow";
}

type Case = readonly [name: string, ctx: Partial<RiskContext>, expected: string];

async function cases(t: Deno.TestContext, rule: RiskRule, table: readonly Case[]) {
  for (const [name, overrides, expected] of table) {
    await t.step(name, () => assert.equal(summary(rule.check(context(overrides))), expected));
  }
}

const at = (iso: string) => ({ nowUs: usFromIso(iso), quote: quote({ timeUs: usFromIso(iso) }) });

Deno.test("DEFAULT_RULES all allow the healthy fixture context and use only RISK_CODES", () => {
  for (const rule of DEFAULT_RULES) {
    assert.equal(summary(rule.check(context())), "allow", rule.name);
  }
  assert.equal(new Set(DEFAULT_RULES.map((r) => r.name)).size, DEFAULT_RULES.length);
  assert.equal(new Set(RISK_CODES).size, RISK_CODES.length);
});

Deno.test("killSwitchRule denies with KILL_SWITCH while the switch is on", async (t) => {
  await cases(t, killSwitchRule, [
    ["off: allow", {}, "allow"],
    ["on: deny", { killSwitch: { code: "KILL_SWITCH", detail: "manual" } }, "deny KILL_SWITCH"],
  ]);
});

Deno.test("maxDrawdownRule denies with MAX_DRAWDOWN at 10% below the peak, and while latched", async (t) => {
  const latched = { code: "MAX_DRAWDOWN", detail: "fired earlier" } as const;
  await cases(t, maxDrawdownRule, [
    ["9.99% below: allow", { peakEquity: 10_000, account: account({ equity: 9_001 }) }, "allow"],
    [
      "10% below: deny",
      { peakEquity: 10_000, account: account({ equity: 9_000 }) },
      "deny MAX_DRAWDOWN",
    ],
    ["latched, equity back at peak: deny", { drawdownHalt: latched }, "deny MAX_DRAWDOWN"],
  ]);
});

Deno.test("dailyLossRule denies with DAILY_LOSS_LIMIT at 2% or the amount, and while latched", async (t) => {
  await cases(t, dailyLossRule, [
    ["199 lost of 200: allow", { account: account({ equity: 9_801 }) }, "allow"],
    ["200 lost: deny", { account: account({ equity: 9_800 }) }, "deny DAILY_LOSS_LIMIT"],
    [
      "100 lost with maxAmount 100: deny",
      { account: account({ equity: 9_900 }), config: config({ dailyLoss: { maxAmount: 100 } }) },
      "deny DAILY_LOSS_LIMIT",
    ],
    [
      "latched today, equity recovered: deny",
      { dailyLimitHit: { code: "DAILY_LOSS_LIMIT", detail: "earlier" } },
      "deny DAILY_LOSS_LIMIT",
    ],
  ]);
});

Deno.test("sessionRule denies with OUTSIDE_SESSION outside London and New York hours", async (t) => {
  await cases(t, sessionRule, [
    ["13:00 UTC: allow", {}, "allow"],
    ["06:30 UTC (before London): deny", at("2024-03-20T06:30:00Z"), "deny OUTSIDE_SESSION"],
    ["21:00 UTC (after New York): deny", at("2024-03-20T21:00:00Z"), "deny OUTSIDE_SESSION"],
    [
      "06:30 UTC with sessions disabled: allow",
      { ...at("2024-03-20T06:30:00Z"), config: config({ sessions: { enabled: false } }) },
      "allow",
    ],
  ]);
});

Deno.test("weekdayRule denies with WEEKDAY_BLOCKED on Friday from 19:00 UTC", async (t) => {
  await cases(t, weekdayRule, [
    ["Friday 18:59 UTC: allow", at("2024-03-22T18:59:00Z"), "allow"],
    ["Friday 19:00 UTC: deny", at("2024-03-22T19:00:00Z"), "deny WEEKDAY_BLOCKED"],
    ["Friday 23:59 UTC: deny", at("2024-03-22T23:59:00Z"), "deny WEEKDAY_BLOCKED"],
    ["Thursday 19:00 UTC: allow", at("2024-03-21T19:00:00Z"), "allow"],
    [
      "Friday 19:00 UTC with no blocks: allow",
      { ...at("2024-03-22T19:00:00Z"), config: config({ weekdayBlocks: [] }) },
      "allow",
    ],
  ]);
});

Deno.test("newsBlackoutRule denies with NEWS_BLACKOUT 15 minutes either side of a USD high event", async (t) => {
  // The fixture calendar has USD high at 18:00, USD low at 14:00 and EUR high at 15:00.
  await cases(t, newsBlackoutRule, [
    ["17:44:59: allow", at("2024-03-20T17:44:59Z"), "allow"],
    ["17:45: deny", at("2024-03-20T17:45:00Z"), "deny NEWS_BLACKOUT"],
    ["18:14:59: deny", at("2024-03-20T18:14:59Z"), "deny NEWS_BLACKOUT"],
    ["18:15: allow", at("2024-03-20T18:15:00Z"), "allow"],
    ["USD low at 14:00: allow", at("2024-03-20T14:00:00Z"), "allow"],
    ["EUR high at 15:00: allow", at("2024-03-20T15:00:00Z"), "allow"],
    [
      "EUR high at 15:00 with EUR listed: deny",
      { ...at("2024-03-20T15:00:00Z"), config: config({ news: { currencies: ["USD", "EUR"] } }) },
      "deny NEWS_BLACKOUT",
    ],
    ["18:00 with news disabled: allow", {
      ...at("2024-03-20T18:00:00Z"),
      config: config({ news: { enabled: false } }),
    }, "allow"],
  ]);
});

Deno.test("newsBlackoutRule denies with NEWS_CALENDAR_GAP without a calendar or outside its events", async (t) => {
  await cases(t, newsBlackoutRule, [
    ["no calendar: deny", { calendar: null }, "deny NEWS_CALENDAR_GAP"],
    ["after the last event: deny", at("2025-01-02T13:00:00Z"), "deny NEWS_CALENDAR_GAP"],
    ["before the first event: deny", at("2023-12-29T13:00:00Z"), "deny NEWS_CALENDAR_GAP"],
  ]);
});

Deno.test("spreadRule denies without a fresh quote of known spread at most 0.60", async (t) => {
  await cases(t, spreadRule, [
    ["spread 0.30: allow", {}, "allow"],
    ["spread exactly 0.60: allow", { quote: quote({ bid: 2000, ask: 2000.6 }) }, "allow"],
    ["spread 0.61: deny", { quote: quote({ bid: 2000, ask: 2000.61 }) }, "deny SPREAD_TOO_WIDE"],
    ["no quote: deny", { quote: null }, "deny NO_QUOTE"],
    ["quote 121 s old: deny", { quote: quote({ timeUs: NOW_US - 121e6 }) }, "deny QUOTE_STALE"],
    ["quote 120 s old: allow", { quote: quote({ timeUs: NOW_US - 120e6 }) }, "allow"],
    ["bid only: deny", { quote: quote({ ask: null }) }, "deny SPREAD_UNKNOWN"],
    [
      "bid only with assumedSpread 0.35: allow",
      { quote: quote({ ask: null }), config: config({ spread: { assumedSpread: 0.35 } }) },
      "allow",
    ],
  ]);
});

Deno.test("lossCooldownRule denies with LOSS_COOLDOWN for 30 minutes after the third loss in a row", async (t) => {
  const losses = (lastExit: string) => [
    trade(-50, "2024-03-20T11:00:00Z"),
    trade(-50, "2024-03-20T12:00:00Z"),
    trade(-50, lastExit),
  ];
  await cases(t, lossCooldownRule, [
    ["two losses: allow", { recentTrades: losses("2024-03-20T12:50:00Z").slice(1) }, "allow"],
    ["three, last 15 min ago: deny", {
      recentTrades: losses("2024-03-20T12:45:00Z"),
    }, "deny LOSS_COOLDOWN"],
    ["three, last exactly 30 min ago: allow", {
      recentTrades: losses("2024-03-20T12:30:00Z"),
    }, "allow"],
    ["three losses then a win: allow", {
      recentTrades: [...losses("2024-03-20T12:40:00Z"), trade(10, "2024-03-20T12:45:00Z")],
    }, "allow"],
  ]);
});

Deno.test("stopRule denies a missing, misplaced or too close stop and a misplaced target", async (t) => {
  await cases(t, stopRule, [
    ["buy with stop below: allow", {}, "allow"],
    ["sell with stop above: allow", { signal: sellSignal() }, "allow"],
    ["no stop: deny", { signal: signal({ stopLoss: null }) }, "deny NO_STOP"],
    ["buy stop above the entry: deny", { signal: signal({ stopLoss: 2001 }) }, "deny INVALID_STOP"],
    ["sell stop below the entry: deny", {
      signal: sellSignal({ stopLoss: 1999 }),
    }, "deny INVALID_STOP"],
    ["stop 0.40 away: deny", { signal: signal({ stopLoss: 1999.9 }) }, "deny STOP_TOO_CLOSE"],
    ["buy target below the entry: deny", {
      signal: signal({ takeProfit: 1999 }),
    }, "deny INVALID_TARGET"],
    ["no target: allow", { signal: signal({ takeProfit: null }) }, "allow"],
  ]);
});

Deno.test("duplicateRule denies with DUPLICATE_ORDER an id already issued or held", async (t) => {
  await cases(t, duplicateRule, [
    ["new id: allow", {}, "allow"],
    [
      "issued before: deny",
      { issuedOrderIds: new Set(["XAUUSD-new-buy"]) },
      "deny DUPLICATE_ORDER",
    ],
    [
      "a position opened by it: deny",
      { account: account({ positions: [position({ clientOrderId: "XAUUSD-new-buy" })] }) },
      "deny DUPLICATE_ORDER",
    ],
  ]);
});

Deno.test("maxPositionsRule denies with MAX_POSITIONS counting positions, pending orders and the broker", async (t) => {
  const pending = pendingEntry({ lots: 0.1, risk: 30 });
  await cases(t, maxPositionsRule, [
    ["flat: allow", {}, "allow"],
    ["one open: deny", {
      account: account({ positions: [position()], openPositions: 1 }),
    }, "deny MAX_POSITIONS"],
    ["one pending: deny", { pending: [pending] }, "deny MAX_POSITIONS"],
    ["broker counts one we do not list: deny", {
      account: account({ openPositions: 1 }),
    }, "deny MAX_POSITIONS"],
    [
      "one open with maxOpen 2: allow",
      {
        account: account({ positions: [position()] }),
        config: config({ positions: { maxOpen: 2 } }),
      },
      "allow",
    ],
  ]);
});

Deno.test("lossStreakSizeRule halves the size with LOSS_STREAK_SIZE_CUT after two losses", async (t) => {
  await cases(t, lossStreakSizeRule, [
    ["one loss: allow", { recentTrades: [trade(-10, "2024-03-20T12:00:00Z")] }, "allow"],
    [
      "two losses: 0.16 -> 0.08",
      { recentTrades: [trade(-10, "2024-03-20T11:00:00Z"), trade(-10, "2024-03-20T12:00:00Z")] },
      "adjust LOSS_STREAK_SIZE_CUT 0.08",
    ],
    [
      "two losses, 0.03 -> 0.01 (rounded down)",
      {
        lots: 0.03,
        recentTrades: [trade(-10, "2024-03-20T11:00:00Z"), trade(-10, "2024-03-20T12:00:00Z")],
      },
      "adjust LOSS_STREAK_SIZE_CUT 0.01",
    ],
    [
      // 0.01 x 0.5 = 0.005 rounds down to 0: the minimum lot (0.01) is kept, else no trade
      // could ever open again to end the streak.
      "two losses at the minimum 0.01: stays 0.01",
      {
        lots: 0.01,
        recentTrades: [trade(-10, "2024-03-20T11:00:00Z"), trade(-10, "2024-03-20T12:00:00Z")],
      },
      "adjust LOSS_STREAK_SIZE_CUT 0.01",
    ],
  ]);
});

Deno.test("dailyLossNearRule halves the size with DAILY_LOSS_NEAR_LIMIT from half the daily limit", async (t) => {
  await cases(t, dailyLossNearRule, [
    ["99 lost of 200: allow", { account: account({ equity: 9_901 }) }, "allow"],
    ["100 lost of 200: 0.16 -> 0.08", {
      account: account({ equity: 9_900 }),
    }, "adjust DAILY_LOSS_NEAR_LIMIT 0.08"],
  ]);
});

Deno.test("dailyLossBudgetRule cuts the size so every stop hit stays within the daily limit", async (t) => {
  // Limit 200. A 0.16-lot buy from 2000 with its stop at 1997 risks 48.
  await cases(t, dailyLossBudgetRule, [
    ["flat, 120 lost: 80 left covers 0.16 x 300 = 48: allow", {
      account: account({ balance: 9_880, equity: 9_880 }),
    }, "allow"],
    [
      "120 lost and 48 at risk: 32 left -> 0.10 lots",
      { account: account({ balance: 9_880, equity: 9_880, positions: [position()] }) },
      "adjust DAILY_LOSS_BUDGET 0.1",
    ],
    [
      "a stop already in profit adds room: allow",
      {
        account: account({
          balance: 9_880,
          equity: 9_880,
          positions: [position({ stopLoss: 2001 })],
        }),
      },
      "allow",
    ],
    ["199 lost: 1 left, not one min lot: deny", {
      account: account({ balance: 9_801, equity: 9_801 }),
    }, "deny DAILY_LOSS_BUDGET"],
    ["a position without a stop: deny", {
      account: account({ positions: [position({ stopLoss: null })] }),
    }, "deny DAILY_LOSS_BUDGET"],
  ]);
});

Deno.test("directionExposureRule keeps each side within maxLotsPerDirection", async (t) => {
  await cases(t, directionExposureRule, [
    ["flat: allow", {}, "allow"],
    ["0.95 long held: 0.16 -> 0.05", {
      account: account({ positions: [position({ lots: 0.95 })] }),
    }, "adjust DIRECTION_EXPOSURE 0.05"],
    ["1.00 long held: deny", {
      account: account({ positions: [position({ lots: 1 })] }),
    }, "deny DIRECTION_EXPOSURE"],
    ["1.00 short held, buying: allow", {
      account: account({ positions: [position({ side: "sell", lots: 1 })] }),
    }, "allow"],
    [
      "0.90 long pending: 0.16 -> 0.10",
      { pending: [pendingEntry({ lots: 0.9, risk: 0 })] },
      "adjust DIRECTION_EXPOSURE 0.1",
    ],
  ]);
});
