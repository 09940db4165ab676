/**
 * Client identity for WebSocket functions: `withClientAuth(handlers, options)`
 * checks a JWT at the handshake (401 with a short reason, before any user
 * code), makes its `sub` the connection's user, keeps its claims in
 * connection meta (the proxy sends them back on every request, so later
 * requests read them without verifying again; a client cannot set meta:
 * Pushpin drops `Meta-*` headers a client sends, and only requests signed
 * with Grip-Sig reach the function), closes the connection with 4001 once
 * the token expires unless the client sent a fresh one over the socket,
 * checks channel operations against the token's `capability` claim, and
 * limits how many connections one user holds (`connectionsPerUser`).
 * docs/securing.md has the whole story.
 */
import { allows, CapabilityFormatError, parseCapability, type Capability, type ChannelOperation } from '../auth/capability.js';
import { ClientTokenVerifier, type ClientClaims, type ClientTokenOptions } from '../auth/client-token.js';
import { checkUserId } from '../publish/channels.js';
import { ChannelPermissionError, setChannelGuard } from './channel-guard.js';
import type { WebSocketContext, WebSocketMessage } from './context.js';
import { sendErrorEvent } from './error-event.js';
import type { WebSocketHandlers } from './handler.js';
import { MAX_META_VALUE_BYTES } from './meta.js';
import { userConnectionLimit, type ConnectionsPerUserOptions } from './user-connections.js';
import { log } from '../observe/current.js';

/** The close code for a connection whose token expired (or that has none): the client reconnects with a fresh token. */
export const TOKEN_EXPIRED_CLOSE_CODE = 4001;

/** The subprotocol prefix that carries a token: `new WebSocket(url, ['grip-lambda.v1', 'bearer.' + token])`. */
export const TOKEN_PROTOCOL_PREFIX = 'bearer.';

/** The message type a client sends a fresh token with: `{"type": "auth", "token": "..."}`. */
export const REFRESH_MESSAGE_TYPE = 'auth';

/** Pushpin calls a function at most this often while a client is quiet (its shortest Keep-Alive-Interval). */
const MIN_CHECK_SECONDS = 20;
/** The longest wait between checks, whatever the token's lifetime. */
const MAX_CHECK_SECONDS = 3600;

/** Meta keeping the verified claims, and the keep-alive interval the function's own code asked for. */
const AUTH_META = 'grip-auth';
const KEEP_ALIVE_META = 'grip-keep-alive';

export interface ClientAuthOptions extends ClientTokenOptions {
  /** The query parameter that may carry the token; default `access_token` (RFC 6750). */
  readonly queryParam?: string;
  /** The cookie that may carry the token; default `access_token`. */
  readonly cookie?: string;
  /**
   * The route's own channel (e.g. the room of `/chat/{room}`), checked for
   * `subscribe` at the handshake: a token that does not allow it is answered 403.
   */
  readonly channel?: (ctx: WebSocketContext) => string | undefined;
  /**
   * The name capability patterns are matched against for a channel the
   * function uses (e.g. a room's notices channel to the room's name);
   * default the channel itself.
   */
  readonly capabilityChannel?: (channel: string) => string;
  /** The claims kept in connection meta; default all. `sub`, `exp` and `capability` are always kept. */
  readonly keepClaims?: readonly string[];
  /** A verifier to share (made from these options otherwise). */
  readonly verifier?: ClientTokenVerifier;
  /**
   * How many connections one user (the token's `sub`) may hold at once,
   * counted in a presence store: a handshake past `max` is refused with 429
   * before any of your code runs.
   */
  readonly connectionsPerUser?: ConnectionsPerUserOptions;
}

/** Who a connection is, as its token said. */
export interface ClientIdentity {
  readonly user: string;
  /** The claims kept (all by default). */
  readonly claims: Readonly<ClientClaims>;
  /** When the token expires, ms since the epoch. */
  readonly expiresAt: number;
  /** Whether the token allows `operation` on `channel` (a token without `capability` allows everything). */
  can(operation: ChannelOperation, channel: string): boolean;
}

const identities = new WeakMap<WebSocketContext, ClientIdentity | null>();
/** The keep-alive interval this library set in a context's response, to tell it from one user code set. */
const ownIntervals = new WeakMap<WebSocketContext, number>();

