// Lambda's Node.js runtimes: what grip-lambda/serverless knows of them
// (serverless/runtimes.cjs); no file of the repository deploying or bundling
// for a closed one; and every handler the toolkit makes, and every function
// in functions/, in the shape Lambda's Node.js 24 runtime calls: a promise
// back, and no callback parameter (that runtime refuses, at init, a handler
// declaring three or more parameters).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { http, relay, respond, websocket } from 'grip-lambda';
import { parse as parseYaml } from 'yaml';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface SupportedRuntime {
  readonly runtime: string;
  readonly deprecated: string;
  readonly nodeFlags: readonly string[];
}
const runtimes = createRequire(import.meta.url)('../../serverless/runtimes.cjs') as {
  RECOMMENDED_RUNTIME: string;
  SUPPORTED_RUNTIMES: readonly SupportedRuntime[];
  LAST_CLOSED: { major: number; runtime: string; noCreate: string; noUpdate: string };
  nodeMajorOf(runtime: unknown): number | undefined;
  isClosedRuntime(runtime: unknown): boolean;
  closedRuntimeLine(runtime: string, functionNames: readonly string[]): string;
  esbuildTargetFor(runtimes: readonly unknown[]): string;
};

const CLOSED = [
  'nodejs',
  'nodejs4.3',
  'nodejs4.3-edge',
  'nodejs6.10',
  'nodejs8.10',
  'nodejs10.x',
  'nodejs12.x',
  'nodejs14.x',
  'nodejs16.x',
  'nodejs18.x',
  'nodejs20.x',
];

test('closed: every Node.js runtime up to nodejs20.x; open: nodejs22.x and nodejs24.x; not Node.js: not judged', () => {
  for (const runtime of CLOSED) assert.equal(runtimes.isClosedRuntime(runtime), true, runtime);
  for (const runtime of ['nodejs22.x', 'nodejs24.x']) assert.equal(runtimes.isClosedRuntime(runtime), false, runtime);
  for (const runtime of ['python3.13', 'provided.al2023', 'java21', '', undefined, 'nodejs24', 'node24']) {
    assert.equal(runtimes.isClosedRuntime(runtime), false, String(runtime));
    assert.equal(runtimes.nodeMajorOf(runtime), undefined, String(runtime));
  }
  assert.equal(runtimes.nodeMajorOf('nodejs24.x'), 24);
  assert.equal(runtimes.nodeMajorOf('nodejs8.10'), 8);
  assert.equal(runtimes.nodeMajorOf('nodejs'), 0);
  assert.equal(runtimes.LAST_CLOSED.runtime, 'nodejs20.x');
  assert.deepEqual(
    runtimes.SUPPORTED_RUNTIMES.map((entry) => [entry.runtime, entry.deprecated]),
    [
      ['nodejs24.x', '2028-04-30'],
      ['nodejs22.x', '2027-04-30'],
    ],
  );
  assert.equal(runtimes.RECOMMENDED_RUNTIME, 'nodejs24.x');
});

test('the line for a closed runtime: one line naming the functions, the runtime, since when, and what to use', () => {
  const one = runtimes.closedRuntimeLine('nodejs20.x', ['echo']);
  assert.equal(
    one,
    'function "echo" uses runtime nodejs20.x: AWS Lambda has refused to create functions on it since 2026-08-31 ' +
      '(and to update them since 2026-09-30); set runtime: nodejs24.x (supported until 2028-04-30).',
  );
  const three = runtimes.closedRuntimeLine('nodejs20.x', ['echo', 'chat', 'page']);
  assert.match(three, /^functions "echo", "chat" and "page" use runtime nodejs20\.x: /);
  // Older runtimes: no date of their own is claimed, only that they closed before nodejs20.x.
  const older = runtimes.closedRuntimeLine('nodejs18.x', ['a', 'b']);
  assert.match(older, /^functions "a" and "b" use runtime nodejs18\.x: AWS Lambda no longer creates or updates functions on it /);
  assert.match(older, /set runtime: nodejs24\.x/);
  for (const line of [one, three, older]) assert.doesNotMatch(line, /\n/);
});

