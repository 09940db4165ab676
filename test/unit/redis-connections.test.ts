// Connections to Redis, measured: 200 warm Lambda containers at once, each
// a worker thread that loads the real publish function (bundled as it is
// deployed) with REDIS_URL and serves 11 idempotent POST /publish requests
// one at a time, as Lambda sends them (its first, then two rounds of 5 with
// all 200 at once). Redis (a redis-server of this test's own) is asked with
// CLIENT LIST which clients it has. Each container names its connection
// through REDIS_URL's `connectionName`, so the count is per container:
// exactly one each, the same one for every request, and none left once the
// containers are gone. (About two minutes on two cores: 200 cold starts.)
// Then a Redis at a hosted plan's client limit: the container one over it
// degrades as in an outage, and recovers once a connection is free.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { build, type Plugin } from 'esbuild';
import { Redis } from 'ioredis';
import { FeedUnavailableError } from '../../src/feed/feed.js';
import { RedisFeed } from '../../src/feed/redis-feed.js';
import { freePort } from '../../src/local/free-port.js';
import { startService, waitForPort } from '../../src/local/processes.js';
import { RedisConnection } from '../../src/redis/connection.js';
import { asLambdaEvent, loadEvent, setBody, setHeader } from '../support/lambda-events.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';

const CONTAINERS = 200;
/** Containers cold-start this many at a time, as traffic ramps up (200 at once starve a 2-core machine past the 1 s budget). */
const COLD_START_BATCH = 10;
const REQUESTS_PER_ROUND = 5;
/** Each container's requests: its first, then two rounds with every container at once. */
const REQUESTS = 1 + 2 * REQUESTS_PER_ROUND;
const root = join(import.meta.dirname, '..', '..');

let redis: TestRedis;
let observer: Redis;
let controlApi: Server;
let dir: string;
const workers: Worker[] = [];

before(async () => {
  redis = await startTestRedis();
  observer = new Redis(redis.url, { connectionName: 'test-observer' });
  // The proxy's control API, as far as a publish needs it: every publish accepted.
  controlApi = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'Content-Type': 'text/plain' }).end('Published\n'));
  });
  await new Promise<void>((resolve) => controlApi.listen(0, '127.0.0.1', resolve));
  dir = await mkdtemp(join(tmpdir(), 'grip-connections-'));
});

