// The deployment artifacts, as `serverless package` builds them (osls with
// serverless-esbuild, offline, no AWS credentials): one zip per function in
// serverless.yml, each a single self-contained CommonJS bundle within the
// size budgets (its bundle, what a cold start reads, and its zip), whose
// handler loads with require() and answers as the source does, including
// Grip-Sig checks (the verifier bundled, its HS256 code loaded on first use),
// and whose on-demand files load and have what the bundle asks of them
// (test/e2e/node24.test.ts has them read when asked for). Then `serverless invoke
// local`, which runs a function from its esbuild bundle, with an event
// fixture (test/events/), inline --data and --env as a developer would.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { SignJWT } from 'jose';
import { parse as parseYaml } from 'yaml';
import { decodeEvents } from '../../src/protocol/index.js';
import { describeRun, parseInvokeResult, removeWorkFolder, ROOT, runServerless, type CommandRun } from './support/serverless-cli.js';
import { readZip } from './support/serverless-zip.js';

/**
 * What a cold start reads: each function's bundle (its on-demand files
 * left out), in bytes. Measured: chat about 100 KB (client tokens,
 * presence, rate limits), the others 33-61 KB.
 */
const BUNDLE_BUDGET_BYTES: Readonly<Record<string, number>> = { chat: 115_000 };
const DEFAULT_BUNDLE_BUDGET_BYTES = 70_000;
/**
 * Per function, zipped with its on-demand files, which read nothing at a
 * cold start. The largest: chat, about 130 KB, 60 KB of it ioredis.
 */
const ZIP_BUDGET_BYTES = 150_000;
const CLI_TIMEOUT_MS = 60_000;
const GRIP_URL = 'http://localhost:5561?iss=pushpin&key=changeme';

// The bundles read these when loaded and on their first request; this
// process sets them itself, for the one test that checks signatures.
for (const name of ['GRIP_URL', 'GRIP_VERIFY_KEY', 'GRIP_VERIFY_ISS', 'GRIP_PREFIX', 'PUBLISH_TOKEN', 'REDIS_URL']) {
  delete process.env[name];
}

interface FunctionConfig {
  readonly handler: string;
}

interface ServiceConfig {
  readonly provider: { readonly runtime: string };
  readonly functions?: Record<string, FunctionConfig>;
}

