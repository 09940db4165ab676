/** What `DeadlineWatch.run` reports when the work did not settle in time. */
export const TIMED_OUT: unique symbol = Symbol('timed out');

/** How a piece of work ended. */
export type Outcome<T> = { readonly value: T } | { readonly error: unknown } | typeof TIMED_OUT;

interface Watched {
  /** performance.now() at which the work is given up. */
  readonly at: number;
  readonly done: (outcome: Outcome<unknown>) => void;
}

/**
 * Times out the invocations in flight with one timer for all of them,
 * armed for the earliest deadline. A timer of its own per request (armed,
 * then cleared when the handler answers a millisecond later) costs more
 * than the rest of the host's work on a request; here a request only joins
 * and leaves a set, and the timer, left armed, fires about once per
 * timeout period to look.
 */
export class DeadlineWatch {
  readonly #inFlight = new Set<Watched>();
  #timer: NodeJS.Timeout | undefined;
  #armedFor = Number.POSITIVE_INFINITY;
  #closed = false;

  /**
   * Calls `done` once: with the work's value or error, or with TIMED_OUT
   * once `timeoutMs` has passed first (whatever the work does later is ignored).
   */
  run<T>(timeoutMs: number, work: () => T | PromiseLike<T>, done: (outcome: Outcome<Awaited<T>>) => void): void {
    // Each entry is only ever given its own work's outcome.
    const watched: Watched = { at: performance.now() + timeoutMs, done: done as (outcome: Outcome<unknown>) => void };
    this.#inFlight.add(watched);
    if (watched.at < this.#armedFor) this.#arm(watched.at);
    let result: T | PromiseLike<T>;
    try {
      result = work();
    } catch (error) {
      this.#settle(watched, { error });
      return;
    }
    // A value (not a promise) settles at once, as `await` would take it.
    if (typeof (result as PromiseLike<T> | undefined)?.then !== 'function') {
      this.#settle(watched, { value: result as Awaited<T> });
      return;
    }
    try {
      (result as PromiseLike<Awaited<T>>).then(
        (value) => this.#settle(watched, { value }),
        (error: unknown) => this.#settle(watched, { error }),
      );
    } catch (error) {
      this.#settle(watched, { error }); // a thenable whose then() throws
    }
  }

  #settle(watched: Watched, outcome: Outcome<unknown>): void {
    // Gone from the set: it timed out before, and has had its answer.
    if (!this.#inFlight.delete(watched)) return;
    watched.done(outcome);
  }

  /** Stops the timer for good: work still in flight, or started later, is answered when it settles, never timed out. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(at: number): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#armedFor = at;
    this.#timer = setTimeout(() => this.#check(), Math.max(0, at - performance.now()));
    // The server keeps the process up while it listens; a timer waiting on a hung handler should not.
    this.#timer.unref();
  }

  #check(): void {
    this.#timer = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    for (const watched of this.#inFlight) {
      if (watched.at <= now) {
        this.#inFlight.delete(watched);
        watched.done(TIMED_OUT);
      } else if (watched.at < next) {
        next = watched.at;
      }
    }
    if (next !== Number.POSITIVE_INFINITY) this.#arm(next);
  }
}
