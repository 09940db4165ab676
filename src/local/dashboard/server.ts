import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { holdSse } from '../../http/hold.js';
import { formatSseEvent, sseEvent } from '../../publish/formats.js';
import { GripPublisher } from '../../publish/publisher.js';
import { dashboardPage } from './page.js';
import type { DashboardSnapshot, DashboardState } from './state.js';

/** Where the live view is, through the proxy: the stack routes this prefix to the dashboard's own server. */
export const DASHBOARD_PATH = '/_grip/dashboard/';
/** The channel the view's updates are published to (no GRIP_PREFIX: the stack's own publisher). */
export const DASHBOARD_CHANNEL = 'grip-lambda.dashboard';

/** Updates at most this often: a burst of invocations is one update. */
const UPDATE_EVERY_MS = 150;
/** Updates are published only while a page has said it is open within this long (it says so every 5 s). */
const PAGE_ALIVE_MS = 20_000;
/**
 * A snapshot larger than this drops its oldest invocations: a stream
 * message up to about 278 KB reaches the browser at once with the local
 * stack's client buffer (docs/operations.md, Limits).
 */
const MAX_SNAPSHOT_BYTES = 200_000;

export interface DashboardServerOptions {
  readonly state: DashboardState;
  /** GRIP_URL of the stack's proxies, which the updates are published through. */
  readonly gripUrl: string;
  /** 0 or unset picks a free port. */
  readonly port?: number;
}

export interface RunningDashboard {
  /** The dashboard's own server: the proxy reaches it there (`*,path_beg=/_grip/ 127.0.0.1:PORT`). */
  readonly port: number;
  /** The proxy route to put ahead of the functions'. */
  readonly route: string;
  /** Something changed: the open pages get the new state shortly. */
  changed(): void;
  close(): Promise<void>;
}

/** The snapshot as JSON, its oldest invocations left out until it fits one stream message. */
export function snapshotJson(snapshot: DashboardSnapshot): string {
  let json = JSON.stringify(snapshot);
  let kept = snapshot.invocations.length;
  while (json.length > MAX_SNAPSHOT_BYTES && kept > 0) {
    kept = Math.floor(kept / 2);
    json = JSON.stringify({ ...snapshot, invocations: snapshot.invocations.slice(0, kept) });
  }
  return json;
}

/**
 * The live view of the local stack, on the toolkit's own SSE through the
 * proxy: the page (GET DASHBOARD_PATH) opens `events`, answered with an SSE
 * hold (`holdSse`) whose first event is the state now; each later state is
 * published to DASHBOARD_CHANNEL with the toolkit's publisher, so the
 * proxy delivers it as the functions' publishes are delivered.
 */
export async function startDashboard(options: DashboardServerOptions): Promise<RunningDashboard> {
  const { state } = options;
  const publisher = GripPublisher.fromEnv({ GRIP_URL: options.gripUrl });
  let pageSeenAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const publish = () => {
    timer = undefined;
    if (closed || Date.now() - pageSeenAt > PAGE_ALIVE_MS) return;
    // A publish that fails (the proxy stopped, the stack stopping) is dropped: the next change sends the whole state again.
    publisher.publish(DASHBOARD_CHANNEL, sseEvent(snapshotJson(state.snapshot()), { event: 'state' })).catch(() => undefined);
  };
  const server = createServer((req, res) => serve(req, res));
  const serve = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    if (path === DASHBOARD_PATH || path === DASHBOARD_PATH.slice(0, -1)) {
      if (path !== DASHBOARD_PATH) return void res.writeHead(308, { Location: DASHBOARD_PATH }).end();
      pageSeenAt = Date.now();
      return void res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(dashboardPage());
    }
    if (path === `${DASHBOARD_PATH}events`) {
      pageSeenAt = Date.now();
      const hold = holdSse({
        channels: DASHBOARD_CHANNEL,
        body: formatSseEvent(snapshotJson(state.snapshot()), { event: 'state' }),
        keepAliveSeconds: 15,
      }).toResponse('');
      return void res.writeHead(hold.status, hold.headers).end(hold.body);
    }
    if (path === `${DASHBOARD_PATH}alive`) {
      pageSeenAt = Date.now();
      return void res.writeHead(204).end();
    }
    if (path === `${DASHBOARD_PATH}state`) {
      return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(snapshotJson(state.snapshot()));
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    route: `*,path_beg=/_grip/ 127.0.0.1:${port}`,
    changed() {
      if (timer === undefined && !closed) timer = setTimeout(publish, UPDATE_EVERY_MS);
    },
    async close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
