import type { WebSocketHandlers } from '../websocket/handler.js';
import { log } from '../observe/current.js';

/** Meta listing nothing but the fact that the connection is in some room, so keep-alives know to refresh it. */
export const PRESENCE_META = 'grip-presence';

/** What the wrapper needs of a presence (Presence has it). */
export interface PresenceUpkeep {
  refresh(connectionId: string): Promise<void>;
  leave(connectionId: string): Promise<void>;
}

/**
 * A function's handlers with presence kept up: every request of a member
 * refreshes it (the proxy's keep-alive requests while the client is quiet
 * too), and a close (clean or not) leaves every room. Presence failing
 * (its store down) must not close the connection: logged, and the entry is
 * refreshed by the next request or expires as a vanished member's would.
 */
export function presenceHandlers(presence: PresenceUpkeep, handlers: WebSocketHandlers): WebSocketHandlers {
  return {
    ...handlers,
    onRequest: async (ctx) => {
      if (ctx.meta.get(PRESENCE_META) !== undefined) {
        await presence.refresh(ctx.id).catch((error: unknown) => logFailure('refresh', ctx.id, error));
      }
      await handlers.onRequest?.(ctx);
    },
    onClose: async (ctx, close) => {
      try {
        await handlers.onClose?.(ctx, close);
      } finally {
        if (ctx.meta.get(PRESENCE_META) !== undefined) {
          await presence.leave(ctx.id).catch((error: unknown) => logFailure('leave', ctx.id, error));
        }
      }
    },
  };
}

function logFailure(what: string, connectionId: string, error: unknown): void {
  log('error', `presence: ${what} of connection ${connectionId} failed: ${(error as Error).message}`, { connection_id: connectionId });
}
