import { Item, type IFormat, type IGripConfig, type IItemExport, type PublisherClient } from '@fanoutio/grip';
import { gripConfigs, type GripEnv } from '../config.js';
import type { PublishFormat } from './formats.js';
import { currentSettings, invocationDeadline, waitUntil } from '../lambda/invocation.js';
import { checkUserChannel } from './channels.js';
import { connectionTarget, userTarget, type ReservedPublish, type Target } from './targets.js';

/** Options of one published item. */
export interface ItemOptions {
  /** This item's id; with `prevId`, lets the proxy detect gaps (reliable delivery). */
  readonly id?: string;
  readonly prevId?: string;
  /** Item meta for Pushpin filters, e.g. `{ sender: userId }` for `skip-self`. */
  readonly meta?: Readonly<Record<string, string>>;
}

/** One item for one channel, in the formats its subscribers need. */
export interface ChannelItem extends ItemOptions {
  readonly channel: string;
  readonly formats: PublishFormat | readonly PublishFormat[];
}

export interface ProxyFailure {
  readonly publishUri: string;
  /** HTTP status from the proxy, or undefined when no response arrived. */
  readonly status: number | undefined;
  readonly message: string;
}

/** A control request failed: which items did not reach which proxies. */
export class PublishError extends Error {
  override readonly name = 'PublishError';
  constructor(
    readonly items: readonly ChannelItem[],
    readonly failures: readonly ProxyFailure[],
    /** Why, when no proxy was asked (an item too large for any control request): `failures` is then empty. */
    reason?: string,
  ) {
    super(
      reason ??
        `publishing ${items.length} item(s) failed on ${failures.length} proxy(ies): ` +
          failures.map((f) => `${f.publishUri} ${f.status ?? 'no response'} ${f.message}`).join('; '),
    );
  }
}

export interface PublisherOptions {
  readonly prefix?: string;
  /** Most items per control request (default 500). */
  readonly batchSize?: number;
  /**
   * Most bytes in one control request body (default 1,000,000: Pushpin 1.36
   * answers `400 Request body too large` above exactly that). Batches are
   * split to stay under it; an item too large for a request of its own
   * fails alone, before anything is sent.
   */
  readonly maxRequestBytes?: number;
  /** Milliseconds to wait for one answer from a proxy. */
  readonly timeoutMs?: number;
  /**
   * Retries of a control request after a network error, a timeout, a 5xx or
   * a 429, with full-jitter exponential backoff. They stop at the deadline of
   * the invocation (inside a handler made by this toolkit) or after
   * `maxRetryMs` outside one.
   */
  readonly retry?: {
    readonly attempts?: number;
    readonly baseDelayMs?: number;
    readonly maxDelayMs?: number;
    readonly maxRetryMs?: number;
  };
  readonly fetch?: typeof fetch;
}

/** Pushpin 1.36's control API refuses bodies over this many bytes (measured: 1,000,000 accepted, 1,000,001 refused). */
export const PUSHPIN_MAX_CONTROL_BODY_BYTES = 1_000_000;

/** `{"items":[` and `]}` around the items, which are joined by commas. */
const BODY_FRAME_BYTES = '{"items":[]}'.length;

/** GRIP configurations (parsed GRIP URLs) whose publishing clients are made on first publish. */
export interface LazyClients {
  readonly configs: readonly IGripConfig[];
}

interface Pending {
  readonly item: ChannelItem;
  /** The item as the control API takes it, serialized once. */
  readonly json: string;
  readonly bytes: number;
  readonly deadline: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Publishes through the proxies' control APIs. Publishes made in the same
 * tick are coalesced into control requests per proxy, and batches are sent
 * in order, so items from one container arrive in the order published.
 */
export class GripPublisher {
  readonly prefix: string;
  readonly batchSize: number;
  readonly maxRequestBytes: number;
  /** The clients once made; until then, how many there will be and how to make them. */
  #clients: readonly PublisherClient[] | undefined;
  readonly #proxyCount: number;
  readonly #makeClients: (() => Promise<readonly PublisherClient[]>) | undefined;
  readonly #timeoutMs: number;
  readonly #retry: { readonly attempts: number; readonly baseDelayMs: number; readonly maxDelayMs: number; readonly maxRetryMs: number };
  readonly #fetch: typeof fetch;
  #queue: Pending[] = [];
  #scheduled = false;
  #tail: Promise<void> = Promise.resolve();
  #sending = 0;
  /** Each publish call not yet settled; settles without rejecting. */
  readonly #unsettled = new Set<Promise<void>>();

