import type { ChannelItem } from './items.js';

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
