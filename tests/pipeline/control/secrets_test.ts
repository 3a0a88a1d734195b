import assert from "node:assert/strict";
import { join } from "node:path";
import { ensureApiToken, loadSecrets, mask, readApiTokenFile } from "@/pipeline/control/secrets.ts";
import { tokenFingerprint } from "@/pipeline/control/auth.ts";

const noEnv = () => undefined;

async function inTempDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("ensureApiToken() generates a token into a new 0600 file and says where, not what", async () => {
  await inTempDir(async (dir) => {
    const file = join(dir, "sub", "secrets.json");
    const { token, message } = await ensureApiToken({ file, env: noEnv });
    assert.match(token, /^[A-Za-z0-9_-]{43}$/, "32 random bytes in base64url");
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(file)), { apiToken: token });
    assert.ok(message.includes(file) && !message.includes(token), message);
    assert.deepEqual([...Deno.readDirSync(join(dir, "sub"))].map((e) => e.name), ["secrets.json"]);
  });
});

Deno.test("ensureApiToken() reads the token back on the next start", async () => {
  await inTempDir(async (dir) => {
    const file = join(dir, "secrets.json");
    const first = await ensureApiToken({ file, env: noEnv });
    const second = await ensureApiToken({ file, env: noEnv });
    assert.equal(second.token, first.token);
    assert.ok(!second.message.includes(first.token), second.message);
  });
});

Deno.test("ensureApiToken() keeps the other secrets of a file without a token", async () => {
  await inTempDir(async (dir) => {
    const file = join(dir, "secrets.json");
    await Deno.writeTextFile(file, JSON.stringify({ llmApiKey: "sk-1" }), { mode: 0o600 });
    const { token } = await ensureApiToken({ file, env: noEnv });
    assert.deepEqual(JSON.parse(await Deno.readTextFile(file)), {
      llmApiKey: "sk-1",
      apiToken: token,
    });
  });
});

Deno.test("loadSecrets() refuses a file readable by group or others, naming it and its mode", async () => {
  await inTempDir(async (dir) => {
    const file = join(dir, "secrets.json");
    await Deno.writeTextFile(file, JSON.stringify({ apiToken: "a".repeat(43) }));
    await Deno.chmod(file, 0o644);
    await assert.rejects(
      () => loadSecrets({ file, env: noEnv }),
      (error: Error) => error.message.includes(file) && error.message.includes("0644"),
    );
    await assert.rejects(() => ensureApiToken({ file, env: noEnv }), /0644/);
  });
});

Deno.test("loadSecrets() lets the environment win over the file", async () => {
  await inTempDir(async (dir) => {
    const file = join(dir, "secrets.json");
    await Deno.writeTextFile(file, JSON.stringify({ apiToken: "f".repeat(43) }), { mode: 0o600 });
    const env = (name: string) => name === "AIGS_API_TOKEN" ? "e".repeat(43) : undefined;
    assert.equal((await loadSecrets({ file, env })).apiToken, "e".repeat(43));
    const { message } = await ensureApiToken({ file, env });
    // The token's fingerprint only: not even its last characters.
    assert.equal(message, `API token ${tokenFingerprint("e".repeat(43))} from AIGS_API_TOKEN`);
  });
});

Deno.test("loadSecrets() refuses a weak token without repeating it", async () => {
  await inTempDir(async (dir) => {
    const file = join(dir, "secrets.json");
    await assert.rejects(
      () => loadSecrets({ file, env: (name) => name === "AIGS_API_TOKEN" ? "hunter2" : undefined }),
      (error: Error) =>
        error.message.includes("AIGS_API_TOKEN") && !error.message.includes("hunter2"),
    );
    await Deno.writeTextFile(file, JSON.stringify({ apiToken: "hunter2" }), { mode: 0o600 });
    await assert.rejects(
      () => loadSecrets({ file, env: noEnv }),
      (error: Error) => /apiToken/.test(error.message) && !error.message.includes("hunter2"),
    );
  });
});

Deno.test("readApiTokenFile() reads a secrets file or a bare token, and refuses a 0644 one", async () => {
  await inTempDir(async (dir) => {
    const token = "t".repeat(43);
    const json = join(dir, "secrets.json");
    const bare = join(dir, "token");
    await Deno.writeTextFile(json, JSON.stringify({ apiToken: token }), { mode: 0o600 });
    await Deno.writeTextFile(bare, `${token}\n`, { mode: 0o600 });
    assert.equal(await readApiTokenFile(json), token);
    assert.equal(await readApiTokenFile(bare), token);
    await Deno.chmod(bare, 0o644);
    await assert.rejects(() => readApiTokenFile(bare), /0644/);
  });
});

Deno.test("mask() shows at most the last 4 characters", () => {
  const secret = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
  assert.equal(mask(secret), "****DEFG (43 chars)");
  assert.equal(mask("short"), "****");
});
