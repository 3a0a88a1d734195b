/**
 * Waiting with a bound: a promise's value, or null once `ms` have passed without it.
 * Stops and farewells use it so that a peer that never answers (a client sending half a
 * body, a webhook that never replies) cannot hold the process. It never cancels what it
 * waited for: the caller decides what to do with a promise that is late.
 */

/** `promise`'s value, or null when it has not settled within `ms`; its rejection is thrown. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
