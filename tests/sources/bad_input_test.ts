/**
 * Every kind of bad input, in every format it applies to: under onBadLine "fail" a
 * `BadInputError` naming the file, the 1-based line and the reason; under "skip" the
 * line is counted in `report.badLines` and every other row is kept.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { US_PER_DAY, US_PER_MINUTE } from "@/pipeline/events.ts";
import { BadInputError } from "@/pipeline/errors.ts";
import { DEFAULT_PLAUSIBILITY, plausibilityReasons } from "@/pipeline/plausibility.ts";
import { type FormatName, openSource, type ReadReport } from "@/sources/mod.ts";
import { dataPath, dataTest } from "../_data.ts";
import {
  fileText,
  type FormatWriter,
  type GenRow,
  HISTDATA,
  MT5,
  OANDA_TICKS,
  QUOTE_BARS,
  rowsArbitrary,
  sampleRows,
  WRITERS,
} from "./_formats.ts";
import {
  assertBadInput,
  type Columns,
  drain,
  fileHead,
  gzip,
  readColumns,
  tempDir,
} from "./_util.ts";

const SKIP_HINT = "; pass --on-bad-line=skip to skip and count such lines";
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Matches a "fail" reason: the exact reason, then the hint to skip. */
const failReason = (reason: string) => new RegExp(`^${escape(reason)}${escape(SKIP_HINT)}$`);

/** How an error or a report quotes a line: its first 120 characters. */
const quoted = (line: string) => line.length > 120 ? `${line.slice(0, 120)}…` : line;

/** The reasons for the default plausibility bounds (pipeline/plausibility.ts). */
const PLAUSIBLE = plausibilityReasons(DEFAULT_PLAUSIBILITY);

/** The fields with the prices at `at` replaced by `price(old)`. */
const setPrices = (f: string[], at: readonly number[], price: (old: string) => string) =>
  f.map((v, i) => at.includes(i) ? price(v) : v);

/** The highest bid price field: the bar's high, or a tick's only bid. */
const bidHigh = (w: FormatWriter) => w.bidFields[1] ?? w.bidFields[0];

/** The line number of the `index`-th row (0-based) in a file of this format. */
const lineOf = (writer: FormatWriter, index: number) => index + 1 + (writer.header ? 1 : 0);

/** The rows a source emitted, as the columns present. */
function pick(columns: Columns, keys: readonly string[]): Record<string, number[]> {
  return Object.fromEntries(keys.map((k) => [k, Array.from(columns[k] ?? [])]));
}

function subset(columns: Columns, indexes: readonly number[]): Record<string, number[]> {
  return Object.fromEntries(
    Object.entries(columns).map(([k, v]) => [k, indexes.map((i) => v[i])]),
  );
}

/**
 * A bad-line case: turns the fields of row 1 (of three valid rows) into a bad line, or
 * returns null where the case does not apply to the format. `reason` is what the
 * source must say.
 */
interface BadLineCase {
  readonly name: string;
  mutate(writer: FormatWriter, fields: string[], previous: GenRow): string[] | null;
  reason(writer: FormatWriter): string;
}

const fieldCount = (w: FormatWriter, found: number) =>
  `expected ${w.fieldCount} '${w.delimiter}'-separated fields, found ${found}`;

