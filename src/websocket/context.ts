import { CloseCode, decodeClosePayload, encodeClosePayload, isSendableCloseCode, type CloseInfo } from '../protocol/close.js';
import { encodeEvents } from '../protocol/codec.js';
import { decodeUtf8Strict } from '../protocol/utf8.js';
import {
  encodeControlMessage,
  keepAliveMessage,
  MESSAGE_PREFIX,
  type KeepAliveOptions,
  type SubscriptionFilter,
} from '../protocol/control.js';
import { CONTENT_TYPE_WEBSOCKET_EVENTS, type WebSocketEvent } from '../protocol/events.js';
import type { HttpRequest, HttpResponse, RequestHeaders } from '../lambda/types.js';
import { DEFAULT_MAX_SUBSCRIPTIONS, DEFAULT_PROXY_LIMITS, type ProxyLimits } from './limits.js';
import { checkUserChannel, checkUserId, connectionChannel, USER_META, userChannel } from '../publish/channels.js';
import { ConnectionMeta, LIBRARY_STATE_META } from './meta.js';
import { ChannelPermissionError, mayUseChannel } from './channel-guard.js';
import { checkUserSubscription, recordSubscription, recordUnsubscription } from './subscriptions.js';
import { publisherFor } from '../publish/process-publisher.js';
import type { GripPublisher } from '../publish/publisher.js';
import { log } from '../observe/current.js';

/** A message from the client. Text and binary stay apart, as on the wire. */
export type WebSocketMessage = { readonly type: 'text'; readonly data: string } | { readonly type: 'binary'; readonly data: Uint8Array };

/** Why the connection ended: the client's CLOSE, or a DISCONNECT (1006, `clean: false`). */
export interface CloseEvent extends CloseInfo {
  readonly clean: boolean;
}

/** The request that carried the events, minus its body. */
export interface WebSocketRequest {
  readonly path: string;
  readonly rawQuery: string;
  readonly query: URLSearchParams;
  readonly headers: RequestHeaders;
  /** Path parameters of the route, e.g. `room` for `/chat/{room}`. */
  readonly params: Readonly<Record<string, string>>;
}

export interface AcceptOptions {
  /** A subprotocol the client offered in `Sec-WebSocket-Protocol`. */
  readonly protocol?: string;
}

export interface SubscribeOptions {
  /** Pushpin filters for this subscription, e.g. `['skip-self']`. */
  readonly filters?: readonly SubscriptionFilter[];
}

const PONG_EMPTY: WebSocketEvent = { type: 'PONG' };

export interface ContextOptions {
  /** Prepended to channel names on subscribe and unsubscribe (GRIP_PREFIX). */
  readonly prefix?: string;
  /** What the proxy carries (GRIP_MAX_MESSAGE_BYTES); default Pushpin 1.36's stock limits. */
  readonly limits?: ProxyLimits;
  /**
   * What `ctx.publisher` is: handlers made by `websocket()` give theirs,
   * bound to the invocation; default the one for `process.env`.
   */
  readonly publisher?: GripPublisher;
}

/** Room kept in a response for what `toResponse` adds after the sends: OPEN, set-meta, CLOSE. */
const RESPONSE_RESERVE_BYTES = 16_384;

/** The bytes one event takes in a WebSocket-over-HTTP body: `TYPE len\r\ncontent\r\n`. */
function encodedSize(event: WebSocketEvent): number {
  return (
    event.type.length + 2 + (event.content === undefined ? 0 : 1 + event.content.length.toString(16).length + event.content.length + 2)
  );
}

/**
 * Where the connection stands in this request, as `ws`'s `readyState` does:
 * - `open`: messages go out. An opening connection is accepted unless `reject()` is called.
 * - `rejected`: `reject()` refused the opening handshake; the proxy answers the client with its status.
 * - `client-closed`: the client sent CLOSE; messages still go out, then its code is echoed.
 * - `closed`: `close()` was called; its CLOSE goes out after what was sent, nothing after it.
 * - `gone`: the client went away (DISCONNECT); nothing reaches it.
 */
