import type { LocalInvocation, LocalPublish } from '../../observe/local-hook.js';
import { decodeClosePayload } from '../../protocol/close.js';
import { decodeEvents } from '../../protocol/codec.js';
import { CONTENT_TYPE_WEBSOCKET_EVENTS, type WebSocketEvent } from '../../protocol/events.js';

/** An event as a person reads it: its type, its content as text (cut) or its size. */
export interface FramePreview {
  readonly type: string;
  /** UTF-8 text, cut at PREVIEW_CHARS; a CLOSE's code and reason; for BINARY, the byte count. */
  readonly preview: string;
  readonly bytes: number;
}

/** What the view shows of one publish. */
export interface PublishPreview {
  /** The channels, without GRIP_PREFIX, of the items published. */
  readonly channels: readonly string[];
  readonly items: number;
  /** The first item's first format's content (or its JSON), cut. */
  readonly preview: string;
  readonly error: string | undefined;
}

const PREVIEW_CHARS = 200;

const cut = (text: string) => (text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text);

export function framePreview(event: WebSocketEvent): FramePreview {
  const content = event.content;
  const bytes = content?.length ?? 0;
  if (content === undefined || bytes === 0) return { type: event.type, preview: '', bytes };
  if (event.type === 'BINARY') return { type: event.type, preview: `(${bytes} bytes)`, bytes };
  if (event.type === 'CLOSE') {
    const close = decodeClosePayload(content);
    return { type: event.type, preview: `${close.code}${close.reason === '' ? '' : ` ${close.reason}`}`, bytes };
  }
  return {
    type: event.type,
    preview: cut(Buffer.from(content.buffer, content.byteOffset, Math.min(bytes, PREVIEW_CHARS * 4)).toString('utf8')),
    bytes,
  };
}

/** The events of a request and of its answer, previewed (none when the answer is not WebSocket-over-HTTP, e.g. a refusal). */
export function framesOf(reported: LocalInvocation | undefined): { in: FramePreview[]; out: FramePreview[] } {
  const ws = reported?.webSocket;
  if (ws === undefined) return { in: [], out: [] };
  const { response } = ws;
  let out: WebSocketEvent[] = [];
  if (response.headers['Content-Type'] === CONTENT_TYPE_WEBSOCKET_EVENTS && typeof response.body !== 'string') {
    try {
      out = decodeEvents(response.body);
    } catch {
      out = [];
    }
  }
  return { in: ws.eventsIn.map(framePreview), out: out.map(framePreview) };
}

export function publishPreview(publish: LocalPublish): PublishPreview {
  const formats = publish.items[0]?.formats;
  const first = (Array.isArray(formats) ? formats[0] : formats) as { content?: unknown } | undefined;
  let text: string;
  try {
    text = typeof first?.content === 'string' ? first.content : JSON.stringify(first ?? null);
  } catch {
    text = '(not serializable)';
  }
  return {
    channels: [...new Set(publish.items.map((item) => item.channel))],
    items: publish.items.length,
    preview: cut(text),
    error: publish.error,
  };
}
