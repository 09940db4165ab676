import { describeError } from '../errors.js';
import type { Context } from 'aws-lambda';
import type { Feed } from '../feed/feed.js';
import { markLogged, runInvocation } from '../lambda/invocation.js';
import { longPollResponse, httpStream, wsMessage } from '../publish/formats.js';
import type { ChannelItem } from '../publish/items.js';
import { publisherFor } from '../publish/process-publisher.js';
import type { GripPublisher } from '../publish/publisher.js';
import { readSourceRecords, type RelayEvent, type SourceRecord } from './records.js';
import { decodeUtf8Strict } from '../protocol/utf8.js';
import { log } from '../observe/current.js';

/** A Lambda function for SQS, Kinesis, DynamoDB Streams and Kafka events, as `relay()` makes it. */
export type RelayHandler = (event: RelayEvent, context?: Context) => Promise<RelayResult>;

/** What one record becomes: a message for a channel. */
export interface RelayMessage {
  readonly channel: string;
  readonly message: string;
}

/**
 * A record that can never be delivered (malformed, no valid channel...):
 * the relay logs it with its id and drops it, instead of having Lambda
 * retry it (which, on a FIFO queue or a stream shard, would hold back every
 * later record of its group until it expires). Throw it from a mapper or
 * `store` for records of your own format: both run before anything is
 * stored. (An item builder runs after the append; its PermanentRecordError
 * drops a record that is already in the feed.)
 */
export class PermanentRecordError extends Error {
  override readonly name = 'PermanentRecordError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A record the relay dropped as undeliverable, as `onDropped` sees it. */
export interface DroppedRecord {
  readonly record: SourceRecord;
  readonly error: PermanentRecordError;
}

/**
 * Maps a record to zero or more messages. Throwing PermanentRecordError
 * drops the record (logged); any other throw fails it, and it is retried.
 */
export type RelayMapper = (record: SourceRecord) => RelayMessage | readonly RelayMessage[] | null;

/** Builds the published items for a message, with its feed ids when a feed is used. */
export type ItemBuilder = (message: RelayMessage, ids: { readonly id: string; readonly prevId: string } | undefined) => ChannelItem[];

export interface RelayOptions {
  readonly map?: RelayMapper;
  readonly items?: ItemBuilder;
  /** Append each message to this feed first (idempotently, keyed by the record), and publish with its ids. */
  readonly feed?: Feed | null;
  /** What the feed stores for a message; default the message text. */
  readonly store?: (message: RelayMessage) => string;
  readonly publisher?: GripPublisher;
  /** Called for each record dropped as undeliverable (after it is logged), e.g. to count it in your metrics. */
  readonly onDropped?: (dropped: DroppedRecord) => void;
}

export interface RelayResult {
  readonly batchItemFailures: { readonly itemIdentifier: string }[];
}

/**
 * The default mapper: the record is JSON `{"channel": "...", "message": "..."}`.
 * @throws PermanentRecordError for a record that is not UTF-8, not JSON, or not of that shape.
 */
export const jsonMapper: RelayMapper = (record) => {
  let value: { channel?: unknown; message?: unknown } | null;
  try {
    const text = decodeUtf8Strict(record.body);
    if (text === undefined) throw new TypeError('the bytes are not valid UTF-8');
    value = JSON.parse(text) as typeof value;
  } catch (error) {
    throw new PermanentRecordError(`record is not UTF-8 JSON: ${(error as Error).message}`, { cause: error });
  }
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof value.channel !== 'string' ||
    value.channel === '' ||
    typeof value.message !== 'string'
  ) {
    throw new PermanentRecordError('record is not JSON {"channel": string, "message": string}');
  }
  return { channel: value.channel, message: value.message };
};

/** What a mapper returned, as messages; a shape no channel can take is permanent. */
function messagesOf(mapped: ReturnType<RelayMapper>): readonly RelayMessage[] {
  const messages = mapped === null ? [] : Array.isArray(mapped) ? (mapped as readonly RelayMessage[]) : [mapped as RelayMessage];
  for (const message of messages) {
    if (typeof message !== 'object' || message === null || typeof message.channel !== 'string' || message.channel === '') {
      throw new PermanentRecordError('the mapper gave a message without a channel (a non-empty string)');
    }
    if (typeof message.message !== 'string')
      throw new PermanentRecordError(`the mapper gave a message for ${message.channel} that is not a string`);
  }
  return messages;
}

/** Ids as long as a feed gives (Redis stream ids), standing in for ids not yet known. */
const LONGEST_IDS = { id: '18446744073709551615-18446744073709551615', prevId: '18446744073709551615-18446744073709551615' };

/** A message whose items no control request can carry can never be published: permanent, found before it is stored. */
function checkPublishable(message: RelayMessage, build: ItemBuilder, publisher: GripPublisher, ids: typeof LONGEST_IDS | undefined): void {
  for (const item of build(message, ids)) {
    const bytes = publisher.requestBytes(item);
    if (bytes > publisher.maxRequestBytes) {
      throw new PermanentRecordError(
        `a message for ${message.channel} publishes as a control request of ${bytes} bytes, over the proxy's ${publisher.maxRequestBytes}`,
      );
    }
  }
}

