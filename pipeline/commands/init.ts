/**
 * `init`: writes a commented trading config to start from (`config.jsonc` by default):
 * every setting with its default and what it does, the common ones active, the rest
 * commented out (pipeline/commands/config_doc.ts). `serve --config` and `backtest --config`
 * read it as written. It never overwrites a file without `--force`.
 */

import { z } from "zod";
import { outputFile, parseFlags, UsageError, validate } from "./args.ts";
import { commentedConfig } from "./config_doc.ts";
import { INIT } from "./usage.ts";

const schema = z.object({
  out: outputFile.default("config.jsonc"),
  force: z.boolean().default(false),
});

export async function init(argv: string[]): Promise<void> {
  const flags = validate(schema, parseFlags(argv, INIT.flags));
  try {
    await Deno.writeTextFile(flags.out, commentedConfig(), { createNew: !flags.force });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      throw new UsageError(`--out "${flags.out}" exists; pass --force to overwrite it`);
    }
    throw error;
  }
  console.log(`wrote ${flags.out}: every trading setting with its default and what it does`);
  console.log(`try it: deno task backtest --config ${flags.out} --no-ml --data FILE`);
  console.log(`        deno task serve --config ${flags.out} --replay FILE`);
}