test('bundles target the oldest Node.js among the functions runtimes; node24 when none is Node.js', () => {
  assert.equal(runtimes.esbuildTargetFor(['nodejs24.x']), 'node24');
  assert.equal(runtimes.esbuildTargetFor(['nodejs24.x', 'nodejs22.x', 'nodejs24.x']), 'node22');
  assert.equal(runtimes.esbuildTargetFor([]), 'node24');
  assert.equal(runtimes.esbuildTargetFor(['python3.13', undefined]), 'node24');
});

test('serverless.yml deploys on the recommended runtime', () => {
  const service = parseYaml(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'), { logLevel: 'error' }) as {
    provider: { runtime: string };
    functions: Record<string, { runtime?: string }>;
  };
  assert.equal(service.provider.runtime, runtimes.RECOMMENDED_RUNTIME);
  for (const [name, fn] of Object.entries(service.functions)) assert.equal(fn.runtime, undefined, `${name} sets a runtime of its own`);
});

test("README's own project deploys on the recommended runtime", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /```yaml\n# serverless\.yml\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, 'README shows a serverless.yml');
  const service = parseYaml(block[1]!, { logLevel: 'error' }) as { provider: { runtime?: string } };
  assert.equal(service.provider.runtime, runtimes.RECOMMENDED_RUNTIME);
});

// The files that must name closed runtimes: the plugin's list of them, the page explaining them, and this test.
const MAY_NAME_CLOSED = new Set(['serverless/runtimes.cjs', 'docs/runtimes.md', 'test/unit/runtimes.test.ts']);
const CHECKED = /\.(ya?ml|md|ts|cjs|mjs|js|json)$/;

/** Closed runtime identifiers in a text, and (outside prose) esbuild targets for a closed runtime's Node.js. */
function closedNames(file: string, text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/\bnodejs\d+\.(?:x|\d+)(?:-edge)?/g)) {
    if (runtimes.isClosedRuntime(match[0])) found.push(match[0]);
  }
  if (!file.endsWith('.md')) {
    // `target: 'node20'`, `target: node18`, `"target": "node20"`, `--target=node20`.
    for (const match of text.matchAll(/(?<=['"`=:\s])node(\d{1,2})(?=['"`,\s]|$)/gm)) {
      if (Number(match[1]) <= runtimes.LAST_CLOSED.major) found.push(match[0]);
    }
  }
  return found;
}

test('no tracked snippet or config names a closed runtime, nor bundles for one', () => {
  const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((file) => CHECKED.test(file) && !file.endsWith('package-lock.json') && !MAY_NAME_CLOSED.has(file));
  assert.ok(tracked.length > 50, `git ls-files listed ${tracked.length} files`);
  const offending: string[] = [];
  for (const file of tracked) {
    if (!existsSync(join(ROOT, file))) continue; // deleted in the working tree
    const names = closedNames(file, readFileSync(join(ROOT, file), 'utf8'));
    if (names.length > 0) offending.push(`${file}: ${[...new Set(names)].join(', ')}`);
  }
  assert.deepEqual(offending, []);
  for (const file of MAY_NAME_CLOSED) assert.ok(existsSync(join(ROOT, file)), `${file}, excepted above, exists`);
});

test('the scan finds what it looks for', () => {
  assert.deepEqual(closedNames('serverless.yml', 'provider:\n  runtime: nodejs20.x\n'), ['nodejs20.x']);
  assert.deepEqual(closedNames('a.md', 'runtime: nodejs18.x and nodejs24.x'), ['nodejs18.x']);
  assert.deepEqual(closedNames('bench/x.ts', "build({ target: 'node20' })"), ['node20']);
  assert.deepEqual(closedNames('x.yml', 'esbuild:\n  target: node18\n'), ['node18']);
  assert.deepEqual(closedNames('x.json', '{"target": "node22", "engines": {"node": ">=20"}}'), []);
  assert.deepEqual(closedNames('x.md', 'bundled for node20'), []);
});

