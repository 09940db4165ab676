import type {
  AttributeValue,
  DynamoDBRecord,
  DynamoDBStreamEvent,
  KinesisStreamEvent,
  KinesisStreamRecord,
  MSKEvent,
  SelfManagedKafkaEvent,
  SQSEvent,
  SQSRecord,
} from 'aws-lambda';
import { isObject } from '../guards.js';

export type SourceKind = 'sqs' | 'kinesis' | 'dynamodb' | 'kafka';

/** Every event shape a relay consumes. */
export type RelayEvent = SQSEvent | KinesisStreamEvent | DynamoDBStreamEvent | MSKEvent | SelfManagedKafkaEvent;

/** One record of any source, in the terms a relay needs. */
export interface SourceRecord {
  readonly kind: SourceKind;
  /** The id `batchItemFailures` names: SQS messageId, Kinesis or DynamoDB sequence number; for Kafka, topic-partition-offset. */
  readonly itemId: string;
  /** Records with the same key keep their order: SQS FIFO message group, Kinesis or DynamoDB shard, Kafka topic-partition. */
  readonly orderKey: string;
  /** Stable across retries, for idempotent appends. */
  readonly dedupeKey: string;
  /** The payload: SQS body, Kinesis data, Kafka value (decoded), DynamoDB NewImage as JSON. */
  readonly body: Uint8Array;
  /** The record as Lambda delivered it. */
  readonly raw: SQSRecord | KinesisStreamRecord | DynamoDBRecord | MSKEvent['records'][string][number];
}

/** Reads a source event into records, in delivery order. @throws TypeError for an event of no known source. */
export function readSourceRecords(event: unknown): { kind: SourceKind; records: SourceRecord[] } {
  if (!isObject(event)) throw new TypeError('relay event is not an object');
  if ((event.eventSource === 'aws:kafka' || event.eventSource === 'SelfManagedKafka') && isObject(event.records)) {
    return { kind: 'kafka', records: kafkaRecords(event as unknown as MSKEvent) };
  }
  const list = event.Records;
  if (!Array.isArray(list) || list.length === 0 || !isObject(list[0])) {
    throw new TypeError('relay event has no Records of a known source (SQS, Kinesis, DynamoDB Streams, Kafka)');
  }
  const source = list[0].eventSource;
  if (source === 'aws:sqs') return { kind: 'sqs', records: (list as SQSRecord[]).map(sqsRecord) };
  if (source === 'aws:kinesis') return { kind: 'kinesis', records: (list as KinesisStreamRecord[]).map(kinesisRecord) };
  if (source === 'aws:dynamodb') return { kind: 'dynamodb', records: (list as DynamoDBRecord[]).map(dynamodbRecord) };
  throw new TypeError(`relay event source ${JSON.stringify(source)} is not SQS, Kinesis, DynamoDB Streams or Kafka`);
}

function sqsRecord(record: SQSRecord): SourceRecord {
  const group = record.attributes?.MessageGroupId;
  return {
    kind: 'sqs',
    itemId: record.messageId,
    // Standard queues promise no order: each message stands alone.
    orderKey: group !== undefined ? `group:${group}` : `message:${record.messageId}`,
    dedupeKey: `sqs:${record.messageId}`,
    body: Buffer.from(record.body ?? '', 'utf8'),
    raw: record,
  };
}

function kinesisRecord(record: KinesisStreamRecord): SourceRecord {
  const shard = record.eventID?.split(':')[0] ?? '';
  return {
    kind: 'kinesis',
    itemId: record.kinesis.sequenceNumber,
    orderKey: `${record.eventSourceARN}/${shard}`,
    dedupeKey: `kinesis:${shard}:${record.kinesis.sequenceNumber}`,
    body: Buffer.from(record.kinesis.data, 'base64'),
    raw: record,
  };
}

function dynamodbRecord(record: DynamoDBRecord): SourceRecord {
  const sequence = record.dynamodb?.SequenceNumber ?? record.eventID ?? '';
  const image = record.dynamodb?.NewImage;
  return {
    kind: 'dynamodb',
    itemId: sequence,
    orderKey: record.eventSourceARN ?? 'dynamodb',
    dedupeKey: `dynamodb:${sequence}`,
    body: Buffer.from(image !== undefined ? JSON.stringify(unmarshall(image)) : '', 'utf8'),
    raw: record,
  };
}

function kafkaRecords(event: MSKEvent): SourceRecord[] {
  const out: SourceRecord[] = [];
  for (const list of Object.values(event.records)) {
    for (const record of list) {
      const position = `${record.topic}-${record.partition}-${record.offset}`;
      out.push({
        kind: 'kafka',
        itemId: position,
        orderKey: `${record.topic}-${record.partition}`,
        dedupeKey: `kafka:${position}`,
        body: Buffer.from(record.value ?? '', 'base64'),
        raw: record,
      });
    }
  }
  return out;
}

/** DynamoDB's typed attribute values as plain JSON (numbers as numbers, sets as arrays). */
export function unmarshall(image: Record<string, AttributeValue>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(image)) out[name] = attribute(value);
  return out;
}

function attribute(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.M !== undefined) return unmarshall(value.M);
  if (value.L !== undefined) return value.L.map(attribute);
  if (value.SS !== undefined) return value.SS;
  if (value.NS !== undefined) return value.NS.map(Number);
  if (value.B !== undefined) return value.B;
  if (value.BS !== undefined) return value.BS;
  return undefined;
}