const BAD_LINES: readonly BadLineCase[] = [
  {
    name: "a line with one field too many",
    mutate: (_w, f) => [...f, "1"],
    reason: (w) => fieldCount(w, w.fieldCount + 1),
  },
  {
    name: "a line with one field too few",
    mutate: (_w, f) => f.slice(0, -1),
    reason: (w) => fieldCount(w, w.fieldCount - 1),
  },
  {
    name: "a line with only a timestamp",
    mutate: (_w, f) => f.slice(0, 1),
    reason: (w) => fieldCount(w, 1),
  },
  {
    name: "a non-numeric price",
    mutate: (w, f) => f.map((v, i) => i === w.bidFields[0] ? "abc" : v),
    reason: () => "non-numeric price",
  },
  {
    name: "an empty price field",
    mutate: (w, f) => f.map((v, i) => i === w.bidFields.at(-1) ? "" : v),
    reason: () => "non-numeric price",
  },
  {
    name: "a zero price",
    mutate: (w, f) => f.map((v, i) => i === w.bidFields[0] ? "0" : v),
    reason: () => "non-positive price",
  },
  {
    name: "a negative price",
    mutate: (w, f) => f.map((v, i) => i === w.bidFields[0] ? `-${v}` : v),
    reason: () => "non-positive price",
  },
  {
    name: "a bid high below the bid low",
    mutate: (w, f) => {
      if (w.bidFields.length < 4) return null;
      const [, h, l] = w.bidFields;
      return f.map((v, i) => i === h ? f[l] : i === l ? f[h] : v);
    },
    reason: () => "high < low",
  },
  {
    name: "an ask high below the ask low",
    mutate: (w, f) => {
      if (w.askFields.length < 4) return null;
      const [, h, l] = w.askFields;
      return f.map((v, i) => i === h ? f[l] : i === l ? f[h] : v);
    },
    reason: () => "ask high < low",
  },
  {
    name: "an open above the high",
    mutate: (w, f) => {
      if (w.bidFields.length < 4) return null;
      const [o, h] = w.bidFields;
      return f.map((v, i) => i === o ? String(Number(f[h]) + 1) : v);
    },
    reason: () => "open or close outside the high-low range",
  },
  {
    name: "an ask below the bid",
    mutate: (w, f) => {
      if (w.askFields.length === 0) return null;
      return f.map((v, i) =>
        w.askFields.includes(i)
          ? (Number(f[w.bidFields[w.askFields.indexOf(i)]]) - 0.5).toFixed(3)
          : v
      );
    },
    reason: () => "ask below bid",
  },
  {
    name: "a timestamp earlier than the line before",
    mutate: (w, f, previous) => [w.timeText(previous.timeUs - w.stepUs), ...f.slice(1)],
    reason: (w) => `timestamp out of order (earlier than line ${lineOf(w, 0)})`,
  },
  {
    name: "a timestamp equal to the line before's, with other prices",
    mutate: (w, f, previous) => [w.timeText(previous.timeUs), ...f.slice(1)],
    reason: (w) => `duplicate timestamp (same as line ${lineOf(w, 0)})`,
  },
  {
    name: "an impossible date (month 13)",
    mutate: (
      w,
      f,
    ) => [
      w.format === "histdata"
        ? f[0].replace(/^(\d{4})\d\d/, "$113")
        : f[0].replace(/^(\d{4})-\d\d/, "$1-13"),
      ...f.slice(1),
    ],
    reason: () => "malformed timestamp",
  },
  {
    name: "a timestamp that is not a time",
    mutate: (_w, f) => ["yesterday", ...f.slice(1)],
    reason: () => "malformed timestamp",
  },
  {
    name: "a price of 400 digits (parses as Infinity)",
    mutate: (w, f) => setPrices(f, [bidHigh(w)], () => "9".repeat(400)),
    reason: () => PLAUSIBLE.nonFinite,
  },
  {
    name: "a price of 1e14",
    mutate: (w, f) => setPrices(f, [bidHigh(w)], () => "100000000000000.00"),
    reason: () => PLAUSIBLE.band,
  },
  {
    name: "a price below the band",
    mutate: (w, f) => setPrices(f, [w.bidFields.at(-2) ?? w.bidFields[0]], () => "5.00"),
    reason: () => PLAUSIBLE.band,
  },
  {
    name: "every price ten times the last row's (a slipped decimal point)",
    mutate: (w, f) =>
      setPrices(f, [...w.bidFields, ...w.askFields], (v) => (Number(v) * 10).toFixed(3)),
    reason: () => PLAUSIBLE.jump,
  },
  {
    name: "an ask ten times the bid",
    mutate: (w, f) => {
      if (w === MT5) return f.map((v, i) => i === 6 ? "99999" : v);
      if (w.askFields.length === 0) return null;
      return setPrices(f, w.askFields, (v) => (Number(v) * 10).toFixed(3));
    },
    reason: () => PLAUSIBLE.askBid,
  },
  {
    name: "a year 9999",
    mutate: (_w, f) => [`9999${f[0].slice(4)}`, ...f.slice(1)],
    reason: () => PLAUSIBLE.window,
  },
  {
    name: "a year 0017",
    mutate: (_w, f) => [`0017${f[0].slice(4)}`, ...f.slice(1)],
    reason: () => PLAUSIBLE.window,
  },
  {
    name: "a time 40 days after the line before",
    mutate: (w, f, previous) => [w.timeText(previous.timeUs + 40 * US_PER_DAY), ...f.slice(1)],
    reason: (w) => PLAUSIBLE.step(lineOf(w, 0)),
  },
  {
    // Held until the next row, which falls before it: the mistyped row is the one refused.
    name: "a mistyped date a week ahead",
    mutate: (w, f, previous) => [w.timeText(previous.timeUs + 7 * US_PER_DAY), ...f.slice(1)],
    reason: (w) =>
      `timestamp out of order (later than line ${lineOf(w, 2)}, which follows line ${
        lineOf(w, 0)
      })`,
  },
  {
    name: "a negative MT5 spread",
    mutate: (w, f) => w === MT5 ? f.map((v, i) => i === 6 ? "-3" : v) : null,
    reason: () => "missing or negative spread",
  },
  {
    name: "a non-numeric MT5 spread",
    mutate: (w, f) => w === MT5 ? f.map((v, i) => i === 6 ? "n/a" : v) : null,
    reason: () => "missing or negative spread",
  },
  {
    name: "a HistData volume that is not a number",
    mutate: (w, f) => w === HISTDATA ? f.map((v, i) => i === 5 ? "Infinity" : v) : null,
    reason: () => "missing or negative volume",
  },
  {
    name: "an MT5 real_volume that is not a number",
    mutate: (w, f) => w === MT5 ? f.map((v, i) => i === 7 ? "n/a" : v) : null,
    reason: () => "missing or negative real_volume",
  },
  {
    name: "a negative MT5 tick volume",
    mutate: (w, f) => w === MT5 ? f.map((v, i) => i === 5 ? "-1" : v) : null,
    reason: () => "missing or negative volume",
  },
];

