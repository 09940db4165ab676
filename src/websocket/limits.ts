/**
 * What a GRIP proxy carries from a function to a WebSocket client, so that
 * `ctx.send` can refuse what would hang or drop the connection, where it is
 * called. Measured with Pushpin 1.36 / condure 1.9.1 (README, Limits).
 */
export interface ProxyLimits {
  /** The largest message `ctx.send` takes, in bytes (GRIP_MAX_MESSAGE_BYTES). */
  readonly maxMessageBytes: number;
  /** The largest response body the proxy reads, in bytes. */
  readonly maxResponseBytes: number;
  /**
   * Subscriptions the proxy holds per connection, the connection's own
   * channel and its user's included (GRIP_MAX_SUBSCRIPTIONS; Pushpin's
   * `connection_subscription_max`, default 20): `ctx.subscribe` refuses the
   * one past it, which the proxy would ignore without a word.
   */
  readonly maxSubscriptions?: number;
}

/**
 * Pushpin 1.36 passes a message from a WebSocket-over-HTTP origin at once
 * only when it fits max(B, 16384) + 16384 bytes with its `m:` prefix, B
 * being `client_buffer_size`: it splits origin messages into 16384-byte
 * frames and, with its flow-control defect, stops on the third. A larger
 * one waits for later traffic, or forever.
 */
export function maxMessageBytesFor(clientBufferSize: number): number {
  return Math.max(clientBufferSize, 16_384) + 16_384 - 2;
}

/** Pushpin 1.36 with its default client_buffer_size (8192). */
export const DEFAULT_MAX_MESSAGE_BYTES = maxMessageBytesFor(8192);

/** Pushpin's RESPONSE_BODY_MAX (websocketoverhttp.cpp): over it, the client is dropped (1006). */
export const MAX_RESPONSE_BYTES = 1_000_000;

/** Pushpin's default `connection_subscription_max`. */
export const DEFAULT_MAX_SUBSCRIPTIONS = 20;

export const DEFAULT_PROXY_LIMITS: ProxyLimits = {
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  maxResponseBytes: MAX_RESPONSE_BYTES,
  maxSubscriptions: DEFAULT_MAX_SUBSCRIPTIONS,
};

/** A whole number >= 1 from the environment, or undefined when unset. @throws Error naming the variable otherwise. */
function readCount(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || !Number.isSafeInteger(value) || value < 1) {
    throw new Error(`${name} must be a whole number >= 1, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/**
 * The limits for GRIP_MAX_MESSAGE_BYTES (default: Pushpin 1.36's stock
 * 32,766; a message can never be larger than a response) and
 * GRIP_MAX_SUBSCRIPTIONS (default 20, Pushpin's).
 * @throws Error naming the variable when it is not a whole number.
 */
export function readProxyLimits(
  env: { readonly GRIP_MAX_MESSAGE_BYTES?: string | undefined; readonly GRIP_MAX_SUBSCRIPTIONS?: string | undefined } = process.env,
): ProxyLimits {
  const raw = env.GRIP_MAX_MESSAGE_BYTES;
  const subscriptions = readCount('GRIP_MAX_SUBSCRIPTIONS', env.GRIP_MAX_SUBSCRIPTIONS);
  if ((raw === undefined || raw.trim() === '') && subscriptions === undefined) return DEFAULT_PROXY_LIMITS;
  const value = Number(raw);
  if (raw !== undefined && raw.trim() !== '' && (!/^\s*\d+\s*$/.test(raw) || !Number.isSafeInteger(value) || value < 1)) {
    throw new Error(`GRIP_MAX_MESSAGE_BYTES must be a whole number of bytes >= 1, got ${JSON.stringify(raw)}`);
  }
  return {
    maxMessageBytes: raw === undefined || raw.trim() === '' ? DEFAULT_MAX_MESSAGE_BYTES : Math.min(value, MAX_RESPONSE_BYTES),
    maxResponseBytes: MAX_RESPONSE_BYTES,
    maxSubscriptions: subscriptions ?? DEFAULT_MAX_SUBSCRIPTIONS,
  };
}
