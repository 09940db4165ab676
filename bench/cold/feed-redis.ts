// A feed read on Redis with the toolkit's feed (ioredis, loaded in its own file on first use): the Redis row beside the DynamoDB ones.
import { getFeed } from '../../src/feed/index.js';

// BENCH_REDIS_URL: the bench sets DYNAMODB_TABLE too, for the other rows, and both set is refused.
const feed = getFeed({ REDIS_URL: process.env.BENCH_REDIS_URL });

export async function handler(): Promise<{ statusCode: number }> {
  const items = await feed!.after('bench', '0-0', 100);
  return { statusCode: items.length > 0 ? 200 : 500 };
}
