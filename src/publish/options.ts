import { BODY_FRAME_BYTES } from './items.js';

export interface PublisherOptions {
  readonly prefix?: string;
  /** Most items per control request (default 500). */
  readonly batchSize?: number;
  /**
   * Most bytes in one control request body (default 1,000,000: Pushpin 1.36
   * answers `400 Request body too large` above exactly that). Batches are
   * split to stay under it; an item too large for a request of its own
   * fails alone, before anything is sent.
   */
  readonly maxRequestBytes?: number;
  /** Milliseconds to wait for one answer from a proxy. */
  readonly timeoutMs?: number;
  /**
   * Retries of a control request after a network error, a timeout, a 5xx or
   * a 429, with full-jitter exponential backoff. They stop at the deadline of
   * the invocation (publishing through `ctx.publisher`, `req.publisher` or
   * `getPublisher()` inside a handler made by this toolkit) or after
   * `maxRetryMs` outside one.
   */
  readonly retry?: RetryOptions;
  readonly fetch?: typeof fetch;
}

export interface RetryOptions {
  readonly attempts?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly maxRetryMs?: number;
}

/** Pushpin 1.36's control API refuses bodies over this many bytes (measured: 1,000,000 accepted, 1,000,001 refused). */
export const PUSHPIN_MAX_CONTROL_BODY_BYTES = 1_000_000;

/** Every option, defaults filled in. */
export interface PublisherSettings {
  readonly prefix: string;
  readonly batchSize: number;
  readonly maxRequestBytes: number;
  readonly timeoutMs: number;
  readonly retry: Required<RetryOptions>;
  readonly fetch: typeof fetch;
}

/** @throws RangeError when maxRequestBytes cannot hold any request. */
export function publisherSettings(options: PublisherOptions): PublisherSettings {
  const maxRequestBytes = options.maxRequestBytes ?? PUSHPIN_MAX_CONTROL_BODY_BYTES;
  if (!Number.isInteger(maxRequestBytes) || maxRequestBytes <= BODY_FRAME_BYTES) {
    throw new RangeError(`maxRequestBytes must be an integer over ${BODY_FRAME_BYTES}, not ${maxRequestBytes}`);
  }
  return {
    prefix: options.prefix ?? '',
    batchSize: options.batchSize ?? 500,
    maxRequestBytes,
    timeoutMs: options.timeoutMs ?? 5_000,
    retry: { attempts: 5, baseDelayMs: 50, maxDelayMs: 2_000, maxRetryMs: 15_000, ...options.retry },
    fetch: options.fetch ?? fetch,
  };
}
