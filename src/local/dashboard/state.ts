import type { LocalInvocation } from '../../observe/local-hook.js';
import { framesOf, publishPreview, type FramePreview } from './previews.js';
import type { InvocationLog } from '../invocation-log.js';
import type { Route } from '../routes.js';

/** One request as the live view lists it: the host's view of it, with what the function itself reported. */
export interface DashboardInvocation {
  /** Increasing, for the page to tell new entries from seen ones. */
  readonly seq: number;
  readonly time: string;
  readonly functionName: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly durationMs: number;
  readonly connectionId: string | undefined;
  readonly eventsIn: readonly string[];
  readonly eventsOut: readonly string[];
  readonly framesIn: readonly FramePreview[];
  readonly framesOut: readonly FramePreview[];
  readonly publishes: number;
  readonly errors: readonly string[];
}

export interface DashboardPublish {
  readonly seq: number;
  readonly time: string;
  readonly functionName: string;
  readonly channels: readonly string[];
  readonly items: number;
  readonly preview: string;
  readonly error: string | undefined;
}

export interface DashboardError {
  readonly seq: number;
  readonly time: string;
  /** The function whose invocation it came from, or '' for a line no invocation owns. */
  readonly functionName: string;
  readonly text: string;
}

/** Everything the page shows, sent whole on each update (small: each list is capped). */
export interface DashboardSnapshot {
  readonly routes: readonly { readonly method: string; readonly path: string; readonly functionName: string; readonly clients: number }[];
  /** WebSocket connections open now, as the functions saw them open and close. */
  readonly connections: readonly { readonly id: string; readonly functionName: string; readonly path: string; readonly since: string }[];
  /** Channels with their subscribers (connection ids), from the subscribe and unsubscribe messages the functions answered with. */
  readonly channels: readonly { readonly name: string; readonly subscribers: readonly string[] }[];
  readonly invocations: readonly DashboardInvocation[];
  readonly publishes: readonly DashboardPublish[];
  readonly errors: readonly DashboardError[];
  readonly totals: { readonly invocations: number; readonly publishes: number; readonly errors: number };
  /** Pushpin's own count of client connections (its Prometheus endpoint), when read. */
  readonly proxyConnections: number | undefined;
}

const MAX_FRAMES = 10;

/** How many of each list the view keeps, newest first. */
export const KEPT = { invocations: 100, publishes: 100, errors: 100 } as const;

function push<T>(list: T[], item: T, max: number): void {
  list.unshift(item);
  if (list.length > max) list.length = max;
}

/** A subscribe or unsubscribe control message in a response (`c:{"type":"subscribe","channel":...}`). */
function subscription(frame: FramePreview): { type: 'subscribe' | 'unsubscribe'; channel: string } | undefined {
  if (frame.type !== 'TEXT' || !frame.preview.startsWith('c:')) return undefined;
  try {
    const message = JSON.parse(frame.preview.slice(2)) as { type?: unknown; channel?: unknown };
    if ((message.type === 'subscribe' || message.type === 'unsubscribe') && typeof message.channel === 'string') {
      return { type: message.type, channel: message.channel };
    }
  } catch {
    // a control message cut by the preview, or not one of these
  }
  return undefined;
}

/**
 * What the local stack has seen, kept for the live view: connections by
 * the OPEN answered and the CLOSE or DISCONNECT seen (for any function, from
 * the host's view of each request), subscriptions from the control
 * messages answered, and the last invocations, publishes and errors.
 */
export class DashboardState {
  readonly #routes: readonly Route[];
  readonly #connections = new Map<string, { functionName: string; path: string; since: string }>();
  readonly #channels = new Map<string, Set<string>>();
  readonly #invocations: DashboardInvocation[] = [];
  readonly #publishes: DashboardPublish[] = [];
  readonly #errors: DashboardError[] = [];
  #seq = 0;
  #totals = { invocations: 0, publishes: 0, errors: 0 };
  #proxyConnections: number | undefined;

  constructor(routes: readonly Route[]) {
    this.#routes = routes;
  }

