/**
 * The composition root and command line: one binary, one subcommand per job. It parses
 * arguments, runs the command, and turns errors into messages a trader can act on:
 * usage errors exit 2 with the usage, bad data and failures exit 1, never a raw stack
 * (set AGS_DEBUG=1 to see one).
 */

import { UsageError } from "./pipeline/commands/args.ts";
import {
  BACKTEST_USAGE,
  BARS_USAGE,
  EA_SIM_USAGE,
  FEATURES_USAGE,
  MODELS_USAGE,
  OPTIMIZE_USAGE,
  PREDICT_USAGE,
  REGIMES_USAGE,
  SERVE_USAGE,
  SPREAD_PROFILE_USAGE,
  SWEEP_USAGE,
  TRAIN_USAGE,
} from "./pipeline/commands/usage.ts";
import { BadInputError } from "./pipeline/errors.ts";
import { VERSION } from "./pipeline/version.ts";

/** Each command is imported only when run, so one command's dependencies never slow another. */
const COMMANDS: Record<string, { run: (argv: string[]) => Promise<void> | void; usage: string }> = {
  serve: {
    usage: SERVE_USAGE,
    run: async (argv) => (await import("./pipeline/commands/serve.ts")).serve(argv),
  },
  "ea-sim": {
    usage: EA_SIM_USAGE,
    run: async (argv) => (await import("./pipeline/commands/ea_sim.ts")).eaSim(argv),
  },
  bars: {
    usage: BARS_USAGE,
    run: async (argv) => (await import("./pipeline/commands/bars.ts")).bars(argv),
  },
  features: {
    usage: FEATURES_USAGE,
    run: async (argv) => (await import("./pipeline/commands/features.ts")).features(argv),
  },
  regimes: {
    usage: REGIMES_USAGE,
    run: async (argv) => (await import("./pipeline/commands/regimes.ts")).regimes(argv),
  },
  models: {
    usage: MODELS_USAGE,
    run: async (argv) => (await import("./pipeline/commands/models.ts")).models(argv),
  },
  train: {
    usage: TRAIN_USAGE,
    run: async (argv) => (await import("./pipeline/commands/train.ts")).train(argv),
  },
  backtest: {
    usage: BACKTEST_USAGE,
    run: async (argv) => (await import("./pipeline/commands/backtest.ts")).backtest(argv),
  },
  optimize: {
    usage: OPTIMIZE_USAGE,
    run: async (argv) => (await import("./pipeline/commands/optimize.ts")).optimize(argv),
  },
  sweep: {
    usage: SWEEP_USAGE,
    run: async (argv) => (await import("./pipeline/commands/sweep.ts")).sweep(argv),
  },
  predict: {
    usage: PREDICT_USAGE,
    run: async (argv) => (await import("./pipeline/commands/predict.ts")).predict(argv),
  },
  "spread-profile": {
    usage: SPREAD_PROFILE_USAGE,
    run: async (argv) =>
      (await import("./pipeline/commands/spread_profile.ts")).spreadProfile(argv),
  },
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
