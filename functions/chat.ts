import { FeedUnavailableError, getFeed } from '../src/feed/index.js';
import { isStreamId, RequestError, websocket, type WebSocketContext } from '../src/index.js';
import { nameFromPath, NAME_PATTERN, noticeChannel, roomChannel, type ChatEvent } from './lib/channels.js';
import { publishMessage, publishNotice } from './lib/room.js';

/**
 * Chat rooms: WS /chat/{room}. The room is a channel; `/nick NAME` sets a
 * nickname kept in connection meta. A message goes back to its sender
 * directly and to everyone else through one publish, with Pushpin's
 * `skip-self` filter keeping the sender from getting it twice.
 *
 * With REDIS_URL set, messages are kept in the room's feed and carry their
 * id and the previous message's id (`prevId`): a client reconnecting with
 * `?last-id=ID` first receives what it missed. Live delivery can still skip
 * a message: one stored while the open's answer is on its way to the proxy
 * (which subscribes the connection only then), or one the proxy drops for
 * a client that is not keeping up. A client that must miss nothing sends
 * `/since ID` (its last id) once welcomed and whenever a message's `prevId`
 * is not the last id it has, and gets the messages after ID, then `synced`.
 *
 * With Redis down, chat goes on live: messages reach everyone connected,
 * without ids and without being kept, and the sender is told so; replays
 * answer with an error event (then `synced`), and the connection stays up.
 * Each feed operation gives up within a second (RedisFeed), so no request
 * waits for the function's timeout.
 */
/** The room history when REDIS_URL is set; made (and connected) at module load, in Lambda's init. */
const feed = getFeed();

const NICK_PATTERN = /^[\x21-\x7e][\x20-\x7e]{0,31}$/;

function room(ctx: WebSocketContext): string {
  return nameFromPath(ctx.request.params, 'room', ctx.request.path);
}

function nick(ctx: WebSocketContext): string {
  return ctx.meta.get('nick') ?? `guest-${ctx.id.slice(-4)}`;
}

function tell(ctx: WebSocketContext, event: ChatEvent): void {
  ctx.send(JSON.stringify(event));
}

const HISTORY_DOWN: ChatEvent = { type: 'error', text: 'history is unavailable right now: messages reach who is connected, but are not kept' };

/** Sends the messages stored after `lastId`, oldest first. */
async function replay(ctx: WebSocketContext, name: string, lastId: string): Promise<void> {
  if (feed === null) return;
  if (!isStreamId(lastId)) {
    tell(ctx, { type: 'error', text: 'last-id is not a message id' });
    return;
  }
  let items;
  try {
    items = await feed.after(roomChannel(name), lastId);
  } catch (error) {
    if (!(error instanceof FeedUnavailableError)) throw error;
    tell(ctx, HISTORY_DOWN);
    return;
  }
  let prevId = lastId;
  for (const item of items) {
    tell(ctx, { ...(JSON.parse(item.data) as ChatEvent & { type: 'message' }), id: item.id, prevId });
    prevId = item.id;
  }
}


export const handler = websocket({
  async onOpen(ctx) {
    const name = room(ctx);
    if (!NAME_PATTERN.test(name)) {
      ctx.reject(400, 'room names are 1-64 letters, digits, - or _\n');
      return;
    }
    ctx.meta.set('user', ctx.id); // what skip-self compares with the item's `sender`
    ctx.subscribe(roomChannel(name), { filters: ['skip-self'] });
    ctx.subscribe(noticeChannel(name), { filters: ['skip-self'] });
    tell(ctx, { type: 'welcome', room: name, nick: nick(ctx) });
    const lastId = ctx.request.query.get('last-id');
    if (lastId !== null) await replay(ctx, name, lastId);
    await publishNotice(name, { type: 'join', nick: nick(ctx) }, ctx.id);
  },

  async onMessage(ctx, message) {
    if (!NAME_PATTERN.test(room(ctx))) {
      // Only a connection that was never opened here gets this far: there is no room to send to.
      ctx.close(1008, 'not a chat room');
      return;
    }
    if (message.type !== 'text') {
      tell(ctx, { type: 'error', text: 'chat messages are text' });
      return;
    }
    const since = /^\/since\s+(\S+)\s*$/.exec(message.data);
    if (since !== null) {
      await replay(ctx, room(ctx), since[1]!);
      tell(ctx, { type: 'synced' });
      return;
    }
    const command = /^\/nick\s+(.*)$/s.exec(message.data);
    if (command !== null) {
      const next = command[1]!.trim();
      if (!NICK_PATTERN.test(next)) {
        tell(ctx, { type: 'error', text: 'nicknames are 1-32 printable ASCII characters' });
        return;
      }
      const event: ChatEvent = { type: 'nick', from: nick(ctx), nick: next };
      ctx.meta.set('nick', next);
      tell(ctx, event);
      await publishNotice(room(ctx), event, ctx.id);
      return;
    }
    let sent;
    try {
      sent = await publishMessage(room(ctx), { nick: nick(ctx), text: message.data }, ctx.id, 'live');
    } catch (error) {
      // A message too large to publish: the sender is told, and keeps the connection.
      if (!(error instanceof RequestError)) throw error;
      tell(ctx, { type: 'error', text: error.reason });
      return;
    }
    tell(ctx, sent);
    if (feed !== null && sent.id === undefined) tell(ctx, HISTORY_DOWN);
  },

  async onClose(ctx) {
    if (NAME_PATTERN.test(room(ctx))) await publishNotice(room(ctx), { type: 'leave', nick: nick(ctx) }, ctx.id);
  },
});
