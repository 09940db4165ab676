import { HttpResponseFormat, HttpStreamFormat, WebSocketMessageFormat, type IFormat, type IFormatExport } from '@fanoutio/grip';
import { encodeClosePayload } from '../protocol/close.js';

/**
 * Builders for the formats one published item can carry: one per kind of
 * subscriber. They are @fanoutio/grip's format classes, with the checks this
 * toolkit adds (close codes).
 */

/** One way a published item reaches a kind of subscriber, as the builders below make it. */
export type PublishFormat = IFormat;

/** A WebSocket message: a string is sent as TEXT, bytes as BINARY. */
export function wsMessage(content: string | Uint8Array): PublishFormat {
  return new WebSocketMessageFormat(content);
}

/** Closes every subscribed WebSocket with `code` (default 1000) and an optional `reason` (at most 123 bytes). */
export function wsClose(code = 1000, reason = ''): PublishFormat {
  encodeClosePayload(code, reason); // throws TypeError for a code that may not be sent, or a reason too long
  return reason === '' ? new WebSocketMessageFormat(null, true, code) : new WebSocketCloseFormat(code, reason);
}

/** @fanoutio/grip's format has no close reason; Pushpin reads `reason` next to `code`. */
class WebSocketCloseFormat extends WebSocketMessageFormat {
  constructor(
    code: number,
    readonly reason: string,
  ) {
    super(null, true, code);
  }

  override export(): IFormatExport {
    return { ...super.export(), reason: this.reason };
  }
}

/** A chunk for HTTP streaming (and SSE) subscribers. */
export function httpStream(content: string | Uint8Array): PublishFormat {
  return new HttpStreamFormat(content);
}

/** Ends every subscribed HTTP stream. */
export function httpStreamClose(): PublishFormat {
  return new HttpStreamFormat(null, true);
}

export interface LongPollResponseOptions {
  readonly status?: number;
  readonly headers?: Record<string, string>;
}

/** The response long-polling subscribers receive. */
export function longPollResponse(body: string | Uint8Array, options: LongPollResponseOptions = {}): PublishFormat {
  return new HttpResponseFormat({
    code: options.status !== undefined ? String(options.status) : null,
    headers: options.headers ?? null,
    body,
  });
}

/** One Server-Sent Event, as an HTTP stream chunk. */
export function sseEvent(data: string, options: { readonly event?: string; readonly id?: string } = {}): PublishFormat {
  return new HttpStreamFormat(formatSseEvent(data, options));
}

export function formatSseEvent(data: string, options: { readonly event?: string; readonly id?: string } = {}): string {
  let out = '';
  if (options.event !== undefined) out += `event: ${singleLine(options.event)}\n`;
  if (options.id !== undefined) out += `id: ${singleLine(options.id)}\n`;
  for (const line of data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return out + '\n';
}

function singleLine(value: string): string {
  if (/[\r\n]/.test(value)) throw new TypeError('SSE event names and ids cannot contain CR or LF');
  return value;
}
