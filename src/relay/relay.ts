import type { Context } from 'aws-lambda';
import type { Feed } from '../feed/feed.js';
import { runInvocation } from '../lambda/invocation.js';
import { httpResponse, httpStream, wsMessage } from '../publish/formats.js';
import { getPublisher, type ChannelItem, type GripPublisher } from '../publish/publisher.js';
import { readSourceRecords, type RelayEvent, type SourceRecord } from './records.js';

/** What one record becomes: a message for a channel. */
export interface RelayMessage {
  readonly channel: string;
  readonly message: string;
}

/** Maps a record to zero or more messages; throwing marks the record failed (and retried). */
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
}

export interface RelayResult {
  readonly batchItemFailures: { readonly itemIdentifier: string }[];
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The default mapper: the record is JSON `{"channel": "...", "message": "..."}`. */
export const jsonMapper: RelayMapper = (record) => {
  const value = JSON.parse(decoder.decode(record.body)) as { channel?: unknown; message?: unknown };
  if (typeof value !== 'object' || value === null || typeof value.channel !== 'string' || value.channel === '' || typeof value.message !== 'string') {
    throw new TypeError('record is not JSON {"channel": string, "message": string}');
  }
  return { channel: value.channel, message: value.message };
};

/** The default items: one per message, for WebSocket, HTTP stream and long-poll subscribers. */
export const defaultItems: ItemBuilder = (message, ids) => [
  {
    channel: message.channel,
    formats: [wsMessage(message.message), httpStream(`${message.message}\n`), httpResponse(message.message)],
    ...(ids !== undefined ? { id: ids.id, prevId: ids.prevId } : {}),
  },
];

interface Prepared {
  readonly record: SourceRecord;
  readonly items: ChannelItem[];
}

/**
 * Makes a Lambda handler that republishes records from SQS, Kinesis,
 * DynamoDB Streams or Kafka to channels. Records are published in order, in
 * as few control requests as the batch size allows. A record that fails (in
 * the mapper, the feed or the publish) is reported in `batchItemFailures`
 * together with every later record of its shard, partition or message group,
 * so Lambda retries exactly those and order holds. Kafka has no partial
 * batch response: any failure throws, and Lambda retries the batch; ids keep
 * the repeats harmless.
 */
export function relay(options: RelayOptions = {}): (event: RelayEvent, context?: Context) => Promise<RelayResult> {
  const map = options.map ?? jsonMapper;
  const build = options.items ?? defaultItems;
  const store = options.store ?? ((message: RelayMessage) => message.message);
  return (event, context) =>
    runInvocation(context, async () => {
      const publisher = options.publisher ?? getPublisher();
      const { kind, records } = readSourceRecords(event);
      const failed = new Set<string>(); // order keys with a failed record
      const failures: SourceRecord[] = [];
      const fail = (record: SourceRecord, why: unknown) => {
        if (!failed.has(record.orderKey) && why !== undefined) {
          console.error(`[grip-lambda] relay: ${kind} record ${record.itemId} failed: ${(why as Error)?.message ?? String(why)}`);
        }
        failed.add(record.orderKey);
        failures.push(record);
      };

      const prepared: Prepared[] = [];
      for (const record of records) {
        if (failed.has(record.orderKey)) {
          fail(record, undefined);
          continue;
        }
        try {
          const mapped = map(record);
          const messages = mapped === null ? [] : Array.isArray(mapped) ? (mapped as readonly RelayMessage[]) : [mapped as RelayMessage];
          const items: ChannelItem[] = [];
          for (const [index, message] of messages.entries()) {
            const ids = options.feed ? await options.feed.append(message.channel, store(message), { key: `${record.dedupeKey}#${index}` }) : undefined;
            items.push(...build(message, ids));
          }
          prepared.push({ record, items });
        } catch (error) {
          fail(record, error);
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

      if (kind === 'kafka' && failures.length > 0) {
        throw new Error(`relay: ${failures.length} Kafka record(s) failed; the batch will be retried`);
      }
      return { batchItemFailures: failures.map((record) => ({ itemIdentifier: record.itemId })) };
    });
}
