/**
 * Messages per second per connection: a token bucket kept in connection
 * meta (the proxy sends it back with the next request, so no store is
 * asked). A message over the limit never reaches `onMessage`: the client
 * gets an error event (one per request, counting what was refused), and a
 * connection still over its limit `closeAfterSeconds` after it first went
 * over, without the bucket refilling to half in between, is closed with 1008.
 */
import { CloseCode } from '../protocol/close.js';
import type { WebSocketContext, WebSocketMessage } from './context.js';
import { sendErrorEvent } from './error-event.js';
import type { WebSocketHandlers } from './handler.js';

export interface RateLimitOptions {
  /** Sustained messages per second; default 10. */
  readonly messagesPerSecond?: number;
  /** Messages a quiet connection may send at once; default 20. */
  readonly burst?: number;
  /** Seconds of flooding after which the connection is closed with 1008; default 10. */
  readonly closeAfterSeconds?: number;
  /** The clock, ms since the epoch (default Date.now). */
  readonly now?: () => number;
}

export const DEFAULT_RATE_LIMIT = { messagesPerSecond: 10, burst: 20, closeAfterSeconds: 10 } as const;

const RATE_META = 'grip-rate';

/** The bucket: tokens left, when they were counted, and since when the connection has been refused (0: it is not). */
interface Bucket {
  tokens: number;
  at: number;
  floodingSince: number;
  /** Refused in this request and not yet reported. */
  refused: number;
}

function readBucket(ctx: WebSocketContext, burst: number, now: number): Bucket {
  const kept = ctx.meta.get(RATE_META)?.split(':').map(Number);
  if (kept === undefined || kept.length !== 3 || kept.some((n) => !Number.isFinite(n))) {
    return { tokens: burst, at: now, floodingSince: 0, refused: 0 };
  }
  return { tokens: Math.min(burst, kept[0]!), at: kept[1]!, floodingSince: kept[2]!, refused: 0 };
}

function positive(name: string, value: number): number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0))
    throw new TypeError(`${name} must be a number > 0, got ${value}`);
  return value;
}

/**
 * Wraps a function's handlers so that each connection sends at most
 * `messagesPerSecond` messages (bursts of `burst`) to `onMessage`.
 * @throws TypeError for a setting that is not a positive number.
 */
export function withRateLimit(handlers: WebSocketHandlers, options: RateLimitOptions = {}): WebSocketHandlers {
  const rate = positive('messagesPerSecond', options.messagesPerSecond ?? DEFAULT_RATE_LIMIT.messagesPerSecond);
  const burst = positive('burst', options.burst ?? DEFAULT_RATE_LIMIT.burst);
  const closeAfterMs = positive('closeAfterSeconds', options.closeAfterSeconds ?? DEFAULT_RATE_LIMIT.closeAfterSeconds) * 1000;
  const now = options.now ?? Date.now;
  const buckets = new WeakMap<WebSocketContext, Bucket>();

  function report(ctx: WebSocketContext, bucket: Bucket): void {
    if (bucket.refused === 0) return;
    const retryAfterMs = Math.ceil(((1 - bucket.tokens) / rate) * 1000);
    sendErrorEvent(ctx, 'rate_limited', `${bucket.refused} message(s) refused: over ${rate} messages per second`, {
      refused: bucket.refused,
      retryAfterMs,
    });
    bucket.refused = 0;
  }

  return {
    ...handlers,
    async onMessage(ctx: WebSocketContext, message: WebSocketMessage) {
      const time = now();
      let bucket = buckets.get(ctx);
      if (bucket === undefined) {
        bucket = readBucket(ctx, burst, time);
        buckets.set(ctx, bucket);
      }
      bucket.tokens = Math.min(burst, bucket.tokens + (Math.max(0, time - bucket.at) / 1000) * rate);
      bucket.at = time;
      if (bucket.tokens >= burst / 2) bucket.floodingSince = 0; // calm again
      const allowed = bucket.tokens >= 1;
      if (allowed) {
        bucket.tokens -= 1;
      } else {
        bucket.refused++;
        if (bucket.floodingSince === 0) bucket.floodingSince = time;
      }
      ctx.meta.set(RATE_META, `${Math.round(bucket.tokens * 1000) / 1000}:${time}:${bucket.floodingSince}`);
      if (!allowed) {
        if (time - bucket.floodingSince >= closeAfterMs) {
          report(ctx, bucket);
          ctx.close(CloseCode.POLICY_VIOLATION, 'message rate exceeded');
        } else if (!ctx.canRecv()) {
          report(ctx, bucket);
        }
        return;
      }
      report(ctx, bucket); // what was refused before this one, in order
      await handlers.onMessage?.(ctx, message);
    },
  };
}
