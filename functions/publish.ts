import { timingSafeEqual } from 'node:crypto';
import { getPublisher, http, httpResponse, httpStream, respond, sseEvent, wsMessage } from '../src/index.js';
import { nameFromPath, NAME_PATTERN, roomChannel, sseChannel, type ChatEvent } from './lib/channels.js';

const token = process.env.PUBLISH_TOKEN ? Buffer.from(`Bearer ${process.env.PUBLISH_TOKEN}`) : undefined;

function authorized(header: string | undefined): boolean {
  if (token === undefined) return true;
  const given = Buffer.from(header ?? '');
  return given.length === token.length && timingSafeEqual(given, token);
}

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
  const chat: ChatEvent = { type: 'message', nick: 'publish', text: message };
  await getPublisher().publishBatch([
    {
      channel: roomChannel(name),
      formats: [
        wsMessage(JSON.stringify(chat)),
        httpStream(`${message}\n`),
        httpResponse(`${JSON.stringify({ message })}\n`, { headers: { 'Content-Type': 'application/json' } }),
      ],
    },
    { channel: sseChannel(name), formats: sseEvent(message, { event: 'message' }) },
  ]);
  return respond(202, { published: true, channel: name });
});
