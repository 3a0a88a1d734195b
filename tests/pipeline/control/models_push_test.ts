import assert from "node:assert/strict";
import { join } from "node:path";
import { openRegistry } from "@/pipeline/commands/models.ts";
import { runCli } from "../commands/_run.ts";
import { cardFor, onnxModel } from "./_models.ts";
import { testApp, TOKEN } from "./_app.ts";

/** A control plane on a free loopback port, with its own registry, and a local registry. */
async function withServerAndLocal(
  fn: (ctx: { url: string; local: string; server: string; dir: string }) => Promise<void>,
) {
  const dir = await Deno.makeTempDir();
  const [local, server] = [join(dir, "local"), join(dir, "server")];
  const serverRegistry = openRegistry(server);
  const { app } = testApp({ models: { registry: serverRegistry } });
  const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  try {
    await fn({ url: `http://127.0.0.1:${http.addr.port}`, local, server, dir });
  } finally {
    await http.shutdown();
    serverRegistry.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function registerLocally(local: string): string {
  const registry = openRegistry(local);
  try {
    const bytes = onnxModel(3);
    return registry.register(bytes, cardFor(bytes)).id;
  } finally {
    registry.close();
  }
}

Deno.test("models push uploads a local model to a running server, registered there as a candidate", async () => {
  await withServerAndLocal(async ({ url, local, server, dir }) => {
    const id = registerLocally(local);
    const tokenFile = join(dir, "token");
    await Deno.writeTextFile(tokenFile, TOKEN, { mode: 0o600 });
    const result = await runCli([
      "models",
      "push",
      "--to",
      url,
      "--id",
      id.slice(0, 12),
      "--registry",
      local,
      "--token-file",
      tokenFile,
      "--json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), {
      id,
      stage: "candidate",
      verification: {
        measured: false,
        gate: null,
        reason: "not verified: this server holds no data to measure models on",
      },
      to: url,
    });
    const registry = openRegistry(server);
    try {
      assert.equal(registry.get(id).stage, "candidate");
    } finally {
      registry.close();
    }
  });
});

Deno.test("models push reports the server's refusal without printing the token", async () => {
  await withServerAndLocal(async ({ url, local, dir }) => {
    const id = registerLocally(local);
    const wrong = "w".repeat(43);
    const tokenFile = join(dir, "secrets.json");
    await Deno.writeTextFile(tokenFile, JSON.stringify({ apiToken: wrong }), { mode: 0o600 });
    const result = await runCli([
      "models",
      "push",
      "--to",
      url,
      "--id",
      id,
      "--registry",
      local,
      "--token-file",
      tokenFile,
    ]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /the server answered 401: invalid bearer token/);
    assert.ok(!result.stderr.includes(wrong) && !result.stdout.includes(wrong));
  });
});
