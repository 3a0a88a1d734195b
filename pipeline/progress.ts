/**
 * Progress of a long job (train, predict, backtest, optimize, sweep, replay) on stderr:
 * one line rewritten in place with how far it is, the rate and the time left, plus
 * milestone lines that stay (a fold's result). The line is drawn only when stderr is a
 * terminal and the user did not pass `--quiet`; milestones are printed unless `--quiet`.
 * It never writes to stdout (that is the command's result) and never fails the job.
 */

import type { Sink } from "../sinks/sink.ts";
import { countAllLines } from "../sources/line_count.ts";
import type { Source } from "../sources/source.ts";
import { type EventBatch, isoFromUs, US_PER_DAY } from "./events.ts";
import { eventTimeUs } from "./replay.ts";

export interface ProgressOptions {
  /** What is running, first on the line: "backtest", "replay". */
  readonly label: string;
  /** Units of work in all (lines, runs, jobs); null when unknown (no percentage, no ETA). */
  readonly total: number | null;
  /** What a unit is, for the rate: "lines", "runs", "jobs". */
  readonly unit: string;
  readonly quiet?: boolean;
  /** Draw the line (default: stderr is a terminal). */
  readonly live?: boolean;
  /** Where text goes (default: stderr). */
  readonly write?: (text: string) => void;
  /** Wall clock in ms (default `performance.now`). */
  readonly now?: () => number;
  /** Least time between two redraws (default 200 ms). */
  readonly everyMs?: number;
}

export interface Progress {
  /**
   * `done` units so far, with a short note such as the data time reached (a function is
   * called only when the line is drawn).
   */
  update(done: number, note?: string | (() => string)): void;
  /** A line that stays, printed to stderr above the progress line. */
  log(line: string): void;
  /** Changes the total, for a job that learns its size as it goes (a sweep's passes). */
  setTotal(total: number | null): void;
  /**
   * Counts another kind of work on the same line from now (a backtest's chance baseline
   * after its replay): `done` starts again at 0, and so do the rate and the time left.
   */
  restart(unit: string, total: number | null): void;
  /** Takes the progress line away (before printing to stdout); the next update draws it again. */
  clear(): void;
  /** Clears the progress line; later updates are ignored. */
  end(): void;
}

const encoder = new TextEncoder();
const stderr = (text: string) => void Deno.stderr.writeSync(encoder.encode(text));

