// A WebSocket connection as the proxy carries it, for unit tests of code
// that keeps state in connection meta: each request carries the meta the
// previous responses set (Set-Meta-* in, Meta-* out), as Pushpin does.
import { decodeEvents, encodeEvents } from '../../src/protocol/codec.js';
import type { WebSocketEvent } from '../../src/protocol/events.js';
import { WebSocketContext } from '../../src/websocket/context.js';
import { dispatch, type WebSocketHandlers } from '../../src/websocket/handler.js';
import type { ProxyLimits } from '../../src/websocket/limits.js';

export interface SimResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly events: WebSocketEvent[];
  /** The TEXT messages for the client (m: prefix taken off), control messages left out. */
  readonly texts: string[];
  /** The close code sent, if any. */
  readonly closeCode: number | undefined;
  readonly body: string;
}

export class SimConnection {
  readonly meta = new Map<string, string>();
  constructor(
    readonly handlers: WebSocketHandlers,
    readonly id = `conn-${Math.random().toString(36).slice(2, 8)}`,
    readonly limits?: ProxyLimits,
  ) {}

  async request(events: WebSocketEvent[], headers: Record<string, string> = {}, rawQuery = ''): Promise<SimResponse> {
    const all = new Map<string, string>([
      ['content-type', 'application/websocket-events'],
      ['connection-id', this.id],
    ]);
    for (const [name, value] of Object.entries(headers)) all.set(name.toLowerCase(), value);
    for (const [name, value] of this.meta) all.set(`meta-${name}`, value);
    const ctx = new WebSocketContext(
      this.id,
      { method: 'POST', path: '/ws', rawQuery, headers: all, params: {}, body: encodeEvents(events) },
      events,
      this.limits === undefined ? {} : { limits: this.limits },
    );
    await dispatch(ctx, this.handlers);
    const response = ctx.toResponse();
    for (const [name, value] of Object.entries(response.headers)) {
      if (!name.toLowerCase().startsWith('set-meta-')) continue;
      const key = name.slice('set-meta-'.length).toLowerCase();
      if (value === '') this.meta.delete(key);
      else this.meta.set(key, value);
    }
    const body = typeof response.body === 'string' ? Buffer.from(response.body) : Buffer.from(response.body);
    const out = response.status === 200 ? decodeEvents(body) : [];
    const texts = out
      .filter((e) => e.type === 'TEXT' && Buffer.from(e.content!).subarray(0, 2).toString() === 'm:')
      .map((e) => Buffer.from(e.content!).subarray(2).toString('utf8'));
    const close = out.find((e) => e.type === 'CLOSE');
    const closeCode = close?.content !== undefined && close.content.length >= 2 ? (close.content[0]! << 8) | close.content[1]! : undefined;
    return { status: response.status, headers: response.headers, events: out, texts, closeCode, body: body.toString('utf8') };
  }
}

export const open = (): WebSocketEvent => ({ type: 'OPEN' });
export const text = (data: string): WebSocketEvent => ({ type: 'TEXT', content: Buffer.from(data) });
