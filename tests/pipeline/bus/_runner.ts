/**
 * A job runner for work-queue tests: `{ echo, ms }` waits `ms` and returns `echo`;
 * `{ crashOnce: FILE }` kills its Worker the first time (leaving FILE behind) and
 * returns "survived" the next.
 */

export async function runJob(payload: unknown): Promise<unknown> {
  const job = payload as { echo?: unknown; ms?: number; crashOnce?: string; fail?: string };
  if (job.fail !== undefined) throw new Error(job.fail);
  if (job.crashOnce !== undefined) {
    try {
      await Deno.stat(job.crashOnce);
      return "survived";
    } catch {
      await Deno.writeTextFile(job.crashOnce, "crashed");
      // Thrown outside any promise chain: an uncaught error ends the Worker.
      setTimeout(() => {
        throw new Error("worker crashed on purpose");
      });
      return await new Promise(() => {});
    }
  }
  await new Promise((resolve) => setTimeout(resolve, job.ms ?? 0));
  return job.echo;
}
