import { websocket } from 'grip-lambda';

/**
 * Echo: accepts every connection, sends each TEXT and BINARY message back
 * unchanged, and echoes the client's close code (the toolkit's default).
 */
export const handler = websocket({
  onMessage(ctx, message) {
    ctx.send(message.data);
  },
});
