import { FeedUnavailableError, getFeed } from 'grip-lambda/feed';
import {
  authorize,
  ChannelPermissionError,
  clientAuthFromEnv,
  getLogger,
  isStreamId,
  mayUseChannel,
  RequestError,
  websocket,
  withClientAuth,
  withRateLimit,
  type WebSocketContext,
  type WebSocketHandlers,
} from 'grip-lambda';
import { getPresence, type PresenceChange } from 'grip-lambda/presence';
import { nameFromPath, NAME_PATTERN, noticeChannel, roomChannel, type ChatEvent } from './lib/channels.js';
import { publishMessage, publishNotice } from './lib/room.js';

/**
 * Chat rooms: WS /chat/{room}. The room is a channel; `/nick NAME` sets a
 * nickname kept in connection meta. A message goes back to its sender
 * directly and to everyone else through one publish, with Pushpin's
 * `skip-self` filter keeping the sender from getting it twice.
 *
 * With a store set (REDIS_URL or DYNAMODB_TABLE), messages are kept in the room's feed and carry their
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
 *
 * grip-lambda/client does all of that, and sends `{"cid", "text"}`: the
 * client's message id is the feed's idempotency key, so a message resent
 * after a drop is stored and published once, and the answer carries `cid`.
 *
 * `?nick=NAME` on the URL sets the nickname at open. With a store the
 * room's members are kept as presence: `/who` answers their nicknames, and
 * a member that vanishes without a close leaves within PRESENCE_LEAVE_SECONDS
 * (default 60), announced like any leave.
 *
 * With CLIENT_AUTH_SECRET set (or CLIENT_AUTH_PUBLIC_KEY / _JWKS_URL), a
 * client needs a token (docs/securing.md): its `sub` is the default
 * nickname, a room its `capability` does not allow to subscribe to is
 * refused at the handshake (403), a message to a room it may not publish
 * to is answered with an error, and each connection may send 10 messages
 * a second (bursts of 20). Without it, anyone may chat, as before.
 */
/** The room history when a store is set (REDIS_URL or DYNAMODB_TABLE); made (and connected) at module load, in Lambda's init. */
const feed = getFeed();

/** Who is in each room, with a store: join and leave notices come from it, expired members' too. */
const presence = getPresence({ onChange: announce });

/** Client tokens, when a key is configured. */
const clientAuth = clientAuthFromEnv();

function announce(change: PresenceChange): Promise<void> | undefined {
  const nick = (change.member.data as { nick?: string } | undefined)?.nick ?? '?';
  if (change.action === 'update') return undefined; // a new nickname: the nick notice says it
  return publishNotice(change.room, { type: change.action === 'enter' ? 'join' : 'leave', nick }, change.member.connectionId);
}

const NICK_PATTERN = /^[\x21-\x7e][\x20-\x7e]{0,31}$/;

function room(ctx: WebSocketContext): string {
  return nameFromPath(ctx.request.params, 'room', ctx.request.path);
}

function nick(ctx: WebSocketContext): string {
  return ctx.meta.get('nick') ?? ctx.user ?? `guest-${ctx.id.slice(-4)}`;
}

/** Sends `event` to this connection; `cid` marks it as the answer to the client's message of that id. */
function tell(ctx: WebSocketContext, event: ChatEvent, cid?: string): void {
  ctx.send(JSON.stringify(cid === undefined ? event : { ...event, cid }));
}

const CLIENT_ID = /^[\x21-\x7e]{1,64}$/;

/**
 * A client message: plain text, or `{"cid": ID, "text": TEXT}` from
 * grip-lambda/client, whose id makes a resend after a drop harmless.
 */
function readMessage(data: string): { text: string; cid?: string } {
  if (data.startsWith('{')) {
    try {
      const parsed = JSON.parse(data) as { cid?: unknown; text?: unknown };
      if (typeof parsed.text === 'string' && typeof parsed.cid === 'string' && CLIENT_ID.test(parsed.cid)) {
        return { text: parsed.text, cid: parsed.cid };
      }
    } catch {
      // not JSON: chat text like any other
    }
  }
  return { text: data };
}

const HISTORY_DOWN: ChatEvent = {
  type: 'error',
  text: 'history is unavailable right now: messages reach who is connected, but are not kept',
};

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

/** Runs a presence step; false when there is no presence or it failed (Redis down: logged, the chat goes on). */
async function presenceDid(what: string, step: () => Promise<void> | undefined): Promise<boolean> {
  if (presence === null) return false;
  try {
    await step();
    return true;
  } catch (error) {
    getLogger().error({ message: `presence ${what} failed`, error: (error as Error).message });
    return false;
  }
}

