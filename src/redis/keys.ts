/**
 * Redis keys of one channel (or room, or connection): `prefix{name}suffix`.
 * Every key of a name shares the hash tag `{name}`, so a script over
 * several of them runs in one Redis Cluster slot, and a cluster needs no
 * other key format.
 */
export function taggedKey(prefix: string, name: string, suffix = ''): string {
  return `${prefix}{${name}}${suffix}`;
}

/** A key prefix must not hold a hash tag of its own, which would put every channel in one slot. */
export function checkKeyPrefix(prefix: string): string {
  if (typeof prefix !== 'string' || /[{}]/.test(prefix))
    throw new TypeError(`key prefix must be a string without { or }, got ${JSON.stringify(prefix)}`);
  return prefix;
}

/**
 * A channel, room or connection id used in a key: a non-empty string. An
 * empty one would make an empty hash tag, which Redis Cluster ignores,
 * scattering the name's keys over slots.
 */
export function checkName(what: string, name: string): void {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError(`${what} must be a non-empty string`);
}
