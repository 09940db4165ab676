import {
  FEED_START,
  FeedUnavailableError,
  isStreamId,
  type AppendOptions,
  type AppendResult,
  type Feed,
  type FeedItem,
} from '../../feed/feed.js';
import { DynamoDBError, type Item } from './api.js';
import { checkItemSize, checkKey, type DynamoTable, storeTable, type Budget } from './table-client.js';
import { log } from '../../observe/current.js';

export interface DynamoFeedOptions {
  /** Approximate number of items kept per channel; default 10,000 (as Redis's). */
  readonly maxLength?: number;
  /** Seconds an item is kept at most (its `ttl`, and never read after it); default 7 days. */
  readonly ttlSeconds?: number;
  /** Seconds an idempotency key is remembered; default one day. */
  readonly keyTtlSeconds?: number;
  /**
   * Longest an operation waits for DynamoDB, in ms, before it fails with
   * FeedUnavailableError; default 1000, below 5000 (when a pending append is
   * taken for abandoned). For a table named by a string; a DynamoTable has its own.
   */
  readonly timeoutMs?: number;
}

/*
 * Items (docs/state.md has the whole table):
 *   pk "f#CHANNEL", sk "#head"          the channel's head: last id issued, the live item the next append follows, n
 *   pk "f#CHANNEL", sk "i#MS-SEQ"        one item: d (data), n (its ordinal), p (prev id), at (written, ms), ttl; gone once retracted
 *   pk "fk#CHANNEL", sk KEY              an idempotency key: pending while its append runs, then the append's id and prev
 * Ids are taken by a conditional write of the head (no two appends get one id; the order is the head's), then the
 * items are written. A reader may see an item before the one before it is written: items carry consecutive
 * ordinals, and a reader stops at a gap until it is filled (or, if its writer gave up, is old).
 */
const HEAD = '#head';
const ITEM = 'i#';
/** Above every item's sort key ("i#" + digits). */
const ITEMS_END = 'i#~';
/** A gap in the ordinals older than this is an append that never wrote its item: readers go past it. */
const GAP_GRACE_MS = 5_000;
/** A pending idempotency key older than this belongs to an append that ended without settling it. */
const STALE_CLAIM_MS = 5_000;
const PAD = 20;

const feedKey = (channel: string) => `f#${channel}`;
const keysKey = (channel: string) => `fk#${channel}`;
const itemKey = (id: string) => {
  const [ms, seq] = id.split('-') as [string, string];
  return `${ITEM}${ms.padStart(PAD, '0')}-${seq.padStart(PAD, '0')}`;
};
const idOf = (sk: string) => {
  const [ms, seq] = sk.slice(ITEM.length).split('-') as [string, string];
  return `${BigInt(ms)}-${BigInt(seq)}`;
};

/** The id after `last`, from the clock when it has moved past `last`'s time (as Redis stream ids). */
function nextId(last: string, now: number): string {
  const [ms, seq] = last.split('-').map(BigInt) as [bigint, bigint];
  const clock = BigInt(now);
  return clock > ms ? `${clock}-0` : `${ms}-${seq + 1n}`;
}

interface Head {
  /** The last id issued (never issued again). */
  readonly last: string;
  /** The newest item not retracted: the next append's prev id. */
  readonly live: string;
  readonly n: number;
  readonly exists: boolean;
}

const EMPTY_HEAD: Head = { last: FEED_START, live: FEED_START, n: 0, exists: false };

interface Waiting {
  readonly data: string;
  readonly key: string | undefined;
  readonly budget: Budget;
  resolve(result: { id: string; prevId: string }): void;
  reject(error: unknown): void;
}

type StoredItem = {
  sk: { S: string };
  n?: { N: string };
  d?: { S: string };
  p?: { S: string };
  at?: { N: string };
  ttl?: { N: string };
  gone?: { BOOL: boolean };
  k?: { S: string };
};

