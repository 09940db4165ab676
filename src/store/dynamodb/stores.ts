/**
 * The DynamoDB stores the environment selects (DYNAMODB_TABLE), made once
 * per table: loaded on demand by shared.ts, so that a function bundle
 * carries them (and aws4fetch) in a file of its own, read only when
 * DYNAMODB_TABLE is set (build/esbuild-plugins.cjs).
 */
import { settingsFromEnv } from './api.js';
import { DynamoFeed } from './feed.js';
import { DynamoPresenceStore } from './presence.js';
import { DynamoTable } from './table-client.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** The process's one client per table (and endpoint): the feed and every presence share it. */
const tables = new Map<string, DynamoTable>();
const feeds = new Map<string, DynamoFeed>();

function sharedTable(table: string, env: Env): DynamoTable {
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

/** A presence store on DYNAMODB_TABLE (getPresence's), on the process's one client for the table. */
export function dynamoPresenceStore(table: string, env: Env): DynamoPresenceStore {
  return new DynamoPresenceStore(sharedTable(table, env));
}

/** Closes the feeds made here and forgets the shared clients. */
export async function closeSharedDynamo(): Promise<void> {
  const closing = [...feeds.values()].map((feed) => feed.close().catch(() => undefined));
  feeds.clear();
  tables.clear();
  await Promise.all(closing);
}
