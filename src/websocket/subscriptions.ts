/**
 * The channels a connection is subscribed to, kept in connection meta as
 * short marks, so that `ctx.subscribe` can refuse the one past the proxy's
 * cap where it is called: Pushpin ignores subscriptions past its
 * `connection_subscription_max` (default 20) without telling anyone, and
 * counts the connection's own channel (`$c:`) and its user's (`$u:`) among
 * them. A mark is a 32-bit hash of the channel name: two channels with the
 * same mark (about 1 in 10^7 for 20 channels) would be counted once.
 */
import type { ConnectionMeta } from './meta.js';

const SUBSCRIPTIONS_META = 'grip-subs';

/** FNV-1a over the name's UTF-16 code units, in base 36: at most 7 characters. */
function markOf(channel: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < channel.length; i++) {
    hash ^= channel.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36);
}

function marksOf(meta: ConnectionMeta): string[] {
  const kept = meta.get(SUBSCRIPTIONS_META);
  return kept === undefined || kept === '' ? [] : kept.split(' ');
}

/** Subscriptions the proxy holds for the connection: its own channel, its user's, and the ones it subscribed to. */
export function subscriptionCount(meta: ConnectionMeta, hasUser: boolean): number {
  return 1 + (hasUser ? 1 : 0) + marksOf(meta).length;
}

function tooMany(connectionId: string, what: string, max: number): RangeError {
  return new RangeError(
    `connection ${connectionId}: ${what} would take it past the proxy's ${max} subscriptions per connection (GRIP_MAX_SUBSCRIPTIONS, Pushpin's connection_subscription_max, which counts the connection's own channel and its user's); unsubscribe from another channel first`,
  );
}

/**
 * Records a subscription to `channel`; one already held takes no place.
 * @throws RangeError when it would be one more than `max`.
 */
export function recordSubscription(meta: ConnectionMeta, channel: string, hasUser: boolean, max: number, connectionId: string): void {
  const marks = marksOf(meta);
  const mark = markOf(channel);
  if (marks.includes(mark)) return;
  if (1 + (hasUser ? 1 : 0) + marks.length + 1 > max) throw tooMany(connectionId, `subscribing to ${JSON.stringify(channel)}`, max);
  marks.push(mark);
  meta.set(SUBSCRIPTIONS_META, marks.join(' '));
}

export function recordUnsubscription(meta: ConnectionMeta, channel: string): void {
  const marks = marksOf(meta);
  const at = marks.indexOf(markOf(channel));
  if (at === -1) return;
  marks.splice(at, 1);
  if (marks.length === 0) meta.delete(SUBSCRIPTIONS_META);
  else meta.set(SUBSCRIPTIONS_META, marks.join(' '));
}

/** @throws RangeError when giving the connection a user (its `$u:` channel) would be one subscription more than `max`. */
export function checkUserSubscription(meta: ConnectionMeta, max: number, connectionId: string): void {
  if (subscriptionCount(meta, true) > max) throw tooMany(connectionId, 'setUser (its user channel)', max);
}
