import assert from "node:assert/strict";
import { join } from "node:path";
import { openRegistry } from "@/pipeline/commands/models.ts";
import { makePrivateDir, preparePrivateDatabase } from "@/pipeline/private_files.ts";
import { openJournal } from "@/sinks/journal.ts";
import { cardFor, onnxModel } from "./control/_models.ts";

const posix = Deno.build.os !== "windows";
const modeOf = (path: string) => Deno.statSync(path).mode! & 0o777;

async function inTempDir(fn: (dir: string) => Promise<void> | void) {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "openJournal() creates the journal, its WAL and its folder readable by the owner only",
  ignore: !posix,
  fn: () =>
    inTempDir((dir) => {
      const folder = join(dir, "data", "live");
      makePrivateDir(folder);
      const path = join(folder, "journal.sqlite");
      const journal = openJournal(path);
      try {
        assert.equal(modeOf(join(dir, "data")).toString(8), "700");
        assert.equal(modeOf(folder).toString(8), "700");
        assert.equal(modeOf(path).toString(8), "600");
        assert.equal(modeOf(`${path}-wal`).toString(8), "600");
      } finally {
        journal.close();
      }
    }),
});

Deno.test({
  name: "preparePrivateDatabase() tightens an existing database file to 0600 and leaves its folder",
  ignore: !posix,
  fn: () =>
    inTempDir((dir) => {
      Deno.chmodSync(dir, 0o755);
      const path = join(dir, "journal.sqlite");
      Deno.writeFileSync(path, new Uint8Array(), { mode: 0o644 });
      Deno.chmodSync(path, 0o644);
      preparePrivateDatabase(path);
      assert.equal(modeOf(path).toString(8), "600");
      assert.equal(modeOf(dir).toString(8), "755", "a folder it did not create is left alone");
    }),
});

Deno.test({
  name: "Registry.open() creates its folder 0700 and its database and model files 0600",
  ignore: !posix,
  fn: () =>
    inTempDir((dir) => {
      const folder = join(dir, "models");
      const registry = openRegistry(folder);
      try {
        const bytes = onnxModel();
        const model = registry.register(bytes, cardFor(bytes));
        assert.equal(modeOf(folder).toString(8), "700");
        for (const file of ["registry.sqlite", `${model.id}.onnx`, `${model.id}.json`]) {
          assert.equal(modeOf(join(folder, file)).toString(8), "600", file);
        }
      } finally {
        registry.close();
      }
    }),
});
