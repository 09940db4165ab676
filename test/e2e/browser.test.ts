// The chat page (GET /), on grip-lambda/client, in real headless Chromium
// pages, through a real Pushpin, with the room history in a real Redis: two
// pages chat; a page that misses a message live gets it back, in order,
// once; and two pages keep chatting, every message once and in order on
// both, while Pushpin is stopped and started and while one page is offline.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { RedisFeed } from '../../src/feed/redis-feed.js';
import { startStack, type RunningStack } from '../../src/local/stack.js';
import { roomChannel } from '../../functions/lib/channels.js';
import { type ChromiumBrowser, chromiumMissing, launchBrowser } from './support/chromium.js';
import { ROOT, uniqueName } from './support/e2e.js';

const skip = chromiumMissing;

let stack: RunningStack | undefined;
let browser: ChromiumBrowser | undefined;

before(async () => {
  if (skip !== false) return;
  const launching = launchBrowser(); // meanwhile
  try {
    stack = await startStack({ root: ROOT, redis: true });
  } finally {
    browser = await launching;
  }
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

/** A page in a context of its own (no cookies, storage or network conditions shared), on the chat page. */
async function openPage(): Promise<Page> {
  const { page } = await browser!.newPage();
  const response = await page.goto(`${stack!.httpUrl}/`);
  assert.equal(response?.status(), 200);
  return page;
}

async function joinRoom(page: Page, room: string, nick: string): Promise<void> {
  await page.fill('#room', room);
  await page.fill('#nick', nick);
  await page.click('#join button');
  await waitForOpen(page, room, nick);
  await page.waitForSelector('#text:not([disabled])');
}

async function waitForOpen(page: Page, room: string, nick: string, timeout = 15_000): Promise<void> {
  await page.waitForFunction(
    (expected) => document.getElementById('status')?.textContent === expected,
    `Connected to ${room} as ${nick}.`,
    { timeout },
  );
}

async function send(page: Page, text: string): Promise<void> {
  await page.fill('#text', text);
  await page.click('#sendButton');
}

/** Waits until #log has an entry with exactly `text`; fails naming what it has. */
async function waitForLine(page: Page, text: string, what: string): Promise<void> {
  try {
    await page.waitForFunction((t) => Array.from(document.querySelectorAll('#log li')).some((li) => li.textContent === t), text);
  } catch (error) {
    const lines = await page.$$eval('#log li', (items) => items.map((li) => li.textContent));
    throw new Error(`${what}: no "${text}" in #log ${JSON.stringify(lines)} (${(error as Error).message.split('\n')[0]})`);
  }
}

/** Waits until the page's member list reads `text`. */
async function page_who(page: Page, text: string): Promise<void> {
  try {
    await page.waitForFunction((t) => document.getElementById('who')?.textContent === t, text);
  } catch (error) {
    const who = await page.$eval('#who', (el) => el.textContent);
    throw new Error(`member list: wanted "${text}", have "${who}" (${(error as Error).message.split('\n')[0]})`);
  }
}

/** The connection states the page's client went through. */
const states = (page: Page): Promise<string[]> => page.evaluate('connectionStates');

const logLines = (page: Page) => page.$$eval('#log li', (items) => items.map((li) => li.textContent ?? ''));

describe('the chat page in Chromium', { skip }, () => {
  test('two pages in one room see each other’s messages', { timeout: 90_000 }, async () => {
    const room = uniqueName('browser');
    const [a, b] = await Promise.all([openPage(), openPage()]);
    await joinRoom(b, room, 'bea');
    await joinRoom(a, room, 'ann');
    // Notices reach B, so B is in the room; the page lists who is there.
    await waitForLine(b, 'ann joined.', 'B sees A join');
    await page_who(b, 'Here: ann, bea');

    await send(a, 'hello from ann');
    await waitForLine(b, 'ann: hello from ann', 'B gets A’s message');
    await waitForLine(a, 'ann: hello from ann', 'A sees its own message');

    await send(b, 'hi ann, bea here');
    await waitForLine(a, 'bea: hi ann, bea here', 'A gets B’s message');
    await waitForLine(b, 'bea: hi ann, bea here', 'B sees its own message');

    // Each message once, on both pages.
    for (const page of [a, b]) {
      const lines = await logLines(page);
      assert.equal(lines.filter((l) => l === 'ann: hello from ann').length, 1, JSON.stringify(lines));
      assert.equal(lines.filter((l) => l === 'bea: hi ann, bea here').length, 1, JSON.stringify(lines));
    }
  });

  test('a message missed live is fetched when the next one shows the gap, and shown in order, once', { timeout: 90_000 }, async () => {
    const room = uniqueName('gap');
    const page = await openPage();
    await joinRoom(page, room, 'ann');
    await send(page, 'first');
    await waitForLine(page, 'ann: first', 'the first message');
    // Stored in the room's history but never published: the page does not get it live.
    const feed = new RedisFeed(stack!.redisUrl!);
    try {
      await feed.append(roomChannel(room), JSON.stringify({ type: 'message', nick: 'ghost', text: 'missed live' }));
    } finally {
      await feed.close();
    }
    // The next message's prevId is the missed one's id: the page asks `/since` its last id.
    await send(page, 'second');
    await waitForLine(page, 'ann: second', 'the second message');
    const messages = (await logLines(page)).filter((line) => line.includes(': '));
    assert.deepEqual(messages, ['ann: first', 'ghost: missed live', 'ann: second']);
  });

  test('two pages keep chatting while Pushpin is stopped and started: every message once, in order, on both', {
    timeout: 90_000,
  }, async () => {
    const room = uniqueName('restart');
    const [a, b] = await Promise.all([openPage(), openPage()]);
    await joinRoom(a, room, 'ann');
    await joinRoom(b, room, 'bea');
    const sent: string[] = [];
    const say = async (page: Page, nick: string, text: string) => {
      sent.push(`${nick}: ${text}`);
      await send(page, text);
    };
    await say(a, 'ann', 'a1');
    await say(b, 'bea', 'b1');
    await waitForLine(a, 'bea: b1', 'A gets b1 before the outage');
    await stack!.stopProxy();
    // Typed while the proxy is down: queued by the client, sent once it is back.
    await say(a, 'ann', 'a2 (while down)');
    await say(b, 'bea', 'b2 (while down)');
    await stack!.startProxy();
    await say(a, 'ann', 'a3');
    await say(b, 'bea', 'b3');
    await expectSameMessages([a, b], sent);
    for (const page of [a, b]) assert.ok((await states(page)).includes('reconnecting'), 'the outage reached the page');
  });

  test('a page offline for 5 s (DevTools protocol) misses nothing: every message once, in order, on both', {
    timeout: 90_000,
  }, async () => {
    const room = uniqueName('offline');
    const [a, b] = await Promise.all([openPage(), openPage()]);
    await joinRoom(a, room, 'ann');
    await joinRoom(b, room, 'bea');
    const sent: string[] = [];
    const say = async (page: Page, nick: string, text: string) => {
      sent.push(`${nick}: ${text}`);
      await send(page, text);
    };
    await say(a, 'ann', 'a1');
    await waitForLine(b, 'ann: a1', 'B gets a1 before going offline');
    const cdp = await b.context().newCDPSession(b);
    await cdp.send('Network.enable');
    const offline = (value: boolean) =>
      cdp.send('Network.emulateNetworkConditions', { offline: value, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await offline(true);
    const cutAt = Date.now();
    await say(a, 'ann', 'a2 (B offline)');
    await say(b, 'bea', 'b1 (typed offline)');
    await say(a, 'ann', 'a3 (B offline)');
    await waitForLine(a, 'ann: a3 (B offline)', 'A keeps chatting');
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 5_000 - (Date.now() - cutAt))));
    await offline(false);
    await say(a, 'ann', 'a4 (B back)');
    await say(b, 'bea', 'b2 (B back)');
    await expectSameMessages([a, b], sent);
    assert.ok((await states(b)).includes('reconnecting'), `B lost its connection: ${JSON.stringify(await states(b))}`);
    assert.ok(!(await states(a)).includes('reconnecting'), 'A stayed connected');
  });
});

/**
 * Waits until every page shows every message in `sent`, then checks each
 * page shows each exactly once, all pages in the same order, and each
 * sender's messages in the order they were typed.
 */
async function expectSameMessages(pages: readonly Page[], sent: readonly string[]): Promise<void> {
  for (const [i, page] of pages.entries()) {
    for (const line of sent) await waitForLine(page, line, `page ${i}`);
  }
  const logs = await Promise.all(pages.map(async (page) => (await logLines(page)).filter((line) => sent.includes(line))));
  for (const [i, log] of logs.entries()) {
    assert.deepEqual([...log].sort(), [...sent].sort(), `page ${i} shows each message once: ${JSON.stringify(log)}`);
    for (const nick of new Set(sent.map((line) => line.split(':')[0]))) {
      const own = (lines: readonly string[]) => lines.filter((line) => line.startsWith(`${nick}:`));
      assert.deepEqual(own(log), own(sent), `page ${i}: ${nick}'s messages in the order typed`);
    }
  }
  assert.deepEqual(logs[1], logs[0], 'both pages show the same order');
}
