// Open connections, which API Gateway cannot tell: Pushpin's own gauge,
// read from the Prometheus endpoint the local stack enables on 127.0.0.1
// (stack.metricsUrl). 100 real WebSocket clients through a real Pushpin
// are counted, and leave the count once they close. proxy-config writes
// the same endpoint on each node's private address.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { proxyConfigCommand } from '../../src/local/proxy-config-command.js';
import { prometheusValue, readProxyConnections } from '../../src/local/proxy-metrics.js';
import { startStack, type RunningStack } from '../../src/local/stack.js';
import { ROOT, sleep } from './support/e2e.js';

let stack: RunningStack;
before(async () => {
  stack = await startStack({ root: ROOT, dashboard: false });
});
after(async () => {
  await stack?.stop();
});

/** Polls the gauge until it reads `count` (Pushpin updates it every second here); its last reading otherwise. */
async function gaugeReaches(count: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let seen = -1;
  while (Date.now() < deadline) {
    seen = await readProxyConnections(stack.metricsUrl);
    if (seen === count) return seen;
    await sleep(200);
  }
  return seen;
}

test('the metrics endpoint is on 127.0.0.1 only, in Prometheus text, with connection_connected', async () => {
  assert.match(stack.metricsUrl, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  const text = await (await fetch(stack.metricsUrl)).text();
  assert.match(text, /^# TYPE connection_connected gauge$/m);
  assert.equal(typeof prometheusValue(text, 'connection_connected'), 'number');
});

test('100 clients connected through Pushpin: the gauge counts 100 more; closed, it reads what it read before', async () => {
  // Usually 0. Once, on a loaded machine, a fresh stack's gauge read 1 for 10 s before any client: the
  // stack's start-up probe drops a held stream, which Pushpin may still count (not confirmed).
  const before = await gaugeReaches(0, 10_000);
  assert.ok(before >= 0 && before <= 1, `no client but the start-up probe before (${before})`);
  const clients = await Promise.all(
    Array.from(
      { length: 100 },
      () =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(`${stack.wsUrl}/echo`);
          ws.once('open', () => resolve(ws));
          ws.once('error', reject);
        }),
    ),
  );
  try {
    assert.equal(await gaugeReaches(before + 100, 15_000), before + 100);
  } finally {
    await Promise.all(
      clients.map(
        (ws) =>
          new Promise((resolve) => {
            ws.once('close', resolve);
            ws.close(1000);
          }),
      ),
    );
  }
  assert.equal(await gaugeReaches(before, 15_000), before);
});

test('proxy-config: each node serves its metrics on its private address (9100 unless --metrics-port), none with off', async () => {
  const out = await mkdtemp(join(tmpdir(), 'grip-metrics-'));
  try {
    const lines: string[] = [];
    const code = await proxyConfigCommand(
      ['--origin', 'https://abc.execute-api.eu-west-1.amazonaws.com', '--out', out, '--nodes', '2'],
      (line) => lines.push(line),
      (line) => lines.push(line),
    );
    assert.equal(code, 0, lines.join('\n'));
    assert.match(await readFile(join(out, 'node-1/pushpin.conf'), 'utf8'), /^prometheus_port=10\.0\.1\.11:9100$/m);
    assert.match(await readFile(join(out, 'node-2/pushpin.conf'), 'utf8'), /^prometheus_port=10\.0\.1\.12:9100$/m);
    assert.ok(lines.some((line) => line.includes('http://10.0.1.11:9100/metrics')));
    await proxyConfigCommand(['--origin', 'https://a.example', '--out', out, '--metrics-port', '9200'], () => {}, assert.fail);
    assert.match(await readFile(join(out, 'node-1/pushpin.conf'), 'utf8'), /^prometheus_port=10\.0\.1\.11:9200$/m);
    await proxyConfigCommand(['--origin', 'https://a.example', '--out', out, '--metrics-port', 'off'], () => {}, assert.fail);
    assert.doesNotMatch(await readFile(join(out, 'node-1/pushpin.conf'), 'utf8'), /^prometheus_port=/m);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
