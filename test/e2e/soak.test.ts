/**
 * The short soak: 50 chat clients in rooms of 10 through the real local
 * stack (Pushpin, zurl, the function host in a process of its own), each
 * sending 20 numbered messages over 10 s. Every client must get every
 * message of its room, its own included, once, in each sender's order, and
 * nothing from other rooms. `npm run soak` is the long one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatSoakReport, runSoak } from '../fuzz/soak.js';

test('soak: 50 chat clients for 10 s, nothing lost, duplicated or reordered', { timeout: 180_000 }, async () => {
  const report = await runSoak({ clients: 50, messages: 20, seconds: 10, roomSize: 10, settleMs: 15_000 });
  const summary = formatSoakReport(report);
  assert.equal(report.connectFailures, 0, summary);
  assert.equal(report.sent, 50 * 20, summary);
  assert.equal(report.lost, 0, summary);
  assert.equal(report.duplicated, 0, summary);
  assert.equal(report.outOfOrder, 0, summary);
  assert.equal(report.leaked, 0, summary);
  assert.equal(report.wrongNick, 0, summary);
  assert.equal(report.unexpectedCloses, 0, summary);
  assert.equal(report.received, report.expected, summary);
  assert.deepEqual(report.failures, [], summary);
});
