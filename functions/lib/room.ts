import { FeedUnavailableError, getFeed } from 'grip-lambda/feed';
import {
  ChannelSequencer,
  getLogger,
  getPublisher,
  longPollResponse,
  httpStream,
  PublishError,
  RequestError,
  sseEvent,
  wsMessage,
  type ChannelItem,
} from 'grip-lambda';
import { noticeChannel, roomChannel, sseChannel, type ChatEvent, type NoticeEvent } from './channels.js';

/** This container's numbering of the room messages it publishes: a client that sees `seq` skip knows it missed some. */
const sequencer = new ChannelSequencer();

/** The longest id a feed gives (a Redis stream id), standing in for ids not yet known. */
const LONGEST_ID = '18446744073709551615-18446744073709551615';

export interface RoomMessage {
  readonly nick: string;
  readonly text: string;
}

/**
 * Sends a message to everyone following a room: chat WebSockets, HTTP
 * streams, long-polls and SSE, in one control request. With a store set (REDIS_URL or DYNAMODB_TABLE)
 * the message is first appended to the room's feed, and published with its
 * id and the previous id, so streams recover gaps and clients can resume.
 * `sender` keeps a chat connection from getting its own message back.
 *
 * Nothing is stored that cannot be published: a message too large for a
 * control request is a RequestError (413) before the feed is touched, and
 * a stored message whose publish failed everywhere is taken back out of the
 * feed before the PublishError is thrown. With `key` (an idempotency key)
 * a repeat of a stored and published message stores and publishes nothing
 * and returns the first one's ids.
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
  key?: string,
): Promise<Extract<ChatEvent, { type: 'message' }>> {
  const publisher = getPublisher();
  const feed = getFeed();
  const draft: Extract<ChatEvent, { type: 'message' }> = { type: 'message', nick: message.nick, text: message.text };
  // Checked as it will be published: with a feed, with ids as long as any it gives; with the longest mark.
  const longest = feed === null ? undefined : { id: LONGEST_ID, prevId: LONGEST_ID };
  const mark = { pub: sequencer.pub, seq: Number.MAX_SAFE_INTEGER };
  const bytes = Math.max(
    ...roomItems(room, { ...draft, ...longest, ...mark }, longest, sender).map((item) => publisher.requestBytes(item)),
  );
  if (bytes > publisher.maxRequestBytes) {
    throw new RequestError(
      413,
      `message too large: it publishes as a control request of ${bytes} bytes, over the proxy's ${publisher.maxRequestBytes}`,
    );
  }
  let ids: { id: string; prevId: string; duplicate: boolean } | undefined;
  if (feed !== null) {
    try {
      ids = await feed.append(roomChannel(room), JSON.stringify(draft), key !== undefined ? { key } : {});
    } catch (error) {
      if (!(error instanceof FeedUnavailableError) || whenFeedDown === 'fail') throw error;
    }
  }
  if (feed === null || ids === undefined) {
    const event = { ...draft, ...sequencer.next(roomChannel(room)) };
    await publisher.publishBatch(roomItems(room, event, undefined, sender));
    return event;
  }
  if (ids.duplicate) return { ...draft, id: ids.id, prevId: ids.prevId };
  // Marked just before publishing (no await between), so marks follow publish order.
  const event = { ...draft, id: ids.id, prevId: ids.prevId, ...sequencer.next(roomChannel(room)) };
  try {
    await publisher.publishBatch(roomItems(room, event, ids, sender));
  } catch (error) {
    if (error instanceof PublishError && error.failures.length < publisher.proxyCount) {
      // Published through some proxies: kept, and not an error (see toLiveProxies); the others' clients resume from the feed.
      getLogger().warn({ message: 'publish failed on some proxies; the others took it', error: error.message });
      return event;
    }
    if (error instanceof PublishError) {
      // Published nowhere: out of the history too.
      await feed.retract?.(roomChannel(room), ids.id, key !== undefined ? { key } : {}).catch((retractError: unknown) => {
        getLogger().error({
          message: 'a message whose publish failed stays in the room history',
          room,
          error: (retractError as Error).message,
        });
      });
    }
    throw error;
  }
  return event;
}

/**
 * A publish that failed on some proxies of several, not all: logged, not
 * thrown. A proxy node that is down has dropped its clients, who reconnect
 * through the balancer to the others; failing the invocation too would
 * turn one dead node into errors for every client of the live ones.
 * Use it only for what a client can miss: stored messages (publishMessage
 * does the same inline), notices.
 */
async function toLiveProxies(published: Promise<void>): Promise<void> {
  try {
    await published;
  } catch (error) {
    if (!(error instanceof PublishError) || error.failures.length >= getPublisher().proxyCount) throw error;
    getLogger().warn({ message: 'publish failed on some proxies; the others took it', error: error.message });
  }
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
        longPollResponse(`${JSON.stringify({ message: event.text, ...(ids ? { id: ids.id } : {}) })}\n`, {
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
  return toLiveProxies(getPublisher().publish(noticeChannel(room), wsMessage(JSON.stringify(event)), { meta: { sender } }));
}
