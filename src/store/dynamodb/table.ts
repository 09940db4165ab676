/**
 * The one table every DynamoDB store shares (docs/state.md describes the
 * items): a string partition key `pk`, a string sort key `sk`, expiry by
 * the `ttl` attribute (seconds since the epoch), billed per request.
 */
export const PARTITION_KEY = 'pk';
export const SORT_KEY = 'sk';
export const TTL_ATTRIBUTE = 'ttl';

/** CreateTable's parameters, less the name (the local stack, the tests and the serverless plugin's resource use them). */
export const TABLE_DEFINITION = {
  AttributeDefinitions: [
    { AttributeName: PARTITION_KEY, AttributeType: 'S' },
    { AttributeName: SORT_KEY, AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: PARTITION_KEY, KeyType: 'HASH' },
    { AttributeName: SORT_KEY, KeyType: 'RANGE' },
  ],
  BillingMode: 'PAY_PER_REQUEST',
} as const;

/** DynamoDB's limits, in UTF-8 bytes: checked before a write, so nothing too large is half-written. */
export const LIMITS = {
  partitionKeyBytes: 2048,
  sortKeyBytes: 1024,
  itemBytes: 400 * 1024,
} as const;