/**
 * A feed kept in one DynamoDB table (see docs/state.md). Every operation
 * answers or fails with FeedUnavailableError within `timeoutMs`; reads that
 * order matters to are consistent reads. Appends to one channel made at once
 * in one container share a round trip.
 */
export class DynamoFeed implements Feed {
  readonly #table: DynamoTable;
  readonly #maxLength: number;
  readonly #trimEvery: number;
  readonly #ttlSeconds: number;
  readonly #keyTtlMs: number;
  /** The head as this container last wrote or read it: the next append's guess. */
  readonly #heads = new Map<string, Head>();
  readonly #queues = new Map<string, Waiting[]>();
  /** The channels' append loops running now: close waits for them. */
  readonly #running = new Set<Promise<void>>();
  #closed = false;

  /** `table` is a DynamoTable, or a table name read with the AWS settings of the environment (settingsFromEnv). */
  constructor(table: DynamoTable | string, options: DynamoFeedOptions = {}) {
    this.#table = storeTable(table, options.timeoutMs);
    // An append that runs past these windows would be taken for abandoned while it still writes.
    if (this.#table.timeoutMs >= Math.min(STALE_CLAIM_MS, GAP_GRACE_MS))
      throw new RangeError(
        `the feed's DynamoDB budget must be below ${Math.min(STALE_CLAIM_MS, GAP_GRACE_MS)} ms, after which a pending append is taken for abandoned; got ${this.#table.timeoutMs} ms`,
      );
    this.#maxLength = options.maxLength ?? 10_000;
    if (!Number.isInteger(this.#maxLength) || this.#maxLength < 1)
      throw new TypeError(`maxLength must be a whole number >= 1, got ${this.#maxLength}`);
    // Trimmed every tenth of maxLength appends (at most every 100): about maxLength kept, as XADD MAXLEN ~ keeps.
    this.#trimEvery = Math.max(1, Math.min(100, Math.floor(this.#maxLength / 10)));
    this.#ttlSeconds = options.ttlSeconds ?? 7 * 86_400;
    this.#keyTtlMs = (options.keyTtlSeconds ?? 86_400) * 1000;
  }

  /** Loads the HTTP signer now (call at module load, so a cold start does it in Lambda's init). */
  warm(): void {
    this.#table.api.warm();
  }

  #call<T = Record<string, unknown>>(what: string, operation: string, body: object, budget: Budget): Promise<T> {
    if (this.#closed) return Promise.reject(new FeedUnavailableError(`${what}: the feed is closed`));
    return this.#table.call<T>(what, operation, body, budget, FeedUnavailableError);
  }

  async append(channel: string, data: string, options: AppendOptions = {}): Promise<AppendResult> {
    checkKey('feed append', 'channel', channel, 'fk#', 'partition');
    const key = options.key;
    if (key !== undefined) checkKey('feed append', 'idempotency key', key, '', 'sort');
    if (typeof data !== 'string') throw new TypeError('data must be a string');
    checkItemSize('feed append', this.#itemFor(channel, '0-0', 0, FEED_START, data, key));
    const budget = this.#table.budget();
    let claim: string | undefined;
    if (key !== undefined) {
      const claimed = await this.#claim(channel, key, budget);
      if (typeof claimed !== 'string') return claimed;
      claim = claimed;
    }
    try {
      const { id, prevId } = await new Promise<{ id: string; prevId: string }>((resolve, reject) => {
        this.#enqueue(channel, { data, key, budget, resolve, reject });
      });
      if (key !== undefined) await this.#settle(channel, key, claim!, id, prevId, budget);
      return { id, prevId, duplicate: false };
    } catch (error) {
      // The key is freed at once for a retry (or, if DynamoDB is away, once the claim is stale).
      if (key !== undefined) await this.#release(channel, key, claim!).catch(() => undefined);
      throw error;
    }
  }

  #itemFor(channel: string, id: string, n: number, prev: string, data: string, key: string | undefined): Item {
    const now = Date.now();
    return {
      pk: { S: feedKey(channel) },
      sk: { S: itemKey(id) },
      d: { S: data },
      n: { N: String(n) },
      p: { S: prev },
      at: { N: String(now) },
      ttl: { N: String(Math.floor(now / 1000) + this.#ttlSeconds) },
      ...(key !== undefined ? { k: { S: key } } : {}),
    };
  }

  #enqueue(channel: string, waiting: Waiting): void {
    const queue = this.#queues.get(channel);
    if (queue !== undefined) {
      queue.push(waiting);
      return;
    }
    const pending = [waiting];
    this.#queues.set(channel, pending);
    const running = (async () => {
      while (pending.length > 0) {
        const batch = pending.splice(0, 25).filter((w) => {
          if (w.budget.left > 0) return true;
          w.reject(new FeedUnavailableError(`feed append: DynamoDB did not answer within ${w.budget.timeoutMs} ms`));
          return false;
        });
        if (batch.length > 0) await this.#appendBatch(channel, batch);
      }
      this.#queues.delete(channel);
    })();
    this.#running.add(running);
    void running.finally(() => this.#running.delete(running));
  }

  /** Takes ids for the batch with one conditional write of the head, then writes the items. */
  async #appendBatch(channel: string, batch: Waiting[]): Promise<void> {
    const budget = batch[0]!.budget;
    let head: Head;
    const ids: string[] = [];
    try {
      head = this.#heads.get(channel) ?? (await this.#readHead(channel, budget));
      for (;;) {
        ids.length = 0;
        let last = head.last;
        for (let i = 0; i < batch.length; i++) ids.push((last = nextId(last, Date.now())));
        const next: Head = { last, live: last, n: head.n + batch.length, exists: true };
        try {
          await this.#call(
            'feed append',
            'UpdateItem',
            {
              Key: { pk: { S: feedKey(channel) }, sk: { S: HEAD } },
              UpdateExpression: 'SET #last = :last, #live = :live, #n = :n, #ttl = :ttl',
              ConditionExpression: head.exists ? '#last = :oldLast AND #live = :oldLive' : 'attribute_not_exists(pk)',
              ExpressionAttributeNames: { '#last': 'last', '#live': 'live', '#n': 'n', '#ttl': 'ttl' },
              ExpressionAttributeValues: {
                ':last': { S: next.last },
                ':live': { S: next.live },
                ':n': { N: String(next.n) },
                // The head outlives the items, so ids keep increasing while any item is kept.
                ':ttl': { N: String(Math.floor(Date.now() / 1000) + this.#ttlSeconds + 86_400) },
                ...(head.exists ? { ':oldLast': { S: head.last }, ':oldLive': { S: head.live } } : {}),
              },
            },
            budget,
          );
          this.#heads.set(channel, next);
          break;
        } catch (error) {
          if (!(error instanceof DynamoDBError && error.type === 'ConditionalCheckFailedException')) throw error;
          // Another container appended (or retracted): read the head again and try again, within the budget.
          head = await this.#readHead(channel, budget);
        }
      }
    } catch (error) {
      this.#heads.delete(channel);
      for (const waiting of batch) waiting.reject(error);
      return;
    }
    let prev = head.live;
    await Promise.all(
      batch.map(async (waiting, i) => {
        const id = ids[i]!;
        const prevId = prev;
        prev = id;
        try {
          await this.#call(
            'feed append',
            'PutItem',
            { Item: this.#itemFor(channel, id, head.n + i + 1, prevId, waiting.data, waiting.key) },
            waiting.budget,
          );
          waiting.resolve({ id, prevId });
        } catch (error) {
          waiting.reject(error);
        }
      }),
    );
    const n = head.n + batch.length;
    if (Math.floor(n / this.#trimEvery) > Math.floor(head.n / this.#trimEvery) && n > this.#maxLength) {
      await this.#trim(channel, n - this.#maxLength).catch((error: unknown) =>
        log('error', `feed: trimming ${channel} to ${this.#maxLength} items failed: ${(error as Error).message}`),
      );
    }
  }

  async #readHead(channel: string, budget: Budget): Promise<Head> {
    const out = await this.#call<{ Item?: { last: { S: string }; live: { S: string }; n: { N: string } } }>(
      'feed append',
      'GetItem',
      { Key: { pk: { S: feedKey(channel) }, sk: { S: HEAD } }, ConsistentRead: true },
      budget,
    );
    if (out.Item === undefined) return EMPTY_HEAD;
    return { last: out.Item.last.S, live: out.Item.live.S, n: Number(out.Item.n.N), exists: true };
  }

  /** Deletes the items whose ordinal is at most `upTo`, oldest first, a page at a time. */
  async #trim(channel: string, upTo: number): Promise<void> {
    const budget = this.#table.budget();
    const out = await this.#call<{ Items?: StoredItem[] }>(
      'feed trim',
      'Query',
      {
        KeyConditionExpression: 'pk = :p AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':p': { S: feedKey(channel) }, ':from': { S: ITEM }, ':to': { S: ITEMS_END } },
        ProjectionExpression: 'sk, n',
        Limit: Math.min(1000, 2 * this.#trimEvery + 10),
      },
      budget,
    );
    const old = (out.Items ?? []).filter((item) => Number(item.n?.N ?? 0) <= upTo);
    for (let i = 0; i < old.length; i += 25) {
      // Unprocessed deletes are left for the next trim.
      await this.#call(
        'feed trim',
        'BatchWriteItem',
        {
          TableName: undefined,
          RequestItems: {
            [this.#table.name]: old
              .slice(i, i + 25)
              .map((item) => ({ DeleteRequest: { Key: { pk: { S: feedKey(channel) }, sk: item.sk } } })),
          },
        },
        budget,
      );
    }
  }

  /**
   * Claims the idempotency key for this append: the claim's token, or, when
   * the key was appended before, the first append's ids.
   */
  async #claim(channel: string, key: string, budget: Budget): Promise<string | AppendResult> {
    const token = Math.random().toString(36).slice(2);
    const keyItem = { pk: { S: keysKey(channel) }, sk: { S: key } };
    for (;;) {
      const now = Date.now();
      try {
        const out = await this.#call<{ Attributes?: { state?: { S: string } } }>(
          'feed append',
          'PutItem',
          {
            Item: {
              ...keyItem,
              state: { S: 'pending' },
              token: { S: token },
              claimed: { N: String(now) },
              exp: { N: String(now + this.#keyTtlMs) },
              ttl: { N: String(Math.ceil((now + this.#keyTtlMs) / 1000)) },
            },
            // Free, forgotten (its time is up, whatever DynamoDB's TTL has not yet deleted), or left pending by an append that ended.
            ConditionExpression: 'attribute_not_exists(pk) OR #exp < :now OR (#state = :pending AND claimed < :stale)',
            ExpressionAttributeNames: { '#exp': 'exp', '#state': 'state' },
            ExpressionAttributeValues: {
              ':now': { N: String(now) },
              ':pending': { S: 'pending' },
              ':stale': { N: String(now - STALE_CLAIM_MS) },
            },
            ReturnValues: 'ALL_OLD',
          },
          budget,
        );
        // Taken over from an append that ended unsettled: its item may have been written.
        if (out.Attributes?.state?.S === 'pending') {
          const written = await this.#findKeyed(channel, key, budget);
          if (written !== undefined) {
            await this.#settle(channel, key, token, written.id, written.prevId, budget);
            return { ...written, duplicate: true };
          }
        }
        return token;
      } catch (error) {
        if (!(error instanceof DynamoDBError && error.type === 'ConditionalCheckFailedException')) throw error;
      }
      const seen = await this.#call<{ Item?: { state: { S: string }; id?: { S: string }; prev?: { S: string } } }>(
        'feed append',
        'GetItem',
        { Key: keyItem, ConsistentRead: true },
        budget,
      );
      if (seen.Item?.state.S === 'done' && seen.Item.id !== undefined && seen.Item.prev !== undefined) {
        return { id: seen.Item.id.S, prevId: seen.Item.prev.S, duplicate: true };
      }
      // Another append with this key is under way: wait for its ids, within the budget.
      if (budget.left < 40) {
        throw new FeedUnavailableError(
          `feed append: an append with idempotency key ${JSON.stringify(key)} is still under way; retry later`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** A recent item of the channel appended with `key`, if any. */
  async #findKeyed(channel: string, key: string, budget: Budget): Promise<{ id: string; prevId: string } | undefined> {
    const out = await this.#call<{ Items?: StoredItem[] }>(
      'feed append',
      'Query',
      {
        KeyConditionExpression: 'pk = :p AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':p': { S: feedKey(channel) }, ':from': { S: ITEM }, ':to': { S: ITEMS_END } },
        ScanIndexForward: false,
        ConsistentRead: true,
        Limit: 50,
      },
      budget,
    );
    const item = (out.Items ?? []).find((i) => i.k?.S === key && i.gone === undefined);
    return item === undefined ? undefined : { id: idOf(item.sk.S), prevId: item.p?.S ?? FEED_START };
  }

  #settle(channel: string, key: string, token: string, id: string, prevId: string, budget: Budget): Promise<unknown> {
    return this.#call(
      'feed append',
      'UpdateItem',
      {
        Key: { pk: { S: keysKey(channel) }, sk: { S: key } },
        UpdateExpression: 'SET #state = :done, id = :id, prev = :prev',
        ConditionExpression: '#token = :token',
        ExpressionAttributeNames: { '#state': 'state', '#token': 'token' },
        ExpressionAttributeValues: { ':done': { S: 'done' }, ':id': { S: id }, ':prev': { S: prevId }, ':token': { S: token } },
      },
      budget,
    );
  }

  #release(channel: string, key: string, token: string): Promise<unknown> {
    return this.#call(
      'feed append',
      'DeleteItem',
      {
        Key: { pk: { S: keysKey(channel) }, sk: { S: key } },
        ConditionExpression: '#token = :token',
        ExpressionAttributeNames: { '#token': 'token' },
        ExpressionAttributeValues: { ':token': { S: token } },
      },
      this.#table.budget(),
    );
  }

  async retract(channel: string, id: string, options: AppendOptions = {}): Promise<void> {
    checkKey('feed retract', 'channel', channel, 'fk#', 'partition');
    if (!isStreamId(id)) throw new TypeError(`feed retract: ${JSON.stringify(id)} is not a feed id`);
    const budget = this.#table.budget();
    const ignoreFailedCondition = (error: unknown) => {
      if (!(error instanceof DynamoDBError && error.type === 'ConditionalCheckFailedException')) throw error;
      return undefined;
    };
    // A tombstone, not a delete: the ordinals stay consecutive, so readers see no gap to wait at.
    const out = await this.#call<{ Attributes?: StoredItem }>(
      'feed retract',
      'UpdateItem',
      {
        Key: { pk: { S: feedKey(channel) }, sk: { S: itemKey(id) } },
        UpdateExpression: 'SET gone = :gone REMOVE d',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':gone': { BOOL: true } },
        ReturnValues: 'ALL_OLD',
      },
      budget,
    ).catch(ignoreFailedCondition);
    const prev = out?.Attributes?.p?.S;
    if (prev !== undefined) {
      // The next append follows the item before, as if this one had never been (its id is not issued again).
      this.#heads.delete(channel);
      await this.#call(
        'feed retract',
        'UpdateItem',
        {
          Key: { pk: { S: feedKey(channel) }, sk: { S: HEAD } },
          UpdateExpression: 'SET #live = :prev',
          ConditionExpression: '#live = :id',
          ExpressionAttributeNames: { '#live': 'live' },
          ExpressionAttributeValues: { ':prev': { S: prev }, ':id': { S: id } },
        },
        budget,
      ).catch(ignoreFailedCondition);
    }
    if (options.key !== undefined) {
      await this.#call(
        'feed retract',
        'DeleteItem',
        {
          Key: { pk: { S: keysKey(channel) }, sk: { S: options.key } },
          ConditionExpression: 'id = :id',
          ExpressionAttributeValues: { ':id': { S: id } },
        },
        budget,
      ).catch(ignoreFailedCondition);
    }
  }

  async after(channel: string, lastId: string, limit = 1000): Promise<FeedItem[]> {
    checkKey('feed read', 'channel', channel, 'fk#', 'partition');
    if (!isStreamId(lastId)) throw new TypeError(`feed read: ${JSON.stringify(lastId)} is not a feed id`);
    const budget = this.#table.budget();
    const items: FeedItem[] = [];
    const now = Date.now();
    let expected: number | undefined;
    let start: Record<string, unknown> | undefined;
    for (;;) {
      // From lastId's own item (when still kept), whose ordinal says what comes next.
      const out = await this.#call<{ Items?: StoredItem[]; LastEvaluatedKey?: Record<string, unknown> }>(
        'feed read',
        'Query',
        {
          KeyConditionExpression: 'pk = :p AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':p': { S: feedKey(channel) }, ':from': { S: itemKey(lastId) }, ':to': { S: ITEMS_END } },
          ConsistentRead: true,
          Limit: Math.min(1000, limit + 2),
          ...(start !== undefined ? { ExclusiveStartKey: start } : {}),
        },
        budget,
      );
      for (const item of out.Items ?? []) {
        const id = idOf(item.sk.S);
        const n = Number(item.n?.N ?? 0);
        if (id === lastId) {
          expected = n + 1;
          continue;
        }
        // An ordinal skipped: an append whose item is still being written. Stop before it, unless its writer gave up long ago.
        if (expected !== undefined && n > expected && now - Number(item.at?.N ?? 0) < GAP_GRACE_MS) return items;
        expected = n + 1;
        if (!isLive(item, now)) continue;
        items.push({ id, data: item.d?.S ?? '' });
        if (items.length >= limit) return items;
      }
      if (out.LastEvaluatedKey === undefined) return items;
      start = out.LastEvaluatedKey;
    }
  }

  async lastId(channel: string): Promise<string> {
    checkKey('feed read', 'channel', channel, 'fk#', 'partition');
    const budget = this.#table.budget();
    const now = Date.now();
    let start: Record<string, unknown> | undefined;
    let candidate: string | undefined;
    let above: StoredItem | undefined;
    for (let page = 0; page < 10; page++) {
      const out = await this.#call<{ Items?: StoredItem[]; LastEvaluatedKey?: Record<string, unknown> }>(
        'feed read',
        'Query',
        {
          KeyConditionExpression: 'pk = :p AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':p': { S: feedKey(channel) }, ':from': { S: ITEM }, ':to': { S: ITEMS_END } },
          ScanIndexForward: false,
          ConsistentRead: true,
          Limit: 10,
          ...(start !== undefined ? { ExclusiveStartKey: start } : {}),
        },
        budget,
      );
      for (const item of out.Items ?? []) {
        // Newer items above a gap still being written are not yet in order: the last id is below it.
        if (above !== undefined && Number(above.n?.N ?? 0) > Number(item.n?.N ?? 0) + 1 && now - Number(above.at?.N ?? 0) < GAP_GRACE_MS) {
          candidate = undefined;
        }
        above = item;
        if (candidate === undefined && isLive(item, now)) candidate = idOf(item.sk.S);
      }
      if (out.LastEvaluatedKey === undefined || (candidate !== undefined && page > 0)) break;
      if (candidate !== undefined && (out.Items?.length ?? 0) >= 10) break;
      start = out.LastEvaluatedKey;
    }
    return candidate ?? FEED_START;
  }

  /** Waits for appends under way (and their trims), then refuses new operations. */
  async close(): Promise<void> {
    while (this.#running.size > 0) await Promise.all(this.#running);
    this.#closed = true;
  }
}

function isLive(item: StoredItem, now: number): boolean {
  if (item.gone !== undefined) return false;
  const ttl = item.ttl?.N;
  return ttl === undefined || Number(ttl) * 1000 > now;
}
