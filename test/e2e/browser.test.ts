// The chat page (GET /) in real headless Chromium pages, through a real
// Pushpin, with the room history in a real Redis: two pages chat; and a
// page that misses a message live gets it back, in order, once.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { RedisFeed } from '../../src/feed/redis-feed.js';
import { startStack, type RunningStack } from '../../src/local/stack.js';
import { roomChannel } from '../../functions/lib/channels.js';
import { ROOT, uniqueName } from './support/e2e.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (Debian package chromium)`;

let stack: RunningStack | undefined;
const contexts: BrowserContext[] = [];
const profiles: string[] = [];

before(async () => {
  if (skip === false) stack = await startStack({ root: ROOT, redis: true });
});

after(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  for (const dir of profiles) await rm(dir, { recursive: true, force: true });
  await stack?.stop();
});

/** A Chromium of its own (fresh profile), with one page on the chat page. */
async function openPage(): Promise<Page> {
  const { chromium } = await import('playwright-core');
  const profile = await mkdtemp(join(tmpdir(), 'grip-chromium-'));
  profiles.push(profile);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  contexts.push(context);
  context.setDefaultTimeout(15_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const response = await page.goto(`${stack!.httpUrl}/`);
  assert.equal(response?.status(), 200);
  return page;
}

async function joinRoom(page: Page, room: string, nick: string): Promise<void> {
  await page.fill('#room', room);
  await page.fill('#nick', nick);
  await page.click('#join button');
  await page.waitForFunction(
    (expected) => document.getElementById('status')?.textContent === expected,
    `Connected to ${room} as ${nick}.`,
  );
  // Enabled once the socket is open.
  await page.waitForSelector('#text:not([disabled])');
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

/** Waits until #log has an entry matching `pattern`. */
async function waitForMatch(page: Page, pattern: RegExp, what: string): Promise<void> {
  try {
    await page.waitForFunction(
      ([source, flags]) => Array.from(document.querySelectorAll('#log li')).some((li) => new RegExp(source, flags).test(li.textContent ?? '')),
      [pattern.source, pattern.flags] as const,
    );
  } catch (error) {
    throw new Error(`${what}: nothing matching ${pattern} in #log ${JSON.stringify(await logLines(page))} (${(error as Error).message.split('\n')[0]})`);
  }
}

const logLines = (page: Page) => page.$$eval('#log li', (items) => items.map((li) => li.textContent ?? ''));

describe('the chat page in Chromium', { skip }, () => {
  test('two pages in one room see each other’s messages', { timeout: 90_000 }, async () => {
    const room = uniqueName('browser');
    const [a, b] = await Promise.all([openPage(), openPage()]);
    await joinRoom(b, room, 'bea');
    await joinRoom(a, room, 'ann');
    // B hears A take its nickname (A joined as a guest, then sent /nick):
    // notices reach B, so B is in the room.
    await waitForMatch(b, / joined\.$/, 'B sees A join');
    await waitForMatch(b, /^guest-\S+ is now ann\.$/, 'B sees A take its nickname');

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
});
