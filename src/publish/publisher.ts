import type { PublisherClient } from '@fanoutio/grip';
import { checkedGripUrls, gripConfigs, type GripEnv } from '../config.js';
import { ControlQueue, type LazyClients } from './control-queue.js';
import { PublishError } from './errors.js';
import type { PublishFormat } from './formats.js';
import { BODY_FRAME_BYTES, checkItem, itemJson, type ChannelItem, type ItemOptions } from './items.js';
import { publisherSettings, type PublisherOptions } from './options.js';
import type { InvocationScope } from './scope.js';
import { connectionTarget, userTarget, type ReservedPublish, type Target } from './targets.js';

/**
 * Publishes through the proxies' control APIs. Publishes made in the same
 * tick are coalesced into control requests per proxy, and batches are sent
 * in order, so items from one container arrive in the order published.
 *
 * Inside a handler, publish through the publisher it hands you
 * (`ctx.publisher`, `req.publisher`): a view of this one bound to the
 * invocation (`forInvocation`), whose publishes the invocation waits for
 * before it returns and whose retries stop at its deadline.
 */
export class GripPublisher {
  readonly prefix: string;
  readonly batchSize: number;
  readonly maxRequestBytes: number;
  /** Shared by this publisher and its views. */
  readonly #queue: ControlQueue;
  readonly #scope: InvocationScope | undefined;
  readonly #maxRetryMs: number;

  /** `clients`: one per proxy, or the GRIP configurations to make them from on first publish. */
  constructor(clients: readonly PublisherClient[] | LazyClients, options?: PublisherOptions);
  /** A view of `publisher` bound to an invocation (what `publisher.forInvocation(scope)` returns). */
  constructor(publisher: GripPublisher, scope: InvocationScope);
  constructor(source: readonly PublisherClient[] | LazyClients | GripPublisher, optionsOrScope?: PublisherOptions | InvocationScope) {
    if (source instanceof GripPublisher) {
      this.prefix = source.prefix;
      this.batchSize = source.batchSize;
      this.maxRequestBytes = source.maxRequestBytes;
      this.#queue = source.#queue;
      this.#maxRetryMs = source.#maxRetryMs;
      this.#scope = optionsOrScope as InvocationScope;
      return;
    }
    const settings = publisherSettings((optionsOrScope ?? {}) as PublisherOptions);
    this.prefix = settings.prefix;
    this.batchSize = settings.batchSize;
    this.maxRequestBytes = settings.maxRequestBytes;
    this.#maxRetryMs = settings.retry.maxRetryMs;
    this.#queue = new ControlQueue(source, settings);
    this.#scope = undefined;
  }

  /**
   * A publisher for GRIP_URL and GRIP_PREFIX. GRIP_URL is checked now and
   * parsed on the first publish, with the publishing clients.
   * @throws Error naming the variable when a GRIP URL is not a URL.
   */
  static fromEnv(env: GripEnv = process.env, options: Omit<PublisherOptions, 'prefix'> = {}): GripPublisher {
    const count = checkedGripUrls(env).length;
    return new GripPublisher({ count, configs: () => gripConfigs(env) }, { ...options, prefix: env.GRIP_PREFIX ?? '' });
  }

  /**
   * This publisher for one invocation: the same queue and proxies, and each
   * publish handed to `scope` (which waits for it and owns its failure),
   * its retries stopping at `scope.deadline`. Handlers made by this toolkit
   * do this for you.
   */
  forInvocation(scope: InvocationScope): GripPublisher {
    return new GripPublisher(this, scope);
  }

  /** True when nothing is queued or being sent. */
  get idle(): boolean {
    return this.#queue.idle;
  }

  get proxyCount(): number {
    return this.#queue.proxyCount;
  }

  /** Publishes one item; resolves once every proxy accepted the batch that carried it. */
  publish(channel: string, formats: PublishFormat | readonly PublishFormat[], options: ItemOptions = {}): Promise<void> {
    return this.#publish([{ channel, formats, ...options }], false);
  }

  /**
   * Publishes many items, in order, in as few control requests as
   * `batchSize` and `maxRequestBytes` allow. Resolves once every item was
   * accepted; rejects, once every item has been sent or has failed, with the
   * first failure.
   */
  publishBatch(items: readonly ChannelItem[]): Promise<void> {
    return this.#publish(items, false);
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
  readonly #publishReserved: ReservedPublish = (items) => this.#publish(items, true);

  /**
   * Resolves when what was published before this call, through this
   * publisher or any view of it, has been sent (or has failed). @throws
   * nothing: failures reach the publishes' callers. Handlers made by this
   * toolkit need not call it: an invocation waits for its own publishes.
   */
  flush(): Promise<void> {
    return this.#queue.flush();
  }

  /**
   * The bytes of the smallest control request that carries `item`: an item
   * for which this exceeds `maxRequestBytes` cannot be published. For checks
   * before side effects (a message stored only if it can be published).
   * @throws what serializing the item throws.
   */
  requestBytes(item: ChannelItem): number {
    return BODY_FRAME_BYTES + Buffer.byteLength(itemJson(item, this.prefix));
  }

  /** Queues the items, counts the publish for `flush`, and hands it to the invocation scope, if any. */
  #publish(items: readonly ChannelItem[], reserved: boolean): Promise<void> {
    const done = this.#enqueue(items, reserved);
    this.#queue.track(done);
    this.#scope?.waitUntil(done, items);
    return done;
  }

  #enqueue(items: readonly ChannelItem[], reserved: boolean): Promise<void> {
    if (this.proxyCount === 0) return Promise.reject(new Error('no GRIP proxy configured: set GRIP_URL'));
    if (items.length === 0) return Promise.resolve();
    try {
      for (const item of items) checkItem(item, reserved);
    } catch (error) {
      return Promise.reject(error);
    }
    const deadline = this.#scope?.deadline ?? Date.now() + this.#maxRetryMs;
    // Settles once every item has: an item failing early (too large) must not end the
    // wait for its batch-mates, which are still being sent.
    return Promise.allSettled(items.map((item) => this.#queueItem(item, deadline))).then((results) => {
      for (const result of results) if (result.status === 'rejected') throw result.reason;
    });
  }

  /** Queues one item; one that cannot be serialized, or is too large for any control request, fails alone at once. */
  #queueItem(item: ChannelItem, deadline: number): Promise<void> {
    let json: string;
    try {
      json = itemJson(item, this.prefix);
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
    return this.#queue.add({ item, json, bytes }, deadline);
  }
}
