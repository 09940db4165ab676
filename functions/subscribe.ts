import { websocket } from 'grip-lambda';
import { nameFromPath, NAME_PATTERN, roomChannel } from './lib/channels.js';

/**
 * WS /subscribe/{channel}: a receive-only WebSocket on a channel: whatever
 * is published to it (by /publish, the relay or any publisher) arrives as
 * one message each. No notices, no history: the WebSocket twin of /stream.
 */
export const handler = websocket({
  onOpen(ctx) {
    const name = nameFromPath(ctx.request.params, 'channel', ctx.request.path);
    if (!NAME_PATTERN.test(name)) {
      ctx.reject(400, 'channel names are 1-64 letters, digits, - or _\n');
      return;
    }
    ctx.subscribe(roomChannel(name));
  },
  onMessage(ctx) {
    ctx.close(1008, 'this socket only receives');
  },
});
