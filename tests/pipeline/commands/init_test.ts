/**
 * `init` and the config reference: both come from the config schemas. The file `init`
 * writes loads as a trading config, its commented-out settings too, and the committed
 * docs/config-reference.md is what the schemas say today.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  commentedConfig,
  CONFIG_REFERENCE,
  configOutline,
  configReference,
  formatMarkdown,
} from "@/pipeline/commands/config_doc.ts";
import { parseTradingConfig } from "@/pipeline/commands/strategy.ts";
import { parseJsonc } from "@/pipeline/jsonc.ts";
import { parseTelegramConfig } from "@/pipeline/control/telegram.ts";
import { parseSearchSpace } from "@/operators/backtest/mod.ts";
import { resolveExecutionConfig } from "@/operators/execution/mod.ts";
import { parseWebhookConfig } from "@/sinks/webhooks.ts";
import { runCli } from "./_run.ts";

Deno.test("configOutline() describes every setting of the trading config, with a default", () => {
  const { fields } = configOutline();
  assert.ok(fields.length > 80, `${fields.length} settings`);
  for (const field of fields) {
    const path = field.path.join(".");
    assert.ok(field.description !== "", `${path} has no description in its schema`);
    assert.notEqual(field.default, undefined, `${path} has no default`);
  }
});

Deno.test("commentedConfig() loads as a trading config, and so does every setting it comments out", () => {
  const text = commentedConfig();
  const active = parseTradingConfig(parseJsonc(text), "init");
  assert.equal((active.execution as { initialBalance: number }).initialBalance, 10_000);
  assert.equal(
    active.fusion,
    undefined,
    "fusion stays commented out: its default depends on the model",
  );
  // Remove the first `// ` of each commented-out setting line (as an editor's toggle does).
  const all = text.split("\n").map((line) => line.replace(/^(\s*)\/\/ (\s*(?:"|\}))/, "$1$2"))
    .join("\n");
  const everything = parseJsonc(all) as { fusion: { gate: number }; risk: { news: object } };
  parseTradingConfig(everything, "init, every setting on");
  assert.equal(everything.fusion.gate, 0.35);
  assert.deepEqual(everything.risk.news, {
    enabled: true,
    beforeMinutes: 15,
    afterMinutes: 15,
    currencies: ["USD"],
    impacts: ["high"],
  });
});

Deno.test("init writes config.jsonc and refuses to overwrite it without --force", async () => {
  const dir = await Deno.makeTempDir();
  const out = join(dir, "config.jsonc");
  const first = await runCli(["init", "--out", out]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /wrote .*config\.jsonc/);
  assert.equal(await Deno.readTextFile(out), commentedConfig());
  const again = await runCli(["init", "--out", out]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /exists; pass --force to overwrite it/);
  assert.equal((await runCli(["init", "--out", out, "--force"])).code, 0);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("docs/config-reference.md is what the schemas say (deno task config-reference)", async () => {
  const committed = await Deno.readTextFile(CONFIG_REFERENCE);
  assert.equal(committed, await formatMarkdown(configReference()));
});

Deno.test("every example config in docs/examples loads with the reader of its flag", async (t) => {
  const examples = new URL("../../../docs/examples/", import.meta.url);
  const read = async (name: string) => parseJsonc(await Deno.readTextFile(new URL(name, examples)));
  await t.step("config.jsonc is what init writes today", async () => {
    assert.equal(await Deno.readTextFile(new URL("config.jsonc", examples)), commentedConfig());
  });
  await t.step("broker_small_account.jsonc (--config)", async () => {
    const config = parseTradingConfig(await read("broker_small_account.jsonc"), "example");
    assert.equal(resolveExecutionConfig(config.execution ?? {}).spec.leverage, 200);
  });
  await t.step("telegram.jsonc (serve --telegram)", async () => {
    assert.deepEqual(parseTelegramConfig(await read("telegram.jsonc"), "example").allowChatIds, [
      123456789,
    ]);
  });
  await t.step("webhooks_telegram.jsonc (serve --webhooks)", async () => {
    assert.equal(
      parseWebhookConfig(await read("webhooks_telegram.jsonc"), "example").format,
      "telegram",
    );
  });
  await t.step("space.json (optimize --space)", async () => {
    const space = parseSearchSpace(await read("space.json"), (c) => parseTradingConfig(c, "space"));
    assert.deepEqual(space.map((p) => p.values.length), [3, 2]);
  });
});
