import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from 'aws-lambda';
import { describeError } from '../errors.js';
import type { HandlerSettings } from './settings.js';

/**
 * The invocation in progress, carried by AsyncLocalStorage so library code
 * deep in a call needs no context parameter: its deadline (publish retries
 * stop there), the settings of the handler serving it, and the work it
 * started that must end before it returns (Lambda freezes the container
 * after that), as a `waitUntil` would hold it.
 */
interface Invocation {
  /** When Lambda stops the invocation, ms since epoch; undefined without a Lambda context. */
  readonly deadline: number | undefined;
  readonly settings: HandlerSettings | undefined;
  /** Work in progress, made by the first `waitUntil`; each entry settles without rejecting (failures are collected). */
  pending: Set<Promise<void>> | undefined;
  /** Failures of pending work, logged when the invocation ends. */
  failures: Set<unknown> | undefined;
}

const current = new AsyncLocalStorage<Invocation>();

/** Time kept back for the handler to return after its last publish attempt. */
const RETURN_MARGIN_MS = 250;

/** Errors already logged (as the cause of a handler's failure), so the end of the invocation does not log them twice. */
const logged = new WeakSet<object>();

/** Records that `error` has been logged, so `runInvocation` does not log it again. */
export function markLogged(error: unknown): void {
  if (typeof error === 'object' && error !== null) logged.add(error);
}

/**
 * Runs `fn` as one invocation, then waits for the work it left pending
 * (`waitUntil`), its own only: invocations served at the same time by one
 * process do not wait for each other. Waiting never fails the invocation:
 * pending work reports failures to whoever awaits it, and each failure not
 * already logged is logged here, once. `fn` may answer at once: most
 * invocations leave nothing pending, and then nothing more is awaited.
 */
export function runInvocation<T>(context: Context | undefined, fn: () => T | Promise<T>, settings?: HandlerSettings): Promise<T> {
  const deadline =
    context !== undefined && typeof context.getRemainingTimeInMillis === 'function'
      ? Date.now() + context.getRemainingTimeInMillis() - RETURN_MARGIN_MS
      : undefined;
  const invocation: Invocation = { deadline, settings, pending: undefined, failures: undefined };
  let result: T | Promise<T>;
  try {
    result = current.run(invocation, fn);
  } catch (error) {
    return settle(invocation).then(() => Promise.reject(error));
  }
  // Failures are only ever recorded later, by pending work: none pending, nothing to wait for or log.
  if (!(result instanceof Promise) && invocation.pending === undefined) return Promise.resolve(result);
  return Promise.resolve(result).finally(() => settle(invocation));
}

/** Waits for an invocation's pending work, then logs its failures; never rejects. */
async function settle(invocation: Invocation): Promise<void> {
  // Pending work may start more (a publish in a callback of another): wait until none is left.
  const { pending } = invocation;
  while (pending !== undefined && pending.size > 0) await Promise.all(pending);
  for (const error of invocation.failures ?? []) {
    if (typeof error === 'object' && error !== null && logged.has(error)) continue;
    markLogged(error);
    console.error(`[grip-lambda] ${describeError(error)}`);
  }
}

/**
 * Keeps the current invocation open until `work` settles. Marks `work`
 * handled: a failure reaches whoever awaits it and is logged at the end of
 * the invocation, never an unhandled rejection. Outside an invocation,
 * `work` is left as it is.
 */
export function waitUntil(work: Promise<unknown>): void {
  const invocation = current.getStore();
  if (invocation === undefined) return;
  const settled: Promise<void> = work.then(
    () => undefined,
    (error: unknown) => void (invocation.failures ??= new Set()).add(error),
  );
  const pending = (invocation.pending ??= new Set());
  const entry = settled.finally(() => pending.delete(entry));
  pending.add(entry);
}

/** The deadline of the invocation this code runs in, if known. */
export function invocationDeadline(): number | undefined {
  return current.getStore()?.deadline;
}

/** The settings of the handler serving the current invocation, if a handler made by this toolkit runs it. */
export function currentSettings(): HandlerSettings | undefined {
  return current.getStore()?.settings;
}
