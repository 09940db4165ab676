import type { WebSocketContext } from './context.js';

/**
 * The error events the library sends a client on its own (a refused
 * token refresh, a channel the token does not allow, a message over the
 * rate limit): one JSON object, `{"type": "error", "code", "text", ...}`,
 * so that a client tells them apart from the application's messages by
 * `code`. Nothing is sent once the connection can take no more.
 */
export function sendErrorEvent(ctx: WebSocketContext, code: string, text: string, extra: Readonly<Record<string, unknown>> = {}): void {
  if (ctx.state !== 'open' && ctx.state !== 'client-closed') return;
  ctx.send(JSON.stringify({ type: 'error', code, text, ...extra }));
}
