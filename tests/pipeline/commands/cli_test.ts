/**
 * The command line as a new user meets it: help on every command, "did you mean" for a
 * typo, errors that name the flag, the file and the value, and checks that refuse bad
 * files and busy ports before any work is done or any file is created.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { COMMANDS } from "@/main.ts";
import {
  multiSourceSchema,
  outputFile,
  parseFlags,
  readJsonFlag,
  validate,
} from "@/pipeline/commands/args.ts";
import { BACKTEST } from "@/pipeline/commands/usage.ts";
import { BadInputError } from "@/pipeline/errors.ts";
import { openSource } from "@/sources/mod.ts";
import { runCli } from "./_run.ts";
import { z } from "zod";

Deno.test("every command's usage names every flag it accepts", async (t) => {
  for (const [name, command] of Object.entries(COMMANDS)) {
    await t.step(name, () => {
      for (const flag of Object.keys(command.flags)) {
        assert.match(
          command.usage,
          new RegExp(`--${flag}\\b`),
          `${name} --${flag} is not in its usage`,
        );
      }
    });
  }
});

Deno.test("every deno task has a description, a command's its one-line summary", async () => {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("../../../deno.json", import.meta.url)),
  );
  for (const [name, task] of Object.entries(config.tasks) as [string, { description?: string }][]) {
    assert.ok(task.description, `task ${name} has no description`);
    if (COMMANDS[name]) assert.equal(task.description, COMMANDS[name].summary, `task ${name}`);
  }
});

Deno.test("--help and -h print a command's usage on stdout with exit 0", async () => {
  for (const args of [["backtest", "--help"], ["serve", "-h"]]) {
    const result = await runCli(args);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`^.*\\n\\nUsage: deno task ${args[0]} `));
    assert.match(result.stdout, /--port P|--report FILE/);
  }
});

Deno.test("parseFlags() answers a misspelt flag with the one meant, or with the list", () => {
  assert.throws(() => parseFlags(["--jsn", "x"], BACKTEST.flags), {
    name: "UsageError",
    message: "unknown flag --jsn: did you mean --json?",
  });
  assert.throws(
    () => parseFlags(["--zzzz"], { data: { type: "string" }, json: { type: "boolean" } }),
    {
      message: "unknown flag --zzzz; the flags are --data, --json",
    },
  );
  assert.throws(() => parseFlags(["--data"], BACKTEST.flags), {
    message: "--data needs a value, e.g. --data VALUE",
  });
  assert.throws(() => parseFlags(["stray"], BACKTEST.flags), {
    message: 'unexpected argument "stray": every value goes after its flag (e.g. --data FILE)',
  });
});

Deno.test("validate() names the flag and the value it refuses", async () => {
  const dir = await Deno.makeTempDir();
  const data = join(dir, "bars.csv");
  await Deno.writeTextFile(data, "x\n");
  assert.throws(() => validate(multiSourceSchema, { data: [data], from: "yesterday" }), {
    name: "UsageError",
    message:
      '--from "yesterday": expected an ISO-8601 UTC time such as 2017-01-02 or 2017-01-02T18:00:00Z',
  });
  assert.throws(() => validate(multiSourceSchema, { data: [dir] }), {
    message: `--data "${dir}" is a directory, not a file`,
  });
  assert.throws(() => validate(multiSourceSchema, { data: [join(dir, "nope.csv")] }), {
    message: `--data "${join(dir, "nope.csv")}" does not exist`,
  });
  assert.throws(
    () => validate(z.object({ json: outputFile }), { json: join(dir, "missing", "out.json") }),
    {
      message: `--json "${join(dir, "missing", "out.json")}" cannot be written: its folder "${
        join(dir, "missing")
      }" does not exist (mkdir -p ${join(dir, "missing")})`,
    },
  );
  assert.throws(() => validate(z.object({ port: z.coerce.number().int() }), { port: "abc" }), {
    message: '--port "abc" must be a number',
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("readJsonFlag() names the flag, the file and the line of a bad JSON file", async () => {
  const dir = await Deno.makeTempDir();
  const broken = join(dir, "broken.json");
  await Deno.writeTextFile(broken, '{\n  "risk": {}\n  "fusion": {}\n}');
  await assert.rejects(readJsonFlag("config", broken), {
    message:
      `--config "${broken}" is not valid JSON: line 3, column 3: Expected ',' or '}' after property value`,
  });
  const binary = join(dir, "model.onnx");
  await Deno.writeFile(binary, new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3, 4, 5, 0x1b, 0]));
  await assert.rejects(readJsonFlag("config", binary), {
    message: `--config "${binary}" is a binary file, not JSON`,
  });
  await assert.rejects(readJsonFlag("config", dir), {
    message: `--config "${dir}" is a directory, not a file`,
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a binary file given as data is named as such, its bytes never printed", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "program");
  await Deno.writeFile(
    path,
    new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0x1b, 0x5b, 10]),
  );
  const error = await openSource(path).catch((e) => e);
  assert.ok(error instanceof BadInputError);
  assert.match(
    error.message,
    /unknown format; .* \(the line holds binary bytes: this is not a text data file\)$/,
  );
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(error.message, /[\x00-\x08\x0b-\x1f\x7f]/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("backtest refuses an unknown config key in a sentence, before reading any data", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(join(dir, "config.jsonc"), '{ "risk": { "riskPercnt": 1 } } // typo');
  await Deno.writeTextFile(join(dir, "bars.csv"), "not read\n");
  const result = await runCli([
    "backtest",
    "--data",
    join(dir, "bars.csv"),
    "--no-ml",
    "--config",
    join(dir, "config.jsonc"),
  ]);
  assert.equal(result.code, 2);
  assert.match(
    result.stderr,
    new RegExp(
      `^backtest: "${
        join(dir, "config.jsonc")
      }": unknown key "riskPercnt" in risk: did you mean "riskPercent"\\?`,
    ),
  );
  assert.doesNotMatch(result.stderr, /"code"|unrecognized_keys/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("backtest, optimize and sweep refuse --cache-dir together with --no-cache", async (t) => {
  // Any file that exists: the flags are refused before it is read.
  const file = new URL(import.meta.url).pathname;
  const commands = {
    backtest: ["--data", file, "--no-ml", "--json", "a.json"],
    optimize: ["--data", file, "--space", file, "--no-ml"],
    sweep: ["--config", file],
  };
  for (const [name, flags] of Object.entries(commands)) {
    await t.step(name, async () => {
      const result = await runCli([name, ...flags, "--no-cache", "--cache-dir", "cache"]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(
        result.stderr,
        new RegExp(`^${name}: give --cache-dir DIR or --no-cache, not both`),
      );
    });
  }
});

Deno.test("serve refuses a port in use, naming it, before it creates the secrets or the journal", async () => {
  const dir = await Deno.makeTempDir();
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (busy.addr as Deno.NetAddr).port;
  try {
    const result = await runCli([
      "serve",
      "--port",
      String(port),
      "--db",
      join(dir, "data", "journal.sqlite"),
      "--secrets",
      join(dir, "data", "secrets.json"),
    ]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(
        `--port ${port}: 127\\.0\\.0\\.1:${port} is already in use \\(is another serve running\\?\\)`,
      ),
    );
    assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing was created");
  } finally {
    busy.close();
    await Deno.remove(dir, { recursive: true });
  }
});
