/**
 * The composition root and command line: one binary, one subcommand per job. It parses
 * arguments, runs the command, and turns errors into messages a trader can act on:
 * usage errors exit 2 with the usage, bad data and failures exit 1, never a raw stack
 * (set AGS_DEBUG=1 to see one).
 */

import { bars, BARS_USAGE } from "./pipeline/commands/bars.ts";
import { UsageError } from "./pipeline/commands/args.ts";
import { features, FEATURES_USAGE } from "./pipeline/commands/features.ts";
import { models, MODELS_USAGE } from "./pipeline/commands/models.ts";
import { predict, PREDICT_USAGE } from "./pipeline/commands/predict.ts";
import { regimes, REGIMES_USAGE } from "./pipeline/commands/regimes.ts";
import { serve, SERVE_USAGE } from "./pipeline/commands/serve.ts";
import { BadInputError } from "./pipeline/errors.ts";
import { VERSION } from "./pipeline/version.ts";

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<void> | void; usage: string }> = {
  serve: { run: serve, usage: SERVE_USAGE },
  bars: { run: bars, usage: BARS_USAGE },
  features: { run: features, usage: FEATURES_USAGE },
  regimes: { run: regimes, usage: REGIMES_USAGE },
  models: { run: models, usage: MODELS_USAGE },
  predict: { run: predict, usage: PREDICT_USAGE },
};

function usage(): string {
  return [
    `ai-gold-scalper ${VERSION}: XAUUSD market data to trading decisions, live and in replay`,
    "",
    "Commands:",
    ...Object.values(COMMANDS).map((command) => `  ${command.usage.split("\n").join("\n  ")}`),
  ].join("\n");
}

export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`Unknown command "${name}".\n\n${usage()}`);
    return 2;
  }
  try {
    await command.run(rest);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${name}: ${error.message}\n\nUsage: ${command.usage}`);
      return 2;
    }
    if (Deno.env.get("AGS_DEBUG") === "1") console.error(error);
    else if (error instanceof BadInputError) console.error(`${name}: bad input: ${error.message}`);
    else console.error(`${name} failed: ${(error as Error).message ?? error}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
