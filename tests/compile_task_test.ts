/**
 * `deno task compile` (deno.json) names every module the code starts as a Worker by URL: a
 * compiled binary holds only the modules it was told of, so a Worker left out fails only
 * when it is started, in a binary these machines cannot build (README, "deno task
 * compile"). And every module it names exists.
 */

import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
/** Code a binary runs: everything but the tests, the benches and generated or vendored files. */
const SKIPPED = new Set(["tests", "bench", "vendor", "out", "node_modules", "dist", "data"]);

/** The repository's TypeScript files a binary may run, relative to the root. */
function codeFiles(dir = ROOT): string[] {
  const files: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) {
      if (!SKIPPED.has(entry.name) && !entry.name.startsWith(".")) files.push(...codeFiles(path));
    } else if (entry.name.endsWith(".ts")) {
      files.push(relative(ROOT, path));
    }
  }
  return files;
}

/** The modules the code loads by URL, `new URL("./x.ts", import.meta.url)`, relative to the root. */
function modulesLoadedByUrl(): Map<string, string> {
  const loaded = new Map<string, string>();
  const pattern = /new URL\("(\.{1,2}\/[^"]+\.ts)", import\.meta\.url\)/g;
  for (const file of codeFiles()) {
    for (const match of Deno.readTextFileSync(join(ROOT, file)).matchAll(pattern)) {
      loaded.set(join(dirname(file), match[1]), file);
    }
  }
  return loaded;
}

function compileIncludes(): string[] {
  const config = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json")));
  const command: string = config.tasks.compile.command;
  return [...command.matchAll(/--include (\S+)/g)].map((m) => m[1]);
}

Deno.test("deno task compile includes every module the code starts by URL", () => {
  const loaded = modulesLoadedByUrl();
  // The Workers known when this test was written: the scan must find them, or it finds nothing.
  for (const known of ["sources/_read_worker.ts", "models/onnx/session_worker.ts"]) {
    assert.ok(loaded.has(known), `the scan found no Worker started by URL as ${known}`);
  }
  const included = new Set(compileIncludes());
  const missing = [...loaded].filter(([module]) => !included.has(module))
    .map(([module, by]) => `${module} (started by ${by})`);
  assert.deepEqual(missing, [], "add each to the compile task as --include");
});

Deno.test("deno task compile includes only modules that exist", () => {
  const absent = compileIncludes().filter((path) => {
    try {
      return !Deno.statSync(join(ROOT, path)).isFile;
    } catch {
      return true;
    }
  });
  assert.deepEqual(absent, []);
});