/** "0:42", "12:05", "3:02:11". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** 0.042, 2.5, 950, 12.3k, 4.56M. */
export function formatCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 1 : 2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(n >= 1e5 ? 0 : 1)}k`;
  // Below 1, two significant digits: a replay at 3600x reads 0.042 days/s, not 0.0.
  if (n < 1 && n > 0) return n.toPrecision(2);
  if (n < 10 && !Number.isInteger(n)) return n.toFixed(1);
  return String(Math.round(n));
}

/**
 * The progress line's text: `label  42%  148k/352k lines  61.2k lines/s  ETA 0:03  note`.
 * Rate and ETA appear once there is something to measure.
 */
export function progressText(
  options: Pick<ProgressOptions, "label" | "total" | "unit">,
  done: number,
  elapsedSeconds: number,
  note = "",
): string {
  const { total, unit } = options;
  const parts = [options.label];
  if (total !== null && total > 0) {
    parts.push(`${Math.min(100, Math.floor((100 * done) / total))}%`);
    parts.push(`${formatCount(done)}/${formatCount(total)} ${unit}`);
  } else {
    parts.push(`${formatCount(done)} ${unit}`);
  }
  const rate = elapsedSeconds > 0 ? done / elapsedSeconds : 0;
  if (rate > 0) {
    parts.push(`${formatCount(rate)} ${unit}/s`);
    if (total !== null && total > done) parts.push(`ETA ${formatDuration((total - done) / rate)}`);
  }
  parts.push(`elapsed ${formatDuration(elapsedSeconds)}`);
  if (note !== "") parts.push(note);
  return parts.join("  ");
}

/** Starts reporting; call `end()` when the job is over (also when it failed). */
export function startProgress(options: ProgressOptions): Progress {
  const write = options.write ?? stderr;
  const now = options.now ?? (() => performance.now());
  const live = !options.quiet && (options.live ?? Deno.stderr.isTerminal());
  const everyMs = options.everyMs ?? 200;
  let started = now();
  let total = options.total;
  let unit = options.unit;
  let drawnAt = -Infinity;
  let shown = false;
  let ended = false;
  let last: { done: number; note: string | (() => string) } = { done: 0, note: "" };
  const clear = () => {
    if (shown) write("\r\x1b[2K");
    shown = false;
  };
  const draw = () => {
    const columns = (() => {
      try {
        return Deno.consoleSize().columns || 120;
      } catch {
        return 120; // not a console after all: no width to fit
      }
    })();
    const text = progressText(
      { ...options, total, unit },
      last.done,
      (now() - started) / 1000,
      typeof last.note === "function" ? last.note() : last.note,
    );
    write(`\r\x1b[2K${text.slice(0, Math.max(20, columns - 1))}`);
    shown = true;
  };
  return {
    update(done, note = "") {
      if (!live || ended) return;
      last = { done, note };
      const at = now();
      if (at - drawnAt < everyMs) return;
      drawnAt = at;
      draw();
    },
    setTotal(value) {
      total = value;
    },
    restart(newUnit, newTotal) {
      unit = newUnit;
      total = newTotal;
      started = now();
      last = { done: 0, note: "" };
      drawnAt = -Infinity;
    },
    clear() {
      clear();
      drawnAt = -Infinity;
    },
    log(line) {
      if (options.quiet) return;
      clear();
      write(`${line}\n`);
      if (live && !ended && drawnAt > -Infinity) draw();
    },
    end() {
      ended = true;
      clear();
    },
  };
}

/**
 * Clears a progress line drawn on a terminal's stderr, so that a message printed on stdout
 * (a shutdown notice) starts on a line of its own.
 */
export function clearProgressLine(): void {
  if (Deno.stderr.isTerminal()) stderr("\r\x1b[2K");
}

/** Lines read so far from every file of `source`. */
export function linesRead(source: Pick<Source, "fileReports">): number {
  let lines = 0;
  for (const report of source.fileReports) lines += report.linesRead;
  return lines;
}

/**
 * A progress line for a replay of files. Without an end time it counts lines against the
 * files' line count (the reader reads to the end); with `--to` the reader stops early, so it
 * counts days of data from the first event against the end.
 */
export interface ReplayProgress extends Progress {
  /** Reports a batch the replay emitted; `lines` is how far the reader is in the files. */
  track(batch: EventBatch, lines: number): void;
}

/**
 * The lines of `files`, the total of a replay's progress, when a progress line will be
 * drawn (stderr a terminal, no `--quiet`); else null, as counting costs a read of the files.
 */
export async function linesToRead(
  files: readonly string[],
  quiet: boolean,
): Promise<number | null> {
  return quiet || !Deno.stderr.isTerminal() ? null : await countAllLines(files);
}

/** Starts the progress line of a replay of `files` up to `toUs` (or their end). */
export async function replayProgress(
  label: string,
  files: readonly string[],
  toUs: number | undefined,
  quiet: boolean,
  display: Pick<ProgressOptions, "live" | "write" | "now"> = {},
): Promise<ReplayProgress> {
  const byTime = toUs !== undefined;
  const progress = startProgress({
    label,
    total: byTime ? null : await linesToRead(files, quiet),
    unit: byTime ? "days" : "lines",
    quiet,
    ...display,
  });
  let firstUs: number | null = null;
  return {
    ...progress,
    track(batch, lines) {
      const last = batch[batch.length - 1];
      if (last === undefined) return;
      const atUs = eventTimeUs(last);
      const note = () => isoFromUs(atUs).slice(0, 10);
      if (!byTime) return progress.update(lines, note);
      if (firstUs === null) {
        firstUs = eventTimeUs(batch[0]);
        progress.setTotal(Math.max(0, (toUs - firstUs) / US_PER_DAY));
      }
      progress.update(Math.max(0, (atUs - firstUs) / US_PER_DAY), note);
    },
  };
}

/** A sink that reports a replay's batches to its progress line; it only reads them. */
export function progressSink(progress: ReplayProgress, lines: () => number): Sink {
  return {
    name: "progress",
    write(batch) {
      progress.track(batch, lines());
    },
    close() {},
  };
}
