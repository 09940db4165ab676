import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from 'aws-lambda';

/**
 * The invocation in progress, for work that must finish within it (publish
 * retries). Carried by AsyncLocalStorage so library code deep in a call
 * needs no context parameter.
 */
interface Invocation {
  /** When Lambda stops the invocation, ms since epoch. */
  readonly deadline: number;
}

const current = new AsyncLocalStorage<Invocation>();

/** Time kept back for the handler to return after its last publish attempt. */
const RETURN_MARGIN_MS = 250;

export function runInvocation<T>(context: Context | undefined, fn: () => Promise<T>): Promise<T> {
  if (context === undefined || typeof context.getRemainingTimeInMillis !== 'function') return fn();
  return current.run({ deadline: Date.now() + context.getRemainingTimeInMillis() - RETURN_MARGIN_MS }, fn);
}

/** The invocation this code runs in (an object to tell it from others running at the same time), if known. */
export function currentInvocation(): object | undefined {
  return current.getStore();
}

/** The deadline of the invocation this code runs in, if known. */
export function invocationDeadline(): number | undefined {
  return current.getStore()?.deadline;
}
