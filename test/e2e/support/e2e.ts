// Helpers for the end-to-end tests: every wait has a deadline and fails with
// a message saying what it waited for; every client is tracked so a test
// file's `after` can close whatever a failed test left open.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import WebSocket, { type RawData } from 'ws';

/** The repository root, where serverless.yml and functions/ are. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A name no other test (or earlier run) uses: letters, digits and dashes. */
export const uniqueName = (prefix: string): string => `${prefix}-${randomBytes(5).toString('hex')}`;

type Described = string | (() => string);
const describe = (what: Described): string => (typeof what === 'function' ? what() : what);

/** Resolves once `predicate()` holds; rejects after `ms` saying what did not happen. */
export async function waitFor(predicate: () => boolean, ms: number, what: Described): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${describe(what)}`);
    await sleep(10);
  }
}

/** `waitFor` with the description first and a 10 s default, as the feed, relay and reliable tests read best. */
export function until(condition: () => boolean, what: Described, timeoutMs = 10_000): Promise<void> {
  return waitFor(condition, timeoutMs, what);
}

/**
 * POST /publish/{channel} on a stack (functions/publish.ts): checks the 202
 * and returns the feed id it answers with (undefined without Redis).
 */
export async function publishMessage(httpUrl: string, channel: string, message: string): Promise<string | undefined> {
  const response = await fetch(`${httpUrl}/publish/${channel}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ message }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status !== 202) throw new Error(`POST /publish/${channel} answered ${response.status}: ${text}`);
  return (JSON.parse(text) as { id?: string }).id;
}

/** `promise`, or a rejection naming `what` once `ms` have passed. */
export async function within<T>(promise: Promise<T>, ms: number, what: Described): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${describe(what)}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Everything a test opened that is still open; `closeAll()` ends it. */
const open = new Set<{ dispose(): void }>();

/** Ends every client still open (for `after`, so a failed test leaves nothing behind). */
export function closeAll(): void {
  for (const item of open) item.dispose();
  open.clear();
}

export interface WsMessage {
  readonly data: Buffer;
  readonly isBinary: boolean;
}

/** A `ws` client that records everything that happens to it. */
export class WsClient {
  readonly messages: WsMessage[] = [];
  readonly errors: Error[] = [];
  closeEvent: { code: number; reason: string } | undefined;
  readonly #handle = { dispose: () => this.ws.terminate() };

  private constructor(readonly ws: WebSocket) {
    open.add(this.#handle);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      this.messages.push({ data: bytes, isBinary });
    });
    ws.on('error', (error) => this.errors.push(error));
    ws.on('close', (code, reason) => {
      this.closeEvent = { code, reason: reason.toString('utf8') };
      open.delete(this.#handle);
    });
  }

