/**
 * What a connection may do with channels, checked where the library acts on
 * them (`ctx.subscribe`, presence joins) and by user code before a
 * client-originated publish (`authorize`). A guard is installed per request
 * by `withClientAuth`; without one, everything is allowed.
 */
import type { ChannelOperation } from '../auth/capability.js';

/** A channel operation the connection's token does not allow. */
export class ChannelPermissionError extends Error {
  override readonly name = 'ChannelPermissionError';
  constructor(
    readonly operation: ChannelOperation,
    readonly channel: string,
  ) {
    super(`not allowed to ${operation === 'presence' ? 'enter the presence of' : `${operation} on`} channel ${JSON.stringify(channel)}`);
  }
}

type Guard = (operation: ChannelOperation, channel: string) => boolean;

const guards = new WeakMap<object, Guard>();

/** Installs the check for one request's context. */
export function setChannelGuard(ctx: object, guard: Guard): void {
  guards.set(ctx, guard);
}

/** Whether the connection may do `operation` on `channel` (true when no guard is installed). */
export function mayUseChannel(ctx: object, operation: ChannelOperation, channel: string): boolean {
  const guard = guards.get(ctx);
  return guard === undefined || guard(operation, channel);
}

/**
 * Checks that the connection may do `operation` on `channel`, as its
 * token's `capability` says: call it before publishing what a client sent.
 * @throws ChannelPermissionError when it may not (withClientAuth answers the client with an error event).
 */
export function authorize(ctx: object, operation: ChannelOperation, channel: string): void {
  if (!mayUseChannel(ctx, operation, channel)) throw new ChannelPermissionError(operation, channel);
}
