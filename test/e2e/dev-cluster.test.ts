// `grip-lambda dev --proxies 3` on this repository's serverless.yml: three
// Pushpin nodes behind haproxy on one port, a real `ws` client through it,
// and Ctrl-C stopping every process it started (haproxy and each node's).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { freePort } from '../../src/local/stack.js';
import { output, processesOf, signalGroup, startCli, stillRunning, type CliRun } from './support/cli-run.js';
import { ROOT, waitFor, within, WsClient } from './support/e2e.js';

const runs: CliRun[] = [];
after(async () => {
  for (const run of runs) {
    signalGroup(run, 'SIGTERM');
    await within(run.exited, 15_000, 'the CLI to stop').catch(() => signalGroup(run, 'SIGKILL'));
  }
});

function env(): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(GRIP_|NODE_TEST)/.test(name) || ['PUBLISH_TOKEN', 'REDIS_URL', 'NODE_OPTIONS', 'PORT', 'CONTROL_PORT'].includes(name)) continue;
    clean[name] = value;
  }
  return { ...clean, FORCE_COLOR: '0' };
}

test('dev --proxies 3: three nodes behind one port, a client through it, and Ctrl-C leaves nothing running', {
  timeout: 90_000,
}, async () => {
  const [port, controlPort] = [await freePort(), await freePort()];
  const run = startCli(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'src/local/cli.ts'),
      'dev',
      '--proxies',
      '3',
      '--port',
      String(port),
      '--control-port',
      String(controlPort),
      '--no-redis',
    ],
    { cwd: ROOT, env: env() },
  );
  runs.push(run);
  await waitFor(
    () => run.stdout.includes('Ctrl-C stops everything') || run.exit !== undefined,
    60_000,
    () => `the banner\n${output(run)}`,
  );
  assert.equal(run.exit, undefined, output(run));
  assert.match(run.stdout, new RegExp(`Proxies: +3 Pushpin nodes behind haproxy on :${port}`));
  const nodes = [...run.stdout.matchAll(/^ {4}node-(\d) {2}clients (\S+) {2}control (\S+)$/gm)];
  assert.deepEqual(
    nodes.map((m) => m[1]),
    ['1', '2', '3'],
    output(run),
  );
  assert.equal(nodes[0]![3], `http://127.0.0.1:${controlPort}`, 'node 1 takes --control-port');
  assert.match(run.stdout, new RegExp(`GRIP_URL: +${nodes.map((m) => m[3]).join(',')}$`, 'm'));

  const processes = processesOf(run).filter((p) => /^(zurl|pushpin|condure|haproxy)/.test(p.name));
  const count = (name: string) => processes.filter((p) => p.name.startsWith(name)).length;
  assert.equal(count('haproxy'), 1);
  assert.equal(count('zurl'), 3);
  assert.equal(count('condure'), 3);

  const client = await WsClient.open(`ws://127.0.0.1:${port}/echo`);
  await client.send('through the balancer');
  await client.waitForMessages(1, 10_000);
  assert.deepEqual(client.texts(), ['through the balancer']);
  await client.close();

  signalGroup(run, 'SIGINT');
  await within(run.exited, 30_000, () => `the CLI to stop after Ctrl-C\n${output(run)}`);
  assert.equal((run.exit as CliRun['exit'])?.code, 0, output(run));
  assert.deepEqual(
    stillRunning(processes).map((p) => `${p.name} ${p.pid}`),
    [],
    'every process stopped',
  );
});
