// Headless Debian Chromium for the page tests. A test file launches one
// browser and opens each page in a context of its own: cookies, storage,
// cache and network conditions apart from every other page's, as a fresh
// profile has them, without a browser start per page. The flags are what a
// root, offline machine needs: no sandbox, no GPU, and none of the
// background connections a closed network refuses.
import { existsSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** For `test(..., { skip })`: why the page tests cannot run here, or false. */
export const chromiumMissing = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (Debian package chromium)`;

export interface PageOptions {
  readonly viewport?: { width: number; height: number };
}

export interface Chromium {
  /** The page's context: its own cookies, storage and cache. */
  readonly context: BrowserContext;
  readonly page: Page;
  /** Closes the page's context (and, for `launchChromium`, its browser); never rejects. */
  close(): Promise<void>;
}

export interface ChromiumBrowser {
  /** A page in a new context of its own, its default timeout 15 s. */
  newPage(options?: PageOptions): Promise<Chromium>;
  /** Closes the browser with every page it opened; never rejects. */
  close(): Promise<void>;
}

/** A Chromium of the caller's; close it when done (its pages go with it). */
export async function launchBrowser(): Promise<ChromiumBrowser> {
  const { chromium } = await import('playwright-core');
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
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
  return {
    async newPage(options: PageOptions = {}) {
      const context = await browser.newContext(options.viewport !== undefined ? { viewport: options.viewport } : {});
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      return { context, page, close: () => context.close().catch(() => undefined) };
    },
    close: () => browser.close().catch(() => undefined),
  };
}

/** A Chromium with one page, for a file that needs a single page; `close()` ends the browser. */
export async function launchChromium(options: PageOptions = {}): Promise<Chromium> {
  const browser = await launchBrowser();
  try {
    const opened = await browser.newPage(options);
    return { ...opened, close: () => browser.close() };
  } catch (error) {
    await browser.close();
    throw error;
  }
}
