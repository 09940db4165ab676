// The store-backed e2e tests through Pushpin on DynamoDB: chat history,
// SSE resume, idempotent publish, presence, the outage test and the
// per-user connection limit, each file run as it runs on Redis but with
// GRIP_E2E_STORE=dynamodb (a local dynalite); and the stack's `dynamodb`
// option itself.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { canConnect } from '../../src/local/processes.js';
import { startStack } from '../../src/local/stack.js';
import { ROOT } from './support/e2e.js';

test('startStack({ dynamodb: true }): the table made, the functions told, stack.dynamodb reported; stop leaves nothing', async () => {
  const stack = await startStack({ root: ROOT, dynamodb: true });
  let port = 0;
  try {
    assert.equal(stack.redisUrl, undefined);
    assert.equal(stack.dynamodb?.table, 'grip-lambda');
    assert.match(stack.dynamodb.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(process.env.DYNAMODB_TABLE, 'grip-lambda');
    assert.equal(process.env.AWS_ENDPOINT_URL_DYNAMODB, stack.dynamodb.endpoint);
    assert.equal(process.env.REDIS_URL, undefined);
    port = Number(new URL(stack.dynamodb.endpoint).port);
    // The publish function keeps the message in the table: its answer carries the feed id.
    const response = await fetch(`${stack.httpUrl}/publish/lobby`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'kept' }),
    });
    assert.equal(response.status, 202);
    assert.match(((await response.json()) as { id: string }).id, /^\d+-\d+$/);
  } finally {
    await stack.stop();
  }
  assert.equal(await canConnect(port), false, 'dynalite stopped');
  assert.equal(existsSync(stack.logDir), false, 'its data went with the run folder');
  await assert.rejects(startStack({ root: ROOT, redis: true, dynamodb: true }), /redis and dynamodb both asked for/);
});

/** The reruns' processes still running, stopped if the file ends before them. */
const running = new Set<import('node:child_process').ChildProcess>();
after(() => {
  for (const child of running) child.kill();
});

/** Runs one e2e test file with the stores on DynamoDB; resolves with its exit code and output. */
function runOnDynamoDB(file: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, GRIP_E2E_STORE: 'dynamodb' };
    delete env.NODE_TEST_CONTEXT; // a test run of its own, reporting to this process as text
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', join(ROOT, 'test/e2e', file)], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('close', (code) => {
      running.delete(child);
      resolve({ code, output });
    });
  });
}

const reruns = new Map<string, ReturnType<typeof runOnDynamoDB>>();
/** The rerun of `file`, started on first ask. */
function rerun(file: string): ReturnType<typeof runOnDynamoDB> {
  let run = reruns.get(file);
  if (run === undefined) {
    run = runOnDynamoDB(file);
    reruns.set(file, run);
  }
  return run;
}

/**
 * presence.test.ts spends its time waiting out the leave window (45 s, set
 * by Pushpin's 20 s keep-alive floor), nearly idle: it starts with the
 * first rerun and runs beside the others, on its own ports and table.
 */
const BESIDE = 'presence.test.ts';

for (const [file, what] of [
  ['feed.test.ts', 'chat history: resume with ?last-id and /since'],
  ['reliable.test.ts', 'reliable HTTP streams and SSE resume'],
  ['publish.test.ts', 'POST /publish with Idempotency-Key'],
  ['redis-outage.test.ts', 'DynamoDB stopped and started: chat live, publish 503 with Retry-After, recovery by itself'],
  ['user-limits.test.ts', 'connections per user counted in the table, a sustained flood closed with 1008'],
  [BESIDE, 'presence: /who, counts, members that vanish'],
] as const) {
  test(`on DynamoDB: ${what} (${file})`, { timeout: 300_000 }, async (t) => {
    void rerun(BESIDE);
    const { code, output } = await rerun(file);
    const summary = output.split('\n').filter((line) => /^ℹ (tests|pass|fail|skipped) /.test(line));
    t.diagnostic(summary.join(', '));
    assert.equal(code, 0, output.slice(-6000));
    assert.match(output, /^ℹ fail 0$/m);
    assert.doesNotMatch(output, /^ℹ pass 0$/m, 'it ran tests');
  });
}
