/**
 * Connections per user: how many connections one user (the token's `sub`)
 * may hold at once, counted in the presence store so that every container
 * and every function on that store sees the same count. withClientAuth
 * admits a connection at the handshake, once the token names its user and
 * before any user code runs: 429 when the user already holds `max`. The
 * connection's entry is renewed by its requests (the proxy's keep-alive
 * requests while the client is quiet) and released at its close; one that
 * vanishes without a close stops counting within the presence's
 * `leaveAfterSeconds`. docs/securing.md has the whole story.
 */
import { log } from '../observe/current.js';
import type { WebSocketContext } from './context.js';

/** What the limit needs of a presence (a `Presence` from grip-lambda/presence has it): where a user's connections are counted. */
export interface UserConnectionCounter {
  /** Seconds between keep-alive requests; an entry lives long enough to be renewed by the next. */
  readonly refreshSeconds: number;
  admitUserConnection(userId: string, connectionId: string, max: number): Promise<boolean>;
  renewUserConnection(userId: string, connectionId: string): Promise<boolean>;
  releaseUserConnection(userId: string, connectionId: string): Promise<boolean>;
}

export interface ConnectionsPerUserOptions {
  /** Connections one user may hold at once, across every function counting in the same store. */
  readonly max: number;
  /**
   * Where connections are counted: `getPresence()` (Redis or DynamoDB,
   * from REDIS_URL or DYNAMODB_TABLE) or a Presence of your own. Required:
   * null (getPresence() without a store) fails when the handler is made.
   */
  readonly presence: UserConnectionCounter | null | undefined;
  /**
   * What a handshake gets when the store does not answer in time:
   * `admit` (default) lets it in uncounted, with an error in the log, and
   * counts it from its next request on; `refuse` answers 503 with Retry-After.
   */
  readonly whenStoreDown?: 'admit' | 'refuse';
}

/** The status a handshake is refused with when its user holds `max` connections already. */
export const TOO_MANY_CONNECTIONS_STATUS = 429;

/** Meta marking a counted connection: when its entry was last written (0: not yet) and for which user. */
const COUNTED_META = 'grip-uconn';

/** The limit as withClientAuth drives it. */
export interface UserConnectionLimit {
  /** At the handshake, with `ctx.user` set: false when the handshake was refused (the answer is set). */
  admit(ctx: WebSocketContext): Promise<boolean>;
  /** After the function's own open code: releases a connection that did not open, and keeps keep-alives frequent enough. */
  opened(ctx: WebSocketContext): Promise<void>;
  /** Every later request: renews the entry when half its refresh interval has passed. */
  renew(ctx: WebSocketContext): Promise<void>;
  /** At the close, clean or not. */
  release(ctx: WebSocketContext): Promise<void>;
}

function counted(ctx: WebSocketContext): { at: number; user: string } | undefined {
  const kept = ctx.meta.get(COUNTED_META);
  const space = kept?.indexOf(' ') ?? -1;
  if (kept === undefined || space === -1) return undefined;
  const at = Number(kept.slice(0, space));
  return Number.isFinite(at) ? { at, user: kept.slice(space + 1) } : undefined;
}

function failed(what: string, ctx: WebSocketContext, error: unknown, outcome = ''): void {
  log('error', `connections per user: ${what} of connection ${ctx.id} failed: ${(error as Error).message}${outcome}`, {
    connection_id: ctx.id,
  });
}

/**
 * The per-user connection limit of `options`.
 * @throws TypeError when `max` is not a whole number >= 1, or there is no presence to count in.
 */
export function userConnectionLimit(options: ConnectionsPerUserOptions): UserConnectionLimit {
  const { max, presence } = options;
  if (!(Number.isInteger(max) && max >= 1)) throw new TypeError(`connectionsPerUser.max must be a whole number >= 1, got ${max}`);
  if (presence === null || presence === undefined) {
    throw new TypeError(
      `connectionsPerUser needs a store to count connections in: pass presence: getPresence() with REDIS_URL or DYNAMODB_TABLE set, or a Presence of your own (got ${presence})`,
    );
  }
  const counter: UserConnectionCounter = presence;
  const whenStoreDown = options.whenStoreDown ?? 'admit';
  if (whenStoreDown !== 'admit' && whenStoreDown !== 'refuse') {
    throw new TypeError(`connectionsPerUser.whenStoreDown must be "admit" or "refuse", got ${JSON.stringify(whenStoreDown)}`);
  }
  const refreshSeconds = counter.refreshSeconds;
  const released = new WeakSet<WebSocketContext>();

  const mark = (ctx: WebSocketContext, at: number, user: string) => ctx.meta.set(COUNTED_META, `${at} ${user}`);

  async function release(ctx: WebSocketContext): Promise<void> {
    const entry = counted(ctx);
    if (entry === undefined || released.has(ctx)) return;
    released.add(ctx);
    await counter.releaseUserConnection(entry.user, ctx.id).catch((error: unknown) => failed('release', ctx, error));
  }

  return {
    async admit(ctx) {
      const user = ctx.user;
      if (user === undefined) throw new Error('connectionsPerUser: the connection has no user yet');
      let admitted: boolean;
      try {
        admitted = await counter.admitUserConnection(user, ctx.id, max);
      } catch (error) {
        if (whenStoreDown === 'refuse') {
          failed('admission', ctx, error, '; refused (503)');
          ctx.reject(503, 'connection count unavailable, try again\n', { 'Retry-After': '5' });
          return false;
        }
        failed('admission', ctx, error, '; admitted uncounted until a later request');
        mark(ctx, 0, user); // counted from its next request, when the store answers again
        ctx.setKeepAliveInterval(refreshSeconds);
        return true;
      }
      if (!admitted) {
        ctx.reject(TOO_MANY_CONNECTIONS_STATUS, `too many connections for this user (at most ${max})\n`);
        return false;
      }
      mark(ctx, Date.now(), user);
      ctx.setKeepAliveInterval(refreshSeconds);
      return true;
    },

    async opened(ctx) {
      if (ctx.state !== 'open') {
        await release(ctx); // refused or closed by the function's own code: it never took its place
        return;
      }
      const set = ctx.keepAliveInterval;
      // Quiet connections are renewed by keep-alive requests only: none, or fewer, and their entries would expire.
      if (set === undefined || set === 0 || set > refreshSeconds) ctx.setKeepAliveInterval(refreshSeconds);
    },

    async renew(ctx) {
      const entry = counted(ctx);
      const now = Date.now();
      if (entry === undefined || now - entry.at < (refreshSeconds * 1000) / 2 || ctx.state !== 'open') return;
      try {
        await counter.renewUserConnection(entry.user, ctx.id);
        mark(ctx, now, entry.user);
      } catch (error) {
        failed('renewal', ctx, error); // tried again at the next request; the entry lasts a refresh interval longer than that
      }
    },

    release,
  };
}