after(async () => {
  await Promise.all(workers.map((worker) => worker.terminate()));
  observer?.disconnect();
  await redis?.close();
  controlApi?.closeAllConnections();
  await new Promise((resolve) => controlApi?.close(resolve));
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** functions/publish.ts bundled as serverless.yml bundles it (esbuild, CommonJS, the project's plugins). */
async function bundlePublish(): Promise<string> {
  const outfile = join(dir, 'publish.cjs');
  await build({
    entryPoints: [join(root, 'functions/publish.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    minify: true,
    plugins: createRequire(import.meta.url)(join(root, 'build/esbuild-plugins.cjs')) as Plugin[],
    logLevel: 'silent',
  });
  return outfile;
}

/** A POST /publish/{channel} with an Idempotency-Key, as an HTTP API delivers it. */
function publishEvent(channel: string, key: string): unknown {
  const event = setBody(loadEvent('api-gateway-http.json'), JSON.stringify({ message: `hello from ${key}` }));
  event.requestContext.http.method = 'POST';
  event.rawPath = `/publish/${channel}`;
  event.pathParameters = { channel };
  setHeader(event, 'content-type', 'application/json');
  setHeader(event, 'idempotency-key', key);
  return asLambdaEvent(event);
}

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** Sends a container its requests; resolves with its answers, in order. */
function serve(worker: Worker, events: readonly unknown[]): Promise<Answer[]> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { answers?: Answer[] }) => {
      if (message.answers === undefined) return;
      worker.off('message', onMessage);
      worker.off('error', reject);
      resolve(message.answers);
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
    worker.postMessage({ events });
  });
}

async function until(what: string, condition: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    assert.ok(Date.now() < deadline, `${what} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface RedisClientEntry {
  readonly id: string;
  readonly name: string;
}

/** The clients Redis has, by CLIENT LIST, other than the test's observer. */
async function clientList(): Promise<RedisClientEntry[]> {
  const list = (await observer.client('LIST')) as string;
  return list
    .trim()
    .split('\n')
    .map((line) => Object.fromEntries(line.split(' ').map((field) => field.split('=', 2) as [string, string])))
    .map((fields) => ({ id: fields.id ?? '', name: fields.name ?? '' }))
    .filter((client) => client.name !== 'test-observer');
}

async function connectionsReceived(): Promise<number> {
  const info = await observer.info('stats');
  return Number(/total_connections_received:(\d+)/.exec(info)?.[1]);
}

/** Each container's connections, by the name its REDIS_URL gave them. */
function perContainer(clients: readonly RedisClientEntry[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { name } of clients) counts.set(name, (counts.get(name) ?? 0) + 1);
  return counts;
}

test(`${CONTAINERS} warm containers of the publish function, ${REQUESTS} requests each: Redis sees one connection per container, not per request`, async (t) => {
  const bundle = await bundlePublish();
  const receivedBefore = await connectionsReceived();
  const { port } = controlApi.address() as AddressInfo;

  const start = (i: number): Promise<Worker> => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      REDIS_URL: `${redis.url}/0?connectionName=container-${i}`,
      GRIP_URL: `http://127.0.0.1:${port}`,
    };
    delete env.DYNAMODB_TABLE;
    delete env.PUBLISH_TOKEN;
    const worker = new Worker(join(root, 'test/support/warm-container.mjs'), {
      workerData: { bundle, functionName: 'publish' },
      env,
      execArgv: [],
      stderr: true, // the function's start-up warnings (no Grip-Sig key here), 200 times: not shown
    });
    worker.stderr.resume();
    workers.push(worker);
    return new Promise((resolve, reject) => {
      worker.once('message', () => resolve(worker));
      worker.once('error', reject);
    });
  };

  // Cold starts: each container loads the function, whose init connects
  // (getFeed at module scope), and serves its first request, which loads
  // what a first publish needs.
  for (let from = 0; from < CONTAINERS; from += COLD_START_BATCH) {
    const batch = await Promise.all(Array.from({ length: Math.min(COLD_START_BATCH, CONTAINERS - from) }, (_, j) => start(from + j)));
    // Init connected them (as Lambda's init phase would have by the first request, on a machine not this busy).
    await until(
      `the connections of containers ${from}-${from + batch.length - 1}`,
      async () => (await clientList()).length === from + batch.length,
    );
    const answers = (await Promise.all(batch.map((worker, j) => serve(worker, [publishEvent('warm-up', `cold-${from + j}`)])))).flat();
    for (const answer of answers) assert.equal(answer.status, 202, answer.body);
  }

  const round = async (n: number) => {
    const answers = await Promise.all(
      workers.map((worker, i) =>
        serve(
          worker,
          Array.from({ length: REQUESTS_PER_ROUND }, (_, r) => publishEvent(`room-${i % 20}`, `c${i}-round${n}-r${r}`)),
        ),
      ),
    );
    const all = answers.flat();
    assert.equal(all.length, CONTAINERS * REQUESTS_PER_ROUND);
    for (const answer of all) {
      assert.equal(answer.status, 202, answer.body);
      assert.match(answer.body, /"id":"\d+-\d+"/, 'stored in the feed (Redis), with its id');
    }
  };

  await round(1);
  const first = await clientList();
  const counts = perContainer(first);
  assert.equal(first.length, CONTAINERS, `${first.length} client connections for ${CONTAINERS} containers`);
  assert.equal(counts.size, CONTAINERS, 'every container has a connection');
  for (const [name, count] of counts) {
    assert.match(name, /^container-\d+$/);
    assert.equal(count, 1, `${name} has ${count} connections`);
  }

  await round(2);
  const second = await clientList();
  assert.deepEqual(
    second.map((c) => c.id).sort(),
    first.map((c) => c.id).sort(),
    'the same connections served the second round: none made per request',
  );
  const received = (await connectionsReceived()) - receivedBefore;
  assert.equal(received, CONTAINERS, `Redis accepted ${received} connections in all, for ${REQUESTS * CONTAINERS} requests`);

  // Containers go away (Lambda reclaims them): their connections close with them.
  await Promise.all(workers.splice(0).map((worker) => worker.terminate()));
  let left = await clientList();
  await until('the connections to close', async () => (left = await clientList()).length === 0, 10_000).catch(() => undefined);
  assert.equal(left.length, 0, `${left.length} connections left once the containers were gone`);

  t.diagnostic(
    `${CONTAINERS} containers × ${REQUESTS} requests = ${REQUESTS * CONTAINERS} requests: ` +
      `${first.length} client connections (CLIENT LIST), one per container; ${received} connections accepted in all`,
  );
});

test("a Redis at its client limit (a hosted plan's 30): the next container's operations fail within the budget as in an outage, and work once a connection is free", async () => {
  const port = await freePort();
  const server = startService(
    'redis-server',
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--maxclients', '30'],
    join(dir, 'maxclients.log'),
  );
  // Each container's connection (RedisConnection), as 31 containers would hold them.
  const containers = Array.from({ length: 31 }, () => new RedisFeed(new RedisConnection(`redis://127.0.0.1:${port}`)));
  try {
    await waitForPort(port, server);
    for (const feed of containers.slice(0, 30)) await feed.append('room', 'fits');
    const started = performance.now();
    await assert.rejects(containers[30]!.append('room', 'one too many'), FeedUnavailableError);
    assert.ok(performance.now() - started < 1_500, 'failed within the 1 s budget');
    await containers[0]!.close();
    const back = Date.now();
    for (;;) {
      const attempt = await containers[30]!.append('room', 'now it fits').catch(() => undefined);
      if (attempt !== undefined) break;
      assert.ok(Date.now() - back < 10_000, 'the 31st connects once a connection is free');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await Promise.all(containers.map((feed) => feed.close()));
    await server.stop();
  }
});
