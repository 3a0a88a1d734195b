import assert from "node:assert/strict";
import { openSources } from "../../sources/mod.ts";
import { BadInputError } from "../../pipeline/errors.ts";

const HEADER = "time_utc,bid_open,bid_high,bid_low,bid_close";
const row = (minute: number) =>
  `2014-05-01T00:${String(minute).padStart(2, "0")}:00Z,1291,1292,1290.5,1291.5`;

async function files(...contents: string[]): Promise<{ dir: string; paths: string[] }> {
  const dir = await Deno.makeTempDir();
  const paths = await Promise.all(contents.map(async (text, i) => {
    const path = `${dir}/part${i}_M1_.csv`;
    await Deno.writeTextFile(path, text);
    return path;
  }));
  return { dir, paths };
}

async function drain(paths: string[]) {
  const source = await openSources(paths);
  const times: number[] = [];
  for await (const batch of source.batches()) {
    if (batch.kind === "bars") times.push(...batch.openUs);
  }
  return { source, times };
}

Deno.test("openSources() reads files in order as one history and adds up their reports", async () => {
  const { dir, paths } = await files(
    [HEADER, row(0), row(1)].join("\n"),
    [HEADER, row(2), "", row(3)].join("\n"),
  );
  const { source, times } = await drain(paths);
  assert.deepEqual(times, [0, 1, 2, 3].map((m) => Date.UTC(2014, 4, 1, 0, m) * 1000));
  assert.deepEqual(source.files, paths);
  assert.equal(source.report.rowsEmitted, 4);
  assert.equal(source.report.blankLines, 1);
  assert.equal(source.report.firstUs, times[0]);
  assert.equal(source.report.lastUs, times[3]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("openSources() refuses files that overlap or are out of order, naming the later file", async () => {
  const { dir, paths } = await files(
    [HEADER, row(0), row(5)].join("\n"),
    [HEADER, row(3)].join("\n"),
  );
  await assert.rejects(
    () => drain(paths),
    (error: Error) =>
      error instanceof BadInputError && error.file === paths[1] && /time order/.test(error.reason),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("openSources() refuses files of different formats or sides", async () => {
  const { dir, paths } = await files(
    [HEADER, row(0)].join("\n"),
    [`${HEADER},ask_open,ask_high,ask_low,ask_close`, `${row(1)},1.1,2.1,0.6,1.6`].join("\n"),
  );
  await assert.rejects(() => openSources(paths), /files read together must match/);
  await Deno.remove(dir, { recursive: true });
});
