import { getFeed } from 'grip-lambda/feed';
import { jsonMapper, PermanentRecordError, relay } from 'grip-lambda';
import { NAME_PATTERN } from './lib/channels.js';
import { roomItems } from './lib/room.js';

// The feed when a store is set (REDIS_URL or DYNAMODB_TABLE); made (and connected) at module load, in Lambda's init.
const feed = getFeed();

/**
 * Relay: records from SQS, Kinesis, DynamoDB Streams or Kafka, each JSON
 * `{"channel": "room", "message": "text"}`, become room messages: chat
 * WebSockets, HTTP streams, long-polls and SSE all get them. With a store (REDIS_URL or DYNAMODB_TABLE)
 * set they are kept in the room's feed first (a retried record is not
 * stored twice), so clients that reconnect get what they missed. A record
 * that is not such JSON, or names no valid room, is logged and dropped (it
 * would never succeed); proxy or Redis trouble fails the record, and SQS
 * brings it back (after 5 receives, to the dead-letter queue: serverless.yml).
 */
export const handler = relay({
  map(record) {
    const message = jsonMapper(record) as { channel: string; message: string };
    if (!NAME_PATTERN.test(message.channel)) {
      throw new PermanentRecordError(`channel ${JSON.stringify(message.channel.slice(0, 70))} is not a valid room name`);
    }
    return message;
  },
  feed,
  store: ({ message }) => JSON.stringify({ type: 'message', nick: 'relay', text: message }),
  items: ({ channel, message }, ids) =>
    roomItems(channel, { type: 'message', nick: 'relay', text: message, ...(ids ? { id: ids.id, prevId: ids.prevId } : {}) }, ids),
});
