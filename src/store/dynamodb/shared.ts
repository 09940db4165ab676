import { settingsFromEnv } from './api.js';
import { DynamoFeed } from './feed.js';
import { DynamoTable } from './table-client.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** The process's one client per table (and endpoint): the feed and every presence share it. */
const tables = new Map<string, DynamoTable>();
const feeds = new Map<string, DynamoFeed>();

export function sharedTable(table: string, env: Env): DynamoTable {
  const settings = settingsFromEnv(table, env);
  const id = `${settings.endpoint} ${table}`;
  let made = tables.get(id);
  if (made === undefined) {
    made = new DynamoTable(settings);
    // Loads the signer in Lambda's init, not in the first request.
    made.api.warm();
    tables.set(id, made);
  }
  return made;
}

/** The feed on DYNAMODB_TABLE (getFeed's, when DYNAMODB_TABLE is set). */
export function sharedDynamoFeed(table: string, env: Env): DynamoFeed {
  const settings = settingsFromEnv(table, env);
  const id = `${settings.endpoint} ${table}`;
  let feed = feeds.get(id);
  if (feed === undefined) {
    feed = new DynamoFeed(sharedTable(table, env));
    feeds.set(id, feed);
  }
  return feed;
}

/** Forgets the shared clients (for hosts that outlive their DynamoDB, like the local stack). */
export async function closeSharedDynamo(): Promise<void> {
  const closing = [...feeds.values()].map((feed) => feed.close().catch(() => undefined));
  feeds.clear();
  tables.clear();
  await Promise.all(closing);
}
