/** What `DeadlineWatch.run` resolves to when the work did not settle in time. */
export const TIMED_OUT: unique symbol = Symbol('timed out');

interface Watched {
  /** performance.now() at which the work is given up. */
  readonly at: number;
  readonly resolve: (timedOut: typeof TIMED_OUT) => void;
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

  /** Settles with the work's result, or with TIMED_OUT once `timeoutMs` has passed first. */
  run<T>(timeoutMs: number, work: () => T | PromiseLike<T>): Promise<Awaited<T> | typeof TIMED_OUT> {
    return new Promise((resolve, reject) => {
      const watched: Watched = { at: performance.now() + timeoutMs, resolve };
      this.#inFlight.add(watched);
      if (watched.at < this.#armedFor) this.#arm(watched.at);
      let result: T | PromiseLike<T>;
      try {
        result = work();
      } catch (error) {
        this.#inFlight.delete(watched);
        reject(error);
        return;
      }
      Promise.resolve(result).then(
        (value) => {
          this.#inFlight.delete(watched);
          resolve(value);
        },
        (error: unknown) => {
          this.#inFlight.delete(watched);
          reject(error);
        },
      );
    });
  }

  /** Stops watching: what is still in flight is never timed out. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
    this.#inFlight.clear();
  }

  #arm(at: number): void {
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
        watched.resolve(TIMED_OUT);
      } else if (watched.at < next) {
        next = watched.at;
      }
    }
    if (next !== Number.POSITIVE_INFINITY) this.#arm(next);
  }
}
