import { StoreUnavailableError } from '../store/unavailable.js';

/**
 * A feed: a channel's history, stored and announced at once. Every appended
 * item gets an id greater than the one before; publishing the item with its
 * id and the previous id lets the proxy spot gaps, and a client that comes
 * back asks for everything after the last id it saw.
 */
export interface FeedItem {
  readonly id: string;
  readonly data: string;
}

export interface AppendResult {
  readonly id: string;
  /** The id of the item before this one; FEED_START for the first item. */
  readonly prevId: string;
  /** True when `key` was appended before: nothing was added, the first append's ids are returned. */
  readonly duplicate: boolean;
}

export interface AppendOptions {
  /**
   * Idempotency key (e.g. a source record's id): appending the same key again
   * returns the first append's ids instead of adding a copy.
   */
  readonly key?: string;
}

/** Whether `id` has the form of a feed id (a Redis stream id), so user input can be passed on safely. */
export function isStreamId(id: string): boolean {
  return /^\d{1,20}-\d{1,20}$/.test(id);
}

/** The previous id of a feed's first item, so that even the first item carries a prev-id. */
export const FEED_START = '0-0';

/**
 * The feed's store did not answer in time (see StoreUnavailableError).
 * Callers degrade (live without history) or ask to be retried; an append
 * with an idempotency key is safe to repeat.
 */
export class FeedUnavailableError extends StoreUnavailableError {
  override readonly name: string = 'FeedUnavailableError';
}

/**
 * A channel history: the feed store every backend implements, and all that
 * reliable streams, SSE resume, `/since`, idempotent publishes and the relay
 * use. Implementations keep a bounded history per channel (retention:
 * the oldest items go once a channel holds more than the backend's limit),
 * and fail an operation with FeedUnavailableError, within a bounded time,
 * when their store cannot answer. test/contract/feed.ts is the suite every
 * backend passes.
 */
export interface Feed {
  append(channel: string, data: string, options?: AppendOptions): Promise<AppendResult>;
  /** Items after `lastId` (exclusive), oldest first, at most `limit`. */
  after(channel: string, lastId: string, limit?: number): Promise<FeedItem[]>;
  /** The newest item's id, or FEED_START for an empty feed. */
  lastId(channel: string): Promise<string>;
  /**
   * Takes back an item just appended whose publish failed, and forgets its
   * idempotency key, so a client resuming later never gets a message its
   * sender was told had failed, and a retry with the key appends it anew.
   * Optional: without it, a failed publish stays in the history.
   */
  retract?(channel: string, id: string, options?: AppendOptions): Promise<void>;
  close(): Promise<void>;
}
