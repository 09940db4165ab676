/**
 * The DynamoDB stores getFeed and getPresence hand out when DYNAMODB_TABLE
 * is set, without loading them here: stores.ts (the stores and aws4fetch)
 * is imported when the first of them is made, which is in Lambda's init,
 * and their operations wait for it. A bundled function carries stores.ts in
 * a file of its own (`NAME.dynamodb.cjs`, build/esbuild-plugins.cjs), read
 * only with DYNAMODB_TABLE set, as ioredis is read only with REDIS_URL.
 */
import { FeedUnavailableError, type AppendOptions, type AppendResult, type Feed, type FeedItem } from '../../feed/feed.js';
import type { PresenceMember, PresenceStore } from '../../presence/store.js';
import { StoreUnavailableError } from '../unavailable.js';
import { settingsFromEnv } from './api.js';

export type Env = Readonly<Record<string, string | undefined>>;

type Stores = typeof import('./stores.js');

let loading: Promise<Stores> | undefined;
const loadStores = (): Promise<Stores> => (loading ??= import('./stores.js'));

/** What `make` makes once stores.ts has loaded. A failed load is reported by the operations that wait for it, not as an unhandled rejection. */
function once<T>(make: (stores: Stores) => T): Promise<T> {
  const made = loadStores().then(make);
  made.catch(() => undefined);
  return made;
}

/**
 * The error with the callers' own classes: bundled apart, stores.ts has its
 * own copies of FeedUnavailableError and StoreUnavailableError, and callers
 * tell "not now" from other failures with instanceof.
 */
function withOwnClasses(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof StoreUnavailableError) return error;
  const Own =
    error.name === 'FeedUnavailableError'
      ? FeedUnavailableError
      : error.name === 'StoreUnavailableError'
        ? StoreUnavailableError
        : undefined;
  if (Own === undefined) return error;
  const own = new Own(error.message, 'cause' in error ? { cause: error.cause } : undefined);
  own.stack = error.stack;
  return own;
}

async function call<S, T>(store: Promise<S>, operation: (store: S) => Promise<T>): Promise<T> {
  try {
    return await operation(await store);
  } catch (error) {
    throw withOwnClasses(error);
  }
}

/** Closes the store if it was made; nothing to close when stores.ts failed to load. */
async function closeIfMade(store: Promise<{ close(): Promise<void> }>): Promise<void> {
  const made = await store.catch(() => undefined);
  if (made !== undefined) await call(Promise.resolve(made), (open) => open.close());
}

/** The DynamoDB feed, once loaded. */
class DynamoFeedOnDemand implements Feed {
  readonly #feed: Promise<Feed>;

  constructor(feed: Promise<Feed>) {
    this.#feed = feed;
  }

  append(channel: string, data: string, options?: AppendOptions): Promise<AppendResult> {
    return call(this.#feed, (feed) => feed.append(channel, data, options));
  }

  after(channel: string, lastId: string, limit?: number): Promise<FeedItem[]> {
    return call(this.#feed, (feed) => feed.after(channel, lastId, limit));
  }

  lastId(channel: string): Promise<string> {
    return call(this.#feed, (feed) => feed.lastId(channel));
  }

  retract(channel: string, id: string, options?: AppendOptions): Promise<void> {
    // DynamoFeed has retract.
    return call(this.#feed, (feed) => feed.retract!(channel, id, options));
  }

  close(): Promise<void> {
    return closeIfMade(this.#feed);
  }
}

/** A DynamoDB presence store, once loaded. */
class DynamoPresenceStoreOnDemand implements PresenceStore {
  readonly #store: Promise<PresenceStore>;

  constructor(store: Promise<PresenceStore>) {
    this.#store = store;
  }

  join(room: string, member: PresenceMember, lifetimeMs: number): Promise<boolean> {
    return call(this.#store, (store) => store.join(room, member, lifetimeMs));
  }

  leave(room: string, connectionId: string): Promise<PresenceMember | undefined> {
    return call(this.#store, (store) => store.leave(room, connectionId));
  }

  rooms(connectionId: string): Promise<string[]> {
    return call(this.#store, (store) => store.rooms(connectionId));
  }

  forget(connectionId: string): Promise<void> {
    return call(this.#store, (store) => store.forget(connectionId));
  }

  refresh(connectionId: string, lifetimeMs: number): Promise<string[]> {
    return call(this.#store, (store) => store.refresh(connectionId, lifetimeMs));
  }

  expire(room: string): Promise<PresenceMember[]> {
    return call(this.#store, (store) => store.expire(room));
  }

  members(room: string): Promise<PresenceMember[]> {
    return call(this.#store, (store) => store.members(room));
  }

  count(room: string): Promise<number> {
    return call(this.#store, (store) => store.count(room));
  }

  admitUserConnection(userId: string, connectionId: string, max: number, lifetimeMs: number): Promise<boolean> {
    return call(this.#store, (store) => store.admitUserConnection(userId, connectionId, max, lifetimeMs));
  }

  renewUserConnection(userId: string, connectionId: string, lifetimeMs: number): Promise<boolean> {
    return call(this.#store, (store) => store.renewUserConnection(userId, connectionId, lifetimeMs));
  }

  releaseUserConnection(userId: string, connectionId: string): Promise<boolean> {
    return call(this.#store, (store) => store.releaseUserConnection(userId, connectionId));
  }

  countUserConnections(userId: string): Promise<number> {
    return call(this.#store, (store) => store.countUserConnections(userId));
  }

  close(): Promise<void> {
    return closeIfMade(this.#store);
  }
}

const feeds = new Map<string, Feed>();

/**
 * The feed on DYNAMODB_TABLE (getFeed's, when DYNAMODB_TABLE is set), one
 * per table and endpoint; starts loading the stores.
 * @throws Error naming the AWS setting that is missing (settingsFromEnv), at once.
 */
export function sharedDynamoFeed(table: string, env: Env): Feed {
  const id = `${settingsFromEnv(table, env).endpoint} ${table}`;
  let feed = feeds.get(id);
  if (feed === undefined) {
    const envNow = { ...env };
    feed = new DynamoFeedOnDemand(once((stores) => stores.sharedDynamoFeed(table, envNow)));
    feeds.set(id, feed);
  }
  return feed;
}

/**
 * A presence store on DYNAMODB_TABLE (getPresence's), on the process's one
 * client for the table; starts loading the stores.
 * @throws Error naming the AWS setting that is missing (settingsFromEnv), at once.
 */
export function dynamoPresenceStore(table: string, env: Env): PresenceStore {
  settingsFromEnv(table, env);
  const envNow = { ...env };
  return new DynamoPresenceStoreOnDemand(once((stores) => stores.dynamoPresenceStore(table, envNow)));
}

/** Forgets the shared clients, closing the feeds (for hosts that outlive their DynamoDB, like the local stack). */
export async function closeSharedDynamo(): Promise<void> {
  feeds.clear();
  const stores = await loading?.catch(() => undefined);
  await stores?.closeSharedDynamo();
}