type AnyHandler = (...args: unknown[]) => unknown;

/** Why Lambda's Node.js 24 runtime would refuse or mishandle this handler; undefined when it calls it as it should. */
async function lambdaShapeProblem(handler: unknown, event: unknown): Promise<string | undefined> {
  if (typeof handler !== 'function') return 'not a function';
  if (handler.length >= 3) return `declares ${handler.length} parameters (a callback: refused at init)`;
  const answer = (handler as AnyHandler)(event, { getRemainingTimeInMillis: () => 10_000, awsRequestId: 'runtimes-test' });
  if (!(answer instanceof Promise)) return `answers ${typeof answer}, not a promise`;
  await answer.catch(() => {}); // what it answers is for other tests; here only that it answers through a promise
  return undefined;
}

test('the shape check refuses a callback-style handler and one that answers without a promise', async () => {
  assert.match((await lambdaShapeProblem((_event: unknown, _context: unknown, _callback: unknown) => {}, {})) ?? '', /callback/);
  assert.match((await lambdaShapeProblem(() => 1, {})) ?? '', /not a promise/);
  assert.equal(await lambdaShapeProblem(async (_event: unknown) => 1, {}), undefined);
});

test("every handler the toolkit makes is in the shape Lambda's Node.js 24 runtime calls", async () => {
  const made: Record<string, [unknown, unknown]> = {
    websocket: [websocket({}), {}],
    'websocket with onMessage': [websocket({ onMessage: (ctx, message) => ctx.send(message.data) }), {}],
    http: [http(() => respond(200, 'ok')), {}],
    'http, async': [http(async () => respond(200, 'ok')), {}],
    relay: [relay({}), { Records: [] }],
  };
  const problems: string[] = [];
  for (const [name, [handler, event]] of Object.entries(made)) {
    const problem = await lambdaShapeProblem(handler, event);
    if (problem !== undefined) problems.push(`${name}: ${problem}`);
  }
  assert.deepEqual(problems, []);
});

test("every function in functions/ is in the shape Lambda's Node.js 24 runtime calls", async (t) => {
  const service = parseYaml(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'), { logLevel: 'error' }) as {
    functions: Record<string, { handler: string }>;
  };
  // Every handler serverless.yml names, and every `handler` export of a module in functions/.
  const handlers = new Map<string, { module: string; exportName: string }>();
  for (const [name, fn] of Object.entries(service.functions)) {
    const dot = fn.handler.lastIndexOf('.');
    handlers.set(name, { module: `${fn.handler.slice(0, dot)}.ts`, exportName: fn.handler.slice(dot + 1) });
  }
  for (const file of readdirSync(join(ROOT, 'functions')).filter((name) => name.endsWith('.ts'))) {
    if (![...handlers.values()].some((entry) => entry.module === `functions/${file}`)) {
      handlers.set(file, { module: `functions/${file}`, exportName: 'handler' });
    }
  }
  const problems: string[] = [];
  t.mock.method(console, 'warn', () => {});
  t.mock.method(console, 'error', () => {});
  for (const [name, { module, exportName }] of handlers) {
    const exports = (await import(pathToFileURL(join(ROOT, module)).href)) as Record<string, unknown>;
    const event = name === 'relay' ? { Records: [] } : {};
    const problem = await lambdaShapeProblem(exports[exportName], event);
    if (problem !== undefined) problems.push(`${name} (${module}): ${problem}`);
  }
  assert.ok(handlers.size >= 9, `found ${handlers.size} handlers`);
  assert.deepEqual(problems, []);
});
