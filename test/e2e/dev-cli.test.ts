// `grip-lambda dev` (src/local/cli.ts) on a project of its own, with
// JavaScript handlers: what it serves and says at start (REST API `http`
// events with binaryMediaTypes, events it does not serve, a route declared
// GET that WebSocket clients cannot reach), handlers missing at start, a
// machine without Pushpin, and what a SIGKILL leaves: stopped by the next start.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { after, describe, test } from 'node:test';
import WebSocket from 'ws';
import { isRunning } from '../../src/local/process-tree.js';
import { freePort, startStack } from '../../src/local/stack.js';
import { output, processesOf, signalGroup, startCli, stillRunning, type CliRun } from './support/cli-run.js';
import { ROOT, waitFor, within } from './support/e2e.js';

const scratch = mkdtempSync(join(tmpdir(), 'grip-lambda-dev-'));
const runs: CliRun[] = [];
after(async () => {
  for (const run of runs) {
    signalGroup(run, 'SIGTERM');
    await within(run.exited, 15_000, 'the CLI to stop').catch(() => signalGroup(run, 'SIGKILL'));
  }
  rmSync(scratch, { recursive: true, force: true });
});

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(GRIP_|NODE_TEST)/.test(name) || ['PUBLISH_TOKEN', 'REDIS_URL', 'NODE_OPTIONS', 'PORT', 'CONTROL_PORT'].includes(name)) continue;
    clean[name] = value;
  }
  return { ...clean, FORCE_COLOR: '0', ...extra };
}

