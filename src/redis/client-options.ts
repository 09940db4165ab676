import type { RedisOptions } from 'ioredis';

/** How long to wait between reconnect attempts at most: Redis coming back is noticed within this (plus up to 100 ms). */
const MAX_RECONNECT_DELAY_MS = 500;

/**
 * ioredis settings for a client that fails fast and recovers by itself
 * (read from ioredis 6's Redis.js and event_handler.js). By default ioredis
 * keeps commands while disconnected and sends them on reconnect, even those
 * whose `commandTimeout` already rejected them: a message its sender was
 * told had failed would be stored later. So nothing is queued or resent,
 * and every wait is bounded by `timeoutMs`. On Lambda this matters twice:
 * an invocation must not wait out its function timeout on a Redis that is
 * down, and a frozen container's stale socket must fail, not hang.
 */
export function redisClientOptions(timeoutMs: number): RedisOptions {
  return {
    // A command issued while not connected fails at once instead of waiting in the offline queue.
    enableOfflineQueue: false,
    // Commands in flight when the connection drops fail at once (default: after 20 reconnects)...
    maxRetriesPerRequest: 0,
    // ...and are never sent again on the next connection.
    autoResendUnfulfilledCommands: false,
    // A command with no answer fails after the budget...
    commandTimeout: timeoutMs,
    // ...and a socket that answers nothing for that long is dropped, so the next commands fail at once instead of each waiting.
    socketTimeout: timeoutMs,
    // A connect attempt to a host that drops packets (no RST) gives up after the budget.
    connectTimeout: timeoutMs,
    // Reconnect forever, soon: 50, 100, 200, 400, then every 500 ms (plus jitter against a thundering herd).
    retryStrategy: (times) => Math.min(50 * 2 ** (times - 1), MAX_RECONNECT_DELAY_MS) + Math.floor(Math.random() * 100),
  };
}
