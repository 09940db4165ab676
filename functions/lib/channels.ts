/**
 * Channel names shared by the example functions. WebSocket chat rooms, HTTP
 * streams and long-polls of one name share a channel (one published item
 * carries a format for each); SSE needs its own framing, so its own channel;
 * chat notices (join, leave, nick) are live-only, so they have their own too,
 * and never break the chain of ids on the message channels.
 */
export const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const roomChannel = (name: string): string => name;
export const sseChannel = (name: string): string => `${name}.sse`;
export const noticeChannel = (name: string): string => `${name}.notices`;

/** The `{name}` path parameter, or the last path segment where the front door has no routes (ALB). */
export function nameFromPath(params: Readonly<Record<string, string>>, key: string, path: string): string {
  return params[key] ?? decodeURIComponent(path.split('/').filter(Boolean).pop() ?? '');
}

/** What a chat client receives: one JSON object per WebSocket message. */
export type ChatEvent =
  | { readonly type: 'welcome'; readonly room: string; readonly nick: string }
  | { readonly type: 'message'; readonly nick: string; readonly text: string; readonly id?: string }
  | { readonly type: 'join' | 'leave'; readonly nick: string }
  | { readonly type: 'nick'; readonly from: string; readonly nick: string }
  | { readonly type: 'error'; readonly text: string };