/** The default items: one per message, for WebSocket, HTTP stream and long-poll subscribers. */
export const defaultItems: ItemBuilder = (message, ids) => [
  {
    channel: message.channel,
    formats: [wsMessage(message.message), httpStream(`${message.message}\n`), longPollResponse(message.message)],
    ...(ids !== undefined ? { id: ids.id, prevId: ids.prevId } : {}),
  },
];

/** Items the publisher would refuse, refused here, so that one bad record does not fail its whole control request. */
function checkedItems(items: ChannelItem[]): ChannelItem[] {
  for (const item of items) {
    const formats = Array.isArray(item.formats) ? item.formats : [item.formats];
    if (typeof item.channel !== 'string' || item.channel === '' || formats.length === 0) {
      throw new PermanentRecordError('the item builder gave an item without a channel or without formats');
    }
  }
  return items;
}

interface Prepared {
  readonly record: SourceRecord;
  readonly items: ChannelItem[];
}

/**
 * Makes a Lambda handler that republishes records from SQS, Kinesis,
 * DynamoDB Streams or Kafka to channels. Records are published in order, in
 * as few control requests as the batch size allows.
 *
 * Two kinds of failure. A record that can never be delivered (not JSON, no
 * channel, or a PermanentRecordError from your mapper) is logged with its
 * id, passed to `onDropped`, and not reported: retrying it would only hold
 * back the rest of its group. Any other failure (the proxy or Redis
 * unreachable, an error your mapper did not mark) is transient: the record
 * is reported in `batchItemFailures` together with every later record of
 * its shard, partition or message group, so Lambda retries exactly those
 * and order holds. Kafka has no partial batch response: a transient
 * failure throws, and Lambda retries the batch; ids keep the repeats
 * harmless.
 */
export function relay(options: RelayOptions = {}): RelayHandler {
  const map = options.map ?? jsonMapper;
  const build = options.items ?? defaultItems;
  const store = options.store ?? ((message: RelayMessage) => message.message);
  const relayPublisher = options.publisher ?? publisherFor(process.env);
  return (event, context) =>
    runInvocation(context, relayPublisher, async (publisher) => {
      const { kind, records } = readSourceRecords(event);
      const failed = new Set<string>(); // order keys with a failed record
      const failures: SourceRecord[] = [];
      const fail = (record: SourceRecord, why: unknown) => {
        if (!failed.has(record.orderKey) && why !== undefined) {
          log('error', `relay: ${kind} record ${record.itemId} failed: ${describeError(why)}`);
        }
        markLogged(why); // logged here, with the record: not again when the invocation ends
        failed.add(record.orderKey);
        failures.push(record);
      };
      let dropped = 0;
      const drop = (record: SourceRecord, error: PermanentRecordError) => {
        dropped++;
        log('error', `relay: ${kind} record ${record.itemId} dropped, it can never be delivered: ${error.message}`);
        try {
          options.onDropped?.({ record, error });
        } catch (hookError) {
          log('error', `relay: onDropped threw: ${describeError(hookError)}`);
        }
      };

      const prepared: Prepared[] = [];
      for (const record of records) {
        if (failed.has(record.orderKey)) {
          fail(record, undefined);
          continue;
        }
        try {
          // Everything that can make a record undeliverable is checked before anything is stored.
          const messages = messagesOf(map(record));
          for (const message of messages) checkPublishable(message, build, publisher, options.feed ? LONGEST_IDS : undefined);
          const stored = messages.map(store);
          const items: ChannelItem[] = [];
          for (const [index, message] of messages.entries()) {
            const ids = options.feed
              ? await options.feed.append(message.channel, stored[index]!, { key: `${record.dedupeKey}#${index}` })
              : undefined;
            items.push(...checkedItems(build(message, ids)));
          }
          prepared.push({ record, items });
        } catch (error) {
          if (error instanceof PermanentRecordError) drop(record, error);
          else fail(record, error);
        }
      }

      // Publish in order, a batch of records at a time; from the first failed
      // batch on, everything still unpublished fails, keeping order.
      let chunk: Prepared[] = [];
      let chunkSize = 0;
      let broken: unknown;
      const flush = async () => {
        if (chunk.length === 0) return;
        const sending = chunk;
        chunk = [];
        chunkSize = 0;
        if (broken === undefined) {
          try {
            // Only records before any failure of their order key were prepared.
            await publisher.publishBatch(sending.flatMap((p) => p.items));
            return;
          } catch (error) {
            broken = error;
          }
        }
        for (const p of sending) fail(p.record, broken);
      };
      for (const p of prepared) {
        if (chunkSize + p.items.length > publisher.batchSize) await flush();
        chunk.push(p);
        chunkSize += p.items.length;
      }
      await flush();

      if (dropped > 0) log('error', `relay: ${dropped} of ${records.length} ${kind} record(s) dropped as undeliverable`);
      if (kind === 'kafka' && failures.length > 0) {
        throw new Error(`relay: ${failures.length} Kafka record(s) failed; the batch will be retried`);
      }
      return { batchItemFailures: failures.map((record) => ({ itemIdentifier: record.itemId })) };
    });
}
