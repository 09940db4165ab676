import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeSharedFeed } from '../feed/redis-feed.js';
import { startFunctionHost, type InvocationLog } from './function-host.js';
import { startService, waitForPort, type Service } from './processes.js';
import { maxMessageBytesFor } from '../websocket/limits.js';
import { startPushpin, type RunningPushpin } from './pushpin.js';
import { LOCAL_PUSHPIN_SETTINGS } from './pushpin-settings.js';
import { readRoutes } from './routes.js';

export interface StackOptions {
  /** The project folder holding serverless.yml and functions/. */
  readonly root: string;
  /** Client-facing port; 0 picks a free one. */
  readonly httpPort?: number;
  readonly controlPort?: number;
  readonly originPort?: number;
  readonly logDir?: string;
  /** Start Debian's redis-server for the functions' feeds (sets REDIS_URL). */
  readonly redis?: boolean;
  /** Routes ahead of the functions', in Pushpin's syntax (e.g. `*,path_beg=/bare 127.0.0.1:9000`). */
  readonly extraRoutes?: readonly string[];
  /** Pushpin's `message_rate`, deliveries per second; null (the default) leaves it unset. See pushpin-settings.ts. */
  readonly messageRate?: number | null;
  /** Pushpin's `message_hwm` (default 1,000,000). */
  readonly messageHwm?: number;
  /**
   * Pushpin's `client_buffer_size` (default 262144). The functions are told
   * the largest message it carries (GRIP_MAX_MESSAGE_BYTES) unless `env` sets it.
   */
  readonly clientBufferSize?: number;
  /** Extra environment for the functions (e.g. PUBLISH_TOKEN). */
  readonly env?: Readonly<Record<string, string>>;
  readonly onInvocation?: (log: InvocationLog) => void;
}

export interface RunningStack {
  /** Where clients connect, e.g. http://127.0.0.1:7999 */
  readonly httpUrl: string;
  readonly wsUrl: string;
  readonly controlUrl: string;
  readonly originUrl: string;
  /** REDIS_URL as the functions see it, when the stack runs Redis. */
  readonly redisUrl: string | undefined;
  /** Stops Pushpin (and zurl), as in an outage; clients are disconnected, publishes fail. */
  stopProxy(): Promise<void>;
  /** Starts Pushpin again on the same ports. */
  startProxy(): Promise<void>;
  /** GRIP_URL as the functions see it. */
  readonly gripUrl: string;
  readonly sigKey: string;
  stop(): Promise<void>;
}

/**
 * The local stack: Pushpin (with zurl) in front of a function host that
 * invokes the functions of serverless.yml as an HTTP API would.
 */
export async function startStack(options: StackOptions): Promise<RunningStack> {
  const routes = await readRoutes(options.root);
  const httpPort = options.httpPort ?? (await freePort());
  const controlPort = options.controlPort ?? (await freePort());
  const sigKey = randomBytes(24).toString('base64url');
  const runDir = await mkdtemp(join(tmpdir(), 'grip-'));
  const controlUrl = `http://127.0.0.1:${controlPort}`;
  const gripUrl = `${controlUrl}?iss=pushpin&key=${sigKey}`;
  const logDir = options.logDir ?? join(runDir, 'log');
  let redis: Service | undefined;
  let redisUrl: string | undefined;
  if (options.redis === true) {
    const redisPort = await freePort();
    await mkdir(logDir, { recursive: true });
    redis = startService(
      'redis-server',
      'redis-server',
      ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', runDir],
      join(logDir, 'redis.log'),
    );
    await waitForPort(redisPort, redis);
    redisUrl = `redis://127.0.0.1:${redisPort}`;
  }
  // Functions read their settings when first loaded, which is after this.
  Object.assign(
    process.env,
    {
      GRIP_URL: gripUrl,
      GRIP_VERIFY_ISS: 'pushpin',
      GRIP_MAX_MESSAGE_BYTES: String(maxMessageBytesFor(options.clientBufferSize ?? LOCAL_PUSHPIN_SETTINGS.clientBufferSize)),
    },
    redisUrl !== undefined ? { REDIS_URL: redisUrl } : {},
    options.env,
  );
  const host = await startFunctionHost({
    routes,
    port: options.originPort ?? 0,
    ...(options.onInvocation !== undefined ? { onInvocation: options.onInvocation } : {}),
  });
  const proxyOptions = { runDir, logDir, httpPort, controlPort, originPort: host.port, sigKey, extraRoutes: options.extraRoutes ?? [], ...(options.messageRate !== undefined ? { messageRate: options.messageRate } : {}),
    ...(options.messageHwm !== undefined ? { messageHwm: options.messageHwm } : {}),
    ...(options.clientBufferSize !== undefined ? { clientBufferSize: options.clientBufferSize } : {}),
  };
  let pushpin: RunningPushpin | undefined;
  try {
    pushpin = await startPushpin(proxyOptions);
  } catch (error) {
    await host.close();
    await redis?.stop();
    await rm(runDir, { recursive: true, force: true });
    throw error;
  }
  return {
    httpUrl: `http://127.0.0.1:${httpPort}`,
    wsUrl: `ws://127.0.0.1:${httpPort}`,
    controlUrl,
    originUrl: `http://127.0.0.1:${host.port}`,
    redisUrl,
    gripUrl,
    sigKey,
    async stopProxy() {
      await pushpin?.stop();
      pushpin = undefined;
    },
    async startProxy() {
      pushpin ??= await startPushpin(proxyOptions);
    },
    async stop() {
      await pushpin?.stop();
      await host.close();
      await closeSharedFeed();
      await redis?.stop();
      await rm(runDir, { recursive: true, force: true });
    },
  };
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
