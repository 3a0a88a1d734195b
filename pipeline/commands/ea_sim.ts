/**
 * `ea-sim`: the EA simulator by hand. Replays a market-data file as an MT5 terminal
 * would, against a running `serve`, over HTTP or TCP, executing the orders it gets on the
 * backtest's simulated broker, and prints what it traded. It must never be pointed at a
 * server that trades a real account: it is a test terminal, not a broker.
 */

import { z } from "zod";
import { isoFromUs } from "../events.ts";
import { httpTransport, runEaSimulator, tcpTransport } from "../live/ea_simulator.ts";
import { openSources } from "../../sources/mod.ts";
import { clientApiToken, SECRET_ENV } from "../control/secrets.ts";
import {
  parseFlags,
  readJsonFlag,
  SOURCE_FLAGS,
  sourceOptions,
  sourceSchema,
  UsageError,
  validate,
} from "./args.ts";
import {
  checkedTradingConfigSchema,
  type TradingConfig,
  tradingConfigSchema,
  withBrokerProfile,
} from "./strategy.ts";

const schema = sourceSchema.extend({
  url: z.url().default("http://127.0.0.1:8787/"),
  tcp: z.string().regex(/^[^:]+:\d{1,5}$/, "expected HOST:PORT").optional(),
  "token-file": z.string().min(1).optional(),
  config: z.string().min(1).optional(),
  broker: z.string().min(1).optional(),
});

export async function eaSim(argv: string[]): Promise<void> {
  const flags = validate(
    schema,
    parseFlags(argv, {
      ...SOURCE_FLAGS,
      url: { type: "string" },
      tcp: { type: "string" },
      "token-file": { type: "string" },
      config: { type: "string" },
      broker: { type: "string" },
    }),
  );
  const token = await clientApiToken(flags["token-file"]);
  if (token === null) {
    throw new UsageError(`ea-sim needs --token-file FILE or ${SECRET_ENV.apiToken} set`);
  }
  let config: TradingConfig = tradingConfigSchema.parse({});
  if (flags.config !== undefined) {
    const parsed = checkedTradingConfigSchema.safeParse(
      await readJsonFlag("config", flags.config),
    );
    if (!parsed.success) {
      throw new UsageError(`--config "${flags.config}": ${parsed.error.issues[0].message}`);
    }
    config = parsed.data;
  }
  // The terminal's own terms: its hello names them, and its broker books on them.
  const execution = (await withBrokerProfile(config, flags.broker)).execution ?? {};
  const transport = flags.tcp === undefined
    ? httpTransport(flags.url, token)
    : tcpTransport(flags.tcp.split(":")[0], Number(flags.tcp.split(":")[1]), token);
  const source = await openSources([flags.data], sourceOptions(flags));
  let lastProgress = performance.now();
  const result = await runEaSimulator({
    source,
    transport,
    execution,
    log: (line) => console.error(line),
    onBar: (bar) => {
      if (performance.now() - lastProgress < 2000) return;
      lastProgress = performance.now();
      console.error(`  ... ${isoFromUs(bar.closeUs)}`);
    },
  });
  const net = result.trades.reduce((sum, trade) => sum + trade.pnl, 0);
  console.log(
    `${result.envelopes} envelopes in ${result.sessions} session(s); ${result.executed.length} commands executed, ${result.repeatsIgnored} repeats ignored; ${result.trades.length} trades, net ${
      net.toFixed(2)
    }`,
  );
}
