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
  const param = params[key];
  if (param !== undefined) return param;
  const segment = path.split('/').filter(Boolean).pop() ?? '';
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // a malformed %-escape: kept as is, so it fails NAME_PATTERN
  }
}

/**
 * On room messages: the publishing container's id and its count of messages
 * in the room. A client that sees `seq` skip for a `pub` missed what the
 * proxy dropped, feed or not (`SequenceWatcher`); the sender's own copy
 * carries its mark too. Notices are not counted: a sender never gets its own
 * join, so its count would always skip.
 */
interface Marked {
  readonly pub?: string;
  readonly seq?: number;
}

/** Join, leave and nick notices: live only. */
export type NoticeEvent =
  | { readonly type: 'join' | 'leave'; readonly nick: string }
  | { readonly type: 'nick'; readonly from: string; readonly nick: string };

/** What a chat client receives: one JSON object per WebSocket message. */
export type ChatEvent =
  | { readonly type: 'welcome'; readonly room: string; readonly nick: string; readonly presence?: true }
  /** With a feed: `id`, and `prevId`, the id of the room's message before it (a client that saw another spots a gap). */
  | ({ readonly type: 'message'; readonly nick: string; readonly text: string; readonly id?: string; readonly prevId?: string } & Marked)
  | NoticeEvent
  | { readonly type: 'error'; readonly text: string }
  /** The answer to `/who`: the nicknames of the room's members, sorted. */
  | { readonly type: 'who'; readonly nicks: readonly string[] }
  /** Sent by the proxy after 25 s of silence, so that clients can tell a quiet room from a dead connection. */
  | { readonly type: 'ping' }
  /** The end of the messages a `/since ID` asked for. */
  | { readonly type: 'synced' };