const chat: WebSocketHandlers = {
  async onOpen(ctx) {
    const name = room(ctx);
    if (!NAME_PATTERN.test(name)) {
      ctx.reject(400, 'room names are 1-64 letters, digits, - or _\n');
      return;
    }
    const asked = ctx.request.query.get('nick');
    if (asked !== null && NICK_PATTERN.test(asked)) ctx.meta.set('nick', asked);
    ctx.meta.set('user', ctx.id); // what skip-self compares with the item's `sender`
    ctx.subscribe(roomChannel(name), { filters: ['skip-self'] });
    ctx.subscribe(noticeChannel(name), { filters: ['skip-self'] });
    // A text the client can see (a PING frame it cannot) after 25 s of silence: grip-lambda/client's
    // idleTimeoutMs tells a quiet room from a dead connection by it.
    ctx.keepAlive({ content: JSON.stringify({ type: 'ping' }), timeoutSeconds: 25 });
    // `presence: true` tells clients that /who works here.
    tell(ctx, { type: 'welcome', room: name, nick: nick(ctx), ...(presence !== null ? { presence: true } : {}) });
    const lastId = ctx.request.query.get('last-id');
    if (lastId !== null) await replay(ctx, name, lastId);
    // With client tokens, a member whose capability lacks `presence` on the room is not listed or announced.
    if (!mayUseChannel(ctx, 'presence', name)) return;
    if (!(await presenceDid('enter', () => presence?.enter(ctx, name, { nick: nick(ctx) })))) {
      await publishNotice(name, { type: 'join', nick: nick(ctx) }, ctx.id);
    }
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
    const { text, cid } = readMessage(message.data);
    const since = /^\/since\s+(\S+)\s*$/.exec(text);
    if (since !== null) {
      await replay(ctx, room(ctx), since[1]!);
      tell(ctx, { type: 'synced' }, cid);
      return;
    }
    const command = /^\/nick\s+(.*)$/s.exec(text);
    if (command !== null) {
      const next = command[1]!.trim();
      if (!NICK_PATTERN.test(next)) {
        tell(ctx, { type: 'error', text: 'nicknames are 1-32 printable ASCII characters' }, cid);
        return;
      }
      const event: ChatEvent = { type: 'nick', from: nick(ctx), nick: next };
      ctx.meta.set('nick', next);
      tell(ctx, event, cid);
      await publishNotice(room(ctx), event, ctx.id);
      await presenceDid('update', () => presence?.update(ctx, room(ctx), { nick: next }));
      return;
    }
    if (/^\/who\s*$/.test(text)) {
      if (presence === null) {
        tell(ctx, { type: 'error', text: '/who needs the server to keep presence (REDIS_URL or DYNAMODB_TABLE)' }, cid);
        return;
      }
      let members;
      try {
        members = await presence.members(room(ctx));
      } catch (error) {
        tell(ctx, { type: 'error', text: `/who is unavailable right now (${(error as Error).message})` }, cid);
        return;
      }
      const nicks = members.map((m) => (m.data as { nick?: string } | undefined)?.nick ?? '?').sort();
      tell(ctx, { type: 'who', nicks }, cid);
      return;
    }
    try {
      authorize(ctx, 'publish', room(ctx)); // with client tokens: the token's capability says
    } catch (error) {
      if (!(error instanceof ChannelPermissionError)) throw error;
      tell(ctx, { type: 'error', text: error.message }, cid);
      return;
    }
    let sent;
    try {
      // The client's id is the feed's idempotency key: a resend is stored and published once.
      sent = await publishMessage(room(ctx), { nick: nick(ctx), text }, ctx.id, 'live', cid === undefined ? undefined : `cid:${cid}`);
    } catch (error) {
      // A message too large to publish: the sender is told, and keeps the connection.
      if (!(error instanceof RequestError)) throw error;
      tell(ctx, { type: 'error', text: error.reason }, cid);
      return;
    }
    tell(ctx, sent, cid);
    if (feed !== null && sent.id === undefined) tell(ctx, HISTORY_DOWN);
  },

  async onClose(ctx) {
    // With presence, its handlers() wrapper takes the connection out and announces the leave.
    if (presence === null && NAME_PATTERN.test(room(ctx))) await publishNotice(room(ctx), { type: 'leave', nick: nick(ctx) }, ctx.id);
  },
};

const rooms = presence === null ? chat : presence.handlers(chat);

export const handler = websocket(
  clientAuth === undefined
    ? rooms
    : withRateLimit(
        withClientAuth(rooms, {
          ...clientAuth,
          channel: (ctx) => room(ctx),
          // A room's notices are the room's, as far as tokens go.
          capabilityChannel: (channel) => channel.replace(/\.notices$/, ''),
        }),
      ),
);
