import { holdStream, http, respond } from '../src/index.js';
import { nameFromPath, NAME_PATTERN, roomChannel } from './lib/channels.js';

/** GET /stream/{channel}: an HTTP stream held by the proxy; each published message is one line. */
export const handler = http((req) => {
  const name = nameFromPath(req.params, 'channel', req.path);
  if (!NAME_PATTERN.test(name)) return respond(400, 'channel names are 1-64 letters, digits, - or _\n');
  return holdStream({ channels: roomChannel(name), keepAlive: { content: '\n', timeout: 20 } });
});
