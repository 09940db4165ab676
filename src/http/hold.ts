import { Channel, GripInstruct } from '@fanoutio/grip';
import type { HttpResponse } from '../lambda/types.js';

/** A channel to hold on, optionally with the id of the last item the client has (reliable delivery). */
export type ChannelSpec = string | { readonly name: string; readonly prevId?: string };

interface HoldBase {
  readonly channels: ChannelSpec | readonly ChannelSpec[];
  /** Extra headers for the client. */
  readonly headers?: Readonly<Record<string, string>>;
  /** A `Grip-Link` recovery URL the proxy calls on a gap in ids or after `timeoutSeconds` idle. */
  readonly nextLink?: { readonly url: string; readonly timeoutSeconds?: number };
}

export interface StreamHoldOptions extends HoldBase {
  /** Sent at once, before any published content. */
  readonly body?: string | Uint8Array;
  readonly contentType?: string;
  /** What the proxy sends when the stream idles for `timeoutSeconds`. */
  readonly keepAlive?: { readonly content: string; readonly timeoutSeconds: number };
}

export interface LongPollHoldOptions extends HoldBase {
  /** Seconds the proxy holds the request before answering with `body`; default the proxy's (Pushpin: 55). */
  readonly timeoutSeconds?: number;
  /** The answer on timeout. */
  readonly body?: string | Uint8Array;
  readonly contentType?: string;
  readonly status?: number;
}

/**
 * A response that tells the proxy to hold the client's request open and
 * deliver what is published to its channels. Channel names get GRIP_PREFIX
 * when the handler turns the hold into headers.
 */
export interface Hold {
  readonly kind: 'hold';
  toResponse(prefix: string): HttpResponse;
}

function instruct(base: HoldBase, prefix: string): GripInstruct {
  const list: readonly ChannelSpec[] = Array.isArray(base.channels) ? base.channels : [base.channels as ChannelSpec];
  if (list.length === 0) throw new TypeError('a hold needs at least one channel');
  const grip = new GripInstruct(
    list.map((spec) => (typeof spec === 'string' ? new Channel(prefix + spec) : new Channel(prefix + spec.name, spec.prevId ?? null))),
  );
  if (base.nextLink !== undefined)
    grip.setNextLink(base.nextLink.url, checkSeconds('nextLink.timeoutSeconds', base.nextLink.timeoutSeconds));
  return grip;
}

/**
 * A duration in whole seconds, at least 1. @fanoutio/grip drops a zero,
 * negative or NaN one without a word (the proxy then uses its default) and
 * cuts fractions: refused here instead.
 * @throws TypeError naming the option.
 */
function checkSeconds(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`${name} must be a whole number of seconds >= 1, got ${value}`);
  return value;
}

/** Holds an HTTP stream: each published `http-stream` item is appended to the response. */
export function holdStream(options: StreamHoldOptions): Hold {
  return {
    kind: 'hold',
    toResponse(prefix) {
      const grip = instruct(options, prefix);
      grip.setHoldStream();
      if (options.keepAlive !== undefined) {
        grip.setKeepAlive(options.keepAlive.content, checkSeconds('keepAlive.timeoutSeconds', options.keepAlive.timeoutSeconds)!);
      }
      return {
        status: 200,
        headers: {
          'Content-Type': options.contentType ?? 'text/plain; charset=utf-8',
          'Cache-Control': 'no-cache',
          ...options.headers,
          ...grip.toHeaders(),
        },
        body: options.body ?? '',
      };
    },
  };
}

export interface SseHoldOptions extends HoldBase {
  /** Seconds of silence before the proxy sends a `:` comment line; default 20. */
  readonly keepAliveSeconds?: number;
  /** Sent at once, e.g. events the client missed (formatted with `formatSseEvent`). */
  readonly body?: string;
  /** Client reconnect delay the browser should use, in ms. */
  readonly retryMs?: number;
}

/** Holds a Server-Sent Events stream; publish with `sseEvent()` so each item is one event. */
export function holdSse(options: SseHoldOptions): Hold {
  const preamble = options.retryMs !== undefined ? `retry: ${Math.floor(options.retryMs)}\n\n` : '';
  return holdStream({
    ...options,
    contentType: 'text/event-stream',
    body: preamble + (options.body ?? ''),
    keepAlive: { content: ':\n\n', timeoutSeconds: options.keepAliveSeconds ?? 20 },
    headers: { 'X-Accel-Buffering': 'no', ...options.headers },
  });
}

/** Holds a long-poll: the first published `http-response` item answers it, or `body` on timeout. */
export function holdLongPoll(options: LongPollHoldOptions): Hold {
  return {
    kind: 'hold',
    toResponse(prefix) {
      const grip = instruct(options, prefix);
      grip.setHoldLongPoll(checkSeconds('timeoutSeconds', options.timeoutSeconds));
      return {
        status: options.status ?? 200,
        headers: {
          'Content-Type': options.contentType ?? 'application/json',
          'Cache-Control': 'no-cache',
          ...options.headers,
          ...grip.toHeaders(),
        },
        body: options.body ?? '',
      };
    },
  };
}
