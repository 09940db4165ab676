import type { PresenceMember, PresenceStore } from '../../presence/store.js';
import { StoreUnavailableError } from '../unavailable.js';
import { DynamoDBError, type Item } from './api.js';
import { DynamoUserConnections } from './presence-users.js';
import { checkItemSize, checkKey, type DynamoTable, storeTable, type Budget } from './table-client.js';

/*
 * Items (docs/state.md):
 *   pk "p#ROOM", sk "m#CONNECTION"   a member: m (its JSON), exp (ms: listed until then), ttl (DynamoDB's cleanup, later)
 *   pk "c#CONNECTION", sk "r#ROOM"   a room the connection joined, for leaving and refreshing them all
 *   pk "u#USER", sk "connections"   a user's connections, for the per-user limit (presence-users.ts)
 * Expiry is decided on read by `exp` against the clock, so containers' clocks should agree to within
 * a second or so (Lambda's do); DynamoDB's TTL only deletes what is long expired.
 */
const roomKey = (room: string) => `p#${room}`;
const memberKey = (connectionId: string) => `m#${connectionId}`;
const connectionKey = (connectionId: string) => `c#${connectionId}`;
const roomOfConnection = (room: string) => `r#${room}`;

type Stored = { sk: { S: string }; m?: { S: string }; exp?: { N: string } };

export interface DynamoPresenceStoreOptions {
  /** Longest an operation waits for DynamoDB, in ms, before it fails with StoreUnavailableError; default 1000. For a table named by a string; a DynamoTable has its own. */
  readonly timeoutMs?: number;
}

/** Who is in each room, in one DynamoDB table (see PresenceStore). */
export class DynamoPresenceStore implements PresenceStore {
  readonly #table: DynamoTable;
  readonly #users: DynamoUserConnections;
  #closed = false;

  /** `table` is a DynamoTable, or a table name read with the AWS settings of the environment (settingsFromEnv). */
  constructor(table: DynamoTable | string, options: DynamoPresenceStoreOptions = {}) {
    this.#table = storeTable(table, options.timeoutMs);
    this.#users = new DynamoUserConnections(this.#table, () => this.#closed);
  }

  /** Loads the HTTP signer now (at module load, so a cold start does it in Lambda's init). */
  warm(): void {
    this.#table.api.warm();
  }

  #call<T = Record<string, unknown>>(what: string, operation: string, body: object, budget: Budget = this.#table.budget()): Promise<T> {
    if (this.#closed) return Promise.reject(new StoreUnavailableError(`presence ${what}: the store is closed`));
    return this.#table.call<T>(`presence ${what}`, operation, body, budget, StoreUnavailableError);
  }

