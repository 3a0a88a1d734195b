/**
 * The vendored RxJS is exactly what its build makes from the pinned package, and exports
 * exactly the names the build lists: a hand edit, a stale bundle or a missing name fails.
 */

import assert from "node:assert/strict";
import * as rxjs from "rxjs";
import { build, RXJS_VALUES } from "../../vendor/rxjs/build.ts";

const VENDOR = new URL("../../vendor/rxjs/", import.meta.url);

Deno.test("the vendored rxjs is what vendor/rxjs/build.ts makes from the pinned package", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rxjs-test-" });
  try {
    await build(dir);
    for (const file of ["rxjs.js", "rxjs.d.ts"]) {
      const built = await Deno.readTextFile(`${dir}/${file}`);
      const committed = await Deno.readTextFile(new URL(file, VENDOR));
      assert.ok(
        built === committed,
        `vendor/rxjs/${file} differs from a fresh build: run deno task vendor-rxjs`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the vendored rxjs exports exactly the names its build lists", () => {
  assert.deepEqual(Object.keys(rxjs).sort(), [...RXJS_VALUES].sort());
});