for (const badCase of BAD_LINES) {
  Deno.test(`openSource() on ${badCase.name}: fails naming file and line, or skips and counts it`, async (t) => {
    await using dir = await tempDir();
    for (const writer of WRITERS) {
      const rows = sampleRows(writer, 3);
      const bad = badCase.mutate(writer, writer.fields(rows[1]), rows[0]);
      if (bad === null) continue;
      const badLine = bad.join(writer.delimiter);
      const lines = [
        writer.fields(rows[0]).join(writer.delimiter),
        badLine,
        writer.fields(rows[2]).join(writer.delimiter),
      ];
      const path = await dir.write(`${writer.format}_${writer.fileName}`, fileText(writer, lines));
      const reason = badCase.reason(writer);

      await t.step(`${writer.format}, onBadLine "fail"`, async () => {
        const source = await openSource(path);
        assert.equal(source.format, writer.format);
        const error = await assertBadInput(() => drain(source), {
          file: path,
          line: lineOf(writer, 1),
          reason: failReason(reason),
        });
        assert.equal(error.text, quoted(badLine), "the error quotes the line");
      });

      await t.step(`${writer.format}, onBadLine "skip"`, async () => {
        const source = await openSource(path, { onBadLine: "skip" });
        const columns = await readColumns(source);
        const expected = writer.expected([rows[0], rows[2]]);
        assert.deepEqual(pick(columns, Object.keys(expected)), subset(expected, [0, 1]));
        assert.deepEqual(source.report.badLines, { [reason]: 1 });
        assert.deepEqual(source.report.badLineExamples, {
          [reason]: `line ${lineOf(writer, 1)}: ${quoted(badLine)}`,
        });
        assert.equal(source.report.rowsEmitted, 2);
        assert.equal(source.report.linesRead, lineOf(writer, 2));
      });
    }
  });
}

