/**
 * GRIP control messages: TEXT messages prefixed `c:` that the proxy acts on
 * instead of passing to the client. Regular messages carry the `m:` prefix
 * so that a client message starting with `c:` is never taken for control.
 */
export const CONTROL_PREFIX = Buffer.from('c:', 'latin1');
export const MESSAGE_PREFIX = Buffer.from('m:', 'latin1');

/** Pushpin filters that may be attached to a WebSocket subscription. */
export type SubscriptionFilter = 'skip-self' | 'skip-users' | 'require-sub' | 'build-id' | 'var-subst';

export interface KeepAliveOptions {
  /** What the proxy sends to the client; default empty. */
  readonly content?: string | Uint8Array;
  /** Frame type the proxy sends. Default 'text' for string content, 'binary' for bytes. */
  readonly type?: 'text' | 'binary' | 'ping' | 'pong';
  /** Seconds between keep-alives; 0 turns keep-alive off. */
  readonly timeoutSeconds: number;
  /** 'idle' (default): only after `timeoutSeconds` without traffic; 'interval': every `timeoutSeconds`. */
  readonly mode?: 'idle' | 'interval';
}

export type ControlMessage =
  | { readonly type: 'subscribe'; readonly channel: string; readonly filters?: readonly SubscriptionFilter[] }
  | { readonly type: 'unsubscribe'; readonly channel: string }
  | { readonly type: 'detach' }
  | { readonly type: 'set-meta'; readonly name: string; readonly value: string }
  | {
      readonly type: 'keep-alive';
      readonly 'message-type'?: 'text' | 'binary' | 'ping' | 'pong';
      readonly content?: string;
      readonly 'content-bin'?: string;
      readonly timeout?: number;
      readonly mode?: 'idle' | 'interval';
    };

/** The content of the TEXT event that carries `message` to the proxy. */
export function encodeControlMessage(message: ControlMessage): Uint8Array {
  return Buffer.concat([CONTROL_PREFIX, Buffer.from(JSON.stringify(message), 'utf8')]);
}

/** The keep-alive control message for `options`; `timeoutSeconds: 0` turns keep-alive off. */
export function keepAliveMessage(options: KeepAliveOptions): ControlMessage {
  if (!Number.isInteger(options.timeoutSeconds) || options.timeoutSeconds < 0) {
    throw new TypeError(`keep-alive timeoutSeconds must be a whole number of seconds >= 0, got ${options.timeoutSeconds}`);
  }
  const { content = '' } = options;
  const binary = typeof content !== 'string';
  return {
    type: 'keep-alive',
    'message-type': options.type ?? (binary ? 'binary' : 'text'),
    ...(binary ? { 'content-bin': Buffer.from(content).toString('base64') } : { content }),
    timeout: options.timeoutSeconds,
    ...(options.mode !== undefined ? { mode: options.mode } : {}),
  };
}
