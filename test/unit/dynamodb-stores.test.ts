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
const table = () => new DynamoTable(settingsFromEnv(dynamodb.table, dynamodb.env));

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
