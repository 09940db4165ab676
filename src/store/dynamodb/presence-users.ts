import { checkUserConnection } from '../../presence/store.js';
import { StoreUnavailableError } from '../unavailable.js';
import { DynamoDBError, type Item } from './api.js';
import { checkItemSize, checkKey, type Budget, type DynamoTable } from './table-client.js';

/*
 * A user's connections (docs/state.md), for the per-user connection limit:
 *   pk "u#USER", sk "connections"   c (JSON: connection → expiry, ms), v (version), ttl
 * One item per user, so that admitting is one conditional write: read the
 * item, decide, and write it back only if no one else wrote it meanwhile
 * (its version), else read again. Expired entries are dropped at every
 * write and never counted; DynamoDB's TTL deletes the item of a user whose
 * connections all vanished.
 */
const userKey = (userId: string) => `u#${userId}`;
const SORT = 'connections';

type Stored = { c?: { S: string }; v?: { N: string } };

/** The user's entries as read, unexpired ones only, and the version to write over. */
interface Read {
  readonly entries: Map<string, number>;
  /** The item's version; undefined when there is none. */
  readonly version: number | undefined;
  /** Whether the item held expired entries (a write drops them). */
  readonly stale: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a step decides: the result, and whether to write the entries back. */
type Step<T> = (entries: Map<string, number>, now: number, was: Read) => { result: T; write: boolean };

export class DynamoUserConnections {
  readonly #table: DynamoTable;
  readonly #isClosed: () => boolean;

  constructor(table: DynamoTable, isClosed: () => boolean) {
    this.#table = table;
    this.#isClosed = isClosed;
  }

  async admit(userId: string, connectionId: string, max: number, lifetimeMs: number): Promise<boolean> {
    checkUserConnection(userId, connectionId, max);
    return this.#change('user connection admit', userId, (entries, now) => {
      if (!entries.has(connectionId) && entries.size >= max) return { result: false, write: false };
      entries.set(connectionId, now + lifetimeMs);
      return { result: true, write: true };
    });
  }

  async renew(userId: string, connectionId: string, lifetimeMs: number): Promise<boolean> {
    checkUserConnection(userId, connectionId);
    return this.#change('user connection renew', userId, (entries, now) => {
      const counted = entries.has(connectionId);
      entries.set(connectionId, now + lifetimeMs);
      return { result: counted, write: true };
    });
  }

  async release(userId: string, connectionId: string): Promise<boolean> {
    checkUserConnection(userId, connectionId);
    return this.#change('user connection release', userId, (entries, _now, was) => {
      const counted = entries.delete(connectionId);
      return { result: counted, write: counted || was.stale };
    });
  }

  async count(userId: string): Promise<number> {
    checkUserConnection(userId);
    checkKey('user connection count', 'user id', userId, 'u#', 'partition');
    return (await this.#read('user connection count', userId, this.#table.budget(), Date.now())).entries.size;
  }

  /** Reads, applies `step`, and writes back on the version read; read again when someone else wrote first, within the budget. */
  async #change<T>(what: string, userId: string, step: Step<T>): Promise<T> {
    checkKey(what, 'user id', userId, 'u#', 'partition');
    const budget = this.#table.budget();
    for (let attempt = 0; ; attempt++) {
      const now = Date.now();
      const was = await this.#read(what, userId, budget, now);
      const entries = new Map(was.entries);
      const { result, write } = step(entries, now, was);
      if (!write) return result;
      try {
        await this.#write(what, userId, entries, was.version, budget);
        return result;
      } catch (error) {
        if (!(error instanceof DynamoDBError && error.type === 'ConditionalCheckFailedException')) throw error;
      }
      // Another container wrote the user's item first: a short, jittered pause, then read it again.
      const pause = Math.min(5 * 2 ** attempt, 50) * (0.5 + Math.random());
      if (budget.left <= pause) {
        throw new StoreUnavailableError(`presence ${what}: the user's item kept changing; gave up after ${budget.timeoutMs} ms`);
      }
      await sleep(pause);
    }
  }

  async #read(what: string, userId: string, budget: Budget, now: number): Promise<Read> {
    const out = await this.#call<{ Item?: Stored }>(
      what,
      'GetItem',
      { Key: { pk: { S: userKey(userId) }, sk: { S: SORT } }, ConsistentRead: true },
      budget,
    );
    if (out.Item === undefined) return { entries: new Map(), version: undefined, stale: false };
    const entries = new Map<string, number>();
    let stale = false;
    for (const [connectionId, exp] of Object.entries(JSON.parse(out.Item.c?.S ?? '{}') as Record<string, number>)) {
      if (exp > now) entries.set(connectionId, exp);
      else stale = true;
    }
    return { entries, version: Number(out.Item.v?.N ?? 0), stale };
  }

  /** Writes the entries (or deletes the item when none are left) if the item is still at `version`. */
  async #write(what: string, userId: string, entries: Map<string, number>, version: number | undefined, budget: Budget): Promise<void> {
    const Key = { pk: { S: userKey(userId) }, sk: { S: SORT } };
    const condition =
      version === undefined
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : { ConditionExpression: 'v = :v', ExpressionAttributeValues: { ':v': { N: String(version) } } };
    if (entries.size === 0) {
      if (version !== undefined) await this.#call(what, 'DeleteItem', { Key, ...condition }, budget);
      return;
    }
    const last = Math.max(...entries.values());
    const item: Item = {
      ...Key,
      c: { S: JSON.stringify(Object.fromEntries(entries)) },
      v: { N: String((version ?? 0) + 1) },
      ttl: { N: String(Math.ceil(last / 1000) + 3600) },
    };
    checkItemSize(what, item);
    await this.#call(what, 'PutItem', { Item: item, ...condition }, budget);
  }

  #call<T = Record<string, unknown>>(what: string, operation: string, body: object, budget: Budget): Promise<T> {
    if (this.#isClosed()) return Promise.reject(new StoreUnavailableError(`presence ${what}: the store is closed`));
    return this.#table.call<T>(`presence ${what}`, operation, body, budget, StoreUnavailableError);
  }
}
