// The local stack's live view in real headless Chromium, through a real
// Pushpin: the page loads from stack.dashboardUrl and follows the stack
// over the toolkit's own SSE; 3 WebSocket clients join a chat room and
// each sends a message (which the chat publishes to the room), and within
// 2 s the page shows the 3 clients on the route, the room's channel with
// its 3 subscribers, each invocation with its events in and out (opened,
// the message's text), and the publishes. UPDATE_SCREENSHOT=1 saves the
// page to docs/dashboard.png.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import WebSocket from 'ws';
import { startStack, type RunningStack } from '../../src/local/stack.js';
import { type Chromium, chromiumMissing, launchChromium } from './support/chromium.js';
import { ROOT } from './support/e2e.js';

const skip = chromiumMissing;

let stack: RunningStack | undefined;
let browser: Chromium | undefined;
const clients: WebSocket[] = [];

before(async () => {
  if (skip === false) stack = await startStack({ root: ROOT });
});

after(async () => {
  for (const ws of clients) ws.terminate();
  await browser?.close();
  await stack?.stop();
});

async function openDashboard(): Promise<Page> {
  browser = await launchChromium({ viewport: { width: 1280, height: 900 } });
  const { page } = browser;
  const response = await page.goto(stack!.dashboardUrl!);
  assert.equal(response?.status(), 200);
  await page.waitForFunction(() => document.getElementById('live')?.className === 'on');
  return page;
}

/** A client in the chat room, once its opening answer (the welcome) arrived. */
function joinRoom(room: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${stack!.wsUrl}/chat/${room}`);
    clients.push(ws);
    ws.once('message', () => resolve(ws));
    ws.once('error', reject);
  });
}

test('3 clients join, send and publish: the page shows them within 2 s', { skip }, async () => {
  const page = await openDashboard();
  const room = `dash${Date.now() % 100_000}`;
  const joined = await Promise.all([1, 2, 3].map(() => joinRoom(room)));
  for (const [i, ws] of joined.entries()) ws.send(JSON.stringify({ cid: `c${i + 1}`, text: `hello from client ${i + 1}` }));
  const acted = Date.now();

  // Inner functions declared in these would need esbuild's __name helper in the page: none are.
  const shown = () =>
    page.evaluate((roomName) => {
      const channelRow = Array.from(document.querySelectorAll('#channels tr')).find((tr) => tr.children[0]?.textContent === roomName);
      return {
        clients: document.getElementById('clients')?.textContent ?? '',
        chatRouteClients: document.querySelector('[data-route-clients="chat"]')?.textContent ?? '',
        roomSubscribers: channelRow?.children[1]?.textContent ?? '',
        connectionRows: document.querySelectorAll('#connections tr').length - 1,
        log: document.getElementById('log')?.textContent ?? '',
        publishes: document.getElementById('publishlist')?.textContent ?? '',
      };
    }, room);
  await page.waitForFunction(
    (roomName) => {
      const log = document.getElementById('log')?.textContent ?? '';
      const publishes = document.getElementById('publishlist')?.textContent ?? '';
      const channelRow = Array.from(document.querySelectorAll('#channels tr')).find((tr) => tr.children[0]?.textContent === roomName);
      return (
        document.getElementById('clients')?.textContent === '3' &&
        channelRow?.children[1]?.textContent === '3' &&
        (log.match(new RegExp(`/chat/${roomName} 200`, 'g')) ?? []).length >= 6 &&
        (publishes.match(new RegExp(roomName, 'g')) ?? []).length >= 3
      );
    },
    room,
    { timeout: 2_000 + (Date.now() - acted) },
  );
  const now = await shown();
  assert.equal(now.clients, '3');
  assert.equal(now.chatRouteClients, '3');
  assert.equal(now.roomSubscribers, '3');
  assert.equal(now.connectionRows, 3);
  assert.match(now.log, /in=OPEN out=OPEN/);
  assert.match(now.log, /in=TEXT out=/);
  assert.match(now.publishes, /hello from client 3/);

  // An invocation opens to its events, as a browser's network panel shows frames.
  const message = page.locator('#log details', { hasText: 'in=TEXT' }).first();
  await message.locator('summary').click();
  const frames = await message.locator('.frames').textContent();
  assert.match(frames ?? '', /↑ TEXT \{"cid":"c\d","text":"hello from client \d"\}/);
  // It stays open as later states arrive.
  joined[0]!.send(JSON.stringify({ cid: 'c9', text: 'one more' }));
  await page.waitForFunction(() => (document.getElementById('publishlist')?.textContent ?? '').includes('one more'), undefined, {
    timeout: 2_000,
  });
  assert.equal(await page.locator('#log details[open]').count(), 1);

  if (process.env.UPDATE_SCREENSHOT === '1') await page.screenshot({ path: join(ROOT, 'docs/dashboard.png'), fullPage: true });

  // Clients leaving leave the view too.
  for (const ws of joined) ws.close(1000);
  await page.waitForFunction(() => document.getElementById('clients')?.textContent === '0', undefined, { timeout: 5_000 });
});
