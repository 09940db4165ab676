import type { IFormat } from '@fanoutio/grip';
import { checkConnectionId, checkUserId, connectionChannel, userChannel } from './channels.js';
import { wsClose, wsMessage } from './formats.js';
import type { ChannelItem } from './items.js';

/**
 * Publishes to the library's own channels (`$...`), which `publish()`
 * refuses. Only a GripPublisher makes one, kept private, for the targets it
 * hands out: no public method can publish to those channels.
 */
export type ReservedPublish = (items: readonly ChannelItem[]) => Promise<void>;

/**
 * One connection, or every connection of one user, reached from any
 * function (API Gateway's `@connections` POST and DELETE). A connection
 * that has closed is not subscribed any more: a send to it is published
 * and reaches no one, as the proxy answers for a channel nobody follows.
 */
export class Target {
  readonly #publishReserved: ReservedPublish;

  constructor(
    /** The channel the connection(s) are subscribed to, without GRIP_PREFIX. */
    readonly channel: string,
    publishReserved: ReservedPublish,
  ) {
    this.#publishReserved = publishReserved;
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
    return this.#publishReserved([{ channel: this.channel, formats: format }]);
  }
}

export function connectionTarget(publishReserved: ReservedPublish, connectionId: string): Target {
  return new Target(connectionChannel(checkConnectionId(connectionId)), publishReserved);
}

export function userTarget(publishReserved: ReservedPublish, userId: string): Target {
  return new Target(userChannel(checkUserId(userId)), publishReserved);
}
