import { holdSse, http, respond } from '../src/index.js';
import { nameFromPath, NAME_PATTERN, sseChannel } from './lib/channels.js';

/** GET /sse/{channel}: Server-Sent Events; keep-alive comments every 20 s of silence. */
export const handler = http((req) => {
  const name = nameFromPath(req.params, 'channel', req.path);
  if (!NAME_PATTERN.test(name)) return respond(400, 'channel names are 1-64 letters, digits, - or _\n');
  return holdSse({ channels: sseChannel(name), keepAliveSeconds: 20, retryMs: 2000 });
});