function identityOf(claims: ClientClaims): ClientIdentity {
  const capability: Capability | undefined = claims.capability === undefined ? undefined : parseCapability(claims.capability);
  return {
    user: claims.sub,
    claims,
    expiresAt: claims.exp * 1000,
    can: (operation, channel) => capability === undefined || allows(capability, operation, channel),
  };
}

/**
 * The connection's identity: from the token at the handshake, from
 * connection meta afterwards. Undefined when the function does not use
 * `withClientAuth` (or the connection was opened before it did).
 */
export function clientIdentity(ctx: WebSocketContext): ClientIdentity | undefined {
  let identity = identities.get(ctx);
  if (identity === undefined) {
    identity = null;
    const kept = ctx.meta.get(AUTH_META);
    if (kept !== undefined) {
      try {
        identity = identityOf(JSON.parse(kept) as ClientClaims);
      } catch {
        identity = null; // not ours: treated as no token
      }
    }
    identities.set(ctx, identity);
  }
  return identity ?? undefined;
}

/** JSON with every character outside printable ASCII escaped: what a meta value may hold. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function keptClaims(claims: ClientClaims, keep: readonly string[] | undefined): ClientClaims {
  if (keep === undefined) return claims;
  const kept: Record<string, unknown> = { sub: claims.sub, exp: claims.exp };
  if (claims.capability !== undefined) kept.capability = claims.capability;
  for (const name of keep) if (claims[name] !== undefined) kept[name] = claims[name];
  return kept as ClientClaims;
}

/** Where the token came from; the first carrier found wins, in this order. */
export type TokenCarrier = 'header' | 'protocol' | 'cookie' | 'query';

/** The token a handshake carries, and which offered subprotocol to answer when it came in one. */
export function readHandshakeToken(
  ctx: WebSocketContext,
  options: Pick<ClientAuthOptions, 'queryParam' | 'cookie'> = {},
): { token: string; carrier: TokenCarrier } | undefined {
  const { headers } = ctx.request;
  const authorization = headers.get('authorization');
  if (authorization !== undefined) {
    const match = /^bearer[ \t]+(\S+)\s*$/i.exec(authorization);
    if (match !== null) return { token: match[1]!, carrier: 'header' };
  }
  const offered = headers.get('sec-websocket-protocol');
  if (offered !== undefined) {
    for (const protocol of offered.split(',')) {
      const name = protocol.trim();
      if (name.startsWith(TOKEN_PROTOCOL_PREFIX)) return { token: name.slice(TOKEN_PROTOCOL_PREFIX.length), carrier: 'protocol' };
    }
  }
  const cookies = headers.get('cookie');
  if (cookies !== undefined) {
    const wanted = options.cookie ?? 'access_token';
    for (const pair of cookies.split(';')) {
      const eq = pair.indexOf('=');
      if (eq === -1 || pair.slice(0, eq).trim() !== wanted) continue;
      const value = pair
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1');
      return { token: value, carrier: 'cookie' };
    }
  }
  const fromQuery = ctx.request.query.get(options.queryParam ?? 'access_token');
  if (fromQuery !== null) return { token: fromQuery, carrier: 'query' };
  return undefined;
}

/** The protocol to answer when the token came as a subprotocol: the first other one offered. */
function answeredProtocol(ctx: WebSocketContext): string | undefined {
  const offered = (ctx.request.headers.get('sec-websocket-protocol') ?? '').split(',').map((p) => p.trim());
  return offered.find((p) => p !== '' && !p.startsWith(TOKEN_PROTOCOL_PREFIX));
}

/**
 * Asks the proxy for a request soon after the token expires (Pushpin
 * calls at most every 20 s while a client is quiet, so the close comes
 * within 20 s of `exp` plus a request's time), but never less often
 * than the function's own code asked for (presence's refreshes).
 */
function scheduleExpiryCheck(ctx: WebSocketContext, identity: ClientIdentity, now: number): void {
  if (ctx.state !== 'open') return;
  const set = ctx.keepAliveInterval;
  if (set !== undefined && set !== ownIntervals.get(ctx)) {
    // User code asked for this interval in this response: remembered, as a ceiling for ours.
    if (set > 0) ctx.meta.set(KEEP_ALIVE_META, String(set));
    else ctx.meta.delete(KEEP_ALIVE_META);
  }
  const untilExpiry = Math.ceil((identity.expiresAt - now) / 1000) + 1;
  let seconds = Math.min(MAX_CHECK_SECONDS, Math.max(MIN_CHECK_SECONDS, untilExpiry));
  const ceiling = Number(ctx.meta.get(KEEP_ALIVE_META) ?? Number.POSITIVE_INFINITY);
  if (ceiling > 0 && ceiling < seconds) seconds = ceiling;
  ctx.setKeepAliveInterval(seconds);
  ownIntervals.set(ctx, seconds);
}

