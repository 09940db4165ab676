import type { IFormat } from '@fanoutio/grip';
import { checkConnectionId, checkUserId, connectionChannel, userChannel } from './channels.js';
import { wsClose, wsMessage } from './formats.js';
import type { ChannelItem } from './publisher.js';

/** What targets need of a publisher: publishing to the library's own channels, which `publish()` refuses. */
export interface ReservedPublisher {
  publishReserved(items: readonly ChannelItem[]): Promise<void>;
}

/**
 * One connection, or every connection of one user, reached from any
 * function (API Gateway's `@connections` POST and DELETE). A connection
 * that has closed is not subscribed any more: a send to it is published
 * and reaches no one, as the proxy answers for a channel nobody follows.
 */
export class Target {
  readonly #publisher: ReservedPublisher;

  constructor(
    /** The channel the connection(s) are subscribed to, without GRIP_PREFIX. */
    readonly channel: string,
    publisher: ReservedPublisher,
  ) {
    this.#publisher = publisher;
  }

  /** Sends a message: a string as TEXT, bytes as BINARY. Resolves once the proxies took it. */
  send(data: string | Uint8Array): Promise<void> {
    return this.#publish(wsMessage(data));
  }

  /** Closes the connection(s) with `code` (default 1000) and `reason` (at most 123 bytes). */
  close(code = 1000, reason = ''): Promise<void> {
    let format: IFormat;
    try {
      format = wsClose(code, reason);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#publish(format);
  }

  #publish(format: IFormat): Promise<void> {
    return this.#publisher.publishReserved([{ channel: this.channel, formats: format }]);
  }
}

export function connectionTarget(publisher: ReservedPublisher, connectionId: string): Target {
  return new Target(connectionChannel(checkConnectionId(connectionId)), publisher);
}

export function userTarget(publisher: ReservedPublisher, userId: string): Target {
  return new Target(userChannel(checkUserId(userId)), publisher);
}
