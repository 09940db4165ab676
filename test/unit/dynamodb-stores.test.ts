// The store contracts (test/contract) against a local DynamoDB of this
// test's own (dynalite, a child process): the feed, presence and sequence
// stores every backend passes.
import { after, before } from 'node:test';
import { startLocalDynamoDB, type LocalDynamoDB } from '../../src/local/dynamodb.js';
import { settingsFromEnv } from '../../src/store/dynamodb/api.js';
import { DynamoFeed } from '../../src/store/dynamodb/feed.js';
import { DynamoPresenceStore } from '../../src/store/dynamodb/presence.js';
import { DynamoSequences } from '../../src/store/dynamodb/sequences.js';
import { DynamoTable } from '../../src/store/dynamodb/table-client.js';
import { runFeedContract } from '../contract/feed.js';
import { runPresenceContract } from '../contract/presence.js';
import { runSequenceContract } from '../contract/sequences.js';

let dynamodb: LocalDynamoDB;

/**
 * Each store operation's budget here, in ms. The contracts check what the stores do, not how fast this machine
 * runs dynalite (DynamoDB in JavaScript, in a process of its own): on a loaded machine one operation of several
 * requests can take more than the 1 s default (10 appends racing on one key poll the key while the first is
 * stored), and the store then rightly answers StoreUnavailableError. What the budget does is tested in
 * dynamodb-faults.test.ts (DynamoDB stopped, hanging, throttling) and the outage e2e test. It stays below the
 * feed's 5 s after which a pending idempotency key or a gap in the ids counts as left by an append that ended:
 * every append ends within its budget.
 */
const BUDGET_MS = 4_000;
const table = () => new DynamoTable(settingsFromEnv(dynamodb.table, dynamodb.env), BUDGET_MS);

before(async () => {
  dynamodb = await startLocalDynamoDB({ table: 'contract' });
});

after(async () => {
  await dynamodb?.stop();
});

runFeedContract('DynamoDB', (settings) => new DynamoFeed(table(), settings));
runPresenceContract('DynamoDB', () => new DynamoPresenceStore(table()));
runSequenceContract('DynamoDB', () => new DynamoSequences(table()), {
  shared: true,
  close: (store) => (store as DynamoSequences).close(),
});