/** Runs a user callback; a channel it may not use is the client's error (403 at the handshake), not a failure. */
async function guarded(ctx: WebSocketContext, run: () => unknown): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!(error instanceof ChannelPermissionError)) throw error;
    if (ctx.isOpening && ctx.state === 'open') ctx.reject(403, `${error.message}\n`);
    else sendErrorEvent(ctx, 'forbidden', error.message, { operation: error.operation, channel: error.channel });
  }
}

function isRefresh(message: WebSocketMessage): string | undefined {
  if (message.type !== 'text' || !message.data.startsWith('{') || !message.data.includes(`"${REFRESH_MESSAGE_TYPE}"`)) return undefined;
  try {
    const parsed = JSON.parse(message.data) as { type?: unknown; token?: unknown };
    if (parsed.type === REFRESH_MESSAGE_TYPE && typeof parsed.token === 'string') return parsed.token;
  } catch {
    // not JSON: the application's
  }
  return undefined;
}

/** Reads client-token settings from the environment; undefined when no key is set (the function then takes anyone). */
export function clientAuthFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): ClientAuthOptions | undefined {
  const key = env.CLIENT_AUTH_SECRET
    ? { secret: env.CLIENT_AUTH_SECRET }
    : env.CLIENT_AUTH_PUBLIC_KEY
      ? {
          publicKey: env.CLIENT_AUTH_PUBLIC_KEY.startsWith('base64:')
            ? Buffer.from(env.CLIENT_AUTH_PUBLIC_KEY.slice(7), 'base64').toString()
            : env.CLIENT_AUTH_PUBLIC_KEY,
        }
      : env.CLIENT_AUTH_JWKS_URL
        ? { jwksUrl: env.CLIENT_AUTH_JWKS_URL }
        : undefined;
  if (key === undefined) return undefined;
  const list = (value: string | undefined) => (value ? value.split(/[\s,]+/).filter((v) => v !== '') : undefined);
  const issuer = list(env.CLIENT_AUTH_ISSUER);
  const audience = list(env.CLIENT_AUTH_AUDIENCE);
  return {
    ...key,
    ...(issuer !== undefined ? { issuer } : {}),
    ...(audience !== undefined ? { audience } : {}),
    ...(env.CLIENT_AUTH_COOKIE ? { cookie: env.CLIENT_AUTH_COOKIE } : {}),
  };
}

/**
 * Wraps a function's handlers so that only clients with a valid token
 * connect. Make it at module load (a JWKS is then fetched once per container).
 * `now`, the clock tokens are verified on, also tells when a connection's
 * token has expired (give a `verifier` of your own the same clock).
 * @throws TypeError when the key settings cannot be used (ClientTokenVerifier), or
 * `connectionsPerUser` has a bad `max` or no presence to count in.
 */
