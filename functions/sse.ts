import { getFeed } from 'grip-lambda/feed';
import { formatSseEvent, holdSse, http, reliableStream, respond } from 'grip-lambda';
import { nameFromPath, NAME_PATTERN, roomChannel, sseChannel } from './lib/channels.js';

// The feed when a store is set (REDIS_URL or DYNAMODB_TABLE); made (and connected) at module load, in Lambda's init.
const feed = getFeed();

/**
 * GET /sse/{channel}: Server-Sent Events; keep-alive comments every 20 s of
 * silence. With a store set (REDIS_URL or DYNAMODB_TABLE), events carry ids: a browser reconnecting
 * sends Last-Event-ID and gets what it missed first, and gaps on the way are
 * recovered as for /stream.
 */
export const handler = http((req) => {
  const name = nameFromPath(req.params, 'channel', req.path);
  if (!NAME_PATTERN.test(name)) return respond(400, 'channel names are 1-64 letters, digits, - or _\n');
  if (feed === null) return holdSse({ channels: sseChannel(name), keepAliveSeconds: 20, retryMs: 2000 });
  const clientLastId = req.headers.get('last-event-id') ?? req.query.get('lastEventId') ?? undefined;
  return reliableStream({
    request: req,
    feed,
    feedChannel: roomChannel(name),
    channel: sseChannel(name),
    nextLink: `/sse/${name}`,
    render: (item) => formatSseEvent((JSON.parse(item.data) as { text: string }).text, { event: 'message', id: item.id }),
    ...(clientLastId !== undefined ? { clientLastId } : {}),
    format: 'sse',
  });
});
