import { timingSafeEqual } from 'node:crypto';
import { getFeed } from '../src/feed/index.js';
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
  const event = await publishMessage(name, { nick: 'publish', text: message });
  return respond(202, { published: true, channel: name, ...(event.type === 'message' && event.id ? { id: event.id } : {}) });
});