Deno.test("openSource() fails on HistData's repeated rows outside the EU fall-back Sunday", async (t) => {
  await using dir = await tempDir();
  const rows = sampleRows(HISTDATA, 3);
  const lines = [rows[0], rows[1], rows[1], rows[2]].map((r) => HISTDATA.fields(r).join(";"));
  const path = await dir.write(HISTDATA.fileName, fileText(HISTDATA, lines));
  await t.step("fail", async () => {
    await assertBadInput(async () => drain(await openSource(path)), {
      file: path,
      line: 3,
      reason: failReason("duplicate timestamp (same as line 2)"),
    });
  });
  await t.step("skip: counted as a bad line, not as a dropped duplicate", async () => {
    const source = await openSource(path, { onBadLine: "skip" });
    await drain(source);
    assert.equal(source.report.duplicatesDropped, 0);
    assert.deepEqual(source.report.badLines, { "duplicate timestamp (same as line 2)": 1 });
  });
});

Deno.test("openSource() drops an identical repeated hour on HistData's EU fall-back Sunday only", async () => {
  // 2023-10-29 (EU fall-back): the file's 19:00-19:02 on UTC-5 is 00:00-00:02 UTC Monday.
  await using dir = await tempDir();
  const block = [0, 1, 2].map((m) =>
    `20231029 190${m}00;2002.725000;2003.525000;2002.405000;2003.365000;0`
  );
  const lines = [
    ...block,
    ...block,
    "20231029 200000;2003.000000;2003.100000;2002.900000;2003.000000;0",
  ];
  const path = await dir.write("DAT_ASCII_XAUUSD_M1_2023.csv", lines.join("\n") + "\n");
  const source = await openSource(path);
  const columns = await readColumns(source);
  assert.equal(source.report.duplicatesDropped, 3);
  assert.deepEqual(source.report.badLines, {});
  const base = Date.UTC(2023, 9, 30) * 1000;
  assert.deepEqual(Array.from(columns.openUs), [0, 1, 2, 60].map((m) => base + m * US_PER_MINUTE));
});

// ---- Whole-file problems.

/** A temp CSV of `count` valid rows of this format, gzip-compressed and cut in half. */
async function truncatedGzip(
  writer: FormatWriter,
  count: number,
): Promise<{ bytes: Uint8Array; rows: number }> {
  const rows = sampleRows(writer, count);
  const gz = await gzip(fileText(writer, rows.map((r) => writer.fields(r).join(writer.delimiter))));
  return { bytes: gz.subarray(0, Math.floor(gz.length / 2)), rows: count };
}

Deno.test("openSource() refuses a gzip file cut short, naming the file, in every format", async (t) => {
  await using dir = await tempDir();
  for (const writer of WRITERS) {
    for (const onBadLine of ["fail", "skip"] as const) {
      await t.step(`${writer.format}, onBadLine "${onBadLine}"`, async () => {
        const { bytes, rows } = await truncatedGzip(writer, 6_000);
        const path = await dir.write(`${writer.format}_${writer.fileName}.gz`, bytes);
        const source = await openSource(path, { onBadLine });
        let emitted = 0;
        // The error names the first line the cut cost: the one after the last line read.
        await assertBadInput(async () => {
          for await (const batch of source.batches()) emitted += batch.length;
        }, () => ({
          file: path,
          line: source.report.linesRead + 1,
          reason:
            /^gzip stream is truncated or corrupt \(.+\); no rows after the last complete line were read$/,
        }));
        assert.ok(emitted > 0 && emitted < rows, `${emitted} rows before the cut`);
        assert.equal(source.report.rowsEmitted, emitted);
      });
    }
  }
});

const TICKS_GZ = "xauusd_ticks_oanda/XAUUSD_OANDA_ticks_20140501-20140515.csv.gz";

