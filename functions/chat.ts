import { getPublisher, websocket, wsMessage, type WebSocketContext } from '../src/index.js';
import { nameFromPath, NAME_PATTERN, roomChannel, type ChatEvent } from './lib/channels.js';

/**
 * Chat rooms: WS /chat/{room}. The room is a channel; `/nick NAME` sets a
 * nickname kept in connection meta. A message goes back to its sender
 * directly and to everyone else through one publish, with Pushpin's
 * `skip-self` filter keeping the sender from getting it twice.
 */
const NICK_PATTERN = /^[\x21-\x7e][\x20-\x7e]{0,31}$/;

function room(ctx: WebSocketContext): string {
  return nameFromPath(ctx.request.params, 'room', ctx.request.path);
}

function nick(ctx: WebSocketContext): string {
  return ctx.meta.get('nick') ?? `guest-${ctx.id.slice(-4)}`;
}

/** Sends to everyone in the room but the sender, whose `user` meta is its connection id. */
function broadcast(ctx: WebSocketContext, event: ChatEvent): Promise<void> {
  return getPublisher().publish(roomChannel(room(ctx)), wsMessage(JSON.stringify(event)), { meta: { sender: ctx.id } });
}

function tell(ctx: WebSocketContext, event: ChatEvent): void {
  ctx.send(JSON.stringify(event));
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
    tell(ctx, { type: 'welcome', room: name, nick: nick(ctx) });
    await broadcast(ctx, { type: 'join', nick: nick(ctx) });
  },

  async onMessage(ctx, message) {
    if (message.type !== 'text') {
      tell(ctx, { type: 'error', text: 'chat messages are text' });
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
      await broadcast(ctx, event);
      return;
    }
    const event: ChatEvent = { type: 'message', nick: nick(ctx), text: message.data };
    tell(ctx, event);
    await broadcast(ctx, event);
  },

  async onClose(ctx) {
    if (NAME_PATTERN.test(room(ctx))) await broadcast(ctx, { type: 'leave', nick: nick(ctx) });
  },
});
