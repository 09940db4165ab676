import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeSharedFeed } from '../feed/redis-feed.js';
import type { ProcessRecord } from './process-tree.js';
import { startFunctionHost, type InvocationLog, type RunningFunctionHost, type UnmatchedRequest } from './function-host.js';
import { onAbruptExit, startService, waitForPort, type Service } from './processes.js';
import { closeSharedPresence } from '../presence/redis-presence.js';
import { startPushpin, type RunningPushpin } from './pushpin.js';
import { checkPrograms } from './requirements.js';
import { readRoutes, type Route, type SkippedEvent } from './routes.js';
import { reapAbandonedStacks, StackRegistration, type ReapedStack } from './stack-registry.js';
import { maxMessageBytesFor } from '../websocket/limits.js';
import { LOCAL_PUSHPIN_SETTINGS } from './pushpin-settings.js';

export interface StackOptions {
  /** The project folder holding serverless.yml and the handlers it names. */
  readonly root: string;
  /** The service file, relative to `root` (default serverless.yml). */
  readonly serverlessFile?: string;
  /** Client-facing port; 0 or unset picks a free one. */
  readonly httpPort?: number;
  /** Pushpin's control API port; 0 or unset picks a free one. */
  readonly controlPort?: number;
  /** The function host's port; 0 or unset picks a free one. */
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
  /** Requests no route serves (default: a line on stderr saying why). */
  readonly onUnmatched?: (request: UnmatchedRequest) => void;
  /** What an earlier stack killed with SIGKILL left behind, cleaned up at this start. */
  readonly onReaped?: (reaped: ReapedStack) => void;
}

export interface RunningStack {
  /** Where clients connect, e.g. http://127.0.0.1:7999 */
  readonly httpUrl: string;
  readonly wsUrl: string;
  readonly controlUrl: string;
  readonly originUrl: string;
  /** REDIS_URL as the functions see it, when the stack runs Redis. */
  readonly redisUrl: string | undefined;
  /** The routes served, from serverless.yml. */
  readonly routes: readonly Route[];
  /** The function events not served, and why. */
  readonly skipped: readonly SkippedEvent[];
  /** Where Pushpin, zurl and Redis write their logs. */
  readonly logDir: string;
  /** Stops Pushpin (and zurl), as in an outage; clients are disconnected, publishes fail. */
  stopProxy(): Promise<void>;
  /** Starts Pushpin again on the same ports. */
  startProxy(): Promise<void>;
  /** GRIP_URL as the functions see it. */
  readonly gripUrl: string;
  readonly sigKey: string;
  /** Stops every process the stack started and removes its temp folder; safe to call more than once. */
  stop(): Promise<void>;
}

const pickPort = async (port: number | undefined) => (port === undefined || port === 0 ? freePort() : port);

/**
 * The local stack: Pushpin (with zurl) in front of a function host that
 * invokes the functions of serverless.yml as API Gateway would. A failed
 * start stops whatever it had started before rejecting.
 */
export async function startStack(options: StackOptions): Promise<RunningStack> {
  checkPrograms({ redis: options.redis === true });
  for (const reaped of reapAbandonedStacks()) options.onReaped?.(reaped);
  const service = await readRoutes(options.root, options.serverlessFile);
  const httpPort = await pickPort(options.httpPort);
  const controlPort = await pickPort(options.controlPort);
  const sigKey = randomBytes(24).toString('base64url');
  const runDir = await mkdtemp(join(tmpdir(), 'grip-'));
  const registration = new StackRegistration(runDir);
  const controlUrl = `http://127.0.0.1:${controlPort}`;
  const gripUrl = `${controlUrl}?iss=pushpin&key=${sigKey}`;
  const logDir = options.logDir ?? join(runDir, 'log');
  let redis: Service | undefined;
  let redisUrl: string | undefined;
  let host: RunningFunctionHost | undefined;
  let pushpin: RunningPushpin | undefined;
  let redisProcesses: readonly ProcessRecord[] = [];
  let pushpinProcesses: readonly ProcessRecord[] = [];
  const record = () => registration.record([...redisProcesses, ...pushpinProcesses]);
  // Ended by a signal or process.exit before stop(): the services are signalled, and this goes too.
  const forgetCleanup = onAbruptExit(() => {
    rmSync(runDir, { recursive: true, force: true });
    registration.remove();
  });
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      forgetCleanup();
      await pushpin?.stop();
      pushpin = undefined;
      await host?.close();
      await closeSharedFeed();
      await closeSharedPresence();
      await redis?.stop();
      await rm(runDir, { recursive: true, force: true });
      registration.remove();
    })());
  try {
    record();
    if (options.redis === true) {
      const redisPort = await freePort();
      await mkdir(logDir, { recursive: true });
      redis = startService(
        'redis-server',
        'redis-server',
        ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', runDir],
        join(logDir, 'redis.log'),
      );
      redisProcesses = redis.processes();
      record();
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
    // Every function served is loaded now: a missing export or a module that throws fails the start.
    await service.loadAll();
    host = await startFunctionHost({
      routes: service.routes,
      binaryMediaTypes: service.binaryMediaTypes,
      port: options.originPort ?? 0,
      ...(options.onInvocation !== undefined ? { onInvocation: options.onInvocation } : {}),
      ...(options.onUnmatched !== undefined ? { onUnmatched: options.onUnmatched } : {}),
    });
  } catch (error) {
    await stop();
    throw error;
  }
  const proxyOptions = {
    runDir,
    logDir,
    httpPort,
    controlPort,
    originPort: host.port,
    sigKey,
    extraRoutes: options.extraRoutes ?? [],
    ...(options.messageRate !== undefined ? { messageRate: options.messageRate } : {}),
    ...(options.messageHwm !== undefined ? { messageHwm: options.messageHwm } : {}),
    ...(options.clientBufferSize !== undefined ? { clientBufferSize: options.clientBufferSize } : {}),
    onProcesses: (processes: readonly ProcessRecord[]) => {
      pushpinProcesses = processes;
      record();
    },
  };
  try {
    pushpin = await startPushpin(proxyOptions);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message} (Pushpin and zurl logs: ${logDir})`, { cause: error });
  }
  return {
    httpUrl: `http://127.0.0.1:${httpPort}`,
    wsUrl: `ws://127.0.0.1:${httpPort}`,
    controlUrl,
    originUrl: `http://127.0.0.1:${host.port}`,
    redisUrl,
    routes: service.routes,
    skipped: service.skipped,
    logDir,
    gripUrl,
    sigKey,
    async stopProxy() {
      await pushpin?.stop();
      pushpin = undefined;
      pushpinProcesses = [];
      record();
    },
    async startProxy() {
      pushpin ??= await startPushpin(proxyOptions);
    },
    stop,
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