dataTest(
  "openSource() refuses the first 100 KB of the real tick .gz as truncated",
  TICKS_GZ,
  async () => {
    await using dir = await tempDir();
    const head = await fileHead(dataPath(TICKS_GZ), 100_000);
    const path = await dir.write("XAUUSD_OANDA_ticks_cut.csv.gz", head);
    const source = await openSource(path);
    assert.equal(source.format, "oanda-ticks");
    await assertBadInput(() => drain(source), () => ({
      file: path,
      line: source.report.linesRead + 1,
      reason: /^gzip stream is truncated or corrupt/,
    }));
    // Every complete line before the cut was read and kept, and nothing after it.
    assert.ok(source.report.rowsEmitted > 5_000, `${source.report.rowsEmitted} rows`);
    assert.equal(source.report.rowsEmitted, source.report.linesRead - 1);
  },
);

const HEADER_ONLY = /^file has a header but no rows$/;

Deno.test("openSource() refuses empty, line-less and header-only files alike in every format, naming the file", async (t) => {
  await using dir = await tempDir();
  const headers = new Map<FormatWriter, Uint8Array>();
  for (const w of WRITERS) if (w.header !== null) headers.set(w, await gzip(`${w.header}\n`));
  const gzipped = (w: FormatWriter) => headers.get(w)!;
  const cases: ReadonlyArray<readonly [string, string, Uint8Array | string, RegExp]> = [
    ["an empty file", "XAUUSD_M1.csv", "", /^file is empty$/],
    ["an empty .gz file", "DAT_ASCII_XAUUSD_M1_2017.csv.gz", "", /^file is empty$/],
    [
      "a gzip of nothing",
      "XAUUSD_OANDA_ticks.csv.gz",
      await gzip(""),
      /^file is empty \(no bytes after decompression\)$/,
    ],
    ["blank lines only", "XAUUSD_OANDA_M1_quote.csv", "\n\r\n\n", /^file has only blank lines$/],
    [
      "a byte order mark only",
      "DAT_ASCII_XAUUSD_M1_2017.csv",
      "\uFEFF\n",
      /^file has only blank lines$/,
    ],
    ...WRITERS.filter((w) => w.header !== null).map((w) =>
      [`${w.format}: a header and no row`, w.fileName, `${w.header}\n\n`, HEADER_ONLY] as const
    ),
    ...WRITERS.filter((w) => w.header !== null).map((w) =>
      [
        `${w.format}: a gzip of a header and no row`,
        `${w.fileName}.gz`,
        gzipped(w),
        HEADER_ONLY,
      ] as const
    ),
  ];
  for (const [name, file, content, reason] of cases) {
    await t.step(name, async () => {
      const path = await dir.write(file, content);
      await assertBadInput(() => openSource(path), { file: path, line: null, reason });
    });
  }
  await t.step(
    "a header then more blank lines than detection reads: refused while reading",
    async () => {
      const path = await dir.write(MT5.fileName, `${MT5.header}${"\n".repeat(100)}`);
      const source = await openSource(path);
      await assertBadInput(() => drain(source), { file: path, line: null, reason: HEADER_ONLY });
    },
  );
  await t.step("a missing file", async () => {
    const path = `${dir.path}/no_such_file.csv`;
    await assertBadInput(() => openSource(path), {
      file: path,
      line: null,
      reason: /^file not found$/,
    });
  });
});

Deno.test("openSource() refuses an unknown format at line 1, naming the formats it knows", async (t) => {
  await using dir = await tempDir();
  const cases: ReadonlyArray<readonly [string, string]> = [
    ["a CSV of something else", "date,price\n2014-05-01,1291.6\n"],
    ["HistData with commas", "20230102 180000,1826.837,1827.337,1826.617,1826.637,0\n"],
    ["MT5 columns in another order", "time,high,open,low,close,tick_volume,spread,real_volume\n"],
    ["a tick header with an extra column", "timestamp_utc,bid,ask,volume\n"],
  ];
  for (const [name, text] of cases) {
    await t.step(name, async () => {
      const path = await dir.write("data.csv", text);
      const error = await assertBadInput(() => openSource(path), {
        file: path,
        line: 1,
        reason:
          /^unknown format; expected one of histdata, mt5, oanda-ticks, quote-bars \(or pass --format\)$/,
      });
      assert.equal(error.text, text.split("\n")[0]);
    });
  }
});

