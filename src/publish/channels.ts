/**
 * The library's own channels: one per connection and one per user, which
 * every connection is subscribed to by the library (at open, and by
 * `ctx.setUser`). Their names start with `$`, which `subscribe()` and
 * `publish()` refuse for user channels, so no user channel can collide with
 * them, with or without GRIP_PREFIX (the prefix goes in front of both alike).
 */
export const RESERVED_CHANNEL_PREFIX = '$';

export const connectionChannel = (connectionId: string): string => `$c:${connectionId}`;
export const userChannel = (userId: string): string => `$u:${userId}`;

/** Meta that carries the connection's user id from one request to the next. */
export const USER_META = 'grip-user';

/** User ids: what survives connection meta (visible ASCII, no spaces), short enough to be a channel name. */
const USER_ID = /^[\x21-\x7e]{1,128}$/;

export function checkUserId(userId: string): string {
  if (typeof userId !== 'string' || !USER_ID.test(userId)) {
    throw new TypeError(`user id must be 1-128 visible ASCII characters without spaces, got ${JSON.stringify(userId)}`);
  }
  return userId;
}

export function checkConnectionId(connectionId: string): string {
  if (typeof connectionId !== 'string' || !/^[\x21-\x7e]{1,256}$/.test(connectionId)) {
    throw new TypeError(`connection id must be 1-256 visible ASCII characters, got ${JSON.stringify(connectionId)}`);
  }
  return connectionId;
}

/** @throws TypeError for a channel name that is empty or in the library's reserved namespace. */
export function checkUserChannel(channel: string): void {
  if (typeof channel !== 'string' || channel.length === 0) throw new TypeError('channel must be a non-empty string');
  if (channel.startsWith(RESERVED_CHANNEL_PREFIX)) {
    throw new TypeError(
      `channel ${JSON.stringify(channel)}: names starting with "${RESERVED_CHANNEL_PREFIX}" are the library's own (connections and users); use toConnection() / toUser()`,
    );
  }
}
