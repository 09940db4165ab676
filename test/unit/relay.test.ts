// The relay at unit level: every source's records read right, and relay()
// publishing through a GripPublisher to a local fake control endpoint, with
// an in-memory feed: order, batching, per-group failures, retries.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { after, afterEach, before, describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { PublisherClient } from '@fanoutio/grip';
import type { SQSRecord } from 'aws-lambda';
import { FEED_START, FeedUnavailableError, type AppendOptions, type AppendResult, type Feed, type FeedItem } from '../../src/feed/feed.js';
import { wsMessage } from '../../src/publish/formats.js';
import type { PublisherOptions } from '../../src/publish/options.js';
import { GripPublisher } from '../../src/publish/publisher.js';
import { readSourceRecords } from '../../src/relay/records.js';
import { PermanentRecordError, relay, type DroppedRecord, type RelayMapper } from '../../src/relay/relay.js';
import {
  compareStreamIds,
  dynamodbEvent,
  dynamodbRecord,
  FifoQueue,
  kafkaRecord,
  kinesisEvent,
  kinesisRecord,
  lambdaContext,
  mskEvent,
  redelivered,
  selfManagedKafkaEvent,
  sqsEvent,
  sqsRecord,
} from '../support/relay-events.js';

// ---------------------------------------------------------------- helpers

/** A Feed in memory that records every append and its result. */
class MemoryFeed implements Feed {
  readonly #items = new Map<string, FeedItem[]>();
  readonly #keys = new Map<string, AppendResult>();
  #ms = 1_700_000_000_000;
  readonly appends: { channel: string; data: string; key: string | undefined; result: AppendResult }[] = [];

  async append(channel: string, data: string, options: AppendOptions = {}): Promise<AppendResult> {
    const key = options.key === undefined ? undefined : `${channel}\n${options.key}`;
    const seen = key === undefined ? undefined : this.#keys.get(key);
    let result: AppendResult;
    if (seen !== undefined) {
      result = { ...seen, duplicate: true };
    } else {
      const list = this.#items.get(channel) ?? [];
      this.#items.set(channel, list);
      const prevId = list.at(-1)?.id ?? FEED_START;
      const id = `${++this.#ms}-0`;
      list.push({ id, data });
      result = { id, prevId, duplicate: false };
      if (key !== undefined) this.#keys.set(key, result);
    }
    this.appends.push({ channel, data, key: options.key, result });
    return result;
  }

  async after(channel: string, lastId: string, limit = 1000): Promise<FeedItem[]> {
    return (this.#items.get(channel) ?? []).filter((item) => compareStreamIds(item.id, lastId) > 0).slice(0, limit);
  }

  async lastId(channel: string): Promise<string> {
    return this.#items.get(channel)?.at(-1)?.id ?? FEED_START;
  }

  size(channel: string): number {
    return this.#items.get(channel)?.length ?? 0;
  }

  async close(): Promise<void> {}
}

interface ExportedItem {
  channel: string;
  id?: string;
  'prev-id'?: string;
  formats: Record<string, { content?: string; body?: string }>;
}

/** A fake GRIP control endpoint: records each publish request; `answer` picks the status. */
class FakeControl {
  server!: Server;
  url = '';
  requests: ExportedItem[][] = [];
  answer: (n: number) => number = () => 200;

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const n = this.requests.length;
        this.requests.push((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { items: ExportedItem[] }).items);
        const status = this.answer(n);
        res.writeHead(status, { 'Content-Type': 'text/plain' }).end(status === 200 ? 'Published\n' : 'nope\n');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  reset(): void {
    this.requests = [];
    this.answer = () => 200;
  }

