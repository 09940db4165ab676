// The store the e2e tests of history, presence and idempotent publish run
// on: Redis by default, DynamoDB (a local dynalite) with
// GRIP_E2E_STORE=dynamodb, as test/e2e/dynamodb.test.ts runs them.
import type { Feed } from '../../../src/feed/feed.js';
import { RedisFeed } from '../../../src/feed/redis-feed.js';
import { LOCAL_AWS_ENV } from '../../../src/local/dynamodb.js';
import type { RunningStack, StackOptions } from '../../../src/local/stack.js';
import { Presence, type PresenceOptions } from '../../../src/presence/presence.js';
import { RedisPresence } from '../../../src/presence/redis-presence.js';
import { DynamoFeed } from '../../../src/store/dynamodb/feed.js';
import { DynamoPresenceStore } from '../../../src/store/dynamodb/presence.js';
import { DynamoTable } from '../../../src/store/dynamodb/table-client.js';

export type E2EStore = 'redis' | 'dynamodb';

const asked = process.env.GRIP_E2E_STORE;
if (asked !== undefined && asked !== '' && asked !== 'redis' && asked !== 'dynamodb') {
  throw new Error(`GRIP_E2E_STORE must be redis or dynamodb, got ${JSON.stringify(asked)}`);
}
export const E2E_STORE: E2EStore = asked === 'dynamodb' ? 'dynamodb' : 'redis';

/** The stack option that starts the store. */
export function storeOptions(): Pick<StackOptions, 'redis' | 'dynamodb'> {
  return E2E_STORE === 'dynamodb' ? { dynamodb: true } : { redis: true };
}

function dynamoTable(stack: RunningStack): DynamoTable {
  const local = stack.dynamodb;
  if (local === undefined) throw new Error('the stack runs no DynamoDB');
  return new DynamoTable({
    table: local.table,
    region: LOCAL_AWS_ENV.AWS_REGION,
    endpoint: local.endpoint,
    credentials: { accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY },
  });
}

/** A feed on the stack's store, as the functions see it (close it when done). */
export function stackFeed(stack: RunningStack): Feed {
  return E2E_STORE === 'dynamodb' ? new DynamoFeed(dynamoTable(stack)) : new RedisFeed(stack.redisUrl!);
}

/** Presence on the stack's store, as the functions see it (close it when done). */
export function stackPresence(stack: RunningStack, options: PresenceOptions = {}): Presence {
  return E2E_STORE === 'dynamodb'
    ? new Presence(new DynamoPresenceStore(dynamoTable(stack)), options)
    : new RedisPresence(stack.redisUrl!, options);
}
