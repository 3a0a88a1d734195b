import assert from "node:assert/strict";
import { countAllLines, countLines } from "@/sources/line_count.ts";
import { dataPath, dataTest } from "../_data.ts";
import { gzip, tempDir } from "./_util.ts";

const HISTDATA_2017 = "xauusd_m1_histdata/DAT_ASCII_XAUUSD_M1_2017.csv.gz";

Deno.test("countLines() counts a plain file's lines, a last line without a newline too", async () => {
  await using dir = await tempDir();
  assert.equal(await countLines(await dir.write("ended.csv", "a\nb\n")), 2);
  assert.equal(await countLines(await dir.write("open.csv", "a\nb\nc")), 3);
  // Blank lines are lines: "a", "", "b".
  assert.equal(await countLines(await dir.write("blank.csv", "a\n\nb\n")), 3);
});

Deno.test("countLines() counts the inflated lines of a gzip file", async () => {
  await using dir = await tempDir();
  // 1,000 lines of "1\n", the last without its newline: 1,000 lines.
  const text = "1\n".repeat(999) + "1";
  assert.equal(await countLines(await dir.write("lines.csv.gz", await gzip(text))), 1_000);
});

Deno.test("countLines() counts an empty file as 0 lines", async () => {
  await using dir = await tempDir();
  assert.equal(await countLines(await dir.write("empty.csv", "")), 0);
  assert.equal(await countLines(await dir.write("empty.csv.gz", await gzip(""))), 0);
});

Deno.test("countLines() is null for a file it cannot read or a gzip cut short", async () => {
  await using dir = await tempDir();
  assert.equal(await countLines(`${dir.path}/missing.csv`), null);
  const gz = await gzip("20170102 180000;1.0;1.0;1.0;1.0;0\n".repeat(2_000));
  assert.equal(
    await countLines(await dir.write("cut.csv.gz", gz.subarray(0, gz.length - 20))),
    null,
  );
});

Deno.test("countAllLines() adds the files' lines, and is null when any cannot be read", async () => {
  await using dir = await tempDir();
  const two = await dir.write("two.csv", "a\nb\n");
  const three = await dir.write("three.csv", "a\nb\nc\n");
  const empty = await dir.write("empty.csv", "");
  assert.equal(await countAllLines([two, three, empty]), 5);
  assert.equal(await countAllLines([two, `${dir.path}/missing.csv`]), null);
});

dataTest(
  "countLines() counts the 352,360 lines of HistData's 2017 gzip",
  HISTDATA_2017,
  async () => {
    // The bench's byte scan and the parser read 352,360 lines of this file (bench/main.ts).
    assert.equal(await countLines(dataPath(HISTDATA_2017)), 352_360);
  },
);