/** A project folder with these files. */
function project(name: string, files: Record<string, string>): string {
  const dir = join(scratch, name);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

function dev(cwd: string, args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): CliRun {
  // tsx by URL: `--import tsx` would resolve it from the project folder, which has no node_modules.
  const run = startCli(process.execPath, ['--import', import.meta.resolve('tsx'), join(ROOT, 'src/local/cli.ts'), 'dev', ...args], {
    cwd,
    env: env(extraEnv),
  });
  runs.push(run);
  return run;
}

const banner = (run: CliRun) =>
  waitFor(
    () => run.stdout.includes('Ctrl-C stops everything') || run.exit !== undefined,
    60_000,
    () => `the banner\n${output(run)}`,
  );

// Answers what it was given, as JSON: which payload, and the body as it arrived.
const INSPECT = `export const handler = async (event) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ version: event.version ?? '1.0', resource: event.resource, isBase64Encoded: event.isBase64Encoded, body: event.body }),
});
`;
// Answers bytes, base64-encoded, as a function serving binary does.
const BYTES = `exports.handler = async () => ({
  statusCode: 200,
  headers: { 'Content-Type': 'application/octet-stream' },
  body: Buffer.from([0, 255, 128, 13, 10]).toString('base64'),
  isBase64Encoded: true,
});
`;

const SERVICE = `service: dev-cli-test
provider:
  name: aws
  runtime: nodejs24.x
  apiGateway:
    binaryMediaTypes:
      - application/octet-stream
functions:
  inspect:
    handler: functions/inspect.handler
    events:
      - http:
          method: POST
          path: rest/{thing}
      - httpApi: 'POST /v2/inspect'
  bytes:
    handler: functions/bytes.handler
    events:
      - http: GET bytes
  sockets:
    handler: functions/inspect.handler
    events:
      - websocket: $connect
      - httpApi:
          method: GET
          path: /socket
  nightly:
    handler: functions/bytes.handler
    events:
      - schedule: rate(1 day)
`;

describe('grip-lambda dev', () => {
  test('serves REST API and HTTP API events, says what it does not serve, and why a request got 404', { timeout: 120_000 }, async () => {
    const dir = project('served', { 'serverless.yml': SERVICE, 'functions/inspect.mjs': INSPECT, 'functions/bytes.cjs': BYTES });
    const port = await freePort();
    const run = dev(dir, ['--port', String(port), '--control-port', String(await freePort()), '--no-redis']);
    await banner(run);
    assert.equal(run.exit, undefined, output(run));
    assert.match(run.stdout, /POST \/rest\/\{thing\} +inspect +REST API/);
    assert.match(run.stdout, /POST \/v2\/inspect +inspect +HTTP API/);
    assert.match(run.stdout, /GET \/bytes +bytes +REST API/);
    assert.match(run.stdout, /sockets \(websocket\): an API Gateway WebSocket API route/);
    assert.match(run.stdout, /nightly \(schedule\): not an HTTP event/);
    assert.match(run.stdout, /History: +off \(--no-redis\)/);
    // Where to look: the live view and Pushpin's Prometheus endpoint, answering.
    const dashboardUrl = /Dashboard: +(http:\S+)/.exec(run.stdout)?.[1];
    const metricsUrl = /Metrics: +(http:\S+)/.exec(run.stdout)?.[1];
    assert.equal(dashboardUrl, `http://127.0.0.1:${port}/_grip/dashboard/`);
    assert.match((await (await fetch(dashboardUrl!)).text()) ?? '', /<title>grip-lambda dev<\/title>/);
    assert.match(await (await fetch(metricsUrl!)).text(), /^connection_connected \d+$/m);

    const bytes = new Uint8Array([0, 255, 1, 2]);
    const post = (path: string, type: string) =>
      fetch(`http://127.0.0.1:${port}${path}`, {
        method: 'POST',
        headers: { 'content-type': type },
        body: bytes,
        signal: AbortSignal.timeout(10_000),
      }).then((r) => r.json() as Promise<{ version: string; resource?: string; isBase64Encoded: boolean; body: string }>);
    // REST API: base64 only for binaryMediaTypes; text otherwise, as on AWS.
    const binary = await post('/rest/a', 'application/octet-stream');
    assert.deepEqual(binary, {
      version: '1.0',
      resource: '/rest/{thing}',
      isBase64Encoded: true,
      body: Buffer.from(bytes).toString('base64'),
    });
    const text = await post('/rest/a', 'text/plain');
    assert.equal(text.isBase64Encoded, false);
    // HTTP API: payload 2.0, non-text bodies base64.
    const v2 = await post('/v2/inspect', 'application/octet-stream');
    assert.equal(v2.version, '2.0');
    assert.equal(v2.isBase64Encoded, true);
    // A base64 result of a binary media type reaches the client as bytes.
    const got = new Uint8Array(
      await (await fetch(`http://127.0.0.1:${port}/bytes`, { signal: AbortSignal.timeout(10_000) })).arrayBuffer(),
    );
    assert.deepEqual(got, new Uint8Array([0, 255, 128, 13, 10]));

    // WebSocket-over-HTTP is a POST: a real client's handshake on the GET route fails, and the log says why.
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket`);
    const refused = await within(
      new Promise<string>((resolve) => {
        ws.once('open', () => resolve('open'));
        ws.once('unexpected-response', (_req, res) => resolve(`status ${res.statusCode}`));
        ws.once('error', (error) => resolve(`error ${error.message}`));
      }),
      10_000,
      'the handshake to end',
    );
    ws.terminate();
    assert.notEqual(refused, 'open');
    await waitFor(
      () =>
        /POST \/socket 404 \(no POST route; serverless.yml declares GET \/socket \(sockets\); WebSocket-over-HTTP requests are POSTs/.test(
          run.stdout,
        ),
      5_000,
      () => output(run),
    );

    signalGroup(run, 'SIGTERM');
    await within(run.exited, 30_000, () => `the CLI to stop on SIGTERM\n${output(run)}`);
    assert.equal((run.exit as CliRun['exit'])?.code, 0, output(run));
  });

  test('a handler file or export missing fails the start, naming it', { timeout: 60_000 }, async () => {
    const missingFile = project('missing-file', {
      'serverless.yml':
        'service: x\nprovider:\n  name: aws\nfunctions:\n  gone:\n    handler: functions/gone.handler\n    events:\n      - httpApi: POST /gone\n',
    });
    const noExport = project('missing-export', {
      'serverless.yml':
        'service: x\nprovider:\n  name: aws\nfunctions:\n  wrong:\n    handler: functions/wrong.main\n    events:\n      - httpApi: POST /wrong\n',
      'functions/wrong.mjs': 'export const handler = async () => ({ statusCode: 200 });\n',
    });
    for (const [dir, message] of [
      [missingFile, /function gone: handler functions\/gone.handler: no file functions\/gone\{\.ts,/],
      [noExport, /function wrong: .*wrong\.mjs does not export a function main/],
    ] as const) {
      const run = dev(dir, ['--port', String(await freePort()), '--control-port', String(await freePort()), '--no-redis']);
      await within(run.exited, 30_000, () => `the CLI to exit\n${output(run)}`);
      assert.equal(run.exit?.code, 1, output(run));
      assert.match(run.stderr, message);
    }
  });

  test('without Pushpin on PATH: exits at once, printing the install command', { timeout: 30_000 }, async (t) => {
    const dir = project('no-pushpin', { 'serverless.yml': SERVICE, 'functions/inspect.mjs': INSPECT, 'functions/bytes.cjs': BYTES });
    const run = dev(dir, ['--no-redis'], { PATH: '/nonexistent' });
    await within(run.exited, 20_000, () => `the CLI to exit\n${output(run)}`);
    const ms = performance.now() - run.startedAt;
    assert.equal(run.exit?.code, 1, output(run));
    assert.match(
      run.stderr,
      /pushpin, zurl, condure not found on PATH\. Install with: (sudo )?apt-get update && (sudo )?apt-get install -y pushpin/,
    );
    t.diagnostic(`exited after ${Math.round(ms)} ms (node and tsx start included)`);
  });

  test('what a SIGKILL left running is stopped, and its temp folder removed, by the next start', { timeout: 120_000 }, async () => {
    const dir = project('killed', { 'serverless.yml': SERVICE, 'functions/inspect.mjs': INSPECT, 'functions/bytes.cjs': BYTES });
    const args = async () => ['--port', String(await freePort()), '--control-port', String(await freePort())];
    const first = dev(dir, await args());
    await banner(first);
    // The stack's processes (not tsx's esbuild, which ends with the CLI).
    const left = processesOf(first).filter((p) => /^(zurl|pushpin|condure|redis-server)/.test(p.name));
    assert.ok(left.some((p) => p.name === 'pushpin') && left.some((p) => p.name === 'condure'), JSON.stringify(left));
    const runDir = /--config=(\/[^\0]*)\/pushpin\.conf/.exec(
      readFileSync(`/proc/${left.find((p) => p.name === 'pushpin')!.pid}/cmdline`, 'latin1'),
    )![1]!;
    process.kill(first.child.pid!, 'SIGKILL'); // the CLI alone: no code of its own runs
    await within(first.exited, 10_000, 'the CLI to die');
    // Nothing stopped them: Pushpin, its children, zurl (and Redis) run on.
    assert.ok(left.every(isRunning), `still running after SIGKILL: ${JSON.stringify(stillRunning(left))} of ${JSON.stringify(left)}`);

    const second = dev(dir, await args());
    await banner(second);
    assert.match(second.stdout, new RegExp(`cleaned up after a stack that ended without stopping \\(pid ${first.child.pid}\\)`));
    await waitFor(
      () => stillRunning(left).length === 0,
      10_000,
      () => `the first stack's processes to be gone: ${JSON.stringify(stillRunning(left))}`,
    );
    assert.equal(existsSync(runDir), false, `${runDir} removed`);
    const mine = processesOf(second);
    signalGroup(second, 'SIGINT');
    await within(second.exited, 30_000, () => output(second));
    assert.equal(second.exit?.code, 0, output(second));
    await waitFor(
      () => stillRunning(mine).length === 0,
      10_000,
      () => `every process to be gone: ${JSON.stringify(stillRunning(mine))}`,
    );
  });
});

