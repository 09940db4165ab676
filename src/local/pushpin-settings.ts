/**
 * The Pushpin settings the local stack runs with, and why (measured with
 * Pushpin 1.36 / condure 1.9.1, Debian's). Kept apart from the code that
 * writes the config files, so that a generator for a production config can
 * reuse them. README, Limits, has the figures.
 */
export interface PushpinSettings {
  /**
   * `[runner] client_buffer_size`, B: condure's buffer per direction and
   * connection (it allocates 2 × B per connection), and, in 1.36, the write
   * credits that bound what the proxy passes to a client at once. A
   * WebSocket message of N bytes from the function arrives at once only when
   * N + 2 ≤ max(B, 16384) + 16384; a burst to one connection arrives whole
   * only if it fits B; a request head over B is reset unanswered. Stock: 8192.
   */
  readonly clientBufferSize: number;
  /**
   * `[handler] message_rate`, deliveries per second, or null for none. Any
   * rate makes the handler release publishes in 25 ms batches and counts
   * deliveries (items × subscribers), so even 100000 caps a burst to many
   * clients: unset, publishes go out at once. Stock: 2500.
   */
  readonly messageRate: number | null;
  /**
   * `[handler] message_hwm`: queued deliveries past which the handler drops
   * published messages (logging `exceeded publish hwm`), with or without a
   * rate. Stock: 25000, which a 100-client × 5-message chat burst exceeds.
   */
  readonly messageHwm: number;
  /**
   * `[handler] connection_subscription_max`: channels one connection may be
   * subscribed to, its own `$c:` and `$u:` channels included; Pushpin ignores
   * the ones past it without a word. Written out so the functions'
   * GRIP_MAX_SUBSCRIPTIONS (whose default is the same 20) matches it. Stock: 20.
   */
  readonly connectionSubscriptionMax?: number;
}

/** Pushpin's default `connection_subscription_max`, and the functions' GRIP_MAX_SUBSCRIPTIONS. */
export const DEFAULT_CONNECTION_SUBSCRIPTION_MAX = 20;

/**
 * The local stack's settings. B = 256 KiB makes a 1,000 × 200 B burst to one
 * subscriber arrive whole (64 KiB delivered about 805 of them) and lets any
 * message a client can send (200,000 bytes at most) be echoed at once; it
 * costs about 550 MiB of condure memory per 1,000 connections.
 */
export const LOCAL_PUSHPIN_SETTINGS: PushpinSettings = {
  clientBufferSize: 262_144,
  messageRate: null,
  messageHwm: 1_000_000,
};

/** Pushpin's own values, as Debian's /etc/pushpin/pushpin.conf has them. */
export const STOCK_PUSHPIN_SETTINGS: PushpinSettings = {
  clientBufferSize: 8192,
  messageRate: 2500,
  messageHwm: 25_000,
};

/** The `[runner]` and `[handler]` lines for these settings. */
export function pushpinSettingLines(settings: PushpinSettings): { readonly runner: string[]; readonly handler: string[] } {
  if (!Number.isInteger(settings.clientBufferSize) || settings.clientBufferSize < 1024) {
    throw new RangeError(`client_buffer_size must be a whole number of bytes >= 1024, got ${settings.clientBufferSize}`);
  }
  return {
    runner: [`client_buffer_size=${settings.clientBufferSize}`],
    handler: [
      ...(settings.messageRate === null ? [] : [`message_rate=${settings.messageRate}`]),
      `message_hwm=${settings.messageHwm}`,
      `connection_subscription_max=${settings.connectionSubscriptionMax ?? DEFAULT_CONNECTION_SUBSCRIPTION_MAX}`,
    ],
  };
}
