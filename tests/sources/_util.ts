/**
 * Helpers for the source tests: temporary files that clean up after themselves, a reader
 * that joins a source's batches into whole columns, the entries of a read cache folder,
 * and an assertion for `BadInputError`.
 */

import assert from "node:assert/strict";
import { BadInputError } from "@/pipeline/errors.ts";
import type { Source } from "@/sources/mod.ts";

/** A temporary folder removed (with its files) when the `await using` scope ends. */
export interface TempDir extends AsyncDisposable {
  readonly path: string;
  /** Writes `content` to `name` in the folder and returns the file's path. */
  write(name: string, content: string | Uint8Array): Promise<string>;
}

export async function tempDir(): Promise<TempDir> {
  const path = await Deno.makeTempDir({ prefix: "gold_sources_test_" });
  return {
    path,
    async write(name, content) {
      const file = `${path}/${name}`;
      if (typeof content === "string") await Deno.writeTextFile(file, content);
      else await Deno.writeFile(file, content);
      return file;
    },
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true });
    },
  };
}

/** `bytes` (or UTF-8 text) gzip-compressed with the platform's CompressionStream. */
export async function gzip(content: string | Uint8Array): Promise<Uint8Array> {
  const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The first `bytes` bytes of a file (fewer if it is shorter). */
export async function fileHead(path: string, bytes: number): Promise<Uint8Array> {
  const file = await Deno.open(path);
  const head = new Uint8Array(bytes);
  let filled = 0;
  while (filled < head.length) {
    const n = await file.read(head.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  file.close();
  return head.subarray(0, filled);
}

/** Every typed-array column of a source's batches, joined across batches. */
export type Columns = Record<string, Float64Array>;

/** Reads the whole source once and joins its batches' columns (`timeUs`, `openUs`, ...). */
export async function readColumns(source: Source): Promise<Columns> {
  const parts: Record<string, Float64Array[]> = {};
  for await (const batch of source.batches()) {
    for (const [key, value] of Object.entries(batch)) {
      if (value instanceof Float64Array) (parts[key] ??= []).push(value);
    }
  }
  const columns: Columns = {};
  for (const [key, arrays] of Object.entries(parts)) {
    const joined = new Float64Array(arrays.reduce((n, a) => n + a.length, 0));
    let at = 0;
    for (const a of arrays) {
      joined.set(a, at);
      at += a.length;
    }
    columns[key] = joined;
  }
  return columns;
}

/** The rows' times: `timeUs` for ticks, `openUs` for bars; empty when nothing was emitted. */
export function timesOf(columns: Columns): number[] {
  return Array.from(columns.timeUs ?? columns.openUs ?? []);
}

/** Drains a source, discarding its batches. */
/** The names of a read cache folder's entries, sorted; none when there is no folder yet. */
export async function readCacheEntries(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.filter((name) => name.endsWith(".columns")).sort();
}

export async function drain(source: Source): Promise<void> {
  for await (const _ of source.batches());
}

/** What a `BadInputError` must say. */
export interface ExpectedBadInput {
  readonly file: string;
  readonly line: number | null;
  readonly reason: RegExp;
}

/** Asserts that `action` rejects with a `BadInputError` naming this file, line and reason. */
export async function assertBadInput(
  action: () => Promise<unknown>,
  expected: ExpectedBadInput | ((error: BadInputError) => ExpectedBadInput),
): Promise<BadInputError> {
  let caught: unknown;
  try {
    await action();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof BadInputError, `expected a BadInputError, got ${caught}`);
  if (typeof expected === "function") expected = expected(caught);
  assert.equal(caught.file, expected.file);
  assert.equal(caught.line, expected.line, `line of: ${caught.message}`);
  assert.match(caught.reason, expected.reason);
  assert.ok(caught.message.startsWith(expected.file), caught.message);
  if (expected.line !== null) {
    assert.ok(caught.message.startsWith(`${expected.file}:${expected.line}: `), caught.message);
  }
  return caught;
}