  /** A request the host served, with what the function reported of it (undefined for a function not on this toolkit). */
  invocation(log: InvocationLog, reported: LocalInvocation | undefined): void {
    const time = new Date().toISOString();
    const id = log.connectionId;
    const frames = framesOf(reported);
    if (id !== undefined) {
      if (log.eventsIn.includes('OPEN') && log.eventsOut.includes('OPEN')) {
        this.#connections.set(id, { functionName: log.functionName, path: log.path, since: time });
      }
      for (const frame of frames.out) {
        const change = subscription(frame);
        if (change === undefined) continue;
        const subscribers = this.#channels.get(change.channel) ?? new Set<string>();
        if (change.type === 'subscribe') subscribers.add(id);
        else subscribers.delete(id);
        if (subscribers.size === 0) this.#channels.delete(change.channel);
        else this.#channels.set(change.channel, subscribers);
      }
      const ended = ['CLOSE', 'DISCONNECT'].some((type) => log.eventsIn.includes(type)) || log.eventsOut.includes('CLOSE');
      if (ended || (log.eventsIn.includes('OPEN') && !log.eventsOut.includes('OPEN'))) this.#forget(id);
    }
    const errors = reported?.errors ?? [];
    const publishes = reported?.publishes ?? [];
    this.#totals.invocations++;
    push(
      this.#invocations,
      {
        seq: ++this.#seq,
        time,
        functionName: log.functionName,
        method: log.method,
        path: log.path,
        status: log.status,
        durationMs: Math.round(log.durationMs * 1000) / 1000,
        connectionId: id,
        eventsIn: log.eventsIn,
        eventsOut: log.eventsOut,
        // A few frames each way: the view is for reading, and the state goes out whole on each change.
        framesIn: frames.in.slice(0, MAX_FRAMES),
        framesOut: frames.out.slice(0, MAX_FRAMES),
        publishes: publishes.length,
        errors,
      },
      KEPT.invocations,
    );
    for (const publish of publishes.map(publishPreview)) {
      this.#totals.publishes++;
      push(
        this.#publishes,
        {
          seq: ++this.#seq,
          time,
          functionName: log.functionName,
          channels: publish.channels,
          items: publish.items,
          preview: publish.preview,
          error: publish.error,
        },
        KEPT.publishes,
      );
    }
    for (const text of errors) this.#error(log.functionName, text, time);
    if (reported === undefined && log.status >= 500)
      this.#error(log.functionName, `${log.method} ${log.path} answered ${log.status}`, time);
  }

  /** A warning or error line no invocation owns (a store unreachable, a relay's record). */
  problem(text: string): void {
    this.#error('', text, new Date().toISOString());
  }

  get proxyConnections(): number | undefined {
    return this.#proxyConnections;
  }

  set proxyConnections(count: number | undefined) {
    this.#proxyConnections = count;
  }

  snapshot(): DashboardSnapshot {
    const perFunction = new Map<string, number>();
    for (const connection of this.#connections.values()) {
      perFunction.set(connection.functionName, (perFunction.get(connection.functionName) ?? 0) + 1);
    }
    return {
      routes: this.#routes.map((route) => ({
        method: route.method === '*' ? 'ANY' : route.method,
        path: route.path,
        functionName: route.functionName,
        clients: perFunction.get(route.functionName) ?? 0,
      })),
      connections: [...this.#connections].map(([id, c]) => ({ id, ...c })),
      channels: [...this.#channels]
        .map(([name, subscribers]) => ({ name, subscribers: [...subscribers] }))
        .sort((a, b) => (a.name < b.name ? -1 : 1)),
      invocations: this.#invocations,
      publishes: this.#publishes,
      errors: this.#errors,
      totals: { ...this.#totals },
      proxyConnections: this.#proxyConnections,
    };
  }

  #forget(id: string): void {
    this.#connections.delete(id);
    for (const [channel, subscribers] of this.#channels) {
      subscribers.delete(id);
      if (subscribers.size === 0) this.#channels.delete(channel);
    }
  }

  #error(functionName: string, text: string, time: string): void {
    this.#totals.errors++;
    push(this.#errors, { seq: ++this.#seq, time, functionName, text }, KEPT.errors);
  }
}
