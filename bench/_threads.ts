/**
 * Where a running process's CPU goes, by kind of thread, read from Linux's
 * `/proc/<pid>/task/<tid>/stat`: its main thread (the pipeline), Deno's Workers (the
 * reading thread, the model's scoring Workers, the chance baseline's), V8's own helper
 * threads (its optimising compilers and its concurrent garbage collection), and anything
 * else. On a 2-core machine that is what says whether a run waits on one thread or on
 * the cores. For benches only: Linux-specific, and sampled, so a thread's last moments
 * before it ends (at most one interval) are missed. It never reads anything but /proc.
 */

/** The kinds of thread a Deno process runs, as this file sorts them. */
export type ThreadKind = "main" | "workers" | "v8" | "other";

export const THREAD_KINDS: readonly ThreadKind[] = ["main", "workers", "v8", "other"];

/**
 * The kernel's clock ticks per second for the times in `stat`: USER_HZ, 100 on every
 * Linux that Deno runs on (the ABI fixes it; `getconf CLK_TCK`).
 */
const TICKS_PER_SECOND = 100;

/** A thread's name and its user plus system CPU time so far, in clock ticks. */
export interface TaskTimes {
  readonly comm: string;
  readonly ticks: number;
}

/**
 * The name and CPU ticks in one `stat` line. The name is between the first "(" and the
 * last ")" (it may hold spaces and parentheses); utime and stime are the 14th and 15th
 * fields of the line, the 12th and 13th after the name.
 */
export function parseTaskStat(text: string): TaskTimes {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  const fields = close < 0 ? [] : text.slice(close + 2).trim().split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (open < 0 || close < open || !Number.isInteger(utime) || !Number.isInteger(stime)) {
    throw new Error(`not a /proc task stat line: ${JSON.stringify(text.slice(0, 80))}`);
  }
  return { comm: text.slice(open + 1, close), ticks: utime + stime };
}

/**
 * The kind of a thread by its name: "deno" is the main thread (under `deno run` the
 * process's first thread; `deno test` runs its tests on another thread of that name);
 * Deno names its Workers' threads "worker-N", V8 its platform threads "V8 DefaultWorker"
 * (the kernel keeps 15 characters of a name).
 */
export function threadKind(comm: string): ThreadKind {
  if (comm === "deno") return "main";
  if (/^worker-\d+$/.test(comm)) return "workers";
  if (comm.startsWith("V8 ")) return "v8";
  return "other";
}

/** Samples a process's threads until `stop`; then the CPU seconds of each kind. */
export class ThreadSampler {
  /** Each thread's kind and its ticks at its last sample. */
  readonly #last = new Map<number, { kind: ThreadKind; ticks: number }>();
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(readonly pid: number, intervalMs = 20) {
    this.sample();
    this.#timer = setInterval(() => this.sample(), intervalMs);
  }

  /** Reads every thread's ticks now; a thread or process already gone is skipped. */
  sample(): void {
    let tids: number[];
    try {
      tids = [...Deno.readDirSync(`/proc/${this.pid}/task`)].map((entry) => Number(entry.name));
    } catch {
      return;
    }
    for (const tid of tids) {
      let times: TaskTimes;
      try {
        times = parseTaskStat(Deno.readTextFileSync(`/proc/${this.pid}/task/${tid}/stat`));
      } catch {
        continue;
      }
      this.#last.set(tid, { kind: threadKind(times.comm), ticks: times.ticks });
    }
  }

  /** Stops sampling; the CPU seconds of each kind of thread as last sampled. */
  stop(): Record<ThreadKind, number> {
    clearInterval(this.#timer);
    const seconds: Record<ThreadKind, number> = { main: 0, workers: 0, v8: 0, other: 0 };
    for (const { kind, ticks } of this.#last.values()) seconds[kind] += ticks / TICKS_PER_SECOND;
    return seconds;
  }
}

/**
 * The pid of the process `/usr/bin/time` (pid `parent`) started, once it has started;
 * null if it never does (`time` failed before).
 */
export async function childPid(parent: number, timeoutMs = 2000): Promise<number | null> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const text = await Deno.readTextFile(`/proc/${parent}/task/${parent}/children`).catch(() => "");
    const child = Number(text.trim().split(" ")[0]);
    if (text.trim() !== "" && Number.isInteger(child)) return child;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return null;
}