  /** `clients`: one per proxy, or the GRIP configurations to make them from on first publish. */
  constructor(clients: readonly PublisherClient[] | LazyClients, options: PublisherOptions = {}) {
    if (Array.isArray(clients)) {
      this.#clients = clients;
      this.#proxyCount = clients.length;
    } else {
      const { configs } = clients as LazyClients;
      this.#proxyCount = configs.length;
      this.#makeClients = async () => (await import('./grip-clients.js')).publisherClients(configs);
    }
    this.prefix = options.prefix ?? '';
    this.batchSize = options.batchSize ?? 500;
    this.maxRequestBytes = options.maxRequestBytes ?? PUSHPIN_MAX_CONTROL_BODY_BYTES;
    if (!Number.isInteger(this.maxRequestBytes) || this.maxRequestBytes <= BODY_FRAME_BYTES) {
      throw new RangeError(`maxRequestBytes must be an integer over ${BODY_FRAME_BYTES}, not ${this.maxRequestBytes}`);
    }
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#retry = { attempts: 5, baseDelayMs: 50, maxDelayMs: 2_000, maxRetryMs: 15_000, ...options.retry };
    this.#fetch = options.fetch ?? fetch;
  }

  /** A publisher for GRIP_URL and GRIP_PREFIX. */
  static fromEnv(env: GripEnv = process.env, options: Omit<PublisherOptions, 'prefix'> = {}): GripPublisher {
    return new GripPublisher({ configs: gripConfigs(env) }, { ...options, prefix: env.GRIP_PREFIX ?? '' });
  }

  /** True when nothing is queued or being sent. */
  get idle(): boolean {
    return this.#queue.length === 0 && !this.#sending;
  }

  get proxyCount(): number {
    return this.#proxyCount;
  }

  /** Publishes one item; resolves once every proxy accepted the batch that carried it. */
  publish(channel: string, formats: PublishFormat | readonly PublishFormat[], options: ItemOptions = {}): Promise<void> {
    return this.#track(this.#enqueue([{ channel, formats, ...options }]));
  }

