import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from 'aws-lambda';
import { describeError } from '../errors.js';
import { log, setCurrentObservationReader } from '../observe/current.js';
import type { Observation } from '../observe/observation.js';
import type { ChannelItem } from '../publish/items.js';
import { publisherFor } from '../publish/process-publisher.js';
import type { GripPublisher } from '../publish/publisher.js';
import type { InvocationScope } from '../publish/scope.js';

/** Time kept back for the handler to return after its last publish attempt. */
const RETURN_MARGIN_MS = 250;

/** Errors already logged (as the cause of a handler's failure), so the end of the invocation does not log them twice. */
const logged = new WeakSet<object>();

/** Records that `error` has been logged, so `runInvocation` does not log it again. */
export function markLogged(error: unknown): void {
  if (typeof error === 'object' && error !== null) logged.add(error);
}

/**
 * One invocation: its deadline, the work it started that must end before
 * it returns (Lambda freezes the container after that), and the handler's
 * publisher bound to it.
 */
class Invocation implements InvocationScope {
  readonly deadline: number | undefined;
  readonly publisher: GripPublisher;
  /** What the invocation's log line, metrics and span report. */
  readonly observation: Observation | undefined;
  /** Work in progress; each entry settles without rejecting (failures are collected). */
  readonly #pending = new Set<Promise<void>>();
  /** Failures of pending work, logged when the invocation ends. */
  readonly #failures = new Set<unknown>();

  constructor(context: Context | undefined, publisher: GripPublisher, observation: Observation | undefined) {
    this.observation = observation;
    this.deadline =
      context !== undefined && typeof context.getRemainingTimeInMillis === 'function'
        ? Date.now() + context.getRemainingTimeInMillis() - RETURN_MARGIN_MS
        : undefined;
    this.publisher = publisher.forInvocation(this);
  }

  waitUntil(work: Promise<unknown>, items?: readonly ChannelItem[]): void {
    if (items !== undefined) this.observation?.published(items, work);
    const settled: Promise<void> = work.then(
      () => undefined,
      (error: unknown) => void this.#failures.add(error),
    );
    const entry = settled.finally(() => this.#pending.delete(entry));
    this.#pending.add(entry);
  }

  /** Waits for the pending work, then logs its failures not logged already; never rejects. */
  async settle(): Promise<void> {
    // Pending work may start more (a publish in a callback of another): wait until none is left.
    while (this.#pending.size > 0) await Promise.all(this.#pending);
    for (const error of this.#failures) {
      if (typeof error === 'object' && error !== null && logged.has(error)) continue;
      markLogged(error);
      if (this.observation !== undefined) this.observation.log('error', { message: describeError(error) });
      else log('error', describeError(error));
    }
  }
}

/** The invocation in progress, for `getPublisher()` called deep in user code, which has no handle on it. */
const current = new AsyncLocalStorage<Invocation>();
setCurrentObservationReader(() => current.getStore()?.observation);

/**
 * Runs `fn` as one invocation, handing it `publisher` bound to the
 * invocation (inside `observation`'s span, when it has one), then waits for
 * the work the invocation left pending, its own
 * only: invocations served at the same time by one process do not wait for
 * each other. Waiting never fails the invocation: pending work reports
 * failures to whoever awaits it, and each failure not already logged is
 * logged here, once.
 */
export async function runInvocation<T>(
  context: Context | undefined,
  publisher: GripPublisher,
  fn: (publisher: GripPublisher) => T | Promise<T>,
  observation?: Observation,
): Promise<T> {
  const invocation = new Invocation(context, publisher, observation);
  try {
    if (observation === undefined) return await current.run(invocation, fn, invocation.publisher);
    const spanStarted = observation.startSpan();
    if (spanStarted !== undefined) await spanStarted;
    return await current.run(invocation, () => observation.inSpan(() => fn(invocation.publisher)));
  } finally {
    await invocation.settle();
  }
}

/**
 * The publisher of the handler serving the current invocation, bound to it
 * (the same as `ctx.publisher` or `req.publisher` there); outside a handler
 * made by this toolkit, the one for `process.env` (GRIP_URL, GRIP_PREFIX),
 * made on first use.
 */
export function getPublisher(): GripPublisher {
  return current.getStore()?.publisher ?? publisherFor(process.env);
}