/** serverless.yml; CloudFormation short tags (!GetAtt) parse as plain values. */
function serviceConfig(): ServiceConfig {
  return parseYaml(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'), { logLevel: 'error' }) as ServiceConfig;
}

/** The functions serverless.yml declares. */
function declaredFunctions(): Map<string, FunctionConfig> {
  const functions = new Map(Object.entries(serviceConfig().functions ?? {}));
  assert.ok(functions.size > 0, 'serverless.yml declares no functions');
  return functions;
}

/** `functions/echo.handler` -> the bundle's path in the zip and the exported name. */
function bundleOf(handler: string): { file: string; exportName: string } {
  const dot = handler.lastIndexOf('.');
  return { file: `${handler.slice(0, dot)}.cjs`, exportName: handler.slice(dot + 1) };
}

const scratch = mkdtempSync(join(tmpdir(), 'grip-lambda-serverless-'));

// Builds go to a work folder of this process's own (see WORK_FOLDER): packaging starts
// from an empty one, and the one `invoke local` leaves behind is removed at the end.
removeWorkFolder();
after(() => {
  rmSync(scratch, { recursive: true, force: true });
  removeWorkFolder();
});

/** Runs the CLI and reports how long it took (`# serverless ...: N ms` in the test output). */
async function serverless(t: TestContext, args: readonly string[]): Promise<CommandRun> {
  const run = await runServerless(args, CLI_TIMEOUT_MS);
  const label = args[0] === 'invoke' ? args.slice(0, 4).join(' ') : args[0];
  t.diagnostic(`serverless ${label}: ${run.ms} ms`);
  return run;
}

let packaging: Promise<string> | undefined;

/** Packages once, into a scratch directory (`--package`), leaving the repository's .serverless/ alone. */
function packaged(t: TestContext): Promise<string> {
  packaging ??= (async () => {
    const out = join(scratch, 'package');
    const args = ['package', '--package', out];
    const run = await serverless(t, args);
    assert.equal(run.code, 0, describeRun(args, run));
    return out;
  })();
  return packaging;
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const lambdaContext = {
  functionName: 'grip-lambda-dev-test',
  functionVersion: '$LATEST',
  awsRequestId: 'serverless-test',
  memoryLimitInMB: '256',
  getRemainingTimeInMillis: () => 10_000,
};

const WS_HEADERS = {
  'content-type': 'application/websocket-events',
  accept: 'application/websocket-events',
  'connection-id': 'conn-serverless-1',
};

/** An HTTP API (payload 2.0) event. */
function httpEvent(
  method: string,
  path: string,
  options: { params?: Record<string, string>; headers?: Record<string, string>; body?: string } = {},
) {
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: { host: 'abc123.execute-api.us-east-1.amazonaws.com', ...options.headers },
    ...(options.params ? { pathParameters: options.params } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.10', userAgent: 'test' },
      requestId: 'serverless-test',
      routeKey: `${method} ${path}`,
      stage: '$default',
      timeEpoch: Date.now(),
    },
    ...(options.body !== undefined
      ? { body: Buffer.from(options.body).toString('base64'), isBase64Encoded: true }
      : { isBase64Encoded: false }),
  };
}

interface HttpResult {
  statusCode: number;
  headers?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
}

function asHttpResult(value: unknown): HttpResult {
  assert.ok(typeof value === 'object' && value !== null, `not a result object: ${JSON.stringify(value)}`);
  const result = value as HttpResult;
  assert.equal(typeof result.statusCode, 'number', `no statusCode: ${JSON.stringify(value)}`);
  return result;
}

function bodyBytes(result: HttpResult): Buffer {
  return Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
}

/** WebSocket-over-HTTP events as { type, text }. */
function wsEvents(result: HttpResult): { type: string; text?: string }[] {
  return decodeEvents(bodyBytes(result)).map((event) =>
    event.content === undefined ? { type: event.type } : { type: event.type, text: Buffer.from(event.content).toString('utf8') },
  );
}

/** What build/esbuild-plugins.cjs puts in files of their own, loaded on first use. */
const ON_DEMAND = ['ioredis', 'grip-publish', 'jose', 'dynamodb'];

/** The functions whose zip holds `NAME.SUFFIX.cjs`. */
function carrying(out: string, suffix: string): string[] {
  return [...declaredFunctions().keys()]
    .filter((name) => readZip(readFileSync(join(out, `${name}.zip`))).some((entry) => entry.name.endsWith(`.${suffix}.cjs`)))
    .sort();
}

// The opening answer subscribes the connection to its own channel (for toConnection), then echoes.
const ECHOED = [
  { type: 'OPEN' },
  { type: 'TEXT', text: 'c:{"type":"subscribe","channel":"$c:conn-serverless-1"}' },
  { type: 'TEXT', text: 'm:hello' },
];

test('serverless package: every function is one CommonJS bundle (and ioredis, the publishing client, jose and the DynamoDB stores on demand), within the budgets', {
  timeout: 90_000,
}, async (t) => {
  const out = await packaged(t);
  const sizes: string[] = [];
  for (const [name, fn] of declaredFunctions()) {
    const zipPath = join(out, `${name}.zip`);
    assert.ok(existsSync(zipPath), `no artifact for ${name}`);
    const size = statSync(zipPath).size;
    assert.ok(size <= ZIP_BUDGET_BYTES, `${name}.zip is ${size} bytes, over the ${ZIP_BUDGET_BYTES} byte budget`);

    const entries = readZip(readFileSync(zipPath));
    const { file } = bundleOf(fn.handler);
    const onDemand = ON_DEMAND.map((suffix) => file.replace(/\.cjs$/, `.${suffix}.cjs`));
    const names = entries.map((entry) => entry.name);
    assert.equal(names[0], file, `${name}.zip starts with its bundle`);
    const bundleSize = entries[0]!.data.length;
    const bundleBudget = BUNDLE_BUDGET_BYTES[name] ?? DEFAULT_BUNDLE_BUDGET_BYTES;
    assert.ok(bundleSize <= bundleBudget, `${file} is ${bundleSize} bytes, over its ${bundleBudget} byte budget`);
    sizes.push(`${name} ${(bundleSize / 1000).toFixed(1)} KB (zip ${(size / 1000).toFixed(1)} KB)`);
    assert.deepEqual(
      names.slice(1).sort(),
      onDemand.filter((onDemandFile) => names.includes(onDemandFile)).sort(),
      `${name}.zip should hold its bundle (and its own on-demand files) only: no node_modules, sources or stray build files`,
    );
    for (const entry of entries) {
      const source = entry.data.toString('utf8');
      // Self-contained: nothing but Node.js built-ins (and the function's own on-demand files) is loaded at run time.
      const loaded = new Set([...source.matchAll(/\b(?:require|import)\("([^"]+)"\)/g)].map((match) => match[1]!));
      const foreign = [...loaded].filter(
        (id) => !builtinModules.includes(id.replace(/^node:/, '')) && !onDemand.includes(`functions/${id.replace(/^\.\//, '')}`),
      );
      assert.deepEqual(foreign, [], `${entry.name} loads modules Lambda does not have`);
      // esbuild turns import.meta into an empty object in CommonJS output; nothing may depend on it.
      assert.doesNotMatch(source, /\bimport_meta\b/, `${entry.name} uses import.meta, which is empty in a CommonJS bundle`);
    }
    for (const suffix of ON_DEMAND) {
      if (!names.includes(file.replace(/\.cjs$/, `.${suffix}.cjs`))) continue;
      assert.match(
        entries[0]!.data.toString('utf8'),
        new RegExp(`import\\("\\./${name}\\.${suffix}\\.cjs"\\)`),
        `${name} loads its ${suffix} file on demand`,
      );
    }
  }
  // Functions that keep feeds or presence carry ioredis and the DynamoDB stores in files of their own; the others have neither.
  const withStores = ['chat', 'publish', 'relay', 'sse', 'stream'];
  assert.deepEqual(carrying(out, 'ioredis'), withStores);
  assert.deepEqual(carrying(out, 'dynamodb'), withStores);
  // Every handler can publish (ctx.publisher, req.publisher): each carries @fanoutio/grip's publishing client (jose, node:crypto) in a file of its own.
  assert.deepEqual(carrying(out, 'grip-publish'), [...declaredFunctions().keys()].sort());
  // Chat checks client tokens: jose's verifier in a file of its own.
  assert.deepEqual(carrying(out, 'jose'), ['chat']);
  t.diagnostic(`bundle sizes: ${sizes.join(', ')}`);

  // The CloudFormation template takes GRIP settings from stage parameters: packaged without any, they are empty.
  const template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as {
    Resources: Record<
      string,
      { Type: string; Properties: { Handler?: string; Runtime?: string; Environment?: { Variables?: Record<string, unknown> } } }
    >;
  };
  const lambdas = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Lambda::Function');
  assert.deepEqual(
    lambdas.map((resource) => resource.Properties.Handler).sort(),
    [...declaredFunctions().values()].map((fn) => fn.handler).sort(),
  );
  for (const resource of lambdas) {
    assert.equal(resource.Properties.Runtime, serviceConfig().provider.runtime);
    const variables = resource.Properties.Environment?.Variables ?? {};
    for (const name of ['GRIP_URL', 'GRIP_VERIFY_KEY', 'GRIP_VERIFY_ISS', 'PUBLISH_TOKEN', 'REDIS_URL']) {
      assert.equal(variables[name], '', `${resource.Properties.Handler}: ${name} should come from a stage parameter`);
    }
  }
});

test('no packaged function loads node:crypto at init: the publishing client (jose) waits for the first publish', {
  timeout: 90_000,
}, async (t) => {
  const out = await packaged(t);
  const root = join(scratch, 'init-modules');
  mkdirSync(root, { recursive: true });
  // A script file, not `node -e`, which loads node:crypto itself before running anything.
  const probe = join(root, 'probe.cjs');
  writeFileSync(
    probe,
    'require(process.argv[2]); process.stdout.write(JSON.stringify(process.moduleLoadList.filter((m) => /^NativeModule (crypto|internal\\/crypto)/.test(m))));\n',
  );
  const loadedCrypto: string[] = [];
  for (const [name, fn] of declaredFunctions()) {
    for (const entry of readZip(readFileSync(join(out, `${name}.zip`)))) {
      mkdirSync(dirname(join(root, entry.name)), { recursive: true });
      writeFileSync(join(root, entry.name), entry.data);
    }
    const env: NodeJS.ProcessEnv = { ...process.env, GRIP_URL: 'http://127.0.0.1:9/?iss=pushpin&key=changeme', GRIP_VERIFY_ISS: 'pushpin' };
    delete env.REDIS_URL;
    const modules = JSON.parse(
      execFileSync(process.execPath, [probe, join(root, bundleOf(fn.handler).file)], { encoding: 'utf8', env }),
    ) as string[];
    if (modules.length > 0) loadedCrypto.push(`${name}: ${modules.join(', ')}`);
  }
  assert.deepEqual(loadedCrypto, []);
});

test('the packaged handlers load with require() and answer', { timeout: 90_000 }, async (t) => {
  const out = await packaged(t);
  // Unzipped under a package.json saying "type": "module", as in this repository:
  // the bundles are .cjs, so they load as CommonJS wherever they are.
  const root = join(scratch, 'unzipped');
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
  const handlers = new Map<string, { path: string; handler: Handler }>();
  const require = createRequire(join(root, 'index.cjs'));
  for (const [name, fn] of declaredFunctions()) {
    for (const entry of readZip(readFileSync(join(out, `${name}.zip`)))) {
      mkdirSync(dirname(join(root, entry.name)), { recursive: true });
      writeFileSync(join(root, entry.name), entry.data);
    }
    const { file, exportName } = bundleOf(fn.handler);
    const path = join(root, file);
    const exports = require(path) as Record<string, unknown>;
    // What the bundle's import() of each on-demand file gets.
    const onDemand = (suffix: string) => join(root, file.replace(/\.cjs$/, `.${suffix}.cjs`));
    if (existsSync(onDemand('ioredis'))) {
      const ioredis = (await import(pathToFileURL(onDemand('ioredis')).href)) as { default: { Redis?: unknown } };
      assert.equal(typeof ioredis.default.Redis, 'function', `${name}: its ioredis file loads and has Redis`);
    }
    if (existsSync(onDemand('jose'))) {
      const jose = (await import(pathToFileURL(onDemand('jose')).href)) as Record<string, unknown>;
      assert.equal(typeof jose.jwtVerify, 'function', `${name}: its jose file loads and has jwtVerify`);
      assert.equal(typeof jose.createLocalJWKSet, 'function', `${name}: its jose file loads and has createLocalJWKSet`);
    }
    if (existsSync(onDemand('dynamodb'))) {
      const stores = (await import(pathToFileURL(onDemand('dynamodb')).href)) as Record<string, unknown>;
      for (const made of ['sharedDynamoFeed', 'dynamoPresenceStore', 'closeSharedDynamo']) {
        assert.equal(typeof stores[made], 'function', `${name}: its DynamoDB file loads and has ${made}`);
      }
    }
    assert.equal(typeof exports[exportName], 'function', `${name}: ${fn.handler} is not a function`);
    handlers.set(name, { path, handler: exports[exportName] as Handler });
  }
  const call = async (name: string, event: unknown): Promise<unknown> => {
    const loaded = handlers.get(name);
    assert.ok(loaded, `no function ${name} in serverless.yml`);
    return loaded.handler(event, lambdaContext);
  };
  // "no GRIP verify key configured" and the relay's record failures are expected here.
  t.mock.method(console, 'warn', () => {});
  t.mock.method(console, 'error', () => {});

  const echo = asHttpResult(await call('echo', httpEvent('POST', '/echo', { headers: WS_HEADERS, body: 'OPEN\r\nTEXT 5\r\nhello\r\n' })));
  assert.equal(echo.statusCode, 200);
  assert.equal(echo.headers?.['Content-Type'], 'application/websocket-events');
  assert.deepEqual(wsEvents(echo), ECHOED);

  const page = asHttpResult(await call('page', httpEvent('GET', '/')));
  assert.equal(page.statusCode, 200);
  assert.match(page.headers?.['Content-Type'] ?? '', /^text\/html/);
  assert.match(bodyBytes(page).toString(), /<!doctype html>/i);

  const poll = asHttpResult(await call('poll', httpEvent('GET', '/poll/news', { params: { channel: 'news' } })));
  assert.equal(poll.statusCode, 200);
  assert.equal(poll.headers?.['Grip-Hold'], 'response');
  assert.equal(poll.headers?.['Grip-Channel'], 'news');

  const stream = asHttpResult(await call('stream', httpEvent('GET', '/stream/news', { params: { channel: 'news' } })));
  assert.equal(stream.headers?.['Grip-Hold'], 'stream');

  const sse = asHttpResult(await call('sse', httpEvent('GET', '/sse/news', { params: { channel: 'news' } })));
  assert.equal(sse.headers?.['Content-Type'], 'text/event-stream');
  assert.equal(sse.headers?.['Grip-Hold'], 'stream');

  const subscribe = asHttpResult(
    await call('subscribe', httpEvent('POST', '/subscribe/news', { params: { channel: 'news' }, headers: WS_HEADERS, body: 'OPEN\r\n' })),
  );
  assert.equal(subscribe.statusCode, 200);
  assert.equal(wsEvents(subscribe)[0]?.type, 'OPEN');

  const publish = asHttpResult(
    await call(
      'publish',
      httpEvent('POST', '/publish/news', {
        params: { channel: 'news' },
        headers: { 'content-type': 'application/json' },
        body: '{"message": ',
      }),
    ),
  );
  assert.equal(publish.statusCode, 400);

  // An SQS record for a room that cannot exist is dropped as undeliverable: nothing published, nothing handed back to retry.
  const relayed = await call('relay', {
    Records: [
      {
        messageId: 'message-1',
        receiptHandle: 'handle-1',
        body: JSON.stringify({ channel: 'not a room!', message: 'hi' }),
        attributes: { MessageGroupId: 'group-1', SequenceNumber: '1', ApproximateReceiveCount: '1' },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:relay.fifo',
        awsRegion: 'us-east-1',
      },
    ],
  });
  assert.deepEqual(relayed, { batchItemFailures: [] });

  // Grip-Sig, checked by the bundled verifier: a fresh copy of the echo bundle, loaded with a GRIP URL carrying
  // iss and key (the key verifies; iss is the publishing issuer) and GRIP_VERIFY_ISS (the issuer Grip-Sig must have).
  process.env.GRIP_URL = GRIP_URL;
  process.env.GRIP_VERIFY_ISS = 'pushpin';
  try {
    const echoPath = handlers.get('echo')!.path;
    delete require.cache[echoPath];
    const signedEcho = (require(echoPath) as { handler: Handler }).handler;
    const sign = (key: string, iss = 'pushpin') =>
      new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(iss).setExpirationTime('1m').sign(new TextEncoder().encode(key));
    const withSig = async (sig?: string) =>
      asHttpResult(
        await signedEcho(
          httpEvent('POST', '/echo', {
            headers: { ...WS_HEADERS, ...(sig !== undefined ? { 'grip-sig': sig } : {}) },
            body: 'OPEN\r\nTEXT 5\r\nhello\r\n',
          }),
          lambdaContext,
        ),
      );
    assert.equal((await withSig()).statusCode, 401);
    assert.equal((await withSig(await sign('wrong'))).statusCode, 401);
    assert.equal((await withSig(await sign('changeme', 'someone-else'))).statusCode, 401);
    const signed = await withSig(await sign('changeme'));
    assert.equal(signed.statusCode, 200);
    assert.deepEqual(wsEvents(signed), ECHOED);
  } finally {
    delete process.env.GRIP_URL;
    delete process.env.GRIP_VERIFY_ISS;
  }
});

test('serverless invoke local -f echo with the HTTP API fixture event', { timeout: 90_000 }, async (t) => {
  const args = ['invoke', 'local', '-f', 'echo', '--path', join(ROOT, 'test/events/serverless-invoke-echo.json')];
  const run = await serverless(t, args);
  assert.equal(run.code, 0, describeRun(args, run));
  const result = asHttpResult(parseInvokeResult(run.stdout));
  assert.equal(result.statusCode, 200, describeRun(args, run));
  assert.equal(result.isBase64Encoded, true);
  assert.deepEqual(wsEvents(result), ECHOED);
});

test('serverless invoke local -f publish with a body that is not JSON: 400', { timeout: 90_000 }, async (t) => {
  const event = httpEvent('POST', '/publish/news', {
    params: { channel: 'news' },
    headers: { 'content-type': 'application/json' },
    body: '{"message": ',
  });
  const args = ['invoke', 'local', '-f', 'publish', '--data', JSON.stringify(event)];
  const run = await serverless(t, args);
  assert.equal(run.code, 0, describeRun(args, run));
  const result = asHttpResult(parseInvokeResult(run.stdout));
  assert.equal(result.statusCode, 400, describeRun(args, run));
});

test('serverless invoke local -f echo with a GRIP URL carrying iss and key, without Grip-Sig: 401', { timeout: 90_000 }, async (t) => {
  // --env sets the variable over serverless.yml's `GRIP_URL: ${param:gripUrl}`
  // (an exported GRIP_URL would not: the provider environment overrides it);
  // `--param gripUrl=...` works as well, as in a deploy.
  const args = [
    'invoke',
    'local',
    '-f',
    'echo',
    '--path',
    join(ROOT, 'test/events/serverless-invoke-echo.json'),
    '--env',
    `GRIP_URL=${GRIP_URL}`,
  ];
  const run = await serverless(t, args);
  assert.equal(run.code, 0, describeRun(args, run));
  const result = asHttpResult(parseInvokeResult(run.stdout));
  assert.equal(result.statusCode, 401, describeRun(args, run));
  assert.match(bodyBytes(result).toString(), /Grip-Sig/);
});
