/** One connection in a room: who it is, and what it entered with. */
export interface PresenceMember {
  readonly connectionId: string;
  /** `ctx.user` when the connection had one (`ctx.setUser`). */
  readonly userId?: string;
  readonly data?: unknown;
}

/** A change to a room's members, for `onChange` to announce. */
export interface PresenceChange {
  readonly action: 'enter' | 'update' | 'leave';
  readonly room: string;
  readonly member: PresenceMember;
  /** For a leave: false when the member went away without closing (its entry expired). */
  readonly clean?: boolean;
}

/**
 * Where presence is kept: the presence store every backend implements.
 * A member's entry lives `lifetimeMs` past its last join or refresh; an
 * expired entry is never listed or counted, and `expire` hands it out once
 * (to one caller) so its leave is announced once. Members keep the data
 * they joined with, which the announcements carry. Operations fail with
 * StoreUnavailableError, within a bounded time, when the store cannot
 * answer. test/contract/presence.ts is the suite every backend passes.
 */
export interface PresenceStore {
  /** Puts the member in the room, or replaces its data and lifetime if it is there; true when it was not. */
  join(room: string, member: PresenceMember, lifetimeMs: number): Promise<boolean>;
  /** Takes the connection out of the room; the member as it was, or undefined when it was not there. */
  leave(room: string, connectionId: string): Promise<PresenceMember | undefined>;
  /** The rooms the connection joined and has not left (its entries may have expired meanwhile). */
  rooms(connectionId: string): Promise<string[]>;
  /** Forgets the connection's rooms, once it has left them all. */
  forget(connectionId: string): Promise<void>;
  /** Gives the connection's entries in all its rooms `lifetimeMs` more (those not expired); returns its rooms. */
  refresh(connectionId: string, lifetimeMs: number): Promise<string[]>;
  /** Removes the room's expired entries and returns their members; each expired member is returned once. */
  expire(room: string): Promise<PresenceMember[]>;
  /** The room's members whose entries have not expired, in no promised order. */
  members(room: string): Promise<PresenceMember[]>;
  /** How many members the room has whose entries have not expired. */
  count(room: string): Promise<number>;

  // A user's open connections, for a limit on how many one user holds at
  // once (withClientAuth's connectionsPerUser). An entry lives `lifetimeMs`
  // past its admission or last renewal, as a member's does, so a connection
  // that vanished without a close stops counting; an expired entry is never
  // counted. These are no room's members and are never announced.

  /**
   * Counts the connection among the user's if the user has fewer than `max`
   * unexpired ones, atomically (of concurrent admissions past `max`, all
   * but the ones that fit are refused). True when admitted, and for a
   * connection already counted (its lifetime renewed); false when full.
   */
  admitUserConnection(userId: string, connectionId: string, max: number, lifetimeMs: number): Promise<boolean>;
  /**
   * Gives the connection's entry `lifetimeMs` more, putting it back if it
   * had expired or was never written (a connection admitted while the store
   * was down): a live connection is counted whatever the limit. True when it
   * was counted and unexpired.
   */
  renewUserConnection(userId: string, connectionId: string, lifetimeMs: number): Promise<boolean>;
  /** Stops counting the connection; true when it was counted and unexpired. */
  releaseUserConnection(userId: string, connectionId: string): Promise<boolean>;
  /** How many connections the user has whose entries have not expired. */
  countUserConnections(userId: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * Checks a user-connection limit's arguments, as every store does before
 * asking its backend.
 * @throws TypeError naming the argument.
 */
export function checkUserConnection(userId: string, connectionId?: string, max?: number): void {
  if (typeof userId !== 'string' || userId.length === 0) throw new TypeError('user id must be a non-empty string');
  if (connectionId !== undefined && (typeof connectionId !== 'string' || connectionId.length === 0)) {
    throw new TypeError('connection id must be a non-empty string');
  }
  if (max !== undefined && !(Number.isInteger(max) && max >= 1)) throw new TypeError(`max must be a whole number >= 1, got ${max}`);
}
