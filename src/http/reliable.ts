import { FeedUnavailableError, isStreamId, type Feed, type FeedItem } from '../feed/feed.js';
import { RequestError } from '../errors.js';
import { holdSse, holdStream, type Hold } from './hold.js';
import type { IncomingRequest } from './handler.js';

/**
 * Parses `Grip-Last: channel; last-id=ID, other; last-id=ID2`, the header
 * the proxy puts on a recovery request, into channel → last id, with the
 * channel prefix removed.
 */
export function parseGripLast(header: string | undefined, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  if (header === undefined) return out;
  for (const part of header.split(',')) {
    const [name, ...params] = part.split(';').map((s) => s.trim());
    if (name === undefined || name === '' || !name.startsWith(prefix)) continue;
    for (const param of params) {
      const eq = param.indexOf('=');
      if (eq > 0 && param.slice(0, eq).trim() === 'last-id') {
        out.set(
          name.slice(prefix.length),
          param
            .slice(eq + 1)
            .trim()
            .replace(/^"(.*)"$/, '$1'),
        );
      }
    }
  }
  return out;
}

export interface ReliableStreamOptions {
  readonly request: IncomingRequest;
  readonly feed: Feed;
  /** The feed whose items the stream carries. */
  readonly feedChannel: string;
  /** The GRIP channel the items are published to (without GRIP_PREFIX). */
  readonly channel: string;
  /** Where the proxy asks for missed items: this same function's URL, usually relative. */
  readonly nextLink: string;
  /** Seconds of silence after which the proxy asks anyway (default 120). */
  readonly nextLinkTimeoutSeconds?: number;
  /** `'stream'` (default): a plain HTTP stream; `'sse'`: Server-Sent Events (render items with `formatSseEvent`). */
  readonly format?: 'stream' | 'sse';
  /** Turns one stored item into the bytes the client receives. */
  readonly render: (item: FeedItem) => string;
  /** A resume point the client gave (SSE's Last-Event-ID); the proxy's Grip-Last wins over it. */
  readonly clientLastId?: string;
  /**
   * With the feed down, the stream is held live only (see reliableStream);
   * the proxy asks again after this many seconds (default 10), and the
   * first answer with the feed back makes the stream gap-free again.
   */
  readonly feedDownRetrySeconds?: number;
}

/** Most items replayed in one answer; the proxy asks again for the rest. */
const REPLAY_LIMIT = 1000;

/**
 * Answers both the client's first request and the proxy's recovery
 * requests for a reliable stream: replays what came after the last id
 * known (Grip-Last, else the client's), then holds with `prev-id` set to
 * the newest id sent and a `Grip-Link` back here. The proxy then drops
 * nothing silently: an item whose prev-id does not match makes it call the
 * link, and the answer fills the gap.
 *
 * With the feed down (FeedUnavailableError), the stream still holds, live
 * only: no replay and no prev-id, so the proxy delivers what is published
 * meanwhile (without ids: nothing can be stored) instead of asking for a
 * gap the feed cannot fill. The proxy asks again after
 * `feedDownRetrySeconds`; once the feed answers, the stream is gap-free
 * again from that point.
 */
export async function reliableStream(options: ReliableStreamOptions): Promise<Hold> {
  const gripLast = parseGripLast(options.request.headers.get('grip-last'), options.request.channelPrefix).get(options.channel);
  const resumeFrom = gripLast ?? options.clientLastId;
  if (resumeFrom !== undefined && !isStreamId(resumeFrom)) {
    throw new RequestError(400, `last id ${JSON.stringify(resumeFrom.slice(0, 40))} is not a feed id`);
  }
  let body = '';
  let channel: { name: string; prevId?: string } = { name: options.channel };
  let nextLinkTimeoutSeconds = options.nextLinkTimeoutSeconds ?? 120;
  try {
    if (resumeFrom !== undefined) {
      const items = await options.feed.after(options.feedChannel, resumeFrom, REPLAY_LIMIT);
      for (const item of items) body += options.render(item);
      channel = { name: options.channel, prevId: items.at(-1)?.id ?? resumeFrom };
    } else {
      channel = { name: options.channel, prevId: await options.feed.lastId(options.feedChannel) };
    }
  } catch (error) {
    if (!(error instanceof FeedUnavailableError)) throw error;
    body = '';
    nextLinkTimeoutSeconds = options.feedDownRetrySeconds ?? 10;
  }
  const base = {
    channels: channel,
    nextLink: { url: options.nextLink, timeoutSeconds: nextLinkTimeoutSeconds },
    body,
  };
  return options.format === 'sse'
    ? holdSse({ ...base, keepAliveSeconds: 20, retryMs: 2000 })
    : holdStream({ ...base, keepAlive: { content: '\n', timeoutSeconds: 20 } });
}
