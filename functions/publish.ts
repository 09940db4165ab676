import { timingSafeEqual } from 'node:crypto';
import { FeedUnavailableError, getFeed } from '../src/feed/index.js';
import { http, respond } from '../src/index.js';
import { nameFromPath, NAME_PATTERN } from './lib/channels.js';
import { publishMessage } from './lib/room.js';

const token = process.env.PUBLISH_TOKEN ? Buffer.from(`Bearer ${process.env.PUBLISH_TOKEN}`) : undefined;

function authorized(header: string | undefined): boolean {
  if (token === undefined) return true;
  const given = Buffer.from(header ?? '');
  return given.length === token.length && timingSafeEqual(given, token);
}

// The feed publishMessage appends to, when REDIS_URL is set: made (and connected) now, in Lambda's init.
getFeed();

/**
 * POST /publish/{channel} with `{"message": "..."}`: one control request
 * reaches every kind of subscriber of the channel: chat room, HTTP stream,
 * long-poll and SSE. Requires `Authorization: Bearer PUBLISH_TOKEN` when set.
 * With REDIS_URL set and Redis down: 503 with Retry-After, within about a
 * second, and nothing published.
 */
export const handler = http(async (req) => {
  if (!authorized(req.headers.get('authorization'))) {
    return respond(401, 'missing or wrong bearer token\n', { 'WWW-Authenticate': 'Bearer' });
  }
  const name = nameFromPath(req.params, 'channel', req.path);
  if (!NAME_PATTERN.test(name)) return respond(400, 'channel names are 1-64 letters, digits, - or _\n');
  const body = req.json();
  const message = typeof body === 'object' && body !== null ? (body as { message?: unknown }).message : undefined;
  if (typeof message !== 'string') return respond(400, 'body must be JSON {"message": "..."}\n');
  let event;
  try {
    event = await publishMessage(name, { nick: 'publish', text: message });
  } catch (error) {
    // Redis down: nothing was published (a message not kept would be missing from history), so ask for a retry.
    if (error instanceof FeedUnavailableError) return respond(503, 'message history is unavailable; retry later\n', { 'Retry-After': '1' });
    throw error;
  }
  return respond(202, { published: true, channel: name, ...(event.type === 'message' && event.id ? { id: event.id } : {}) });
});
