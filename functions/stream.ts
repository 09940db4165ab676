import { getFeed } from 'grip-lambda/feed';
import { holdStream, http, reliableStream, respond } from 'grip-lambda';
import { nameFromPath, NAME_PATTERN, roomChannel } from './lib/channels.js';

// The feed when a store is set (REDIS_URL or DYNAMODB_TABLE); made (and connected) at module load, in Lambda's init.
const feed = getFeed();

/**
 * GET /stream/{channel}: an HTTP stream held by the proxy; each published
 * message is one line. With a store set (REDIS_URL or DYNAMODB_TABLE) the stream is reliable: the proxy
 * recovers any gap in ids by calling this function again (Grip-Link), which
 * answers with the missed lines from the feed.
 */
export const handler = http((req) => {
  const name = nameFromPath(req.params, 'channel', req.path);
  if (!NAME_PATTERN.test(name)) return respond(400, 'channel names are 1-64 letters, digits, - or _\n');
  if (feed === null) return holdStream({ channels: roomChannel(name), keepAlive: { content: '\n', timeoutSeconds: 20 } });
  return reliableStream({
    request: req,
    feed,
    feedChannel: roomChannel(name),
    channel: roomChannel(name),
    nextLink: `/stream/${name}`,
    render: (item) => `${(JSON.parse(item.data) as { text: string }).text}\n`,
  });
});
