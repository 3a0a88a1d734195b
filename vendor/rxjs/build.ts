/**
 * Builds the vendored RxJS (README.md says why): the names the code imports from "rxjs",
 * taken from the pinned npm package's ES module build by `deno bundle`, into `rxjs.js`,
 * and their types, re-exported from the same package, into `rxjs.d.ts`. It never edits
 * the library's code: it only drops the bundler's comments that name this machine's
 * cache folder, so the output is the same on every machine.
 *
 *   deno task vendor-rxjs            rewrite rxjs.js and rxjs.d.ts
 *   deno task vendor-rxjs --out DIR  write them into DIR instead (the test compares)
 */

import { parseArgs } from "node:util";

/** The pinned package: the same version deno.lock holds. */
export const RXJS = "npm:rxjs@7.8.2";

/**
 * Every value the code imports from "rxjs"; a new one is added here and rebuilt. In the
 * order `deno fmt` sorts them, so the written types need no formatting.
 */
export const RXJS_VALUES = [
  "concatMap",
  "concatWith",
  "defer",
  "EMPTY",
  "filter",
  "firstValueFrom",
  "from",
  "lastValueFrom",
  "map",
  "Observable",
  "of",
  "reduce",
  "startWith",
  "Subject",
  "take",
  "takeWhile",
  "tap",
  "throwError",
  "toArray",
] as const;

/** Every type-only name the code imports from "rxjs". */
export const RXJS_TYPES = ["OperatorFunction", "Subscriber", "Subscription"] as const;

const HEADER = [
  "// deno-fmt-ignore-file",
  "// deno-lint-ignore-file",
  '// @ts-self-types="./rxjs.d.ts"',
  `// RxJS from ${RXJS} (Apache-2.0, LICENSE.txt), its ES module build bundled by`,
  "// vendor/rxjs/build.ts: only the names the code imports. Do not edit; rebuild.",
].join("\n");

/** The bundle and its types, as `build` writes them into `dir`. */
export async function build(dir: string): Promise<void> {
  const work = await Deno.makeTempDir({ prefix: "vendor-rxjs-" });
  try {
    const entry = `${work}/entry.ts`;
    await Deno.writeTextFile(entry, `export { ${RXJS_VALUES.join(", ")} } from "${RXJS}";\n`);
    const bundled = `${work}/rxjs.js`;
    // "browser" picks the package's ES module build (its "node" condition is CommonJS,
    // which a bundler cannot shake down to the names used).
    const result = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--quiet", "--platform", "browser", "--output", bundled, entry],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!result.success) {
      throw new Error(`deno bundle failed:\n${new TextDecoder().decode(result.stderr)}`);
    }
    const code = (await Deno.readTextFile(bundled))
      .split("\n")
      .filter((line) => !/^\/\/ .*registry\.npmjs\.org\//.test(line))
      .join("\n");
    await Deno.writeTextFile(`${dir}/rxjs.js`, `${HEADER}\n${code}`);
    await Deno.writeTextFile(
      `${dir}/rxjs.d.ts`,
      `// Types of the vendored RxJS (rxjs.js), from the package it was built from.\n` +
        `export {\n${RXJS_VALUES.map((name) => `  ${name},\n`).join("")}} from "${RXJS}";\n` +
        `export type { ${RXJS_TYPES.join(", ")} } from "${RXJS}";\n`,
    );
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Deno.args, options: { out: { type: "string" } } });
  const dir = values.out ?? new URL(".", import.meta.url).pathname;
  await build(dir);
  console.log(`wrote ${dir}/rxjs.js and ${dir}/rxjs.d.ts`);
}
