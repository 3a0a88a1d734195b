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
  inputFile,
  parseFlags,
  sourceOptions,
  sourceSchema,
  UsageError,
  validate,
} from "./args.ts";
import { EA_SIM } from "./usage.ts";
import {
  readTradingConfig,
  type TradingConfig,
  tradingConfigSchema,
  withBrokerProfile,
} from "./strategy.ts";

const schema = sourceSchema.extend({
  url: z.url().default("http://127.0.0.1:8787/"),
  tcp: z.string().regex(/^[^:]+:\d{1,5}$/, "expected HOST:PORT").optional(),
  "token-file": inputFile.optional(),
  config: inputFile.optional(),
  broker: inputFile.optional(),
});

export async function eaSim(argv: string[]): Promise<void> {
  const flags = validate(
    schema,
    parseFlags(argv, EA_SIM.flags),
  );
  const token = await clientApiToken(flags["token-file"]);
  if (token === null) {
    throw new UsageError(`ea-sim needs --token-file FILE or ${SECRET_ENV.apiToken} set`);
  }
  const config: TradingConfig = flags.config === undefined
    ? tradingConfigSchema.parse({})
    : await readTradingConfig(flags.config);
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