export type WebSocketState = 'open' | 'rejected' | 'client-closed' | 'closed' | 'gone';

/** What `recv()` returns when the client closed or went away. */
export type Received = WebSocketMessage | { readonly type: 'close'; readonly close: CloseEvent };

/**
 * One WebSocket connection for the length of one request from the proxy:
 * the events that came in, and the answer being built.
 */
export class WebSocketContext {
  readonly id: string;
  readonly meta: ConnectionMeta;
  /** True when this request opens the connection (its first event is OPEN). */
  readonly isOpening: boolean;
  readonly #request: HttpRequest;
  readonly #in: readonly WebSocketEvent[];
  #next: number;
  readonly #out: WebSocketEvent[] = [];
  #state: WebSocketState = 'open';
  #protocol: string | undefined;
  /** The answer to the client, once `reject()` is called. */
  #rejection: HttpResponse | undefined;
  /** The CLOSE `close()` sends. */
  #closePayload: Uint8Array | undefined;
  #peerClose: CloseEvent | undefined;
  #keepAliveInterval: number | undefined;
  #requestView: WebSocketRequest | undefined;
  readonly #prefix: string;
  readonly #limits: ProxyLimits;
  #publisher: GripPublisher | undefined;
  #outBytes = 0;

  get #maxSubscriptions(): number {
    return this.#limits.maxSubscriptions ?? DEFAULT_MAX_SUBSCRIPTIONS;
  }

  constructor(id: string, request: HttpRequest, events: readonly WebSocketEvent[], options: ContextOptions = {}) {
    this.id = id;
    this.#request = request;
    this.#prefix = options.prefix ?? '';
    this.#limits = options.limits ?? DEFAULT_PROXY_LIMITS;
    this.#publisher = options.publisher;
    this.#in = events;
    this.meta = ConnectionMeta.fromHeaders(request.headers);
    this.isOpening = events[0]?.type === 'OPEN';
    this.#next = this.isOpening ? 1 : 0;
    // The connection's own channel, for `publisher.toConnection(id)` from any function.
    if (this.isOpening) this.#control({ type: 'subscribe', channel: this.#prefix + connectionChannel(id) });
  }

  /**
   * Publishes to channels, connections (`toConnection`) and users
   * (`toUser`), with GRIP_PREFIX: in a handler made by `websocket()`, its
   * publisher bound to this invocation, which waits for these publishes
   * before it answers (no need to await them) and stops their retries at
   * its deadline.
   */
  get publisher(): GripPublisher {
    return (this.#publisher ??= publisherFor(process.env));
  }

  /** The user this connection belongs to (`setUser`), kept in meta across requests. */
  get user(): string | undefined {
    return this.meta.get(USER_META);
  }

  /**
   * Says which user the connection belongs to, at open or later: it is then
   * reached by `publisher.toUser(userId)`, with every other connection
   * of that user. Setting another user leaves the previous one's channel.
   * @throws TypeError for an id that is not 1-128 visible ASCII characters.
   */
  setUser(userId: string): void {
    checkUserId(userId);
    const previous = this.user;
    if (previous === userId) return;
    this.#assertWritable('setUser');
    if (previous === undefined) checkUserSubscription(this.meta, this.#maxSubscriptions, this.id);
    if (previous !== undefined) this.#control({ type: 'unsubscribe', channel: this.#prefix + userChannel(previous) });
    this.meta.set(USER_META, userId);
    this.#control({ type: 'subscribe', channel: this.#prefix + userChannel(userId) });
  }

  get request(): WebSocketRequest {
    if (this.#requestView === undefined) {
      const { path, rawQuery, headers, params } = this.#request;
      let query: URLSearchParams | undefined;
      this.#requestView = {
        path,
        rawQuery,
        headers,
        params,
        get query() {
          return (query ??= new URLSearchParams(rawQuery));
        },
      };
    }
    return this.#requestView;
  }

  /** The events of this request, as decoded. */
  get events(): readonly WebSocketEvent[] {
    return this.#in;
  }

  get state(): WebSocketState {
    return this.#state;
  }

  /** The client's CLOSE (or DISCONNECT), once it has been received. */
  get peerClose(): CloseEvent | undefined {
    return this.#peerClose;
  }

  /**
   * Accepts the opening handshake, optionally choosing one of the
   * subprotocols the client offered. Opening requests are accepted
   * unless `reject` is called, so `accept()` is needed only to pick a protocol.
   */
  accept(options: AcceptOptions = {}): void {
    if (!this.isOpening) throw new Error('accept() is only possible while the connection opens');
    if (this.#state === 'rejected') throw new Error('the connection was already rejected');
    if (options.protocol !== undefined) {
      const offered = (this.#request.headers.get('sec-websocket-protocol') ?? '').split(',').map((p) => p.trim());
      if (!offered.includes(options.protocol)) {
        throw new TypeError(`subprotocol ${JSON.stringify(options.protocol)} was not offered by the client`);
      }
      this.#protocol = options.protocol;
    }
  }

  /** Refuses the opening handshake: the proxy answers the client with this status and body. */
  reject(status = 403, body: string | Uint8Array = '', headers: Record<string, string> = {}): void {
    if (!this.isOpening) throw new Error('reject() is only possible while the connection opens');
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new TypeError(`reject status must be 400-599, got ${status}`);
    }
    this.#state = 'rejected';
    this.#rejection = {
      status,
      headers: { 'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/octet-stream', ...headers },
      body,
    };
  }

  /**
   * Sends a message: a string as TEXT, bytes as BINARY.
   * @throws RangeError for a message over the proxy's limit (GRIP_MAX_MESSAGE_BYTES), or one that
   * would take this invocation's response over the proxy's 1,000,000 bytes; nothing is sent then.
   */
  send(data: string | Uint8Array): void {
    this.#assertWritable('send');
    let size: number;
    if (typeof data === 'string') size = Buffer.byteLength(data);
    else if (data instanceof Uint8Array) size = data.length;
    else throw new TypeError('send() takes a string (TEXT) or a Uint8Array (BINARY)');
    this.#checkMessageSize(size);
    const bytes = Buffer.allocUnsafe(MESSAGE_PREFIX.length + size);
    MESSAGE_PREFIX.copy(bytes, 0);
    if (typeof data === 'string') bytes.write(data, MESSAGE_PREFIX.length, 'utf8');
    else bytes.set(data, MESSAGE_PREFIX.length);
    this.#push({ type: typeof data === 'string' ? 'TEXT' : 'BINARY', content: bytes });
  }

  /** Sends a PING to the client. @throws RangeError when it would take the response over the proxy's limit. */
  ping(data: Uint8Array = new Uint8Array(0)): void {
    this.#assertWritable('ping');
    this.#push({ type: 'PING', content: data });
  }

  /**
   * Closes the connection after the messages sent so far. Without a code,
   * 1000 is sent. Does nothing once the connection is rejected, closed or gone.
   * @throws TypeError for a code that may not be sent (0-999, 1004-1006, 1015, ...) or a reason over 123 bytes.
   */
  close(code: number = CloseCode.NORMAL, reason = ''): void {
    const payload = encodeClosePayload(code, reason);
    if (!this.#canSend()) return;
    this.#state = 'closed';
    this.#closePayload = payload;
  }

  /**
   * Subscribes the connection to a channel (GRIP_PREFIX is prepended, as on publish).
   * @throws ChannelPermissionError when the client's token does not allow it (withClientAuth);
   * RangeError when it would be one more than the proxy holds per connection (GRIP_MAX_SUBSCRIPTIONS).
   */
  subscribe(channel: string, options: SubscribeOptions = {}): void {
    checkUserChannel(channel);
    if (!mayUseChannel(this, 'subscribe', channel)) throw new ChannelPermissionError('subscribe', channel);
    this.#assertWritable('subscribe');
    recordSubscription(this.meta, channel, this.user !== undefined, this.#maxSubscriptions, this.id);
    const name = this.#prefix + channel;
    this.#control(
      options.filters !== undefined && options.filters.length > 0
        ? { type: 'subscribe', channel: name, filters: options.filters }
        : { type: 'subscribe', channel: name },
    );
  }

  unsubscribe(channel: string): void {
    checkUserChannel(channel);
    this.#assertWritable('unsubscribe');
    recordUnsubscription(this.meta, channel);
    this.#control({ type: 'unsubscribe', channel: this.#prefix + channel });
  }

  /** Stops the proxy from sending further events of this connection to the function. */
  detach(): void {
    this.#control({ type: 'detach' });
  }

  /** Has the proxy send `content` to the client every `timeout` seconds (of idleness, by default). */
  keepAlive(options: KeepAliveOptions): void {
    this.#control(keepAliveMessage(options));
  }

  /** The keep-alive interval this response asks for (`setKeepAliveInterval`), if any. */
  get keepAliveInterval(): number | undefined {
    return this.#keepAliveInterval;
  }

  /**
   * Asks the proxy to call the function at least every `seconds` (Pushpin's
   * minimum is 20) even when the client is quiet; 0 turns it off.
   */
  setKeepAliveInterval(seconds: number): void {
    if (!Number.isInteger(seconds) || seconds < 0) {
      throw new TypeError(`keep-alive interval must be a whole number of seconds >= 0, got ${seconds}`);
    }
    this.#keepAliveInterval = seconds;
  }

  /** Whether `recv()` has another message or close to return. */
  canRecv(): boolean {
    for (let i = this.#next; i < this.#in.length; i++) {
      const type = this.#in[i]!.type;
      if (type === 'TEXT' || type === 'BINARY' || type === 'CLOSE' || type === 'DISCONNECT') return true;
    }
    return false;
  }

  /**
   * The next message, or the close, from the client; PINGs on the way are
   * answered. Returns undefined when nothing is left.
   * @throws TypeError when a TEXT message is not valid UTF-8 (the connection is then closed with 1007).
   */
  recv(): Received | undefined {
    while (this.#next < this.#in.length) {
      const event = this.#in[this.#next++]!;
      switch (event.type) {
        case 'TEXT': {
          const data = event.content === undefined ? '' : decodeUtf8Strict(event.content);
          if (data === undefined) {
            this.close(CloseCode.INVALID_PAYLOAD, 'invalid UTF-8');
            throw new TypeError(`connection ${this.id}: TEXT message is not valid UTF-8`);
          }
          return { type: 'text', data };
        }
        case 'BINARY':
          return { type: 'binary', data: event.content ?? new Uint8Array(0) };
        case 'PING':
          this.#pong(event);
          break;
        case 'CLOSE':
        case 'DISCONNECT':
          this.#next = this.#in.length; // nothing follows a CLOSE or DISCONNECT
          return { type: 'close', close: this.#receiveClose(event) };
        default: // PONG, or an OPEN out of place: nothing to do
          break;
      }
    }
    return undefined;
  }

  /**
   * Finishes the answer. Events nobody read are settled the way the protocol
   * needs: PINGs get PONGs and a CLOSE is echoed; unread messages are counted
   * in a warning, since they are not passed on.
   */
  toResponse(): HttpResponse {
    if (this.#rejection !== undefined) return this.#rejection;
    let unread = 0;
    for (; this.#next < this.#in.length; this.#next++) {
      const event = this.#in[this.#next]!;
      if (event.type === 'PING') this.#pong(event);
      else if (event.type === 'TEXT' || event.type === 'BINARY') unread++;
      else if (event.type === 'CLOSE' || event.type === 'DISCONNECT') {
        this.#receiveClose(event);
        break;
      }
    }
    if (unread > 0) {
      log('warn', `connection ${this.id}: ${unread} received message(s) were not read`);
    }
    const events: WebSocketEvent[] = [];
    const headers: Record<string, string> = { 'Content-Type': CONTENT_TYPE_WEBSOCKET_EVENTS };
    if (this.isOpening) {
      // An opening request is accepted unless rejected; the proxy needs OPEN first.
      events.push({ type: 'OPEN' });
      headers['Sec-WebSocket-Extensions'] = 'grip';
      if (this.#protocol !== undefined) headers['Sec-WebSocket-Protocol'] = this.#protocol;
    }
    if (this.meta.changed) {
      const metaChanges: Record<string, string> = {};
      this.meta.changedHeaders(metaChanges);
      for (const [header, value] of Object.entries(metaChanges)) {
        // Set-Meta-* only updates the proxy's copy (sent back as Meta-*); Pushpin's filters
        // (skip-self compares `user`) read the handler's copy, which only set-meta updates.
        const name = header.slice('Set-Meta-'.length);
        if (LIBRARY_STATE_META.has(name)) continue; // read back from Meta-* only, never by a filter
        events.push({ type: 'TEXT', content: encodeControlMessage({ type: 'set-meta', name, value }) });
      }
      Object.assign(headers, metaChanges);
    }
    const out = this.#out;
    for (let i = 0; i < out.length; i++) events.push(out[i]!);
    const closing = this.#closingPayload();
    if (closing !== undefined) events.push(closing === null ? { type: 'CLOSE' } : { type: 'CLOSE', content: closing });
    if (this.#keepAliveInterval !== undefined) headers['Keep-Alive-Interval'] = String(this.#keepAliveInterval);
    return { status: 200, headers, body: encodeEvents(events) };
  }

  /** The client's CLOSE or DISCONNECT: recorded, and the state it leads to. */
  #receiveClose(event: WebSocketEvent): CloseEvent {
    const close: CloseEvent =
      event.type === 'CLOSE'
        ? { ...decodeClosePayload(event.content), clean: true }
        : { code: CloseCode.ABNORMAL, reason: '', clean: false };
    this.#peerClose = close;
    // A rejection or the function's own close stands; otherwise the client's close decides.
    if (this.#canSend()) this.#state = close.clean ? 'client-closed' : 'gone';
    return close;
  }

  /** The CLOSE to send (null: one without a code): the function's own, or the echo of the client's. */
  #closingPayload(): Uint8Array | null | undefined {
    if (this.#state === 'closed') return this.#closePayload;
    if (this.#state !== 'client-closed') return undefined;
    const code = this.#peerClose!.code;
    return isSendableCloseCode(code) ? encodeClosePayload(code) : null;
  }

  /** Whether messages (and a CLOSE) can still go out to the client. */
  #canSend(): boolean {
    return this.#state === 'open' || this.#state === 'client-closed';
  }

  #pong(ping: WebSocketEvent): void {
    // Not checked: a PING's payload is at most 125 bytes, and the client is owed its PONG.
    this.#outBytes += encodedSize(ping);
    this.#out.push(ping.content === undefined ? PONG_EMPTY : { type: 'PONG', content: ping.content });
  }

  #control(message: Parameters<typeof encodeControlMessage>[0]): void {
    this.#assertWritable('control');
    this.#push({ type: 'TEXT', content: encodeControlMessage(message) });
  }

  /** Adds an event to the answer, refusing one that would take it over the proxy's body limit. */
  #push(event: WebSocketEvent): void {
    const size = encodedSize(event);
    const limit = this.#limits.maxResponseBytes - RESPONSE_RESERVE_BYTES;
    if (this.#outBytes + size > limit) {
      throw new RangeError(
        `connection ${this.id}: this response would be ${this.#outBytes + size} bytes, over the ${limit} bytes the proxy reads from one response (${this.#limits.maxResponseBytes} less room for the protocol's own events); send the rest in a later invocation or by URL`,
      );
    }
    this.#outBytes += size;
    this.#out.push(event);
  }

  #checkMessageSize(size: number): void {
    if (size <= this.#limits.maxMessageBytes) return;
    throw new RangeError(
      `connection ${this.id}: a message of ${size} bytes is over the proxy's limit of ${this.#limits.maxMessageBytes} bytes per message (GRIP_MAX_MESSAGE_BYTES); send large payloads by URL`,
    );
  }

  #assertWritable(what: string): void {
    if (this.#canSend()) return;
    const why = { rejected: 'was rejected', closed: 'is closed', gone: 'is gone' }[this.#state as 'rejected' | 'closed' | 'gone'];
    throw new Error(`connection ${this.id} ${why}: cannot ${what}`);
  }
}