  async join(room: string, member: PresenceMember, lifetimeMs: number): Promise<boolean> {
    checkKey('presence join', 'room', room, 'r#', 'sort');
    checkKey('presence join', 'connection id', member.connectionId, 'm#', 'sort');
    const now = Date.now();
    const exp = now + lifetimeMs;
    const item: Item = {
      pk: { S: roomKey(room) },
      sk: { S: memberKey(member.connectionId) },
      m: { S: JSON.stringify(member) },
      exp: { N: String(exp) },
      ttl: { N: String(Math.ceil(exp / 1000) + 3600) },
    };
    checkItemSize('presence join', item);
    const budget = this.#table.budget();
    const out = await this.#call<{ Attributes?: Stored }>('join', 'PutItem', { Item: item, ReturnValues: 'ALL_OLD' }, budget);
    await this.#call(
      'join',
      'PutItem',
      {
        Item: {
          pk: { S: connectionKey(member.connectionId) },
          sk: { S: roomOfConnection(room) },
          ttl: { N: String(Math.ceil((now + 2 * lifetimeMs) / 1000) + 3600) },
        },
      },
      budget,
    );
    // One whose entry had expired unseen is back: a new member, as it was never listed meanwhile.
    return out.Attributes === undefined || Number(out.Attributes.exp?.N ?? 0) <= now;
  }

  async leave(room: string, connectionId: string): Promise<PresenceMember | undefined> {
    checkKey('presence leave', 'room', room, 'r#', 'sort');
    checkKey('presence leave', 'connection id', connectionId, 'm#', 'sort');
    const budget = this.#table.budget();
    const out = await this.#call<{ Attributes?: Stored }>(
      'leave',
      'DeleteItem',
      { Key: { pk: { S: roomKey(room) }, sk: { S: memberKey(connectionId) } }, ReturnValues: 'ALL_OLD' },
      budget,
    );
    await this.#call('leave', 'DeleteItem', { Key: { pk: { S: connectionKey(connectionId) }, sk: { S: roomOfConnection(room) } } }, budget);
    return out.Attributes?.m === undefined ? undefined : (JSON.parse(out.Attributes.m.S) as PresenceMember);
  }

  async rooms(connectionId: string): Promise<string[]> {
    checkKey('presence rooms', 'connection id', connectionId, 'c#', 'partition');
    const items = await this.#query('rooms', connectionKey(connectionId), this.#table.budget());
    return items.map((item) => item.sk.S.slice(2));
  }

  async forget(connectionId: string): Promise<void> {
    checkKey('presence forget', 'connection id', connectionId, 'c#', 'partition');
    const budget = this.#table.budget();
    const items = await this.#query('forget', connectionKey(connectionId), budget);
    await Promise.all(
      items.map((item) => this.#call('forget', 'DeleteItem', { Key: { pk: { S: connectionKey(connectionId) }, sk: item.sk } }, budget)),
    );
  }

  async refresh(connectionId: string, lifetimeMs: number): Promise<string[]> {
    const budget = this.#table.budget();
    const rooms = await this.#query('refresh', connectionKey(connectionId), budget).then((items) =>
      items.map((item) => item.sk.S.slice(2)),
    );
    const now = Date.now();
    const exp = now + lifetimeMs;
    await Promise.all(
      rooms.map((room) =>
        this.#call(
          'refresh',
          'UpdateItem',
          {
            Key: { pk: { S: roomKey(room) }, sk: { S: memberKey(connectionId) } },
            UpdateExpression: 'SET #exp = :exp, #ttl = :ttl',
            // Only an entry still there and not expired: a member that left, or whose leave is due, stays out.
            ConditionExpression: 'attribute_exists(pk) AND #exp > :now',
            ExpressionAttributeNames: { '#exp': 'exp', '#ttl': 'ttl' },
            ExpressionAttributeValues: {
              ':exp': { N: String(exp) },
              ':ttl': { N: String(Math.ceil(exp / 1000) + 3600) },
              ':now': { N: String(now) },
            },
          },
          budget,
        ).catch(ignoreFailedCondition),
      ),
    );
    return rooms;
  }

  async expire(room: string): Promise<PresenceMember[]> {
    checkKey('presence expire', 'room', room, 'r#', 'sort');
    const budget = this.#table.budget();
    const now = Date.now();
    const due = (await this.#query('expire', roomKey(room), budget)).filter((item) => Number(item.exp?.N ?? 0) <= now);
    const gone = await Promise.all(
      due.map(async (item) => {
        // Deleted only as it was read: of several callers, one gets it (and a refresh in between keeps it).
        const out = await this.#call<{ Attributes?: Stored }>(
          'expire',
          'DeleteItem',
          {
            Key: { pk: { S: roomKey(room) }, sk: item.sk },
            ConditionExpression: '#exp = :exp',
            ExpressionAttributeNames: { '#exp': 'exp' },
            ExpressionAttributeValues: { ':exp': item.exp ?? { N: '0' } },
            ReturnValues: 'ALL_OLD',
          },
          budget,
        ).catch(ignoreFailedCondition);
        return out?.Attributes?.m === undefined ? undefined : (JSON.parse(out.Attributes.m.S) as PresenceMember);
      }),
    );
    return gone.filter((member) => member !== undefined);
  }

  async members(room: string): Promise<PresenceMember[]> {
    checkKey('presence members', 'room', room, 'r#', 'sort');
    const now = Date.now();
    const items = await this.#query('members', roomKey(room), this.#table.budget());
    return items
      .filter((item) => Number(item.exp?.N ?? 0) > now && item.m !== undefined)
      .map((item) => JSON.parse(item.m!.S) as PresenceMember);
  }

  async count(room: string): Promise<number> {
    return (await this.members(room)).length;
  }

  admitUserConnection(userId: string, connectionId: string, max: number, lifetimeMs: number): Promise<boolean> {
    return this.#users.admit(userId, connectionId, max, lifetimeMs);
  }

  renewUserConnection(userId: string, connectionId: string, lifetimeMs: number): Promise<boolean> {
    return this.#users.renew(userId, connectionId, lifetimeMs);
  }

  releaseUserConnection(userId: string, connectionId: string): Promise<boolean> {
    return this.#users.release(userId, connectionId);
  }

  countUserConnections(userId: string): Promise<number> {
    return this.#users.count(userId);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  /** Every item of a partition, with consistent reads. */
  async #query(what: string, pk: string, budget: Budget): Promise<Stored[]> {
    const items: Stored[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.#call<{ Items?: Stored[]; LastEvaluatedKey?: Record<string, unknown> }>(
        what,
        'Query',
        {
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: { ':p': { S: pk } },
          ConsistentRead: true,
          ...(start !== undefined ? { ExclusiveStartKey: start } : {}),
        },
        budget,
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
    return items;
  }
}

function ignoreFailedCondition(error: unknown): undefined {
  if (error instanceof DynamoDBError && error.type === 'ConditionalCheckFailedException') return undefined;
  throw error;
}