  /** One connection, by its id (`ctx.id`), from any function: `.send(message)`, `.close(code, reason)`. */
  toConnection(connectionId: string): Target {
    return connectionTarget(this.#publishReserved, connectionId);
  }

  /** Every connection of a user (`ctx.setUser`), from any function: `.send(message)`, `.close(code, reason)`. */
  toUser(userId: string): Target {
    return userTarget(this.#publishReserved, userId);
  }

  /** For targets only: publishes to the library's own channels (`$...`), which `publish()` refuses. */
  readonly #publishReserved: ReservedPublish = (items) => this.#track(this.#enqueue(items, true));

  /**
   * Publishes many items, in order, in as few control requests as
   * `batchSize` and `maxRequestBytes` allow. Resolves once every item was
   * accepted; rejects, once every item has been sent or has failed, with the
   * first failure.
   */
  publishBatch(items: readonly ChannelItem[]): Promise<void> {
    return this.#track(this.#enqueue(items));
  }

  /**
   * Resolves when what was published before this call has been sent (or
   * has failed). @throws nothing: failures reach the publishes' callers.
   * Handlers made by this toolkit need not call it: an invocation waits for
   * its own publishes before it returns.
   */
  async flush(): Promise<void> {
    await Promise.all(this.#unsettled);
  }

  /** Counts a publish until it settles (for flush), and hands it to the invocation, which waits for it and owns its failure if nobody awaits it. */
  #track(done: Promise<void>): Promise<void> {
    const settled = done.then(
      () => undefined,
      () => undefined,
    );
    this.#unsettled.add(settled);
    void settled.then(() => this.#unsettled.delete(settled));
    waitUntil(done);
    return done;
  }

  #enqueue(items: readonly ChannelItem[], reserved = false): Promise<void> {
    if (this.#proxyCount === 0) {
      return Promise.reject(new Error('no GRIP proxy configured: set GRIP_URL'));
    }
    if (items.length === 0) return Promise.resolve();
    try {
      for (const item of items) checkItem(item, reserved);
    } catch (error) {
      return Promise.reject(error);
    }
    const deadline = invocationDeadline() ?? Date.now() + this.#retry.maxRetryMs;
    // Settles once every item has: an item failing early (too large) must not end the
    // wait for its batch-mates, which are still being sent.
    const done = Promise.allSettled(items.map((item) => this.#queueItem(item, deadline))).then((results) => {
      for (const result of results) if (result.status === 'rejected') throw result.reason;
    });
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.#drain());
    }
    return done;
  }

  /**
   * The bytes of the smallest control request that carries `item`: an item
   * for which this exceeds `maxRequestBytes` cannot be published. For checks
   * before side effects (a message stored only if it can be published).
   * @throws what serializing the item throws.
   */
  requestBytes(item: ChannelItem): number {
    return BODY_FRAME_BYTES + Buffer.byteLength(JSON.stringify(this.#export(item)));
  }

  /** Queues one item; one that cannot be serialized, or is too large for any control request, fails alone at once. */
  #queueItem(item: ChannelItem, deadline: number): Promise<void> {
    let json: string;
    try {
      json = JSON.stringify(this.#export(item));
    } catch (error) {
      return Promise.reject(error);
    }
    const bytes = Buffer.byteLength(json);
    if (BODY_FRAME_BYTES + bytes > this.maxRequestBytes) {
      return Promise.reject(
        new PublishError(
          [item],
          [],
          `item for channel ${JSON.stringify(item.channel)} is ${bytes} bytes as JSON: over the ${this.maxRequestBytes} bytes a control request may carry (maxRequestBytes); not sent`,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => this.#queue.push({ item, json, bytes, deadline, resolve, reject }));
  }

  #drain(): void {
    this.#scheduled = false;
    if (this.#queue.length === 0) return;
    // The queue is taken when the previous request is done, not now: publishes made
    // while a request is in flight (concurrent invocations) go out together in the next.
    this.#sending++;
    this.#tail = this.#tail.then(() => this.#sendQueued()).finally(() => this.#sending--);
  }

  async #sendQueued(): Promise<void> {
    while (this.#queue.length > 0) await this.#send(this.#queue.splice(0, this.#nextBatchLength()));
  }

  /** How many queued items the next control request takes: at most batchSize, and at most maxRequestBytes of body. */
  #nextBatchLength(): number {
    let bytes = BODY_FRAME_BYTES;
    let count = 0;
    for (const pending of this.#queue) {
      const added = pending.bytes + (count > 0 ? 1 : 0); // the comma before it
      if (count >= this.batchSize || (count > 0 && bytes + added > this.maxRequestBytes)) break;
      bytes += added;
      count++;
    }
    return count;
  }

  async #send(batch: readonly Pending[]): Promise<void> {
    const body = `{"items":[${batch.map((p) => p.json).join(',')}]}`;
    const deadline = Math.min(...batch.map((p) => p.deadline));
    let clients = this.#clients;
    if (clients === undefined) {
      try {
        clients = this.#clients = await this.#makeClients!();
      } catch (error) {
        for (const pending of batch) pending.reject(error);
        return;
      }
    }
    const results = await Promise.all(clients.map((client) => this.#postWithRetries(client, body, deadline)));
    const failures = results.filter((r): r is ProxyFailure => r !== undefined);
    if (failures.length === 0) {
      for (const pending of batch) pending.resolve();
      return;
    }
    const error = new PublishError(
      batch.map((p) => p.item),
      failures,
    );
    for (const pending of batch) pending.reject(error);
  }

  #export(item: ChannelItem): IItemExport & { meta?: Readonly<Record<string, string>> } {
    const exported: IItemExport & { meta?: Readonly<Record<string, string>> } = new Item(
      Array.isArray(item.formats) ? [...item.formats] : [item.formats as IFormat],
      item.id,
      item.prevId,
    ).export();
    exported.channel = this.prefix + item.channel;
    if (item.meta !== undefined) exported.meta = item.meta;
    return exported;
  }

  /** Each proxy is retried on its own, so a proxy that took the batch never gets it twice. */
  async #postWithRetries(client: PublisherClient, body: string, deadline: number): Promise<ProxyFailure | undefined> {
    const { attempts, baseDelayMs, maxDelayMs } = this.#retry;
    let previous: ProxyFailure | undefined;
    for (let attempt = 1; ; attempt++) {
      const timeLeft = deadline - Date.now();
      if (timeLeft <= 0) return previous ?? { publishUri: client.publishUri, status: undefined, message: 'no time left in the invocation' };
      const failure = await this.#post(client, body, Math.min(this.#timeoutMs, timeLeft));
      if (failure === undefined) return undefined;
      // An attempt cut short by the deadline says less than the proxy's own answer before it.
      if (previous !== undefined && failure.status === undefined && Date.now() >= deadline) return previous;
      previous = failure;
      const retryable = failure.status === undefined || failure.status >= 500 || failure.status === 429;
      if (!retryable || attempt >= attempts) return failure;
      const delay = Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
      if (Date.now() + delay >= deadline) return failure;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  async #post(client: PublisherClient, body: string, timeoutMs: number): Promise<ProxyFailure | undefined> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    try {
      const auth = client.getAuth();
      if (auth !== undefined) headers['Authorization'] = await auth.buildHeader();
      const response = await this.#fetch(client.publishUri, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      if (response.ok) return undefined;
      return { publishUri: client.publishUri, status: response.status, message: text.trim().slice(0, 200) };
    } catch (error) {
      return { publishUri: client.publishUri, status: undefined, message: (error as Error).message };
    }
  }
}

function checkItem(item: ChannelItem, reserved: boolean): void {
  if (typeof item.channel !== 'string' || item.channel === '') throw new TypeError('channel must be a non-empty string');
  if (!reserved) checkUserChannel(item.channel);
  const formats = Array.isArray(item.formats) ? item.formats : [item.formats];
  if (formats.length === 0) throw new TypeError(`item for channel ${item.channel} has no formats`);
}

let shared: GripPublisher | undefined;

/**
 * The publisher of the handler serving the current invocation: built from
 * that handler's settings (so from its `env`, with its GRIP_PREFIX), or
 * given in its options. Outside a handler, and for handlers reading
 * `process.env`, the container's one, built from the environment on first use.
 */
export function getPublisher(): GripPublisher {
  const settings = currentSettings();
  if (settings === undefined || settings.env === process.env) {
    if (settings?.publisher !== undefined) return settings.publisher;
    return (shared ??= GripPublisher.fromEnv());
  }
  return (settings.publisher ??= GripPublisher.fromEnv(settings.env));
}