export function withClientAuth(handlers: WebSocketHandlers, options: ClientAuthOptions): WebSocketHandlers {
  const verifier = options.verifier ?? new ClientTokenVerifier(options);
  const now = options.now ?? Date.now;
  const limit = options.connectionsPerUser === undefined ? undefined : userConnectionLimit(options.connectionsPerUser);

  /** The identity for this request; closes the connection (4001) when there is none or it has expired. */
  function current(ctx: WebSocketContext): ClientIdentity | undefined {
    const identity = clientIdentity(ctx);
    if (identity === undefined || identity.expiresAt <= now()) {
      ctx.close(TOKEN_EXPIRED_CLOSE_CODE, identity === undefined ? 'token missing' : 'token expired');
      return undefined;
    }
    const named = options.capabilityChannel ?? ((channel: string) => channel);
    setChannelGuard(ctx, (operation, channel) => clientIdentity(ctx)?.can(operation, named(channel)) ?? false);
    return identity;
  }

  function keep(ctx: WebSocketContext, claims: ClientClaims): string | undefined {
    const value = asciiJson(keptClaims(claims, options.keepClaims));
    if (value.length > MAX_META_VALUE_BYTES) {
      log(
        'warn',
        `connection ${ctx.id}: token claims take ${value.length} bytes, over the ${MAX_META_VALUE_BYTES} a meta value holds: list the ones to keep in keepClaims`,
      );
      return 'token claims too large';
    }
    ctx.meta.set(AUTH_META, value);
    identities.set(ctx, identityOf(claims));
    return undefined;
  }

  async function open(ctx: WebSocketContext): Promise<void> {
    const found = readHandshakeToken(ctx, options);
    let protocol: string | undefined;
    if (found?.carrier === 'protocol') {
      protocol = answeredProtocol(ctx);
      if (protocol === undefined) {
        ctx.reject(400, `a token subprotocol (${TOKEN_PROTOCOL_PREFIX}...) needs another protocol offered with it, to be answered\n`);
        return;
      }
    }
    const result = await verifier.verify(found?.token);
    if (!result.ok) {
      ctx.reject(result.status, `${result.reason}\n`, result.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : { 'Retry-After': '5' });
      return;
    }
    try {
      checkUserId(result.claims.sub);
      if (result.claims.capability !== undefined) parseCapability(result.claims.capability);
    } catch (error) {
      const reason = error instanceof CapabilityFormatError ? error.message : 'token sub is not a valid user id';
      ctx.reject(401, `${reason}\n`, { 'WWW-Authenticate': 'Bearer' });
      return;
    }
    const tooLarge = keep(ctx, result.claims);
    if (tooLarge !== undefined) {
      ctx.reject(401, `${tooLarge}\n`);
      return;
    }
    const identity = current(ctx)!;
    const own = options.channel?.(ctx);
    if (own !== undefined && !identity.can('subscribe', own)) {
      ctx.reject(403, `${new ChannelPermissionError('subscribe', own).message}\n`);
      return;
    }
    if (protocol !== undefined) ctx.accept({ protocol });
    ctx.setUser(result.claims.sub);
    if (limit !== undefined && !(await limit.admit(ctx))) return;
    const first = handlers.onOpen ?? handlers.onRequest;
    try {
      if (first !== undefined) await guarded(ctx, () => first.call(handlers, ctx));
    } catch (error) {
      await limit?.release(ctx); // the connection closes (1011): it never took its place
      throw error;
    }
    await limit?.opened(ctx);
    if (ctx.state === 'open') scheduleExpiryCheck(ctx, identity, now());
  }

  async function refresh(ctx: WebSocketContext, token: string): Promise<void> {
    const result = await verifier.verify(token);
    const identity = clientIdentity(ctx);
    if (!result.ok) {
      sendErrorEvent(ctx, 'token_refused', result.reason);
      return;
    }
    if (identity !== undefined && result.claims.sub !== identity.user) {
      sendErrorEvent(ctx, 'token_refused', 'token is for another user');
      return;
    }
    try {
      if (result.claims.capability !== undefined) parseCapability(result.claims.capability);
    } catch (error) {
      sendErrorEvent(ctx, 'token_refused', (error as Error).message);
      return;
    }
    const tooLarge = keep(ctx, result.claims);
    if (tooLarge !== undefined) {
      sendErrorEvent(ctx, 'token_refused', tooLarge);
      return;
    }
    ctx.send(JSON.stringify({ type: REFRESH_MESSAGE_TYPE, exp: result.claims.exp }));
    scheduleExpiryCheck(ctx, clientIdentity(ctx)!, now());
  }

  const wrapped: WebSocketHandlers = {
    ...handlers,
    onOpen: open,
    async onRequest(ctx) {
      const identity = current(ctx);
      if (identity === undefined) return;
      await limit?.renew(ctx);
      if (handlers.onRequest !== undefined) await guarded(ctx, () => handlers.onRequest!(ctx));
      scheduleExpiryCheck(ctx, identity, now());
    },
    async onMessage(ctx, message) {
      const token = isRefresh(message);
      if (token !== undefined) {
        await refresh(ctx, token);
        return;
      }
      const identity = clientIdentity(ctx);
      if (identity === undefined || identity.expiresAt <= now()) {
        ctx.close(TOKEN_EXPIRED_CLOSE_CODE, 'token expired');
        return;
      }
      if (handlers.onMessage !== undefined) await guarded(ctx, () => handlers.onMessage!(ctx, message));
      if (ctx.keepAliveInterval !== ownIntervals.get(ctx)) scheduleExpiryCheck(ctx, identity, now());
    },
  };
  if (limit === undefined) return wrapped;
  return {
    ...wrapped,
    async onClose(ctx, close) {
      try {
        await handlers.onClose?.(ctx, close);
      } finally {
        await limit.release(ctx);
      }
    },
  };
}
