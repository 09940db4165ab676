import { StoreUnavailableError } from '../store/unavailable.js';
import { authorize } from '../websocket/channel-guard.js';
import type { WebSocketContext } from '../websocket/context.js';
import type { WebSocketHandlers } from '../websocket/handler.js';
import { PRESENCE_META, presenceHandlers } from './handlers.js';
import type { PresenceChange, PresenceMember, PresenceStore } from './store.js';
import { log } from '../observe/current.js';

export interface PresenceOptions {
  /**
   * Seconds within which a member that vanished without a close (a proxy
   * restart sends no DISCONNECT) is gone from `members()` and `count()` and
   * its leave announced; default 60. At least 2 × `refreshSeconds` + 5.
   */
  readonly leaveAfterSeconds?: number;
  /**
   * Seconds between the keep-alive requests that refresh a quiet member
   * (the proxy's Keep-Alive-Interval); default 20, Pushpin's shortest.
   */
  readonly refreshSeconds?: number;
  /** Announces a change (e.g. publishes it to the room); awaited, errors are logged. */
  readonly onChange?: (change: PresenceChange) => void | Promise<void>;
}

/**
 * Who is in each room, on any presence store. A member is a connection: it
 * enters a room (with data, e.g. a nickname), may update its data, and
 * leaves when it closes or, if it vanishes without a close, when its entry
 * expires. The proxy's keep-alive requests refresh quiet members (see
 * `handlers`). Each change is announced through `onChange`.
 */
export class Presence {
  readonly #store: PresenceStore;
  readonly #refreshSeconds: number;
  readonly #lifetimeMs: number;
  readonly #onChange: PresenceOptions['onChange'];
  #closed = false;

