import type { ClusterOptions, RedisOptions } from 'ioredis';

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

/**
 * ioredis `Cluster` settings with the same promises as redisClientOptions,
 * as far as a cluster client allows (read from ioredis 6's
 * cluster/index.js and ConnectionPool.js). A cluster client sends each
 * command to its slot's node connection, and a node connection is made on
 * first use: commands wait in ioredis's queues while it is being made,
 * which the cluster cannot do without (with its queue off, commands sent
 * together to a node still connecting fail). So the queues stay on, and
 * what waits there is bounded instead: a node connection gives up within
 * half the budget and skips the ready check (a node still loading answers
 * LOADING, a "not now" reply), so a waiting command is sent or fails
 * within the budget; RedisConnection sends nothing while the cluster is
 * not ready. Nothing that may have run is sent again.
 */
export function redisClusterOptions(
  timeoutMs: number,
  nodeOptions: Omit<RedisOptions, 'retryStrategy' | 'enableOfflineQueue' | 'port' | 'host' | 'path' | 'sentinels' | 'readOnly'> = {},
): ClusterOptions {
  const single = redisClientOptions(timeoutMs);
  return {
    // A command whose node connection closed may have run: it fails, and is not sent again (default: again after 100 ms).
    retryDelayOnFailover: 0,
    // CLUSTERDOWN (a slot without a master) fails at once rather than being retried after the caller gave up.
    retryDelayOnClusterDown: 0,
    // TRYAGAIN (keys being moved between nodes) ran nothing: retried, at most 16 times, all within half the budget.
    retryDelayOnTryAgain: Math.max(1, Math.floor(timeoutMs / 32)),
    maxRedirections: 16,
    // The slot map is asked for within the budget, of one node after the other.
    slotsRefreshTimeout: timeoutMs,
    // Reconnect to the cluster forever, soon, when no node answered.
    clusterRetryStrategy: single.retryStrategy ?? null,
    redisOptions: {
      ...nodeOptions,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      enableReadyCheck: false,
      commandTimeout: timeoutMs,
      socketTimeout: timeoutMs,
      connectTimeout: Math.max(1, Math.floor(timeoutMs / 2)),
    },
  };
}
