/**
 * Cold start of a function that reads a feed, for each store client: the
 * toolkit's Redis feed (ioredis, in a file of its own), DynamoDB through
 * aws4fetch, and DynamoDB through @aws-sdk/client-dynamodb, bundled in, and
 * left out of the bundle as Lambda's Node.js runtime provides it (loaded
 * from node_modules, as the runtime loads its copy). Each sample is a fresh
 * process: require() of the bundle, then one request that reads 20 items of
 * a channel's history from a local redis-server or a local dynalite. The
 * stores are local (no TLS, no network), so the first request's figure is
 * the client's own cost: loading, signing, connecting, parsing.
 *
 *   node --import tsx bench/state-cold-start.ts [samples]
 */
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { RedisFeed } from '../src/feed/index.js';
import { startLocalDynamoDB } from '../src/local/dynamodb.js';
import { freePort } from '../src/local/free-port.js';
import { startService, waitForPort } from '../src/local/processes.js';
import { DynamoDBApi } from '../src/store/dynamodb/api.js';
import { bundle, measure } from './cold-start.js';

export interface StateColdStartRow {
  readonly name: string;
  /** The bundle's size; for the SDK left out, what it loads from node_modules is not in it. */
  readonly bytes: number;
  readonly gzipBytes: number;
  /** Bytes loaded from files of their own on first use (ioredis), or from node_modules (the runtime's SDK). */
  readonly alsoLoadedBytes: number;
  readonly loadMedianMs: number;
  readonly firstRequestMedianMs: number;
  readonly loadCpuMedianMs: number;
  readonly firstRequestCpuMedianMs: number;
}

const root = join(import.meta.dirname, '..');
const CHANNEL = 'bench';
const ITEMS = 20;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Bytes of the files a module loads from node_modules (the SDK as Lambda's runtime would load it). */
function loadedBytes(specifier: string): number {
  const require = createRequire(import.meta.url);
  const before = new Set(Object.keys(require.cache));
  require(specifier);
  let bytes = 0;
  for (const file of Object.keys(require.cache)) if (!before.has(file)) bytes += statSync(file).size;
  return bytes;
}

export async function measureStateColdStart(samples = 21): Promise<StateColdStartRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'grip-state-cold-'));
  const redisPort = await freePort();
  const redis = startService(
    'redis-server',
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    join(dir, 'redis.log'),
  );
  const dynamodb = await startLocalDynamoDB({ table: 'bench-state' });
  try {
    await waitForPort(redisPort, redis);
    const redisUrl = `redis://127.0.0.1:${redisPort}`;
    const feed = new RedisFeed(redisUrl);
    const api = new DynamoDBApi({
      table: dynamodb.table,
      region: dynamodb.env.AWS_REGION!,
      endpoint: dynamodb.endpoint,
      credentials: { accessKeyId: dynamodb.env.AWS_ACCESS_KEY_ID!, secretAccessKey: dynamodb.env.AWS_SECRET_ACCESS_KEY! },
    });
    for (let i = 1; i <= ITEMS; i++) {
      const data = JSON.stringify({ text: `message ${i}`, from: 'bench' });
      await feed.append(CHANNEL, data);
      // The same items as the DynamoDB feed keeps them (docs/state.md).
      const id = `${1_700_000_000_000 + i}-0`;
      await api.call('PutItem', {
        TableName: dynamodb.table,
        Item: { pk: { S: `f#${CHANNEL}` }, sk: { S: `i#${id}` }, d: { S: data } },
      });
    }
    await feed.close();

    const entries: Array<[name: string, entry: string, external: string[]]> = [
      ['Redis feed (ioredis)', 'bench/cold/feed-redis.ts', []],
      ['DynamoDB, aws4fetch', 'bench/cold/feed-dynamodb-aws4fetch.ts', []],
      ['DynamoDB, @aws-sdk/client-dynamodb bundled', 'bench/cold/feed-dynamodb-sdk.ts', []],
      ['DynamoDB, @aws-sdk/client-dynamodb from the runtime (left out of the bundle)', 'bench/cold/feed-dynamodb-sdk.ts', ['@aws-sdk/*']],
    ];
    const files: string[] = [];
    for (const [name, entry, external] of entries) {
      const outfile = join(dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.cjs`);
      await bundle(join(root, entry), outfile, { external });
      files.push(outfile);
    }
    const sdkBytes = loadedBytes('@aws-sdk/client-dynamodb');
    Object.assign(process.env, {
      BENCH_REDIS_URL: redisUrl,
      ...dynamodb.env,
      // The SDK left out of the bundle is found where Lambda's runtime keeps its copy: on the module path.
      NODE_PATH: join(root, 'node_modules'),
    });
    const times = measure(
      files,
      files.map(() => true),
      {},
      samples,
      dir,
    );
    return entries.map(([name, , external], k) => {
      const file = files[k]!;
      const ioredisFile = file.replace(/\.cjs$/, '.ioredis.cjs');
      let alsoLoadedBytes = external.length > 0 ? sdkBytes : 0;
      try {
        alsoLoadedBytes += statSync(ioredisFile).size;
      } catch {
        // no ioredis file: not a Redis row
      }
      const rows = times[k]!;
      return {
        name,
        bytes: statSync(file).size,
        gzipBytes: gzipSync(readFileSync(file)).length,
        alsoLoadedBytes,
        loadMedianMs: median(rows.map((s) => s.loadMs)),
        firstRequestMedianMs: median(rows.map((s) => s.firstRequestMs ?? 0)),
        loadCpuMedianMs: median(rows.map((s) => s.loadCpuMs)),
        firstRequestCpuMedianMs: median(rows.map((s) => s.firstRequestCpuMs ?? 0)),
      };
    });
  } finally {
    for (const name of ['BENCH_REDIS_URL', 'NODE_PATH', ...Object.keys(dynamodb.env)]) delete process.env[name];
    await dynamodb.stop();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatStateRow(row: StateColdStartRow): string {
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  return `${row.name.padEnd(74)} ${kb(row.bytes).padStart(9)} (+${kb(row.alsoLoadedBytes)} on use)  load ${row.loadMedianMs.toFixed(2)} ms  with first read ${row.firstRequestMedianMs.toFixed(2)} ms  (CPU ${row.loadCpuMedianMs.toFixed(2)} / ${row.firstRequestCpuMedianMs.toFixed(2)} ms)`;
}

if (process.argv[1] === import.meta.filename) {
  for (const row of await measureStateColdStart(Number(process.argv[2] ?? 21))) console.log(formatStateRow(row));
  process.exit(0);
}
