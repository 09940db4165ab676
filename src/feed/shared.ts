import { storeBackend } from '../store/backend.js';
import { sharedDynamoFeed } from '../store/dynamodb/shared.js';
import type { Feed } from './feed.js';
import { RedisFeed } from './redis-feed.js';

/** The feeds getFeed made, one per REDIS_URL. */
const shared = new Map<string, RedisFeed>();

/**
 * The container's feed when REDIS_URL is set, else null: one per URL, on
 * the process's one connection to it, made and connecting (`warm`) on the
 * first call. Call it at module load, so a cold start connects in Lambda's
 * init phase, not in the first request.
 */
export function getFeed(env: Readonly<Record<string, string | undefined>> = process.env): Feed | null {
  // DYNAMODB_TABLE selects DynamoDB instead (both set fails, naming both).
  const backend = storeBackend(env);
  if (backend === undefined) return null;
  if (backend.kind === 'dynamodb') return sharedDynamoFeed(backend.table, env);
  const url = backend.url;
  let feed = shared.get(url);
  if (feed === undefined) {
    feed = new RedisFeed(url);
    feed.warm();
    shared.set(url, feed);
  }
  return feed;
}

/** Closes the feeds getFeed made (for hosts that outlive their Redis, like the local stack); a later getFeed makes a new one. */
export async function closeSharedFeed(): Promise<void> {
  const feeds = [...shared.values()];
  shared.clear();
  await Promise.all(feeds.map((feed) => feed.close().catch(() => undefined)));
}
