/**
 * Builders of the events Lambda hands a relay, modelled on the shapes AWS
 * documents (and @types/aws-lambda types):
 *   SQS           https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
 *   Kinesis       https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html
 *   DynamoDB      https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html
 *   MSK           https://docs.aws.amazon.com/lambda/latest/dg/with-msk.html
 *   Kafka         https://docs.aws.amazon.com/lambda/latest/dg/with-kafka.html
 * plus a Lambda-like Context and a small model of how Lambda re-delivers an
 * SQS FIFO queue's records after a partial batch response.
 */
import { lambdaContext as localLambdaContext } from '../../src/local/function-host.js';
import type {
  AttributeValue,
  Context,
  DynamoDBRecord,
  DynamoDBStreamEvent,
  KinesisStreamEvent,
  KinesisStreamRecord,
  MSKEvent,
  MSKRecord,
  SelfManagedKafkaEvent,
  SQSEvent,
  SQSRecord,
} from 'aws-lambda';
import { createHash, randomUUID } from 'node:crypto';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';

// ---------------------------------------------------------------- SQS

export interface SqsRecordOptions {
  readonly messageId?: string;
  /** A FIFO queue's message group; omitted for a standard queue. */
  readonly groupId?: string;
  /** FIFO only: SQS's sequence number (a 20-digit string). */
  readonly sequenceNumber?: string;
  readonly deduplicationId?: string;
  readonly receiveCount?: number;
  /** Queue name; ".fifo" is added for FIFO records when missing. */
  readonly queue?: string;
}

let sqsSequence = 18_849_496_460_467_696_128n;

/** One SQS record as Lambda delivers it (standard queue, or FIFO with `groupId`). */
export function sqsRecord(body: string, options: SqsRecordOptions = {}): SQSRecord {
  const fifo = options.groupId !== undefined;
  let queue = options.queue ?? (fifo ? 'relay-queue.fifo' : 'relay-queue');
  if (fifo && !queue.endsWith('.fifo')) queue += '.fifo';
  const now = Date.now();
  return {
    messageId: options.messageId ?? randomUUID(),
    receiptHandle: `AQEB${Buffer.from(randomUUID()).toString('base64')}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: String(now - 5),
      SenderId: 'AIDAIENQZJOLO23YVJ4VO',
      ApproximateFirstReceiveTimestamp: String(now),
      ...(fifo
        ? {
            MessageGroupId: options.groupId,
            SequenceNumber: options.sequenceNumber ?? String(sqsSequence++),
            MessageDeduplicationId: options.deduplicationId ?? createHash('sha256').update(body).digest('hex'),
          }
        : {}),
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:${REGION}:${ACCOUNT}:${queue}`,
    awsRegion: REGION,
  };
}

export function sqsEvent(records: readonly SQSRecord[]): SQSEvent {
  return { Records: [...records] };
}

/** The same record delivered again (a retry): same ids, one more receive. */
export function redelivered(record: SQSRecord): SQSRecord {
  return {
    ...record,
    receiptHandle: `AQEB${Buffer.from(randomUUID()).toString('base64')}`,
    attributes: { ...record.attributes, ApproximateReceiveCount: String(Number(record.attributes.ApproximateReceiveCount) + 1) },
  };
}

// ---------------------------------------------------------------- Kinesis

export interface KinesisRecordOptions {
  readonly shardId?: string;
  readonly sequenceNumber?: string;
  readonly partitionKey?: string;
  readonly stream?: string;
}

let kinesisSequence = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;

/** One Kinesis record; `data` is the payload before base64. */
export function kinesisRecord(data: string | Uint8Array, options: KinesisRecordOptions = {}): KinesisStreamRecord {
  const shardId = options.shardId ?? 'shardId-000000000000';
  const sequenceNumber = options.sequenceNumber ?? String(kinesisSequence++);
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: options.partitionKey ?? 'key-1',
      sequenceNumber,
      data: Buffer.from(data).toString('base64'),
      approximateArrivalTimestamp: Date.now() / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: `arn:aws:iam::${ACCOUNT}:role/lambda-role`,
    awsRegion: REGION,
    eventSourceARN: `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${options.stream ?? 'relay-stream'}`,
  };
}

export function kinesisEvent(records: readonly KinesisStreamRecord[]): KinesisStreamEvent {
  return { Records: [...records] };
}

// ---------------------------------------------------------------- DynamoDB Streams

export interface DynamoDbRecordOptions {
  readonly eventName?: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly keys: Record<string, AttributeValue>;
  readonly newImage?: Record<string, AttributeValue>;
  readonly oldImage?: Record<string, AttributeValue>;
  readonly sequenceNumber?: string;
  readonly table?: string;
}

let dynamoSequence = 111n;

