import { FeedUnavailableError, getFeed } from '../../src/feed/index.js';
import { ChannelSequencer, getPublisher, httpResponse, httpStream, sseEvent, wsMessage, type ChannelItem } from '../../src/index.js';
import { noticeChannel, roomChannel, sseChannel, type ChatEvent, type NoticeEvent } from './channels.js';

/** This container's numbering of the room messages it publishes: a client that sees `seq` skip knows it missed some. */
const sequencer = new ChannelSequencer();

export interface RoomMessage {
  readonly nick: string;
  readonly text: string;
}

/**
 * Sends a message to everyone following a room: chat WebSockets, HTTP
 * streams, long-polls and SSE, in one control request. With REDIS_URL set
 * the message is first appended to the room's feed, and published with its
 * id and the previous id, so streams recover gaps and clients can resume.
 * `sender` keeps a chat connection from getting its own message back.
 *
 * With Redis down (FeedUnavailableError, within the feed's 1 s budget),
 * `whenFeedDown: 'live'` publishes the message anyway, without ids: it
 * reaches everyone connected but is not kept. 'fail' (the default) throws,
 * and nothing is published, so the caller can be asked to retry.
 */
export async function publishMessage(
  room: string,
  message: RoomMessage,
  sender?: string,
  whenFeedDown: 'live' | 'fail' = 'fail',
): Promise<Extract<ChatEvent, { type: 'message' }>> {
  const feed = getFeed();
  let ids: { id: string; prevId: string } | undefined;
  let event: Extract<ChatEvent, { type: 'message' }> = { type: 'message', nick: message.nick, text: message.text };
  if (feed !== null) {
    try {
      ids = await feed.append(roomChannel(room), JSON.stringify(event));
      event = { ...event, id: ids.id, prevId: ids.prevId };
    } catch (error) {
      if (!(error instanceof FeedUnavailableError) || whenFeedDown === 'fail') throw error;
    }
  }
  // Marked just before publishing (no await between), so marks follow publish order.
  event = { ...event, ...sequencer.next(roomChannel(room)) };
  await getPublisher().publishBatch(roomItems(room, event, ids, sender));
  return event;
}

export function roomItems(
  room: string,
  event: Extract<ChatEvent, { type: 'message' }>,
  ids: { id: string; prevId: string } | undefined,
  sender?: string,
): ChannelItem[] {
  const itemIds = ids === undefined ? {} : { id: ids.id, prevId: ids.prevId };
  return [
    {
      channel: roomChannel(room),
      formats: [
        wsMessage(JSON.stringify(event)),
        httpStream(`${event.text}\n`),
        httpResponse(`${JSON.stringify({ message: event.text, ...(ids ? { id: ids.id } : {}) })}\n`, {
          headers: { 'Content-Type': 'application/json' },
        }),
      ],
      ...itemIds,
      ...(sender !== undefined ? { meta: { sender } } : {}),
    },
    {
      channel: sseChannel(room),
      formats: sseEvent(event.text, { event: 'message', ...(ids ? { id: ids.id } : {}) }),
      ...itemIds,
    },
  ];
}

/** Join, leave and nick notices: live only, never stored, on a channel of their own. */
export function publishNotice(room: string, event: NoticeEvent, sender: string): Promise<void> {
  return getPublisher().publish(noticeChannel(room), wsMessage(JSON.stringify(event)), { meta: { sender } });
}
