import { decodeClosePayload, type CloseInfo } from '../protocol/close.js';
import { decodeEvents } from '../protocol/codec.js';
import { CONTROL_PREFIX, MESSAGE_PREFIX, type ControlMessage } from '../protocol/control.js';
import { CONTENT_TYPE_WEBSOCKET_EVENTS, type WebSocketEvent } from '../protocol/events.js';
import { RESERVED_CHANNEL_PREFIX } from '../publish/channels.js';
import { LIBRARY_STATE_META } from '../websocket/meta.js';

/** A message the client receives. */
export type OutgoingMessage = { readonly type: 'text'; readonly data: string } | { readonly type: 'binary'; readonly data: Uint8Array };

/** A function's answer to a WebSocket-over-HTTP request, read as the proxy reads it. */
export interface WebSocketResultView {
  readonly status: number;
  /** Response headers, names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  /** The decoded body: every event, control messages included. */
  readonly events: readonly WebSocketEvent[];
  /** What reaches the client: TEXT and BINARY messages, control messages left out. */
  readonly messages: readonly OutgoingMessage[];
  /** Control messages to the proxy (subscribe, unsubscribe, detach, set-meta, keep-alive). */
  readonly control: readonly ControlMessage[];
  /** Channels the function subscribed to, in order; the library's own (see `ownSubscribed`) left out. */
  readonly subscribed: readonly string[];
  /** The library's own channels subscribed to (`$c:ID` at open, `$u:USER` by `ctx.setUser`), for targeted sends. */
  readonly ownSubscribed: readonly string[];
  /** Channels unsubscribed from, in order. */
  readonly unsubscribed: readonly string[];
  /** Meta changes (Set-Meta-* headers): a value, or null for a delete; the library's own bookkeeping (see `libraryMeta`) left out. */
  readonly meta: Readonly<Record<string, string | null>>;
  /** Changes to the library's own meta: subscriptions held (`grip-subs`), client-token claims, rate-limit bucket. */
  readonly libraryMeta: Readonly<Record<string, string | null>>;
  /** Whether an opening request was accepted (a 200 carrying OPEN back). */
  readonly accepted: boolean;
  /** The subprotocol chosen, if any. */
  readonly protocol: string | undefined;
  /** The CLOSE the function sent, if any. */
  readonly close: CloseInfo | undefined;
  /** The body as text, for answers that are not WebSocket events (a 400 or 401 reason). */
  readonly text: string;
}

type AnyResult = {
  statusCode?: number;
  headers?: Record<string, unknown>;
  multiValueHeaders?: Record<string, unknown[]>;
  body?: string;
  isBase64Encoded?: boolean;
};

/**
 * Reads what a handler returned for a WebSocket-over-HTTP request (any
 * front door's result shape), for assertions in unit tests and for reading
 * `serverless invoke local` output.
 */
export interface ReadResultOptions {
  /** GRIP_PREFIX of the function, so the library's own channels are told apart under it too (default ''). */
  readonly prefix?: string;
}

export function readWebSocketResult(result: unknown, options: ReadResultOptions = {}): WebSocketResultView {
  const prefix = options.prefix ?? '';
  const isOwn = (channel: string) => channel.startsWith(prefix) && channel.slice(prefix.length).startsWith(RESERVED_CHANNEL_PREFIX);
  if (typeof result !== 'object' || result === null) throw new TypeError(`not a Lambda HTTP result: ${JSON.stringify(result)}`);
  const r = result as AnyResult;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(r.headers ?? {})) headers[name.toLowerCase()] = String(value);
  for (const [name, values] of Object.entries(r.multiValueHeaders ?? {})) headers[name.toLowerCase()] = values.map(String).join(', ');
  const body = r.isBase64Encoded === true ? Buffer.from(r.body ?? '', 'base64') : Buffer.from(r.body ?? '', 'utf8');
  const isEvents = (headers['content-type'] ?? '').startsWith(CONTENT_TYPE_WEBSOCKET_EVENTS);
  const events = isEvents ? decodeEvents(body) : [];
  const messages: OutgoingMessage[] = [];
  const control: ControlMessage[] = [];
  let close: CloseInfo | undefined;
  for (const event of events) {
    const content = Buffer.from(event.content ?? new Uint8Array());
    if (event.type === 'TEXT') {
      if (content.subarray(0, 2).equals(CONTROL_PREFIX)) control.push(JSON.parse(content.subarray(2).toString('utf8')) as ControlMessage);
      else if (content.subarray(0, 2).equals(MESSAGE_PREFIX)) messages.push({ type: 'text', data: content.subarray(2).toString('utf8') });
      else messages.push({ type: 'text', data: content.toString('utf8') });
    } else if (event.type === 'BINARY') {
      // The proxy strips the message prefix from BINARY messages too.
      const data = content.subarray(0, 2).equals(MESSAGE_PREFIX) ? content.subarray(2) : content;
      messages.push({ type: 'binary', data: new Uint8Array(data) });
    } else if (event.type === 'CLOSE') {
      close = decodeClosePayload(event.content);
    }
  }
  const meta: Record<string, string | null> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('set-meta-')) meta[name.slice('set-meta-'.length)] = value === '' ? null : value;
  }
  for (const message of control)
    if (message.type === 'set-meta') meta[message.name.toLowerCase()] ??= message.value === '' ? null : message.value;
  const libraryMeta: Record<string, string | null> = {};
  for (const name of Object.keys(meta)) {
    if (!LIBRARY_STATE_META.has(name)) continue;
    libraryMeta[name] = meta[name] as string | null;
    delete meta[name];
  }
  const status = r.statusCode ?? 200;
  const subscribed = control.flatMap((m) => (m.type === 'subscribe' ? [m.channel] : []));
  return {
    status,
    headers,
    events,
    messages,
    control,
    subscribed: subscribed.filter((channel) => !isOwn(channel)),
    ownSubscribed: subscribed.filter(isOwn),
    unsubscribed: control.flatMap((m) => (m.type === 'unsubscribe' ? [m.channel] : [])),
    meta,
    libraryMeta,
    accepted: status === 200 && events.some((event) => event.type === 'OPEN'),
    protocol: headers['sec-websocket-protocol'],
    close,
    text: isEvents ? '' : body.toString('utf8'),
  };
}
