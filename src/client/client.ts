/**
 * grip-lambda/client: a WebSocket client for functions that keep a feed
 * (ids on messages, `?last-id=` and `/since`, as functions/chat.ts does).
 * No dependencies; browsers and Node (pass `ws` as `WebSocket` there).
 *
 * What it guarantees the application, as long as the server keeps the feed:
 * every message with an id is handed over once, in id order, across drops
 * and reconnects; a send made while disconnected is queued and sent (again,
 * with the same client message id) until the server acknowledges it.
 */

/** Where the connection is: `reconnecting` covers the wait before the next attempt. */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/**
 * The part of the WebSocket API the client uses: the browser's, or `ws`'s.
 * Handlers take `never` so that both classes fit, whatever their event
 * types; the client reads `data` of a message and `code` of a close.
 */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** A message from the server as the client reads it: JSON objects, with these fields when present. */
export interface ServerMessage {
  readonly type?: string;
  /** Feed id: messages with one are handed over once, in order. */
  readonly id?: string;
  /** The id of the message before this one in the feed: another than the last seen means a gap. */
  readonly prevId?: string;
  /** The client message id of a send this message answers. */
  readonly cid?: string;
  readonly [field: string]: unknown;
}

export interface ClientOptions {
  /** The WebSocket class; default `globalThis.WebSocket` (Node 20 has none: pass `ws`). */
  readonly WebSocket?: WebSocketConstructor;
  readonly protocols?: string | string[];
  /** Resume after this id (e.g. one kept across page loads). */
  readonly lastId?: string;
  /** Query parameter carrying the last id on reconnect; default `last-id`. */
  readonly lastIdParam?: string;
  /** The text that asks the server for the messages after `lastId`; default `/since ID`. */
  readonly since?: (lastId: string) => string;
  /** First reconnect delay and the cap of the exponential backoff, in ms (defaults 500 and 10,000); each is jittered. */
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Reconnect when nothing arrived for this long (the server's keep-alives count); 0, the default, never. */
  readonly idleTimeoutMs?: number;
  /** Whether to reconnect after the server closed with `code`; default: not after 1000, 1008 or 4000-4999. */
  readonly shouldReconnect?: (code: number) => boolean;
  /** Each message, once: parsed JSON (a `ServerMessage` when it is an object), or the text when it is not JSON. */
  readonly onMessage?: (message: ServerMessage | string) => void;
  readonly onStateChange?: (state: ConnectionState) => void;
  /**
   * A client token (JWT) for functions that check one (withClientAuth):
   * called before each connection attempt, and again before the token's
   * `exp`, whose result is sent over the open socket (no reconnect, so
   * nothing is missed). A close with 4001 (token expired) reconnects with a
   * new one.
   */
  readonly getToken?: () => string | Promise<string>;
  /** How the token travels at connect: `protocol` (default; `bearer.TOKEN` beside `tokenProtocol`) or `query` (`access_token`). */
  readonly tokenIn?: 'protocol' | 'query';
  /** The subprotocol offered with the token's, which the server answers; default `grip-lambda.v1`. */
  readonly tokenProtocol?: string;
}

/** What withClientAuth closes with once a connection's token has expired. */
const TOKEN_EXPIRED = 4001;

/** A token's `exp`, in ms, read without checking it (the server does): undefined when it has none. */
export function tokenExpiry(token: string): number | undefined {
  const part = token.split('.')[1];
  if (part === undefined) return undefined;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

interface PendingSend {
  readonly cid: string;
  readonly wire: string;
}

/** Feed ids are Redis stream ids, "ms-seq": compared as numbers, part by part. */
export function isNewerId(id: string, than: string | undefined): boolean {
  if (than === undefined) return true;
  const [a = 0n, b = 0n] = id.split('-').map(BigInt);
  const [c = 0n, d = 0n] = than.split('-').map(BigInt);
  return a > c || (a === c && b > d);
}

const OPEN = 1;

export class RealtimeClient {
  #state: ConnectionState = 'connecting';
  #lastId: string | undefined;
  #socket: WebSocketLike | undefined;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #idle: ReturnType<typeof setTimeout> | undefined;
  #refreshTimer: ReturnType<typeof setTimeout> | undefined;
  /** Counts connection attempts, so that a token arriving for an abandoned attempt is dropped. */
  #attemptId = 0;
  #syncing = false;
  /** Messages that came out of order while a `/since` was answered. */
  #held: ServerMessage[] = [];
  readonly #pending: PendingSend[] = [];
  readonly #session = Math.random().toString(36).slice(2, 10);
  #sent = 0;
  readonly #url: string;
  readonly #options: ClientOptions;
  readonly #WebSocket: WebSocketConstructor;

  constructor(url: string, options: ClientOptions = {}) {
    const WebSocketClass = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (WebSocketClass === undefined) throw new TypeError('no WebSocket here: pass one as the WebSocket option (e.g. from the ws package)');
    this.#url = url;
    this.#options = options;
    this.#WebSocket = WebSocketClass;
    this.#lastId = options.lastId;
    // A browser that says it is offline has no socket worth keeping (it may stay open, silent, for
    // minutes): drop it now, and try again as soon as it says it is back, not at the end of the backoff.
    const on = (globalThis as { addEventListener?: (type: string, listener: () => void) => void }).addEventListener;
    on?.('offline', () => this.#abandon());
    on?.('online', () => {
      if (this.#state === 'reconnecting') this.#connect();
    });
    this.#connect();
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** The id of the newest message handed over. */
  get lastId(): string | undefined {
    return this.#lastId;
  }

  /** Sends not yet acknowledged by the server. */
  get pending(): number {
    return this.#pending.length;
  }

  /**
   * Sends `text` as `{"cid", "text"}`; queued while not connected, and sent
   * again after a reconnect until a server message carries its `cid`.
   * Returns the client message id.
   */
  send(text: string): string {
    if (this.#state === 'closed') throw new Error('the client is closed');
    const cid = `${this.#session}-${++this.#sent}`;
    const item = { cid, wire: JSON.stringify({ cid, text }) };
    this.#pending.push(item);
    if (this.#socket?.readyState === OPEN) this.#socket.send(item.wire);
    return cid;
  }

  /** Closes for good: no reconnect; unacknowledged sends are dropped. */
  close(): void {
    this.#setState('closed');
    clearTimeout(this.#timer);
    clearTimeout(this.#idle);
    clearTimeout(this.#refreshTimer);
    this.#socket?.close(1000);
    this.#socket = undefined;
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#options.onStateChange?.(state);
  }

  #connect(): void {
    clearTimeout(this.#timer);
    if (this.#state === 'closed') return;
    // An attempt still under way (the browser came back online meanwhile) is given up for this one.
    const previous = this.#socket;
    this.#socket = undefined;
    previous?.close();
    const getToken = this.#options.getToken;
    if (getToken === undefined) {
      this.#open(undefined);
      return;
    }
    const attempt = ++this.#attemptId;
    Promise.resolve()
      .then(getToken)
      .then(
        (token) => {
          if (attempt === this.#attemptId && this.#state !== 'closed') this.#open(token);
        },
        () => {
          // No token now: tried again after the backoff, as a failed connection would be.
          if (attempt === this.#attemptId) this.#dropped(1006);
        },
      );
  }

  #open(token: string | undefined): void {
    clearTimeout(this.#refreshTimer);
    let url = this.#url;
    let protocols = this.#options.protocols;
    if (token !== undefined) {
      if (this.#options.tokenIn === 'query') {
        url += `${url.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}`;
      } else {
        const offered = protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : [...protocols];
        protocols = [...(offered.length > 0 ? offered : [this.#options.tokenProtocol ?? 'grip-lambda.v1']), `bearer.${token}`];
      }
    }
    if (this.#lastId !== undefined) {
      url += `${url.includes('?') ? '&' : '?'}${this.#options.lastIdParam ?? 'last-id'}=${encodeURIComponent(this.#lastId)}`;
    }
    const socket = new this.#WebSocket(url, protocols);
    this.#socket = socket;
    this.#syncing = false;
    this.#held = [];
    socket.onopen = () => {
      if (socket !== this.#socket) return;
      this.#attempt = 0;
      this.#heard();
      // What was stored between the server's replay and its subscription: ask once more.
      if (this.#lastId !== undefined) this.#requestSince();
      for (const item of this.#pending) socket.send(item.wire);
      if (token !== undefined) this.#scheduleRefresh(token);
      // Last, so that what onStateChange sends goes out once, after the queue.
      this.#setState('open');
    };
    socket.onmessage = (event: { readonly data: unknown }) => {
      if (socket !== this.#socket) return;
      this.#heard();
      this.#receive(String(event.data));
    };
    socket.onerror = () => undefined; // a close follows, and carries what is known
    socket.onclose = (event: { readonly code: number }) => {
      if (socket === this.#socket) this.#dropped(event.code);
    };
  }

  /** The socket closed (or went silent): reconnect after a jittered backoff, unless the close says not to. */
  #dropped(code: number): void {
    if (this.#state === 'closed') return;
    clearTimeout(this.#idle);
    clearTimeout(this.#refreshTimer);
    const renews = this.#options.getToken !== undefined;
    const reconnect =
      this.#options.shouldReconnect ??
      ((c: number) => (renews && c === TOKEN_EXPIRED) || (c !== 1000 && c !== 1008 && (c < 4000 || c > 4999)));
    if (this.#state === 'open' && !reconnect(code)) {
      this.#socket = undefined;
      this.#setState('closed');
      return;
    }
    this.#setState('reconnecting');
    const min = this.#options.minDelayMs ?? 500;
    const cap = Math.min(this.#options.maxDelayMs ?? 10_000, min * 2 ** this.#attempt++);
    // Half fixed, half random: clients cut off together do not come back together.
    this.#timer = setTimeout(() => this.#connect(), cap / 2 + (Math.random() * cap) / 2);
  }

  /** Gives up on the current socket as if it had dropped (its own close event is then ignored). */
  #abandon(): void {
    const socket = this.#socket;
    if (socket === undefined || this.#state === 'closed') return;
    this.#socket = undefined;
    socket.close();
    this.#dropped(1006);
  }

  /** Something arrived: the connection is alive; restart the idle timer. */
  #heard(): void {
    const ms = this.#options.idleTimeoutMs ?? 0;
    if (ms <= 0) return;
    clearTimeout(this.#idle);
    const socket = this.#socket;
    this.#idle = setTimeout(() => {
      // Silent for too long: the connection is dead even if the socket does not know it yet.
      if (socket !== undefined && socket === this.#socket) this.#abandon();
    }, ms);
  }

  /**
   * Sends a fresh token before this one expires: a third of its remaining
   * life before, at most 30 s before. A refresh that fails is tried again
   * a few times; the server closes with 4001 at expiry otherwise, and the
   * client reconnects with a new token.
   */
  #scheduleRefresh(token: string, failures = 0): void {
    clearTimeout(this.#refreshTimer);
    const expiry = tokenExpiry(token);
    if (expiry === undefined) return;
    const left = expiry - Date.now();
    const lead = Math.min(30_000, left / 3);
    const socket = this.#socket;
    this.#refreshTimer = setTimeout(
      () => {
        Promise.resolve()
          .then(this.#options.getToken!)
          .then(
            (fresh) => {
              if (socket !== this.#socket || socket?.readyState !== OPEN) return;
              socket.send(JSON.stringify({ type: 'auth', token: fresh }));
              this.#scheduleRefresh(fresh);
            },
            () => {
              if (socket === this.#socket && failures < 3) this.#scheduleRefresh(token, failures + 1);
            },
          );
      },
      Math.max(0, failures === 0 ? left - lead : Math.min(1000 * 2 ** failures, left / 2)),
    );
  }

  #requestSince(): void {
    this.#syncing = true;
    const since = this.#options.since ?? ((id: string) => `/since ${id}`);
    this.#socket?.send(since(this.#lastId!));
  }

  #receive(text: string): void {
    let message: ServerMessage | string = text;
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) message = parsed as ServerMessage;
    } catch {
      // not JSON: handed over as text
    }
    if (typeof message === 'string') {
      this.#options.onMessage?.(message);
      return;
    }
    // The server's answer to a token refresh: the client's business, not the application's.
    if (message.type === 'auth' && typeof message.exp === 'number' && this.#options.getToken !== undefined) return;
    if (typeof message.cid === 'string') {
      const at = this.#pending.findIndex((p) => p.cid === message.cid);
      if (at >= 0) this.#pending.splice(at, 1);
    }
    if (message.type === 'synced') {
      this.#syncing = false;
      const held = this.#held.sort((x, y) => (isNewerId(x.id!, y.id) ? 1 : -1));
      this.#held = [];
      for (const m of held) this.#ordered(m);
      return;
    }
    if (typeof message.id !== 'string') {
      this.#options.onMessage?.(message);
      return;
    }
    this.#ordered(message);
  }

  /** A message with an id: dropped if seen, held if it shows a gap, else handed over. */
  #ordered(message: ServerMessage): void {
    const id = message.id!;
    if (!isNewerId(id, this.#lastId)) return;
    const gap = this.#lastId !== undefined && message.prevId !== undefined && message.prevId !== this.#lastId;
    if (gap) {
      this.#held.push(message);
      if (!this.#syncing) this.#requestSince();
      return;
    }
    this.#lastId = id;
    this.#options.onMessage?.(message);
  }
}

/** `new RealtimeClient(url, options)`. */
export function connect(url: string, options: ClientOptions = {}): RealtimeClient {
  return new RealtimeClient(url, options);
}
