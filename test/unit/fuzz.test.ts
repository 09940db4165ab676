/**
 * The short fuzz run: 2,000 hostile inputs (fixed seed) through every
 * function's handler, half of them with a Grip-Sig verify key configured.
 * `npm run fuzz` is the long one (100,000 inputs, any seed).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeEvents } from '../../src/protocol/index.js';
import { checkHttp } from '../fuzz/check.js';
import { DEFAULT_SEED, formatReport, runFuzz } from '../fuzz/run.js';
import type { Outcome } from '../fuzz/worker.js';

test('fuzz: 2,000 hostile inputs to every function, no violations', { timeout: 180_000 }, async () => {
  const report = await runFuzz({ seed: DEFAULT_SEED, runs: 2000 });
  assert.equal(report.failure, undefined, formatReport(report));
  assert.equal(report.executed, 2000);

  // The run means something only if inputs got past the gates to the functions' code.
  for (const [fn, row] of Object.entries(report.totals)) {
    if (fn === 'relay') {
      assert.ok((row.ok ?? 0) + (row.partial ?? 0) > 0, `relay never took a batch: ${JSON.stringify(row)}`);
      continue;
    }
    const answered = Object.entries(row)
      .filter(([label]) => /^2\d\d$/.test(label))
      .reduce((sum, [, n]) => sum + n, 0);
    assert.ok(answered > 20, `${fn} answered 2xx only ${answered} times: ${JSON.stringify(row)}`);
    assert.ok((row['401'] ?? 0) > 0, `${fn} never answered 401: the keyed variant did not check Grip-Sig`);
  }
  assert.ok(report.publishes.items > 0, 'no function published anything');
});

// The checks themselves must bite, or a clean run means nothing.
test('fuzz: the property checks flag what they are meant to', () => {
  const ok = (value: unknown): Outcome => ({ status: 'ok', value, ms: 1 });
  const kinds = (outcome: Outcome) => checkHttp('f', outcome).violations.map((v) => v.kind);
  const ws = (body: Buffer, headers: Record<string, string> = {}) =>
    ok({
      statusCode: 200,
      headers: { 'Content-Type': 'application/websocket-events', ...headers },
      body: body.toString('base64'),
      isBase64Encoded: true,
    });

  assert.deepEqual(kinds(ws(encodeEvents([{ type: 'OPEN' }]))), []);
  assert.deepEqual(kinds(ok({ statusCode: 400, headers: {}, body: 'bad request\n' })), []);
  assert.deepEqual(kinds({ status: 'threw', error: { name: 'TypeError', message: 'x', stack: '' }, ms: 1 }), ['threw']);
  assert.deepEqual(kinds({ status: 'timeout', ms: 10_000 }), ['hang']);
  assert.deepEqual(kinds(ok({ statusCode: 500, body: 'internal error\n' })), ['5xx']);
  assert.deepEqual(kinds(ok({ statusCode: 404, body: 'not found\n' })), ['bad-status']);
  assert.deepEqual(kinds(ok({ statusCode: 400, body: 'two\nlines\n' })), ['bad-reason']);
  assert.deepEqual(kinds(ok({ statusCode: 401, body: '' })), ['bad-reason']);
  assert.deepEqual(kinds(ws(Buffer.from('OPEN\r\nTEXT 5\r\nab'))), ['bad-websocket-answer']);
  assert.deepEqual(kinds(ws(encodeEvents([{ type: 'OPEN' }]), { 'Set-Meta-user': 'a\r\nSet-Cookie: x' })), [
    'header-injection',
    'meta-injection',
  ]);
  assert.deepEqual(kinds(ws(encodeEvents([{ type: 'OPEN' }]), { 'Set-Meta-user': 'a'.repeat(1025) })), ['meta-too-long']);
  assert.deepEqual(kinds(ok({ statusCode: 200, multiValueHeaders: { 'X-A': ['ok', 'b\nc'] }, body: '' })), ['header-injection']);
  const close1011 = Buffer.concat([Buffer.from([0x03, 0xf3]), Buffer.from('internal error')]);
  assert.deepEqual(kinds(ws(encodeEvents([{ type: 'CLOSE', content: close1011 }]))), ['internal-error-close']);
  // An echo of the client's own 1011 carries no reason, and is fine.
  assert.deepEqual(kinds(ws(encodeEvents([{ type: 'CLOSE', content: Buffer.from([0x03, 0xf3]) }]))), []);
  const control = (json: string) => ws(encodeEvents([{ type: 'TEXT', content: Buffer.from(`c:${json}`) }]));
  assert.deepEqual(kinds(control('{"type":"set-meta","name":"user","value":"abc"}')), []);
  assert.deepEqual(kinds(control('{"type":"set-meta","name":"user","value":"a\\r\\nb"}')), ['meta-injection']);
  assert.deepEqual(kinds(control('{"type":"subscribe"')), ['bad-control']);
});
