/** What `settleWithin` reports when the work did not settle in time. */
export const TIMED_OUT: unique symbol = Symbol('timed out');

/** How a piece of work ended. */
export type Outcome<T> = { readonly value: T } | { readonly error: unknown } | typeof TIMED_OUT;

/**
 * The work's value or error, or TIMED_OUT once `timeoutMs` has passed
 * first (whatever the work does later is ignored), as Lambda ends an
 * invocation at its timeout.
 */
export async function settleWithin<T>(timeoutMs: number, work: () => T | PromiseLike<T>): Promise<Outcome<Awaited<T>>> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
    // The server keeps the process up while it listens; a timer waiting on a hung handler should not.
    timer.unref();
  });
  const settled = (async (): Promise<Outcome<Awaited<T>>> => {
    try {
      return { value: await work() };
    } catch (error) {
      return { error };
    }
  })();
  try {
    return await Promise.race([settled, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
