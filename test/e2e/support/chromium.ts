// Headless Debian Chromium for the page tests, each launch with a fresh
// profile of its own. The flags are what a root, offline machine needs:
// no sandbox, no GPU, and none of the background connections a closed
// network refuses.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** For `test(..., { skip })`: why the page tests cannot run here, or false. */
export const chromiumMissing = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (Debian package chromium)`;

export interface Chromium {
  readonly context: BrowserContext;
  /** The page the browser opened with. */
  readonly page: Page;
  /** Closes the browser and removes its profile; never rejects. */
  close(): Promise<void>;
}

/** A Chromium of its own, its default timeout 15 s. */
export async function launchChromium(options: { viewport?: { width: number; height: number } } = {}): Promise<Chromium> {
  const { chromium } = await import('playwright-core');
  const profile = await mkdtemp(join(tmpdir(), 'grip-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      timeout: 30_000,
      ...(options.viewport !== undefined ? { viewport: options.viewport } : {}),
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  context.setDefaultTimeout(15_000);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}