/** One DynamoDB Streams record (view type NEW_AND_OLD_IMAGES). */
export function dynamodbRecord(options: DynamoDbRecordOptions): DynamoDBRecord {
  const sequenceNumber = options.sequenceNumber ?? String(dynamoSequence++).padStart(21, '0');
  const table = options.table ?? 'RelayTable';
  return {
    eventID: randomUUID().replaceAll('-', ''),
    eventName: options.eventName ?? (options.oldImage === undefined ? 'INSERT' : options.newImage === undefined ? 'REMOVE' : 'MODIFY'),
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: REGION,
    dynamodb: {
      ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
      Keys: options.keys,
      ...(options.newImage !== undefined ? { NewImage: options.newImage } : {}),
      ...(options.oldImage !== undefined ? { OldImage: options.oldImage } : {}),
      SequenceNumber: sequenceNumber,
      SizeBytes: 26,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    eventSourceARN: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${table}/stream/2024-06-27T00:48:05.899`,
  };
}

export function dynamodbEvent(records: readonly DynamoDBRecord[]): DynamoDBStreamEvent {
  return { Records: [...records] };
}

// ---------------------------------------------------------------- Kafka (MSK and self-managed)

export interface KafkaRecordOptions {
  readonly topic?: string;
  readonly partition?: number;
  readonly offset: number;
  readonly key?: string;
  readonly headers?: Record<string, string>;
}

/** One Kafka record; `value` is the payload before base64. */
export function kafkaRecord(value: string | Uint8Array, options: KafkaRecordOptions): MSKRecord {
  return {
    topic: options.topic ?? 'relay-topic',
    partition: options.partition ?? 0,
    offset: options.offset,
    timestamp: Date.now(),
    timestampType: 'CREATE_TIME',
    key: Buffer.from(options.key ?? 'key').toString('base64'),
    value: Buffer.from(value).toString('base64'),
    headers: Object.entries(options.headers ?? {}).map(([name, text]) => ({ [name]: [...Buffer.from(text)] })),
  };
}

/** Records grouped by "topic-partition", as Lambda does. */
function byPartition(records: readonly MSKRecord[]): Record<string, MSKRecord[]> {
  const out: Record<string, MSKRecord[]> = {};
  for (const record of records) (out[`${record.topic}-${record.partition}`] ??= []).push(record);
  return out;
}

export function mskEvent(records: readonly MSKRecord[]): MSKEvent {
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: `arn:aws:kafka:${REGION}:${ACCOUNT}:cluster/relay-cluster/abcd1234-abcd-cafe-abab-9876543210ab-4`,
    bootstrapServers:
      'b-2.relay-cluster.abcde.c2.kafka.us-east-1.amazonaws.com:9092,b-1.relay-cluster.abcde.c2.kafka.us-east-1.amazonaws.com:9092',
    records: byPartition(records),
  };
}

export function selfManagedKafkaEvent(records: readonly MSKRecord[]): SelfManagedKafkaEvent {
  return {
    eventSource: 'SelfManagedKafka',
    bootstrapServers: 'kafka-1.example.com:9092,kafka-2.example.com:9092',
    records: byPartition(records),
  };
}

// ---------------------------------------------------------------- Lambda context

/** A Lambda Context whose invocation ends `remainingMs` after this call. */
export function lambdaContext(remainingMs: number, functionName = 'relay'): Context {
  return localLambdaContext(functionName, Date.now() + remainingMs);
}

// ---------------------------------------------------------------- SQS FIFO re-delivery

/**
 * A FIFO queue as Lambda's SQS poller sees it, with a partial batch
 * response: each batch is the oldest `batchSize` visible records; records
 * reported in batchItemFailures stay in the queue and come back (with a
 * higher receive count) ahead of everything behind them; the rest are
 * deleted. Checks the order guarantee the relay must keep: within a
 * message group, once a record failed every later record of the batch
 * failed too (else deleting them would reorder the group).
 */
export class FifoQueue {
  #records: SQSRecord[] = [];
  readonly batchSize: number;

  constructor(batchSize = 10) {
    this.batchSize = batchSize;
  }

  get size(): number {
    return this.#records.length;
  }

  send(body: string, groupId: string): SQSRecord {
    const record = sqsRecord(body, { groupId });
    this.#records.push(record);
    return record;
  }

  /** The next batch, or undefined when the queue is empty. */
  receive(): SQSEvent | undefined {
    if (this.#records.length === 0) return undefined;
    return sqsEvent(this.#records.slice(0, this.batchSize));
  }

  /**
   * Applies a batch response to the batch last received: deletes the
   * records not named, re-delivers the rest later.
   * @throws Error when a failure does not cover the rest of its group.
   */
  settle(batch: SQSEvent, response: { readonly batchItemFailures: readonly { readonly itemIdentifier: string }[] }): number {
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    const brokenGroups = new Set<string>();
    for (const record of batch.Records) {
      const group = record.attributes.MessageGroupId ?? '';
      if (failed.has(record.messageId)) brokenGroups.add(group);
      else if (brokenGroups.has(group)) {
        throw new Error(`record ${record.messageId} of group ${group} succeeded after an earlier record of its group failed`);
      }
    }
    const ids = new Set(batch.Records.map((r) => r.messageId));
    const head = this.#records.slice(0, batch.Records.length);
    if (head.some((r) => !ids.has(r.messageId))) throw new Error('settle() must follow the receive() of the same batch');
    this.#records = [...head.filter((r) => failed.has(r.messageId)).map(redelivered), ...this.#records.slice(batch.Records.length)];
    return batch.Records.length - failed.size;
  }
}

/** Compares two Redis stream ids ("ms-seq") as numbers: negative, 0 or positive. */
export function compareStreamIds(a: string, b: string): number {
  const [aMs = 0n, aSeq = 0n] = a.split('-').map(BigInt);
  const [bMs = 0n, bSeq = 0n] = b.split('-').map(BigInt);
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  return aSeq === bSeq ? 0 : aSeq < bSeq ? -1 : 1;
}
