import type { GripLogger } from './logger.js';
import type { HttpResponse } from '../lambda/types.js';
import type { WebSocketEvent } from '../protocol/events.js';
import type { ChannelItem } from '../publish/items.js';
import type { InvocationRecord } from './record.js';

/** A publish an invocation made, and why it failed (undefined when every proxy took it). */
export interface LocalPublish {
  readonly items: readonly ChannelItem[];
  readonly error: string | undefined;
}

/** What an invocation tells the local stack. */
export interface LocalInvocation {
  readonly record: InvocationRecord;
  readonly publishes: readonly LocalPublish[];
  /** The invocation's error and warning lines, as text. */
  readonly errors: readonly string[];
  /** WebSocket-over-HTTP: the request's events and the answer (the stack reads the previews it shows from them). */
  readonly webSocket: { readonly eventsIn: readonly WebSocketEvent[]; readonly response: HttpResponse } | undefined;
}

/**
 * What the local stack hears from the functions it runs in its own
 * process: their lines (as text, where a person reads them) and each
 * invocation's record, publishes and errors, for its live view. Kept on
 * `globalThis` under a registered symbol, so that every copy of the
 * toolkit loaded in the process (ESM and CommonJS) finds the same one.
 */
export interface LocalObserver {
  /** Replaces the default logger of every handler without a logger of its own. */
  readonly logger: GripLogger;
  invocation(invocation: LocalInvocation): void;
}

const KEY = Symbol.for('grip-lambda.local-observer');
type Holder = { [KEY]?: LocalObserver };

/** Installs (or, with undefined, removes) the process's local observer. */
export function setLocalObserver(observer: LocalObserver | undefined): void {
  if (observer === undefined) delete (globalThis as Holder)[KEY];
  else (globalThis as Holder)[KEY] = observer;
}

/** The process's local observer, read at each invocation (a stack may start after the handler was made). */
export function localObserver(): LocalObserver | undefined {
  return (globalThis as Holder)[KEY];
}