test('startStack with its client port taken: it rejects, quoting what Pushpin logged (its logs go with the run folder)', {
  timeout: 60_000,
}, async () => {
  const port = await freePort();
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(port, '0.0.0.0', () => resolve()));
  const env = { ...process.env }; // startStack sets the functions' GRIP settings here; the CLIs this file starts inherit it
  try {
    await assert.rejects(
      startStack({ root: ROOT, redis: false, httpPort: port }),
      new RegExp(`the logs said:\\n(.*\\n)*pushpin\\.log: .*failed to bind 0\\.0\\.0\\.0:${port}: Address already in use`),
    );
  } finally {
    blocker.close();
    for (const name of Object.keys(process.env)) if (!(name in env)) delete process.env[name];
    Object.assign(process.env, env);
  }
});

test('startStack with its control port taken: it rejects before starting anything, naming the port (publishes would reach the other program)', {
  timeout: 30_000,
}, async () => {
  const port = await freePort();
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', () => resolve()));
  try {
    await assert.rejects(
      startStack({ root: ROOT, redis: false, controlPort: port }),
      new RegExp(`^Error: control port ${port} is taken by another program: stop it, or choose another controlPort`),
    );
  } finally {
    blocker.close();
  }
});

test('a process using startStack (ports 0), ended by Ctrl-C: none of its processes and no temp folder left; stop() twice is safe', {
  timeout: 60_000,
}, async () => {
  const dir = project('library', { 'serverless.yml': SERVICE, 'functions/inspect.mjs': INSPECT, 'functions/bytes.cjs': BYTES });
  writeFileSync(
    join(dir, 'run.mts'),
    `import { startStack } from ${JSON.stringify(join(ROOT, 'src/local/index.ts'))};
const stack = await startStack({ root: process.cwd(), httpPort: 0, controlPort: 0, redis: true });
const again = await startStack({ root: process.cwd(), httpPort: 0, redis: false });
await again.stop();
await again.stop();
console.log('ready ' + stack.httpUrl + ' ' + stack.controlUrl);
setInterval(() => {}, 1000);
`,
  );
  const run = startCli(process.execPath, ['--import', import.meta.resolve('tsx'), 'run.mts'], { cwd: dir, env: env() });
  runs.push(run);
  await waitFor(
    () => run.stdout.includes('ready') || run.exit !== undefined,
    60_000,
    () => output(run),
  );
  const [, httpUrl, controlUrl] = /ready (\S+) (\S+)/.exec(run.stdout)!;
  for (const url of [httpUrl!, controlUrl!]) assert.notEqual(new URL(url).port, '0', `${url}: port 0 picks a free port`);
  const page = await fetch(`${httpUrl}/bytes`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(page.status, 200);
  await page.body?.cancel();
  const started = processesOf(run);
  const pushpin = started.find((p) => p.name === 'pushpin');
  assert.ok(pushpin !== undefined && started.some((p) => p.name === 'redis-server'), JSON.stringify(started));
  const runDir = /--config=(\/[^\0]*)\/pushpin\.conf/.exec(readFileSync(`/proc/${pushpin.pid}/cmdline`, 'latin1'))![1]!;
  signalGroup(run, 'SIGINT');
  await within(run.exited, 20_000, () => output(run));
  assert.equal(run.exit?.signal, 'SIGINT', 'it dies of the SIGINT, as without the stack');
  await waitFor(
    () => stillRunning(started).length === 0,
    10_000,
    () => `every process to be gone: ${JSON.stringify(stillRunning(started))}`,
  );
  assert.equal(existsSync(runDir), false, `${runDir} removed`);
});

test('an uncaught error in the host stops everything: exit 1, no process left', { timeout: 60_000 }, async () => {
  // The handler's background work throws outside any invocation, once the stack is up.
  const dir = project('crash', {
    'serverless.yml':
      'service: x\nprovider:\n  name: aws\nfunctions:\n  boom:\n    handler: functions/boom.handler\n    events:\n      - httpApi: POST /boom\n',
    'functions/boom.mjs':
      "export const handler = async () => { setTimeout(() => { throw new Error('background failure'); }, 10); return { statusCode: 202 }; };\n",
  });
  const port = await freePort();
  const run = dev(dir, ['--port', String(port), '--control-port', String(await freePort()), '--no-redis']);
  await banner(run);
  const started = processesOf(run);
  assert.ok(
    started.some((p) => p.name === 'pushpin'),
    JSON.stringify(started),
  );
  const answer = await fetch(`http://127.0.0.1:${port}/boom`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
  assert.equal(answer.status, 202);
  await within(run.exited, 30_000, () => `the CLI to stop after the uncaught error\n${output(run)}`);
  assert.equal(run.exit?.code, 1, output(run));
  assert.match(run.stderr, /uncaught error, stopping: Error: background failure/);
  await waitFor(
    () => stillRunning(started).length === 0,
    10_000,
    () => `every process to be gone: ${JSON.stringify(stillRunning(started))}`,
  );
});
