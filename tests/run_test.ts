import assert from "node:assert/strict";
import { collectSkips, skipSummary, stuckReport, testFiles } from "./run.ts";

/** What `deno test --parallel` printed for a file with a skipped test and a skipped step. */
const OUTPUT = [
  "\x1b[0m\x1b[38;5;245m------- pre-test output -------\x1b[0m",
  'Skipping "the dashboard in Chromium draws bars": /usr/bin/chromium is missing',
  "\x1b[0m\x1b[38;5;245m./tests/a_test.ts => \x1b[0mplain ... \x1b[0m\x1b[32mok\x1b[0m (1ms)",
  "\x1b[0m\x1b[38;5;245m./tests/a_test.ts => \x1b[0mthe dashboard in Chromium draws bars ... \x1b[0m\x1b[33mignored\x1b[0m (0ms)",
  "\x1b[0m\x1b[38;5;245m./tests/b_test.ts =>\x1b[0m report ... screenshot ... \x1b[0m\x1b[33mignored\x1b[0m (0ms)",
  "ok | 1 passed | 0 failed | 1 ignored (1 step) (5ms)",
].join("\n");

Deno.test("collectSkips() pairs every ignored test and step with the reason it printed", () => {
  assert.deepEqual(collectSkips(OUTPUT), [
    {
      file: "./tests/a_test.ts",
      name: "the dashboard in Chromium draws bars",
      reason: "/usr/bin/chromium is missing",
    },
    { file: "./tests/b_test.ts", name: "screenshot", reason: null },
  ]);
});

Deno.test("skipSummary() lists each skip with its reason, and says when a test gave none", () => {
  assert.equal(
    skipSummary(collectSkips(OUTPUT)),
    [
      "",
      "skipped: 2 tests",
      '  - tests/a_test.ts: "the dashboard in Chromium draws bars": /usr/bin/chromium is missing',
      '  - tests/b_test.ts: "screenshot": no reason printed (a test must say why it skips: tests/_skip.ts)',
    ].join("\n"),
  );
  assert.equal(skipSummary([]), "\nskipped: none");
});

Deno.test("stuckReport() names the files with no result and the tests Deno saw running long", () => {
  const files = ["./tests/a_test.ts", "./tests/b_test.ts", "./tests/c/roles_test.ts"];
  const output =
    `${OUTPUT}\n\x1b[0m'the roles trade as one process' has been running for over (1m0s)`;
  assert.equal(
    stuckReport(output, files, 480_000),
    [
      "",
      "deno test had not finished after 8 minutes: stopped.",
      "test files with no result yet:",
      "  - tests/c/roles_test.ts",
      "tests running for over a minute:",
      '  - "the roles trade as one process"',
    ].join("\n"),
  );
});

Deno.test("testFiles() finds this file under the name deno test prints for it", () => {
  const files = testFiles("./tests");
  assert.ok(files.includes("./tests/run_test.ts"), files.slice(0, 5).join(", "));
  assert.ok(files.includes("./tests/pipeline/roles/roles_test.ts"));
  assert.ok(!files.includes("./tests/run.ts"), "a helper module is not a test file");
  assert.deepEqual(files, [...files].sort());
});
