// A feed read on Redis with the toolkit's feed (ioredis, loaded in its own file on first use): the Redis row beside the DynamoDB ones.
import { getFeed } from '../../src/feed/index.js';

const feed = getFeed();

export async function handler(): Promise<{ statusCode: number }> {
  const items = await feed!.after('bench', '0-0', 100);
  return { statusCode: items.length > 0 ? 200 : 500 };
}
