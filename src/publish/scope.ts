import type { ChannelItem } from './items.js';

/**
 * What a publisher needs of the invocation it publishes for, handed to it
 * by the handler serving that invocation (`GripPublisher#forInvocation`).
 */
export interface InvocationScope {
  /** When retries must stop so the handler can still return, ms since the epoch; undefined when unknown (no Lambda context). */
  readonly deadline: number | undefined;
  /**
   * Keeps the invocation open until `work` settles (Lambda freezes the
   * container once the handler returns) and owns its failure: it reaches
   * whoever awaits `work` and is logged, never an unhandled rejection.
   * `items`, when `work` is a publish: what it publishes (for the
   * invocation's log line, metrics and span).
   */
  waitUntil(work: Promise<unknown>, items?: readonly ChannelItem[]): void;
}