  /** Every item received, flattened, in arrival order. */
  get items(): ExportedItem[] {
    return this.requests.flat();
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const control = new FakeControl();
before(() => control.start());
after(() => control.stop());
afterEach(() => control.reset());

function publisher(batchSize: number, retry: PublisherOptions['retry'] = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 }): GripPublisher {
  return new GripPublisher([new PublisherClient({ control_uri: control.url })], { batchSize, retry, timeoutMs: 2_000 });
}

const chat = (channel: string, message: string) => JSON.stringify({ channel, message });
const wsText = (item: ExportedItem) => item.formats['ws-message']?.content;
const ids = (failures: { batchItemFailures: readonly { itemIdentifier: string }[] }) =>
  failures.batchItemFailures.map((f) => f.itemIdentifier);

/** A mapper that fails for messages named in `bad`, else the default JSON mapping. */
function failingOn(...bad: string[]): RelayMapper {
  return (record) => {
    const value = JSON.parse(Buffer.from(record.body).toString('utf8')) as { channel: string; message: string };
    if (bad.includes(value.message)) throw new Error(`mapper refuses ${value.message}`);
    return value;
  };
}

// Relay failures are logged with console.error; keep test output readable.
const quiet = <T>(fn: () => Promise<T>): Promise<T> => captured(fn).then(({ result }) => result);

/** Runs `fn` with console.error captured: its result and the lines it logged. */
async function captured<T>(fn: () => Promise<T>): Promise<{ result: T; logs: string[] }> {
  const original = console.error;
  const logs: string[] = [];
  console.error = (...args: unknown[]) => logs.push(args.map(String).join(' '));
  try {
    return { result: await fn(), logs };
  } finally {
    console.error = original;
  }
}

// ---------------------------------------------------------------- readSourceRecords

describe('readSourceRecords', () => {
  test('SQS standard: each message is its own order key', () => {
    const a = sqsRecord(chat('room', 'a'));
    const b = sqsRecord(chat('room', 'b'));
    const { kind, records } = readSourceRecords(sqsEvent([a, b]));
    assert.equal(kind, 'sqs');
    assert.equal(records.length, 2);
    assert.equal(records[0]!.itemId, a.messageId);
    assert.equal(records[0]!.orderKey, `message:${a.messageId}`);
    assert.equal(records[1]!.orderKey, `message:${b.messageId}`);
    assert.equal(records[0]!.dedupeKey, `sqs:${a.messageId}`);
    assert.equal(Buffer.from(records[1]!.body).toString('utf8'), chat('room', 'b'));
    assert.equal(records[0]!.raw, a);
  });

  test('SQS FIFO: the message group is the order key; the dedupe key survives a redelivery', () => {
    const a = sqsRecord(chat('room', 'a'), { groupId: 'g1' });
    const b = sqsRecord(chat('room', 'b'), { groupId: 'g2' });
    const { records } = readSourceRecords(sqsEvent([a, b, redelivered(a)]));
    assert.deepEqual(
      records.map((r) => r.orderKey),
      ['group:g1', 'group:g2', 'group:g1'],
    );
    assert.equal(records[0]!.dedupeKey, records[2]!.dedupeKey);
    assert.equal(records[0]!.itemId, a.messageId);
  });

  test('Kinesis: shard is the order key, data is base64-decoded, sequence number is the item id', () => {
    const r1 = kinesisRecord(chat('room', 'k1'), { shardId: 'shardId-000000000001' });
    const r2 = kinesisRecord(Buffer.from([0xff, 0x00, 0x7f]), { shardId: 'shardId-000000000002' });
    const { kind, records } = readSourceRecords(kinesisEvent([r1, r2]));
    assert.equal(kind, 'kinesis');
    assert.equal(records[0]!.itemId, r1.kinesis.sequenceNumber);
    assert.equal(records[0]!.orderKey, `${r1.eventSourceARN}/shardId-000000000001`);
    assert.notEqual(records[0]!.orderKey, records[1]!.orderKey);
    assert.equal(records[0]!.dedupeKey, `kinesis:shardId-000000000001:${r1.kinesis.sequenceNumber}`);
    assert.equal(Buffer.from(records[0]!.body).toString('utf8'), chat('room', 'k1'));
    assert.deepEqual([...records[1]!.body], [0xff, 0x00, 0x7f]);
  });

  test('DynamoDB Streams: NewImage unmarshalled to plain JSON; the stream is the order key', () => {
    const record = dynamodbRecord({
      keys: { pk: { S: 'room#1' } },
      newImage: {
        pk: { S: 'room#1' },
        channel: { S: 'room' },
        message: { S: 'hello' },
        count: { N: '42.5' },
        ok: { BOOL: true },
        none: { NULL: true },
        tags: { SS: ['a', 'b'] },
        scores: { NS: ['1', '2'] },
        nested: { M: { list: { L: [{ S: 'x' }, { N: '3' }, { M: { deep: { BOOL: false } } }] } } },
      },
    });
    const removal = dynamodbRecord({ keys: { pk: { S: 'room#2' } }, oldImage: { pk: { S: 'room#2' } } });
    const { kind, records } = readSourceRecords(dynamodbEvent([record, removal]));
    assert.equal(kind, 'dynamodb');
    assert.equal(records[0]!.itemId, record.dynamodb!.SequenceNumber);
    assert.equal(records[0]!.dedupeKey, `dynamodb:${record.dynamodb!.SequenceNumber}`);
    assert.equal(records[0]!.orderKey, record.eventSourceARN);
    assert.equal(records[0]!.orderKey, records[1]!.orderKey);
    assert.deepEqual(JSON.parse(Buffer.from(records[0]!.body).toString('utf8')), {
      pk: 'room#1',
      channel: 'room',
      message: 'hello',
      count: 42.5,
      ok: true,
      none: null,
      tags: ['a', 'b'],
      scores: [1, 2],
      nested: { list: ['x', 3, { deep: false }] },
    });
    assert.equal(records[1]!.body.length, 0, 'a REMOVE has no NewImage: empty body');
  });

  test('MSK: records of every partition, topic-partition order keys, base64 values', () => {
    const event = mskEvent([
      kafkaRecord(chat('room', 'p0-5'), { partition: 0, offset: 5 }),
      kafkaRecord(chat('room', 'p1-9'), { partition: 1, offset: 9 }),
      kafkaRecord(chat('room', 'p0-6'), { partition: 0, offset: 6 }),
    ]);
    assert.deepEqual(Object.keys(event.records), ['relay-topic-0', 'relay-topic-1']);
    const { kind, records } = readSourceRecords(event);
    assert.equal(kind, 'kafka');
    assert.deepEqual(
      records.map((r) => [r.itemId, r.orderKey, Buffer.from(r.body).toString('utf8')]),
      [
        ['relay-topic-0-5', 'relay-topic-0', chat('room', 'p0-5')],
        ['relay-topic-0-6', 'relay-topic-0', chat('room', 'p0-6')],
        ['relay-topic-1-9', 'relay-topic-1', chat('room', 'p1-9')],
      ],
    );
    assert.equal(records[0]!.dedupeKey, 'kafka:relay-topic-0-5');
  });

  test('self-managed Kafka reads like MSK', () => {
    const { kind, records } = readSourceRecords(
      selfManagedKafkaEvent([kafkaRecord(chat('room', 'x'), { topic: 'events', partition: 3, offset: 100 })]),
    );
    assert.equal(kind, 'kafka');
    assert.equal(records[0]!.itemId, 'events-3-100');
    assert.equal(records[0]!.orderKey, 'events-3');
  });

  test('unknown or empty events are a TypeError', () => {
    for (const event of [null, 'x', {}, { Records: [] }, { Records: [{ eventSource: 'aws:s3' }] }, { eventSource: 'aws:kafka' }]) {
      assert.throws(() => readSourceRecords(event), TypeError, JSON.stringify(event));
    }
  });
});

// ---------------------------------------------------------------- relay()

describe('relay', () => {
  test('publishes records in order, in ceil(N / batchSize) control requests, with a chain of feed ids', async () => {
    const feed = new MemoryFeed();
    const records = Array.from({ length: 10 }, (_, i) => sqsRecord(chat('room', `m${i}`), { groupId: 'g' }));
    const result = await relay({ feed, publisher: publisher(4) })(sqsEvent(records));
    assert.deepEqual(result, { batchItemFailures: [] });
    assert.equal(control.requests.length, Math.ceil(10 / 4));
    assert.deepEqual(
      control.requests.map((r) => r.length),
      [4, 4, 2],
    );
    const items = control.items;
    assert.deepEqual(
      items.map(wsText),
      records.map((_, i) => `m${i}`),
    );
    assert.equal(items[0]!['prev-id'], FEED_START);
    for (let i = 1; i < items.length; i++) assert.equal(items[i]!['prev-id'], items[i - 1]!.id, `item ${i} links to the one before`);
    assert.deepEqual(
      feed.appends.map((a) => a.key),
      records.map((r) => `sqs:${r.messageId}#0`),
    );
    assert.equal(items[3]!.formats['http-stream']?.content, 'm3\n');
  });

  test('without a feed, items carry no ids', async () => {
    await relay({ publisher: publisher(100) })(sqsEvent([sqsRecord(chat('room', 'x'))]));
    assert.equal(control.items.length, 1);
    assert.equal(control.items[0]!.id, undefined);
    assert.equal(control.items[0]!['prev-id'], undefined);
  });

  test('SQS FIFO: a mapper failure fails that record and the rest of its group; other groups are published', async () => {
    const feed = new MemoryFeed();
    const queue = new FifoQueue(10);
    for (const [message, group] of [
      ['a1', 'A'],
      ['b1', 'B'],
      ['a2', 'A'], // the mapper throws
      ['b2', 'B'],
      ['a3', 'A'], // fine, but after a2: must wait
      ['b3', 'B'],
    ] as const) {
      queue.send(chat('room', message), group);
    }
    const batch = queue.receive()!;
    const records = batch.Records;
    const result = await quiet(() => relay({ feed, publisher: publisher(2), map: failingOn('a2') })(batch));
    assert.deepEqual(ids(result), [records[2]!.messageId, records[4]!.messageId]);
    assert.deepEqual(control.items.map(wsText), ['a1', 'b1', 'b2', 'b3']);
    assert.equal(feed.size('room'), 4, 'a3 was not stored ahead of a2');
    // As Lambda would: the failed records come back, a2 first.
    assert.equal(queue.settle(batch, result), 4);
    const again = queue.receive()!;
    assert.deepEqual(
      again.Records.map((r) => r.messageId),
      [records[2]!.messageId, records[4]!.messageId],
    );
    control.reset();
    assert.deepEqual(await relay({ feed, publisher: publisher(2) })(again), { batchItemFailures: [] });
    assert.deepEqual(control.items.map(wsText), ['a2', 'a3']);
  });

  test('SQS standard: a mapper failure fails only that message', async () => {
    const records = ['s1', 's2', 's3', 's4'].map((m) => sqsRecord(chat('room', m)));
    const result = await quiet(() => relay({ feed: new MemoryFeed(), publisher: publisher(10), map: failingOn('s2') })(sqsEvent(records)));
    assert.deepEqual(ids(result), [records[1]!.messageId]);
    assert.deepEqual(control.items.map(wsText), ['s1', 's3', 's4']);
  });

  test('Kinesis: a failure fails the rest of its shard only', async () => {
    const s1 = 'shardId-000000000001';
    const s2 = 'shardId-000000000002';
    const records = [
      kinesisRecord(chat('room', 'x1'), { shardId: s1 }),
      kinesisRecord(chat('room', 'y1'), { shardId: s2 }),
      kinesisRecord(chat('room', 'x2'), { shardId: s1 }),
      kinesisRecord(chat('room', 'y2'), { shardId: s2 }),
      kinesisRecord(chat('room', 'x3'), { shardId: s1 }),
    ];
    const result = await quiet(() =>
      relay({ feed: new MemoryFeed(), publisher: publisher(10), map: failingOn('x2') })(kinesisEvent(records)),
    );
    assert.deepEqual(ids(result), [records[2]!.kinesis.sequenceNumber, records[4]!.kinesis.sequenceNumber]);
    assert.deepEqual(control.items.map(wsText), ['x1', 'y1', 'y2']);
  });

  test('SQS FIFO: undeliverable records are dropped, logged with their ids, and the rest of their group goes on', async () => {
    const feed = new MemoryFeed();
    const queue = new FifoQueue(10);
    const bodies = [
      chat('room', 'g1'),
      'not json',
      chat('room', 'g2'),
      '{"channel":""}', // no channel
      '{"channel":"room"}', // no message
      'null',
      '{"channel":"room","message":7}',
      chat('room', 'g3'),
    ];
    for (const body of bodies) queue.send(body, 'one-group');
    const batch = queue.receive()!;
    const dropped: DroppedRecord[] = [];
    const { result, logs } = await captured(() => relay({ feed, publisher: publisher(10), onDropped: (d) => dropped.push(d) })(batch));
    assert.deepEqual(result, { batchItemFailures: [] }, 'nothing is handed back to Lambda to retry');
    assert.deepEqual(control.items.map(wsText), ['g1', 'g2', 'g3']);
    assert.equal(feed.size('room'), 3, 'nothing undeliverable was stored');
    const poison = batch.Records.filter((_, i) => ![0, 2, 7].includes(i));
    assert.deepEqual(
      dropped.map((d) => d.record.itemId),
      poison.map((r) => r.messageId),
    );
    assert.ok(dropped.every((d) => d.error instanceof PermanentRecordError));
    for (const record of poison) {
      assert.ok(
        logs.some((line) => line.includes(record.messageId) && line.includes('dropped')),
        `record ${record.messageId} is logged by id`,
      );
    }
    assert.ok(
      logs.some((line) => line.includes('5 of 8 sqs record(s) dropped')),
      `a count is logged (${JSON.stringify(logs)})`,
    );
    assert.equal(queue.settle(batch, result), 8);
    assert.equal(queue.size, 0, 'the group is not blocked');
  });

  test('SQS FIFO: a message too large for any control request is dropped before it is stored; the rest of its group is published', async () => {
    const feed = new MemoryFeed();
    const queue = new FifoQueue(10);
    for (const body of [chat('room', 'b1'), chat('room', 'x'.repeat(400_000)), chat('room', 'b2')]) queue.send(body, 'one-group');
    const batch = queue.receive()!;
    const dropped: DroppedRecord[] = [];
    const { result } = await captured(() => relay({ feed, publisher: publisher(10), onDropped: (d) => dropped.push(d) })(batch));
    assert.deepEqual(result, { batchItemFailures: [] });
    assert.deepEqual(control.items.map(wsText), ['b1', 'b2']);
    assert.equal(feed.size('room'), 2, 'the message too large was not stored');
    assert.deepEqual(
      dropped.map((d) => d.record.itemId),
      [batch.Records[1]!.messageId],
    );
    assert.match(dropped[0]!.error.message, /publishes as a control request of \d+ bytes, over the proxy's 1000000/);
  });

  test('Kinesis: a record that is not UTF-8 is dropped; the shard goes on', async () => {
    const records = [
      kinesisRecord(chat('room', 'k1')),
      kinesisRecord(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])),
      kinesisRecord(chat('room', 'k2')),
    ];
    const dropped: string[] = [];
    const result = await quiet(() =>
      relay({ publisher: publisher(10), onDropped: (d) => dropped.push(d.record.itemId) })(kinesisEvent(records)),
    );
    assert.deepEqual(result, { batchItemFailures: [] });
    assert.deepEqual(dropped, [records[1]!.kinesis.sequenceNumber]);
    assert.deepEqual(control.items.map(wsText), ['k1', 'k2']);
  });

  test("a mapper's PermanentRecordError drops the record; its other errors fail the record and the rest of its group", async () => {
    const map: RelayMapper = (record) => {
      const value = JSON.parse(Buffer.from(record.body).toString('utf8')) as { channel: string; message: string };
      if (value.message === 'poison') throw new PermanentRecordError('poison is never delivered');
      if (value.message === 'flaky') throw new Error('a lookup timed out');
      return value;
    };
    const records = ['a', 'poison', 'b', 'flaky', 'c'].map((m) => sqsRecord(chat('room', m), { groupId: 'g' }));
    const dropped: string[] = [];
    const result = await quiet(() =>
      relay({ publisher: publisher(10), map, onDropped: (d) => dropped.push(d.error.message) })(sqsEvent(records)),
    );
    assert.deepEqual(dropped, ['poison is never delivered']);
    assert.deepEqual(
      ids(result),
      [records[3]!.messageId, records[4]!.messageId],
      'the unmarked error is transient: retried with what follows it',
    );
    assert.deepEqual(control.items.map(wsText), ['a', 'b']);
  });

  test('a record naming an empty channel among several messages is dropped before any of them is stored', async () => {
    const feed = new MemoryFeed();
    const map: RelayMapper = () => [
      { channel: 'room', message: 'first' },
      { channel: '', message: 'second' },
    ];
    const result = await quiet(() => relay({ feed, publisher: publisher(10), map })(sqsEvent([sqsRecord('x', { groupId: 'g' })])));
    assert.deepEqual(result, { batchItemFailures: [] });
    assert.equal(feed.size('room'), 0);
    assert.equal(control.requests.length, 0);
  });

  test("an item builder's item without a channel or formats drops its record only; the control request carries the others", async () => {
    const records = ['a', 'no-channel', 'no-formats', 'b'].map((m) => sqsRecord(chat('room', m), { groupId: 'g' }));
    const dropped: string[] = [];
    const result = await quiet(() =>
      relay({
        publisher: publisher(10),
        onDropped: (d) => dropped.push(d.record.itemId),
        items: ({ channel, message }) => [
          { channel: message === 'no-channel' ? '' : channel, formats: message === 'no-formats' ? [] : [wsMessage(message)] },
        ],
      })(sqsEvent(records)),
    );
    assert.deepEqual(result, { batchItemFailures: [] });
    assert.deepEqual(dropped, [records[1]!.messageId, records[2]!.messageId]);
    assert.equal(control.requests.length, 1);
    assert.deepEqual(control.items.map(wsText), ['a', 'b']);
  });

  test('the feed unavailable is transient: the record and the rest of its group are reported, other groups go on', async () => {
    const memory = new MemoryFeed();
    const feed: Feed = {
      append: (channel, data, options) =>
        channel === 'down'
          ? Promise.reject(new FeedUnavailableError('feed append: Redis is unreachable'))
          : memory.append(channel, data, options),
      after: (channel, lastId, limit) => memory.after(channel, lastId, limit),
      lastId: (channel) => memory.lastId(channel),
      close: () => memory.close(),
    };
    const records = [
      sqsRecord(chat('room', 'a1'), { groupId: 'A' }),
      sqsRecord(chat('down', 'b1'), { groupId: 'B' }),
      sqsRecord(chat('room', 'a2'), { groupId: 'A' }),
      sqsRecord(chat('room', 'b2'), { groupId: 'B' }),
    ];
    const dropped: string[] = [];
    const result = await quiet(() =>
      relay({ feed, publisher: publisher(10), onDropped: (d) => dropped.push(d.record.itemId) })(sqsEvent(records)),
    );
    assert.deepEqual(ids(result), [records[1]!.messageId, records[3]!.messageId]);
    assert.deepEqual(dropped, []);
    assert.deepEqual(control.items.map(wsText), ['a1', 'a2']);
  });

  test('MSK: an undeliverable record is dropped and the batch succeeds; a transient failure still throws', async () => {
    const event = mskEvent([
      kafkaRecord(chat('room', 'k0'), { offset: 0 }),
      kafkaRecord('not json', { offset: 1 }),
      kafkaRecord(chat('room', 'k2'), { offset: 2 }),
    ]);
    const dropped: string[] = [];
    assert.deepEqual(await quiet(() => relay({ publisher: publisher(10), onDropped: (d) => dropped.push(d.record.itemId) })(event)), {
      batchItemFailures: [],
    });
    assert.deepEqual(dropped, ['relay-topic-0-1']);
    assert.deepEqual(control.items.map(wsText), ['k0', 'k2']);
    control.reset();
    control.answer = () => 400;
    await assert.rejects(
      quiet(() => relay({ publisher: publisher(10, { attempts: 1 }) })(event)),
      /2 Kafka record\(s\) failed/,
    );
  });

  test('onDropped throwing is logged, and the batch still succeeds', async () => {
    const { result, logs } = await captured(() =>
      relay({
        publisher: publisher(10),
        onDropped: () => {
          throw new Error('metrics down');
        },
      })(sqsEvent([sqsRecord('not json', { groupId: 'g' }), sqsRecord(chat('room', 'ok'), { groupId: 'g' })])),
    );
    assert.deepEqual(result, { batchItemFailures: [] });
    assert.ok(logs.some((line) => line.includes('onDropped threw: metrics down')));
    assert.deepEqual(control.items.map(wsText), ['ok']);
  });

  test('control endpoint answering 500: retried within limits, then every unpublished record is failed', async () => {
    control.answer = (n) => (n === 0 ? 200 : 500);
    const feed = new MemoryFeed();
    const records = Array.from({ length: 10 }, (_, i) => sqsRecord(chat('room', `m${i}`), { groupId: 'g' }));
    const started = Date.now();
    const result = await quiet(() =>
      relay({ feed, publisher: publisher(4, { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 }) })(sqsEvent(records), lambdaContext(5_000)),
    );
    assert.ok(Date.now() - started < 3_000);
    assert.deepEqual(
      ids(result),
      records.slice(4).map((r) => r.messageId),
    );
    // One request for the first batch; three attempts at the second; the third is never sent.
    assert.equal(control.requests.length, 1 + 3);
    assert.deepEqual(control.requests[1]!.map(wsText), ['m4', 'm5', 'm6', 'm7']);
    assert.deepEqual(control.requests[3], control.requests[1], 'each retry sends the same batch');
  });

  test('429 is retried too, and a batch that gets through on a retry is not failed', async () => {
    control.answer = (n) => (n < 2 ? 429 : 200);
    const records = Array.from({ length: 3 }, (_, i) => sqsRecord(chat('room', `m${i}`), { groupId: 'g' }));
    const result = await relay({ feed: new MemoryFeed(), publisher: publisher(10) })(sqsEvent(records));
    assert.deepEqual(result, { batchItemFailures: [] });
    assert.equal(control.requests.length, 3);
  });

  test('MSK: a mapper failure throws (no partial batch response for Kafka)', async () => {
    const event = mskEvent([kafkaRecord(chat('room', 'k0'), { offset: 0 }), kafkaRecord(chat('room', 'k1'), { offset: 1 })]);
    await assert.rejects(
      quiet(() => relay({ feed: new MemoryFeed(), publisher: publisher(10), map: failingOn('k1') })(event)),
      /1 Kafka record\(s\) failed/,
    );
    assert.deepEqual(control.items.map(wsText), ['k0']);
  });

  test('self-managed Kafka: a publish failure throws; the retried batch is stored once and republished with the same ids', async () => {
    control.answer = () => 503;
    const feed = new MemoryFeed();
    const event = selfManagedKafkaEvent([kafkaRecord(chat('room', 'k0'), { offset: 0 }), kafkaRecord(chat('room', 'k1'), { offset: 1 })]);
    const handler = relay({ feed, publisher: publisher(10, { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 }) });
    await assert.rejects(
      quiet(() => handler(event)),
      /2 Kafka record\(s\) failed/,
    );
    const first = control.items.slice(0, 2);
    control.reset();
    await handler(event);
    assert.equal(feed.size('room'), 2);
    assert.deepEqual(control.items, first);
  });

  test('a retried record (same dedupe key) is not appended twice and is republished with the same id and prev-id', async () => {
    const feed = new MemoryFeed();
    const handler = relay({ feed, publisher: publisher(10, { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 }) });
    const queue = new FifoQueue(10);
    for (let i = 0; i < 5; i++) queue.send(chat('room', `m${i}`), 'g');

    control.answer = () => 500;
    const batch1 = queue.receive()!;
    const result1 = await quiet(() => handler(batch1, lambdaContext(3_000)));
    assert.equal(result1.batchItemFailures.length, 5);
    assert.equal(queue.settle(batch1, result1), 0);
    const failedAttempt = control.items.slice(0, 5);
    assert.equal(feed.size('room'), 5);
    assert.ok(feed.appends.every((a) => !a.result.duplicate));

    control.reset();
    const batch2 = queue.receive()!;
    assert.deepEqual(
      batch2.Records.map((r: SQSRecord) => r.attributes.ApproximateReceiveCount),
      ['2', '2', '2', '2', '2'],
    );
    const result2 = await handler(batch2, lambdaContext(3_000));
    assert.deepEqual(result2, { batchItemFailures: [] });
    assert.equal(queue.settle(batch2, result2), 5);
    assert.equal(queue.size, 0);
    assert.equal(feed.size('room'), 5, 'nothing appended twice');
    assert.deepEqual(
      feed.appends.slice(5).map((a) => a.result.duplicate),
      [true, true, true, true, true],
    );
    assert.deepEqual(control.items, failedAttempt, 'republished with the same ids, prev-ids and content');
  });

  test('a record mapped to several messages, or to none', async () => {
    const feed = new MemoryFeed();
    const map: RelayMapper = (record) => {
      const text = Buffer.from(record.body).toString('utf8');
      if (text === 'skip') return null;
      return [
        { channel: 'a', message: `${text}-a` },
        { channel: 'b', message: `${text}-b` },
      ];
    };
    const records = [sqsRecord('one', { groupId: 'g' }), sqsRecord('skip', { groupId: 'g' }), sqsRecord('two', { groupId: 'g' })];
    const result = await relay({ feed, publisher: publisher(3), map })(sqsEvent(records));
    assert.deepEqual(result, { batchItemFailures: [] });
    assert.deepEqual(control.items.map(wsText), ['one-a', 'one-b', 'two-a', 'two-b']);
    // A record's items are never split across requests: 2 + 2 > 3.
    assert.deepEqual(
      control.requests.map((r) => r.length),
      [2, 2],
    );
    assert.deepEqual(
      feed.appends.map((a) => a.key),
      [
        `sqs:${records[0]!.messageId}#0`,
        `sqs:${records[0]!.messageId}#1`,
        `sqs:${records[2]!.messageId}#0`,
        `sqs:${records[2]!.messageId}#1`,
      ],
    );
  });
});

describe('the example relay queue (serverless.yml)', () => {
  test('has a FIFO dead-letter queue that takes a record after 5 receives', () => {
    // CloudFormation's !GetAtt read as its plain value ("Name.Attribute").
    const config = parseYaml(readFileSync(new URL('../../serverless.yml', import.meta.url), 'utf8'), {
      customTags: [{ tag: '!GetAtt', resolve: (value: string) => value }],
    }) as { resources: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> } };
    const resources = config.resources.Resources;
    const queue = resources['RelayQueue']!.Properties;
    const policy = queue['RedrivePolicy'] as { deadLetterTargetArn: string; maxReceiveCount: number };
    assert.equal(policy.deadLetterTargetArn, 'RelayDeadLetterQueue.Arn');
    assert.equal(policy.maxReceiveCount, 5);
    const dlq = resources['RelayDeadLetterQueue']!;
    assert.equal(dlq.Type, 'AWS::SQS::Queue');
    assert.equal(dlq.Properties['FifoQueue'], true, "a FIFO queue's dead-letter queue must be FIFO");
  });
});
