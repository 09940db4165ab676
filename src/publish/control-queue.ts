import type { IGripConfig, PublisherClient } from '@fanoutio/grip';
import { postWithRetries } from './control-post.js';
import { PublishError, type ProxyFailure } from './errors.js';
import { BODY_FRAME_BYTES, type ChannelItem } from './items.js';
import type { PublisherSettings } from './options.js';

/** GRIP configurations whose publishing clients are made on first publish; `configs` is called then. */
export interface LazyClients {
  readonly count: number;
  readonly configs: () => readonly IGripConfig[];
}

/** An item ready to send: as the control API takes it, serialized once, and that JSON's size in bytes. */
export interface QueuedItem {
  readonly item: ChannelItem;
  readonly json: string;
  readonly bytes: number;
}

interface Pending extends QueuedItem {
  readonly deadline: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The control requests of one publisher, and every view of it: items queued
 * in the same tick are coalesced into control requests per proxy, split by
 * count (`batchSize`) and by bytes (`maxRequestBytes`), and sent in order, so
 * items from one container arrive in the order published.
 */
export class ControlQueue {
  readonly proxyCount: number;
  readonly #settings: PublisherSettings;
  /** The clients once made; until then, how to make them. */
  #clients: readonly PublisherClient[] | undefined;
  readonly #makeClients: (() => Promise<readonly PublisherClient[]>) | undefined;
  #queue: Pending[] = [];
  #scheduled = false;
  #tail: Promise<void> = Promise.resolve();
  #sending = 0;
  /** Each publish not yet settled; settles without rejecting. */
  readonly #unsettled = new Set<Promise<void>>();

  constructor(clients: readonly PublisherClient[] | LazyClients, settings: PublisherSettings) {
    this.#settings = settings;
    if (Array.isArray(clients)) {
      this.#clients = clients;
      this.proxyCount = clients.length;
    } else {
      const lazy = clients as LazyClients;
      this.proxyCount = lazy.count;
      // A module of its own, loaded on first publish: see grip-clients.ts.
      this.#makeClients = async () => (await import('./grip-clients.js')).publisherClients(lazy.configs());
    }
  }

  /** True when nothing is queued or being sent. */
  get idle(): boolean {
    return this.#queue.length === 0 && !this.#sending;
  }

  /**
   * Queues an item small enough for a control request, to go out with the
   * others queued in this tick. Resolves once every proxy accepted the
   * request that carried it; rejects with that request's PublishError.
   */
  add(queued: QueuedItem, deadline: number): Promise<void> {
    const sent = new Promise<void>((resolve, reject) => this.#queue.push({ ...queued, deadline, resolve, reject }));
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.#drain());
    }
    return sent;
  }

  /** Counts a publish until it settles, for `flush`. */
  track(done: Promise<void>): void {
    const settled = done.then(
      () => undefined,
      () => undefined,
    );
    this.#unsettled.add(settled);
    void settled.then(() => this.#unsettled.delete(settled));
  }

  /** Resolves when every publish tracked before this call has settled. */
  async flush(): Promise<void> {
    await Promise.all(this.#unsettled);
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
    const { batchSize, maxRequestBytes } = this.#settings;
    let bytes = BODY_FRAME_BYTES;
    let count = 0;
    for (const pending of this.#queue) {
      const added = pending.bytes + (count > 0 ? 1 : 0); // the comma before it
      if (count >= batchSize || (count > 0 && bytes + added > maxRequestBytes)) break;
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
    const results = await Promise.all(clients.map((client) => postWithRetries(client, body, deadline, this.#settings)));
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
}
