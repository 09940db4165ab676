import type { SequenceMark, SequenceStore } from '../../publish/sequence.js';
import { StoreUnavailableError } from '../unavailable.js';
import { DynamoDBError } from './api.js';
import { checkKey, type DynamoTable, storeTable } from './table-client.js';

export interface DynamoSequencesOptions {
  /** Seconds a channel's numbering outlives its last message; then it starts again under a new `pub`. Default one day. */
  readonly idleSeconds?: number;
  /** Longest an operation waits for DynamoDB, in ms; default 1000. For a table named by a string; a DynamoTable has its own. */
  readonly timeoutMs?: number;
}

/* One item per channel (docs/state.md): pk "s#CHANNEL", sk "#", with pub, seq, exp (ms) and ttl. */
const sequenceKey = (channel: string) => ({ pk: { S: `s#${channel}` }, sk: { S: '#' } });

interface Asking {
  resolve(mark: SequenceMark): void;
  reject(error: unknown): void;
}

/**
 * Sequence numbers in one DynamoDB table: one numbering per channel for
 * every container, numbers taken by an atomic ADD. Marks asked for at once
 * in one container share one request, and come back in the order asked.
 */
export class DynamoSequences implements SequenceStore {
  readonly #table: DynamoTable;
  readonly #idleMs: number;
  readonly #queues = new Map<string, Asking[]>();
  #closed = false;

  /** `table` is a DynamoTable, or a table name read with the AWS settings of the environment (settingsFromEnv). */
  constructor(table: DynamoTable | string, options: DynamoSequencesOptions = {}) {
    this.#table = storeTable(table, options.timeoutMs);
    const idleSeconds = options.idleSeconds ?? 86_400;
    if (!Number.isInteger(idleSeconds) || idleSeconds < 1)
      throw new TypeError(`idleSeconds must be a whole number of seconds >= 1, got ${idleSeconds}`);
    this.#idleMs = idleSeconds * 1000;
  }

  next(channel: string): Promise<SequenceMark> {
    checkKey('sequence next', 'channel', channel, 's#', 'partition');
    if (this.#closed) return Promise.reject(new StoreUnavailableError('sequence next: the sequence store is closed'));
    return new Promise((resolve, reject) => {
      const queue = this.#queues.get(channel);
      if (queue !== undefined) {
        queue.push({ resolve, reject });
        return;
      }
      const pending: Asking[] = [{ resolve, reject }];
      this.#queues.set(channel, pending);
      void (async () => {
        while (pending.length > 0) {
          const batch = pending.splice(0);
          try {
            const { pub, last } = await this.#take(channel, batch.length);
            for (const [i, asking] of batch.entries()) asking.resolve({ pub, seq: last - batch.length + 1 + i });
          } catch (error) {
            for (const asking of batch) asking.reject(error);
          }
        }
        this.#queues.delete(channel);
      })();
    });
  }

  /** Takes `count` numbers: the numbering's pub and the last number taken. */
  async #take(channel: string, count: number): Promise<{ pub: string; last: number }> {
    const budget = this.#table.budget();
    const call = <T>(operation: string, body: object) =>
      this.#table.call<T>('sequence next', operation, body, budget, StoreUnavailableError);
    for (;;) {
      const now = Date.now();
      const exp = { N: String(now + this.#idleMs) };
      const ttl = { N: String(Math.ceil((now + this.#idleMs) / 1000)) };
      try {
        const out = await call<{ Attributes: { pub: { S: string }; seq: { N: string } } }>('UpdateItem', {
          Key: sequenceKey(channel),
          UpdateExpression: 'SET #exp = :exp, #ttl = :ttl ADD seq :count',
          // A numbering idle past its time starts again (below), as its Redis key would have expired.
          ConditionExpression: 'attribute_exists(pk) AND #exp > :now',
          ExpressionAttributeNames: { '#exp': 'exp', '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':exp': exp, ':ttl': ttl, ':count': { N: String(count) }, ':now': { N: String(now) } },
          ReturnValues: 'ALL_NEW',
        });
        return { pub: out.Attributes.pub.S, last: Number(out.Attributes.seq.N) };
      } catch (error) {
        if (!(error instanceof DynamoDBError && error.type === 'ConditionalCheckFailedException')) throw error;
      }
      const pub = newPub();
      try {
        await call('PutItem', {
          Item: { ...sequenceKey(channel), pub: { S: pub }, seq: { N: String(count) }, exp, ttl },
          ConditionExpression: 'attribute_not_exists(pk) OR #exp <= :now',
          ExpressionAttributeNames: { '#exp': 'exp' },
          ExpressionAttributeValues: { ':now': { N: String(now) } },
        });
        return { pub, last: count };
      } catch (error) {
        // Another container started the numbering first: take from it.
        if (!(error instanceof DynamoDBError && error.type === 'ConditionalCheckFailedException')) throw error;
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}

/** 48 random bits, as 8 base64url characters: tells one numbering of a channel from the one before it. */
function newPub(): string {
  const bytes = Buffer.alloc(6);
  bytes.writeUIntBE(Math.floor(Math.random() * 2 ** 48), 0, 6);
  return bytes.toString('base64url');
}
