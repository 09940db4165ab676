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

export const DEFAULT_PROXY_LIMITS: ProxyLimits = { maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES, maxResponseBytes: MAX_RESPONSE_BYTES };

/**
 * The limits for GRIP_MAX_MESSAGE_BYTES (default: Pushpin 1.36's stock
 * 32,766). A message can never be larger than a response.
 * @throws Error naming the variable when it is not a whole number of bytes.
 */
export function readProxyLimits(env: { readonly GRIP_MAX_MESSAGE_BYTES?: string | undefined } = process.env): ProxyLimits {
  const raw = env.GRIP_MAX_MESSAGE_BYTES;
  if (raw === undefined || raw.trim() === '') return DEFAULT_PROXY_LIMITS;
  const value = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || !Number.isSafeInteger(value) || value < 1) {
    throw new Error(`GRIP_MAX_MESSAGE_BYTES must be a whole number of bytes >= 1, got ${JSON.stringify(raw)}`);
  }
  return { maxMessageBytes: Math.min(value, MAX_RESPONSE_BYTES), maxResponseBytes: MAX_RESPONSE_BYTES };
}