  /** Connects; rejects if the handshake fails or takes longer than `ms`. */
  static async open(url: string, ms = 10_000): Promise<WsClient> {
    const ws = new WebSocket(url, { handshakeTimeout: ms });
    const client = new WsClient(ws);
    await within(
      new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
        ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake for ${url} answered ${res.statusCode}`)));
      }),
      ms,
      `the WebSocket handshake for ${url}`,
    ).catch((error: unknown) => {
      ws.terminate();
      open.delete(client.#handle);
      throw error;
    });
    return client;
  }

  /** The TEXT messages received, decoded. */
  texts(): string[] {
    return this.messages.filter((m) => !m.isBinary).map((m) => m.data.toString('utf8'));
  }

  /** Sends, resolving once `ws` has written the frame. */
  send(data: string | Buffer, binary = typeof data !== 'string'): Promise<void> {
    return new Promise((resolve, reject) => this.ws.send(data, { binary }, (error) => (error ? reject(error) : resolve())));
  }

  /** Waits until at least `count` messages have arrived. */
  async waitForMessages(count: number, ms: number): Promise<void> {
    await waitFor(
      () => this.messages.length >= count,
      ms,
      () => `${count} WebSocket messages (have ${this.messages.length})`,
    );
  }

  /** Starts a close handshake with `code` and waits for the 'close' event. */
  async close(code = 1000, reason = '', ms = 10_000): Promise<{ code: number; reason: string }> {
    if (this.closeEvent === undefined) {
      if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
      await waitFor(() => this.closeEvent !== undefined, ms, `the close handshake (code ${code})`);
    }
    return this.closeEvent!;
  }
}

/** What a refused WebSocket handshake was answered with. */
export async function rejectedHandshake(
  url: string,
  ms = 10_000,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const ws = new WebSocket(url, { handshakeTimeout: ms, headers });
  const handle = { dispose: () => ws.terminate() };
  open.add(handle);
  try {
    return await within(
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        ws.once('open', () => reject(new Error(`the handshake for ${url} was accepted`)));
        ws.once('error', reject);
        ws.once('unexpected-response', (_req, res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        });
      }),
      ms,
      `the answer to the WebSocket handshake for ${url}`,
    );
  } finally {
    ws.terminate();
    open.delete(handle);
  }
}

/** An HTTP response read as it streams in (an HTTP stream, SSE, a long-poll). */
export class StreamingResponse {
  text = '';
  ended = false;
  error: Error | undefined;
  readonly #abort: AbortController;
  readonly #handle = { dispose: () => this.abort() };

  private constructor(
    readonly response: Response,
    abort: AbortController,
  ) {
    this.#abort = abort;
    open.add(this.#handle);
    void this.#read();
  }

  /** GETs `url`; resolves once the status and headers arrived (the body keeps streaming in). */
  static async get(url: string, ms = 10_000, headers: Record<string, string> = {}): Promise<StreamingResponse> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error(`no response headers for GET ${url} within ${ms} ms`)), ms);
    try {
      const response = await fetch(url, { headers, signal: abort.signal });
      return new StreamingResponse(response, abort);
    } finally {
      clearTimeout(timer);
    }
  }

  get status(): number {
    return this.response.status;
  }

  /** The complete lines so far, without their line ends. */
  lines(): string[] {
    const lines = this.text.split('\n');
    lines.pop(); // the unfinished rest
    return lines.map((line) => line.replace(/\r$/, ''));
  }

  /** The Server-Sent Events so far (complete ones only; comments skipped). */
  events(): SseEvent[] {
    return parseSse(this.text);
  }

  async waitFor(predicate: (self: this) => boolean, ms: number, what: Described): Promise<void> {
    await waitFor(
      () => predicate(this) || this.ended,
      ms,
      () => `${describe(what)} (received so far: ${JSON.stringify(this.text.slice(-500))})`,
    );
    if (!predicate(this)) {
      throw new Error(
        `the response ended before ${describe(what)} (received: ${JSON.stringify(this.text.slice(-500))})${this.error ? `: ${this.error.message}` : ''}`,
      );
    }
  }

  /** Waits for the body to end; returns all of it. */
  async body(ms: number): Promise<string> {
    await waitFor(
      () => this.ended,
      ms,
      () => `the end of the response body (received so far: ${JSON.stringify(this.text)})`,
    );
    if (this.error !== undefined) throw this.error;
    return this.text;
  }

  abort(): void {
    open.delete(this.#handle);
    this.#abort.abort();
  }

  async #read(): Promise<void> {
    const decoder = new TextDecoder();
    try {
      const reader = this.response.body?.getReader();
      if (reader !== undefined) {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          this.text += decoder.decode(value, { stream: true });
        }
      }
      this.text += decoder.decode();
    } catch (error) {
      if (!this.#abort.signal.aborted) this.error = error as Error;
    } finally {
      this.ended = true;
      open.delete(this.#handle);
    }
  }
}

export interface SseEvent {
  readonly event: string;
  readonly data: string;
  readonly id: string | undefined;
}

/** The events of an SSE stream (per the HTML spec's parsing rules, enough for tests). */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  const blocks = text.replace(/\r\n?/g, '\n').split('\n\n');
  blocks.pop(); // not dispatched yet: no blank line after it
  for (const block of blocks) {
    let event = 'message';
    const data: string[] = [];
    let id: string | undefined;
    let hasData = false;
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') event = value;
      else if (field === 'data') {
        data.push(value);
        hasData = true;
      } else if (field === 'id') id = value;
    }
    if (hasData) events.push({ event, data: data.join('\n'), id });
  }
  return events;
}

/** Counts of each value, for exactly-once assertions with readable diffs. */
export function counts(values: readonly string[]): Record<string, number> {
  const result: Record<string, number> = {};
  for (const value of values) result[value] = (result[value] ?? 0) + 1;
  return result;
}

/** The installed Pushpin's version, e.g. "1.36.0" ("" if it cannot be told). */
export function pushpinVersion(): string {
  const result = spawnSync('pushpin', ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return /(\d+\.\d+\.\d+)/.exec(`${result.stdout ?? ''}${result.stderr ?? ''}`)?.[1] ?? '';
}

/** Whether the installed Pushpin is older than major.minor. */
export function pushpinBefore(major: number, minor: number): boolean {
  const [a = 0, b = 0] = pushpinVersion().split('.').map(Number);
  return a < major || (a === major && b < minor);
}

export { proxyLogProblems } from '../../../src/local/log-problems.js';