Deno.test("openSource() with a forced format refuses a file whose header is another's", async (t) => {
  await using dir = await tempDir();
  const file = (w: FormatWriter) =>
    fileText(w, sampleRows(w, 2).map((r) => w.fields(r).join(w.delimiter)));
  const cases: ReadonlyArray<readonly [FormatName, FormatWriter, RegExp]> = [
    [
      "mt5",
      OANDA_TICKS,
      /^unexpected header "timestamp_utc,bid,ask"; this format needs "time,open,high,low,close,tick_volume,spread,real_volume"$/,
    ],
    [
      "oanda-ticks",
      MT5,
      /^unexpected header "time,open,high,low,close,tick_volume,spread,real_volume"; this format needs "timestamp_utc,bid,ask"$/,
    ],
    [
      "oanda-ticks",
      QUOTE_BARS,
      /^unexpected header "time_utc,bid_open,.*,ask_close"; this format needs "timestamp_utc,bid,ask"$/,
    ],
    ["mt5", QUOTE_BARS, /^unexpected header "time_utc,.*"; this format needs "time,open,/],
    [
      "quote-bars",
      OANDA_TICKS,
      /^unexpected header "timestamp_utc,bid,ask"; this format needs "time_utc,bid_open,bid_high,bid_low,bid_close"$/,
    ],
    ["quote-bars", MT5, /^unexpected header "time,open,.*"; this format needs "time_utc,bid_open,/],
    ["histdata", OANDA_TICKS, failReason("expected 6 ';'-separated fields, found 1")],
    ["histdata", MT5, failReason("expected 6 ';'-separated fields, found 1")],
  ];
  for (const [format, writer, reason] of cases) {
    await t.step(`--format ${format} on a ${writer.format} file`, async () => {
      const path = await dir.write(`${writer.format}.csv`, file(writer));
      await assertBadInput(async () => drain(await openSource(path, { format })), {
        file: path,
        line: 1,
        reason,
      });
    });
  }
  await t.step("an MT5 header with real_volume renamed", async () => {
    const text = file(MT5).replace("real_volume", "volume");
    const path = await dir.write("renamed.csv", text);
    await assertBadInput(async () => drain(await openSource(path)), {
      file: path,
      line: 1,
      reason: /^unexpected header "time,open,high,low,close,tick_volume,spread,volume"/,
    });
  });
  await t.step("a quote-bar header with both asks and a spread", async () => {
    const text = file(QUOTE_BARS).replace("ask_close", "ask_close,spread").replace(
      /\n(.+)/g,
      "\n$1,0.3",
    );
    const path = await dir.write("XAUUSD_M1_both.csv", text);
    await assertBadInput(() => openSource(path), {
      file: path,
      line: 1,
      reason: /^a file with ask columns must not also have a spread column$/,
    });
  });
});

// ---- Line ends and blank lines.

/** The rows of a valid sample file of this format, as lines. */
const sampleLines = (w: FormatWriter, n: number) =>
  sampleRows(w, n).map((r) => w.fields(r).join(w.delimiter));

Deno.test("openSource() counts blank lines without failing and keeps every row", async (t) => {
  await using dir = await tempDir();
  for (const writer of WRITERS) {
    await t.step(writer.format, async () => {
      const [a, b, c] = sampleLines(writer, 3);
      const body = `${a}\n\n${b}\r\n\r\n\n${c}\n\n`;
      const path = await dir.write(
        writer.fileName,
        (writer.header ? `${writer.header}\n` : "") + body,
      );
      const source = await openSource(path);
      const columns = await readColumns(source);
      const expected = writer.expected(sampleRows(writer, 3));
      assert.deepEqual(pick(columns, Object.keys(expected)), subset(expected, [0, 1, 2]));
      assert.equal(source.report.blankLines, 4);
      assert.equal(source.report.linesRead, 7 + (writer.header ? 1 : 0));
      assert.deepEqual(source.report.badLines, {});
    });
  }
});

Deno.test("openSource() counts a blank line before the header as blank, not as a bad header", async (t) => {
  await using dir = await tempDir();
  for (const writer of WRITERS) {
    await t.step(writer.format, async () => {
      const path = await dir.write(
        writer.fileName,
        `\n${fileText(writer, sampleLines(writer, 2))}`,
      );
      const source = await openSource(path);
      const columns = await readColumns(source);
      const expected = writer.expected(sampleRows(writer, 2));
      assert.deepEqual(pick(columns, Object.keys(expected)), subset(expected, [0, 1]));
      assert.equal(source.report.blankLines, 1);
    });
  }
});

Deno.test("openSource() reads CRLF files exactly as LF files", async (t) => {
  await using dir = await tempDir();
  for (const writer of WRITERS) {
    await t.step(writer.format, async () => {
      const lf = fileText(writer, sampleLines(writer, 50));
      const lfSource = await openSource(await dir.write(`lf_${writer.fileName}`, lf));
      const crlfSource = await openSource(
        await dir.write(`crlf_${writer.fileName}`, lf.replaceAll("\n", "\r\n")),
      );
      assert.deepEqual(await readColumns(crlfSource), await readColumns(lfSource));
      assert.deepEqual(crlfSource.report, lfSource.report);
      assert.equal(crlfSource.report.rowsEmitted, 50);
    });
  }
});

Deno.test("openSource() reads a file that starts with a UTF-8 byte order mark as one without", async (t) => {
  await using dir = await tempDir();
  for (const writer of WRITERS) {
    for (const packed of [false, true]) {
      await t.step(`${writer.format}${packed ? ", gzip" : ""}`, async () => {
        const text = fileText(writer, sampleLines(writer, 5));
        const write = async (name: string, content: string) =>
          await dir.write(name, packed ? await gzip(content) : content);
        const plain = await openSource(await write(`plain_${writer.fileName}`, text));
        const marked = await openSource(await write(`bom_${writer.fileName}`, `\uFEFF${text}`));
        assert.equal(marked.format, writer.format);
        assert.deepEqual(await readColumns(marked), await readColumns(plain));
        assert.deepEqual(marked.report, plain.report);
        assert.equal(marked.report.rowsEmitted, 5);
      });
    }
  }
});

Deno.test("openSource() reads the last line of a file without a trailing newline", async (t) => {
  await using dir = await tempDir();
  for (const writer of WRITERS) {
    for (const [name, end] of [["LF", "\n"], ["CRLF", "\r\n"]] as const) {
      await t.step(`${writer.format}, ${name}`, async () => {
        const text = fileText(writer, sampleLines(writer, 3)).replaceAll("\n", end).slice(
          0,
          -end.length,
        );
        const source = await openSource(await dir.write(writer.fileName, text));
        const columns = await readColumns(source);
        const expected = writer.expected(sampleRows(writer, 3));
        assert.deepEqual(pick(columns, Object.keys(expected)), subset(expected, [0, 1, 2]));
        assert.equal(source.report.linesRead, 3 + (writer.header ? 1 : 0));
      });
    }
  }
});

Deno.test("openSource() reads a gzip file exactly as the plain file", async (t) => {
  await using dir = await tempDir();
  for (const writer of WRITERS) {
    await t.step(writer.format, async () => {
      const text = fileText(writer, sampleLines(writer, 3000));
      const plain = await openSource(await dir.write(writer.fileName, text));
      const packed = await openSource(await dir.write(`${writer.fileName}.gz`, await gzip(text)));
      assert.equal(packed.format, writer.format);
      assert.deepEqual(await readColumns(packed), await readColumns(plain));
      assert.deepEqual(packed.report, plain.report);
    });
  }
});

// ---- Properties.

let fileNumber = 0;

/** Reads a file written in `dir` under both policies. */
async function readBoth(path: string): Promise<[Columns, ReadReport, Columns, ReadReport]> {
  const fail = await openSource(path, { onBadLine: "fail" });
  const skip = await openSource(path, { onBadLine: "skip" });
  return [await readColumns(fail), fail.report, await readColumns(skip), skip.report];
}

Deno.test("openSource() gives identical output under skip and fail for any valid rows", async (t) => {
  await using dir = await tempDir();
  for (const writer of WRITERS) {
    await t.step(writer.format, async () => {
      await fc.assert(
        fc.asyncProperty(rowsArbitrary(writer), async (rows) => {
          const lines = rows.map((r) => writer.fields(r).join(writer.delimiter));
          const path = await dir.write(
            `${fileNumber++}_${writer.fileName}`,
            fileText(writer, lines),
          );
          const [failColumns, failReport, skipColumns, skipReport] = await readBoth(path);
          assert.deepEqual(skipColumns, failColumns);
          assert.deepEqual(skipReport, failReport);
          const expected = writer.expected(rows);
          assert.deepEqual(
            pick(failColumns, Object.keys(expected)),
            subset(expected, rows.map((_, i) => i)),
          );
          assert.equal(failReport.rowsEmitted, rows.length);
        }),
        { numRuns: 40 },
      );
    });
  }
});

/** A line for the conservation property: a valid row, a blank line or a bad line. */
const lineKind = fc.constantFrom("row", "row", "row", "blank", "bad");

Deno.test("openSource() conserves lines: read = header + emitted + outside + dropped + blank + bad", async (t) => {
  await using dir = await tempDir();
  for (const writer of WRITERS) {
    await t.step(writer.format, async () => {
      const scenario = rowsArbitrary(writer, 80).chain((rows) =>
        fc.tuple(
          fc.constant(rows),
          fc.array(lineKind, { minLength: rows.length, maxLength: rows.length }),
          fc.array(fc.constantFrom(...BAD_LINES), {
            minLength: rows.length,
            maxLength: rows.length,
          }),
          fc.integer({ min: 0, max: rows.length }),
          fc.integer({ min: 0, max: rows.length }),
          fc.boolean(),
        )
      );
      await fc.assert(
        fc.asyncProperty(scenario, async ([rows, kinds, bads, fromIndex, toIndex, crlf]) => {
          // A file of blank lines alone, or a header alone, is refused whole.
          fc.pre(kinds.some((kind) => kind !== "blank"));
          const lines = rows.map((row, i) => {
            if (kinds[i] === "blank") return "";
            const fields = writer.fields(row);
            const bad = kinds[i] === "bad"
              ? bads[i].mutate(writer, fields, rows[Math.max(0, i - 1)])
              : null;
            return (bad ?? fields).join(writer.delimiter);
          });
          const fromUs = fromIndex < rows.length ? rows[fromIndex].timeUs : undefined;
          const toUs = toIndex < rows.length ? rows[toIndex].timeUs : undefined;
          let text = fileText(writer, lines);
          if (crlf) text = text.replaceAll("\n", "\r\n");
          const path = await dir.write(`${fileNumber++}_${writer.fileName}`, text);
          // The format is given: a headerless file whose first line is bad cannot be detected.
          const source = await openSource(path, {
            format: writer.format,
            onBadLine: "skip",
            fromUs,
            toUs,
          });
          const columns = await readColumns(source);
          const r = source.report;
          const bad = Object.values(r.badLines).reduce((a, b) => a + b, 0);
          assert.equal(
            r.linesRead,
            (writer.header ? 1 : 0) + r.rowsEmitted + r.rowsOutsideRange + r.duplicatesDropped +
              r.blankLines + bad,
            JSON.stringify(r),
          );
          const times = Array.from(columns.timeUs ?? columns.openUs ?? []);
          assert.equal(times.length, r.rowsEmitted);
          for (let i = 0; i < times.length; i++) {
            if (i > 0) assert.ok(times[i] > times[i - 1], "emitted rows are strictly increasing");
            assert.ok(fromUs === undefined || times[i] >= fromUs);
            assert.ok(toUs === undefined || times[i] < toUs);
          }
        }),
        { numRuns: 60 },
      );
    });
  }
});

Deno.test("BadInputError names the file and line in its message", () => {
  const error = new BadInputError("/data/x.csv", 12, "non-numeric price", "2014-05-01,abc");
  assert.equal(error.message, '/data/x.csv:12: non-numeric price (line: "2014-05-01,abc")');
  assert.equal(
    new BadInputError("/data/x.csv", null, "file is empty").message,
    "/data/x.csv: file is empty",
  );
  assert.equal(error.name, "BadInputError");
});
