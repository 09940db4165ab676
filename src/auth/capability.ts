/**
 * Channel permissions carried by a client token: the `capability` claim
 * maps channel patterns to the operations allowed on them, the shape Ably
 * uses: `{ "room-*": ["subscribe", "publish"], "lobby": ["*"] }`. A `*` in a
 * pattern matches any run of characters (none included); `*` as an
 * operation allows every operation. Names are the function's channel names,
 * without GRIP_PREFIX.
 */

export type ChannelOperation = 'subscribe' | 'publish' | 'presence';

export const CHANNEL_OPERATIONS: readonly ChannelOperation[] = ['subscribe', 'publish', 'presence'];

/** A parsed `capability` claim: pattern → operations, in the claim's order. */
export type Capability = ReadonlyMap<string, ReadonlySet<ChannelOperation | '*'>>;

const MAX_PATTERNS = 64;
const MAX_PATTERN_LENGTH = 256;

/** Why a `capability` claim cannot be used; the token is refused with it. */
export class CapabilityFormatError extends Error {
  override readonly name = 'CapabilityFormatError';
}

/**
 * Reads a `capability` claim: an object (or its JSON text, as Ably sends
 * it) of patterns to arrays of operations.
 * @throws CapabilityFormatError naming what is wrong: an unknown operation, a pattern that is too long, too many patterns.
 */
export function parseCapability(claim: unknown): Capability {
  let value = claim;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new CapabilityFormatError('capability is not JSON');
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CapabilityFormatError('capability must map channel patterns to arrays of operations');
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_PATTERNS) throw new CapabilityFormatError(`capability has ${entries.length} patterns, at most ${MAX_PATTERNS}`);
  const capability = new Map<string, Set<ChannelOperation | '*'>>();
  for (const [pattern, operations] of entries) {
    if (pattern.length === 0 || pattern.length > MAX_PATTERN_LENGTH) {
      throw new CapabilityFormatError(`capability pattern must be 1-${MAX_PATTERN_LENGTH} characters`);
    }
    if (!Array.isArray(operations)) throw new CapabilityFormatError(`capability ${JSON.stringify(pattern)}: operations must be an array`);
    const allowed = new Set<ChannelOperation | '*'>();
    for (const operation of operations) {
      if (operation !== '*' && !CHANNEL_OPERATIONS.includes(operation as ChannelOperation)) {
        throw new CapabilityFormatError(
          `capability ${JSON.stringify(pattern)}: unknown operation ${JSON.stringify(operation)} (use ${CHANNEL_OPERATIONS.join(', ')} or *)`,
        );
      }
      allowed.add(operation as ChannelOperation | '*');
    }
    capability.set(pattern, allowed);
  }
  return capability;
}

/** Whether `channel` matches `pattern`, `*` standing for any run of characters. */
export function matchesPattern(pattern: string, channel: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === channel;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (channel.length < first.length + last.length || !channel.startsWith(first) || !channel.endsWith(last)) return false;
  // Each middle part at its first place after the previous one: greedy-free, linear in the channel.
  let at = first.length;
  const end = channel.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const found = channel.indexOf(parts[i]!, at);
    if (found === -1 || found + parts[i]!.length > end) return false;
    at = found + parts[i]!.length;
  }
  return true;
}

/** Whether the capability allows `operation` on `channel`: some pattern matching it lists the operation or `*`. */
export function allows(capability: Capability, operation: ChannelOperation, channel: string): boolean {
  for (const [pattern, operations] of capability) {
    if ((operations.has(operation) || operations.has('*')) && matchesPattern(pattern, channel)) return true;
  }
  return false;
}