  constructor(store: PresenceStore, options: PresenceOptions = {}) {
    this.#store = store;
    this.#refreshSeconds = options.refreshSeconds ?? 20;
    const leaveAfter = options.leaveAfterSeconds ?? 60;
    if (!Number.isInteger(this.#refreshSeconds) || this.#refreshSeconds < 1) {
      throw new TypeError(`refreshSeconds must be a whole number of seconds >= 1, got ${this.#refreshSeconds}`);
    }
    if (!Number.isFinite(leaveAfter) || leaveAfter < 2 * this.#refreshSeconds + 5) {
      throw new TypeError(`leaveAfterSeconds must be at least 2 × refreshSeconds + 5 (${2 * this.#refreshSeconds + 5}), got ${leaveAfter}`);
    }
    // An entry lives `leaveAfter - refresh` seconds past its last refresh; it is
    // noticed gone by the next refresh of anyone in the room, at most `refresh` later.
    this.#lifetimeMs = (leaveAfter - this.#refreshSeconds) * 1000;
    this.#onChange = options.onChange;
  }

  /** The store, unless this presence is closed (a late request after its host shut down must not reach it). */
  #open(): PresenceStore {
    if (this.#closed) throw new StoreUnavailableError('presence is closed');
    return this.#store;
  }

  /**
   * Puts the connection in `room` with `data` (JSON-serialisable), or
   * updates its data if it is there; announces `enter` or `update`. Also
   * asks the proxy for keep-alive requests, which refresh the entry.
   * @throws ChannelPermissionError when the client's token does not allow `presence` on the room (withClientAuth).
   */
  async enter(ctx: WebSocketContext, room: string, data?: unknown): Promise<void> {
    checkRoom(room);
    authorize(ctx, 'presence', room);
    const member: PresenceMember = {
      connectionId: ctx.id,
      ...(ctx.user !== undefined ? { userId: ctx.user } : {}),
      ...(data !== undefined ? { data } : {}),
    };
    const added = await this.#open().join(room, member, this.#lifetimeMs);
    if (ctx.state === 'open') {
      ctx.meta.set(PRESENCE_META, '1');
      ctx.setKeepAliveInterval(this.#refreshSeconds);
    }
    await this.#announce({ action: added ? 'enter' : 'update', room, member });
  }

  /** `enter` again with new data: announced as an update. */
  update(ctx: WebSocketContext, room: string, data?: unknown): Promise<void> {
    return this.enter(ctx, room, data);
  }

  /** Takes the connection out of `room`, or of every room it is in; announces each leave. */
  async leave(connectionId: string, room?: string): Promise<void> {
    const store = this.#open();
    const rooms = room !== undefined ? [room] : await store.rooms(connectionId);
    for (const name of rooms) {
      const member = await store.leave(name, connectionId);
      if (member !== undefined) await this.#announce({ action: 'leave', room: name, member, clean: true });
    }
    if (room === undefined) await store.forget(connectionId);
  }

  /**
   * Keeps the connection's entries alive (every request of a member does,
   * keep-alives included), and clears out anyone in those rooms whose time is up.
   */
  async refresh(connectionId: string): Promise<void> {
    const rooms = await this.#open().refresh(connectionId, this.#lifetimeMs);
    for (const room of rooms) await this.#expire(room);
  }

  /** The room's members now, in no promised order. */
  async members(room: string): Promise<PresenceMember[]> {
    checkRoom(room);
    await this.#expire(room);
    return this.#open().members(room);
  }

  /** How many connections are in the room now. */
  async count(room: string): Promise<number> {
    checkRoom(room);
    await this.#expire(room);
    return this.#open().count(room);
  }

  /** Seconds between the keep-alive requests that refresh quiet members and connections. */
  get refreshSeconds(): number {
    return this.#refreshSeconds;
  }

  /**
   * Counts the connection among its user's if the user holds fewer than
   * `max` (atomically, on every backend); false when full. The entry
   * lives as a member's does: `renewUserConnection` keeps it, and one that
   * vanished without a close stops counting within `leaveAfterSeconds`.
   * Never announced: these are no room's members. withClientAuth's
   * `connectionsPerUser` does all of this.
   */
  async admitUserConnection(userId: string, connectionId: string, max: number): Promise<boolean> {
    return this.#open().admitUserConnection(userId, connectionId, max, this.#lifetimeMs);
  }

  /** Keeps the connection counted (puts it back if its entry had expired); true when it was counted. */
  async renewUserConnection(userId: string, connectionId: string): Promise<boolean> {
    return this.#open().renewUserConnection(userId, connectionId, this.#lifetimeMs);
  }

  /** Stops counting the connection; true when it was counted. */
  async releaseUserConnection(userId: string, connectionId: string): Promise<boolean> {
    return this.#open().releaseUserConnection(userId, connectionId);
  }

  /** How many connections the user holds now (those admitted and not released or expired). */
  async countUserConnections(userId: string): Promise<number> {
    return this.#open().countUserConnections(userId);
  }

  /**
   * Wraps a function's handlers: every request of a member refreshes it
   * (the keep-alive requests the proxy makes while the client is quiet
   * too), and a close (clean or not) leaves every room.
   */
  handlers(handlers: WebSocketHandlers): WebSocketHandlers {
    return presenceHandlers(this, handlers);
  }

  /** Closes the store; later calls fail instead of reaching it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#store.close();
  }

  /** Removes the room's expired members and announces their leaves. */
  async #expire(room: string): Promise<void> {
    for (const member of await this.#open().expire(room)) await this.#announce({ action: 'leave', room, member, clean: false });
  }

  async #announce(change: PresenceChange): Promise<void> {
    if (this.#onChange === undefined) return;
    try {
      await this.#onChange(change);
    } catch (error) {
      log(
        'error',
        `presence: announcing ${change.action} of ${change.member.connectionId} in ${change.room} failed: ${(error as Error).message}`,
      );
    }
  }
}

function checkRoom(room: string): void {
  if (typeof room !== 'string' || room.length === 0) throw new TypeError('room must be a non-empty string');
}
