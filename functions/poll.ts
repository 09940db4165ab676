import { holdLongPoll, http, respond } from 'grip-lambda';
import { nameFromPath, NAME_PATTERN, roomChannel } from './lib/channels.js';

/**
 * GET /poll/{channel}?timeout=N: a long-poll held up to N seconds (default
 * 30, at most 55). Answers `{"message": "..."}` when one is published, or
 * `{"message": null}` on timeout.
 */
export const handler = http((req) => {
  const name = nameFromPath(req.params, 'channel', req.path);
  if (!NAME_PATTERN.test(name)) return respond(400, 'channel names are 1-64 letters, digits, - or _\n');
  const asked = Number(req.query.get('timeout') ?? 30);
  const timeoutSeconds = Number.isFinite(asked) ? Math.min(55, Math.max(1, Math.floor(asked))) : 30;
  return holdLongPoll({ channels: roomChannel(name), timeoutSeconds, body: '{"message":null}\n' });
});
