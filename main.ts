/**
 * The composition root and command line: one binary, one subcommand per job. It parses
 * arguments, runs the command, and turns errors into messages a trader can act on:
 * `--help` (or `-h`) prints a command's usage with exit 0, usage errors exit 2 with the
 * usage, bad data and failures exit 1, never a raw stack (set AGS_DEBUG=1 to see one),
 * never raw validation JSON and never a binary byte.
 */

import { z } from "zod";
import { UsageError } from "./pipeline/commands/args.ts";
import { closest } from "./pipeline/commands/_suggest.ts";
import {
  BACKTEST,
  BARS,
  type CommandHelp,
  EA_SIM,
  FEATURES,
  INIT,
  MODELS,
  OPTIMIZE,
  PREDICT,
  REGIMES,
  SERVE,
  SPREAD_PROFILE,
  SWEEP,
  TRAIN,
} from "./pipeline/commands/usage.ts";
import { BadInputError, printable } from "./pipeline/errors.ts";
import { describeZodError } from "./pipeline/issues.ts";
import { VERSION } from "./pipeline/version.ts";

interface Command extends CommandHelp {
  run(argv: string[]): Promise<void> | void;
}

/** Each command is imported only when run, so one command's dependencies never slow another. */
export const COMMANDS: Record<string, Command> = {
  init: {
    ...INIT,
    run: async (argv) => (await import("./pipeline/commands/init.ts")).init(argv),
  },
  serve: {
    ...SERVE,
    run: async (argv) => (await import("./pipeline/commands/serve.ts")).serve(argv),
  },
  "ea-sim": {
    ...EA_SIM,
    run: async (argv) => (await import("./pipeline/commands/ea_sim.ts")).eaSim(argv),
  },
  bars: {
    ...BARS,
    run: async (argv) => (await import("./pipeline/commands/bars.ts")).bars(argv),
  },
  features: {
    ...FEATURES,
    run: async (argv) => (await import("./pipeline/commands/features.ts")).features(argv),
  },
  regimes: {
    ...REGIMES,
    run: async (argv) => (await import("./pipeline/commands/regimes.ts")).regimes(argv),
  },
  train: {
    ...TRAIN,
    run: async (argv) => (await import("./pipeline/commands/train.ts")).train(argv),
  },
  models: {
    ...MODELS,
    run: async (argv) => (await import("./pipeline/commands/models.ts")).models(argv),
  },
  predict: {
    ...PREDICT,
    run: async (argv) => (await import("./pipeline/commands/predict.ts")).predict(argv),
  },
  "spread-profile": {
    ...SPREAD_PROFILE,
    run: async (argv) =>
      (await import("./pipeline/commands/spread_profile.ts")).spreadProfile(argv),
  },
  backtest: {
    ...BACKTEST,
    run: async (argv) => (await import("./pipeline/commands/backtest.ts")).backtest(argv),
  },
  optimize: {
    ...OPTIMIZE,
    run: async (argv) => (await import("./pipeline/commands/optimize.ts")).optimize(argv),
  },
  sweep: {
    ...SWEEP,
    run: async (argv) => (await import("./pipeline/commands/sweep.ts")).sweep(argv),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return [
    `ai-gold-scalper ${VERSION}: XAUUSD market data to trading decisions, live and in replay`,
    "",
    "Usage: deno task COMMAND [flags]   (deno task COMMAND --help lists a command's flags)",
    "",
    "Commands:",
    ...Object.entries(COMMANDS).map(([name, command]) =>
      `  ${name.padEnd(width)}  ${command.summary}`
    ),
    "",
    "docs/tutorial.md walks from the data to paper trading.",
  ].join("\n");
}

/** Asks for help: `--help` or `-h` anywhere among a command's arguments. */
const wantsHelp = (argv: readonly string[]) => argv.includes("--help") || argv.includes("-h");

/** The message for an error that escaped a command, as a sentence without a stack. */
function failure(name: string, error: unknown): string {
  if (error instanceof BadInputError) return `${name}: bad input: ${error.message}`;
  if (error instanceof z.ZodError) return `${name}: ${describeZodError(error, "invalid input")}`;
  return `${name} failed: ${(error as Error)?.message ?? error}`;
}

export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    const near = closest(name, Object.keys(COMMANDS));
    console.error(
      `Unknown command "${printable(name)}"${near ? `: did you mean ${near}?` : "."}\n\n${usage()}`,
    );
    return 2;
  }
  if (wantsHelp(rest)) {
    console.log(`${command.summary}\n\nUsage: ${command.usage}`);
    return 0;
  }
  try {
    await command.run(rest);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${name}: ${printable(error.message)}\n\nUsage: ${command.usage}`);
      return 2;
    }
    if (Deno.env.get("AGS_DEBUG") === "1") console.error(error);
    else console.error(printable(failure(name, error)));
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
