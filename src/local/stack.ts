import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeSharedFeed } from '../feed/shared.js';
import { checkHaproxy, startCluster, type ClusterNode, type RunningCluster } from './cluster.js';
import type { ProcessRecord } from './process-tree.js';
import { startFunctionHost, type InvocationLog, type RunningFunctionHost, type UnmatchedRequest } from './function-host.js';
import { onAbruptExit, startService, waitForPort, type Service } from './processes.js';
import { closeSharedPresence } from '../presence/shared.js';
import { closeSharedDynamo } from '../store/dynamodb/shared.js';
import { startLocalDynamoDB, type LocalDynamoDB } from './dynamodb.js';
import { startPushpin, type RunningPushpin } from './pushpin.js';
import { checkPrograms } from './requirements.js';
import { readRoutes, type Route, type SkippedEvent } from './routes.js';
import { reapAbandonedStacks, StackRegistration, type ReapedStack } from './stack-registry.js';
import { canListen, freePort } from './free-port.js';
import { proxyLogProblems } from './log-problems.js';
import { localObserver, setLocalObserver } from '../observe/local-hook.js';
import { StackObserver } from './dashboard/observer.js';
import { DASHBOARD_PATH, startDashboard, type RunningDashboard } from './dashboard/server.js';
import { DashboardState } from './dashboard/state.js';
import { readProxyConnections } from './proxy-metrics.js';

export { freePort };
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
  /**
   * Start a local DynamoDB (dynalite, from npm) for the functions' feeds and
   * presence instead, with the table created (sets DYNAMODB_TABLE,
   * AWS_ENDPOINT_URL_DYNAMODB, and a region and dummy credentials for it).
   * `{ table }` names the table (default "grip-lambda"). Not with `redis`.
   */
  readonly dynamodb?: boolean | { readonly table?: string };
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
  /**
   * Pushpin nodes (default 1). With more, each node (with its zurl) runs
   * behind haproxy on `httpPort`, signs Grip-Sig with one EC key (ES256),
   * and GRIP_URL names every node's control API. Needs Debian's haproxy.
   */
  readonly proxies?: number;
  /** Extra environment for the functions (e.g. PUBLISH_TOKEN). */
  readonly env?: Readonly<Record<string, string>>;
  /** Each request the functions served, with the publishes and error lines a function on this toolkit reported. */
  readonly onInvocation?: (log: InvocationLog) => void;
  /**
   * The live view at `dashboardUrl` (default true): routes, clients,
   * channels, each invocation's events, publishes and errors, updated over
   * the toolkit's own SSE through the proxy.
   */
  readonly dashboard?: boolean;
  /** Requests no route serves (default: a line on stderr saying why). */
  readonly onUnmatched?: (request: UnmatchedRequest) => void;
  /** What an earlier stack killed with SIGKILL left behind, cleaned up at this start. */
  readonly onReaped?: (reaped: ReapedStack) => void;
}

export interface RunningStack {
  /** Where clients connect, e.g. http://127.0.0.1:7999 */
  readonly httpUrl: string;
  readonly wsUrl: string;
  /** Pushpin's control API (node 1's, with `proxies` > 1: GRIP_URL names every node's). */
  readonly controlUrl: string;
  readonly originUrl: string;
  /** REDIS_URL as the functions see it, when the stack runs Redis. */
  readonly redisUrl: string | undefined;
  /** The local DynamoDB and its table, when the stack runs one (`dynamodb`). */
  readonly dynamodb: { readonly endpoint: string; readonly table: string } | undefined;
  /** The routes served, from serverless.yml. */
  readonly routes: readonly Route[];
  /** The function events not served, and why. */
  readonly skipped: readonly SkippedEvent[];
  /** Where Pushpin, zurl and Redis write their logs. */
  readonly logDir: string;
  /**
   * Pushpin's Prometheus endpoint (node 1's with `proxies` > 1; each node's
   * is in `nodes`), on 127.0.0.1: `connection_connected` is the number of
   * client connections open now, updated every second.
   */
  readonly metricsUrl: string;
  /** The live view, through the proxy; undefined with `dashboard: false`. */
  readonly dashboardUrl: string | undefined;
  /** Stops Pushpin (and zurl; every node of a cluster), as in an outage; clients are disconnected, publishes fail. */
  stopProxy(): Promise<void>;
  /** Starts Pushpin again on the same ports. */
  startProxy(): Promise<void>;
  /** GRIP_URL as the functions see it. */
  readonly gripUrl: string;
  /** The key Pushpin signs Grip-Sig with: a shared secret, or with `proxies` > 1 the nodes' EC private key (PEM). */
  readonly sigKey: string;
  /** The Pushpin nodes behind the balancer, with `proxies` > 1; empty otherwise. */
  readonly nodes: readonly ClusterNode[];
  /** Client connections the balancer holds to each node, with `proxies` > 1; empty otherwise. */
  connectionsPerNode(): Promise<number[]>;
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
  const proxies = options.proxies ?? 1;
  if (!Number.isInteger(proxies) || proxies < 1) throw new RangeError(`proxies must be a whole number >= 1, got ${proxies}`);
  const dynamodbTable =
    options.dynamodb === true ? 'grip-lambda' : options.dynamodb ? (options.dynamodb.table ?? 'grip-lambda') : undefined;
  if (options.redis === true && dynamodbTable !== undefined) {
    throw new Error('redis and dynamodb both asked for: the functions keep their feeds and presence in one store; choose one');
  }
  checkPrograms({ redis: options.redis === true });
  if (proxies > 1) checkHaproxy();
  for (const reaped of reapAbandonedStacks()) options.onReaped?.(reaped);
  const service = await readRoutes(options.root, options.serverlessFile);
  const httpPort = await pickPort(options.httpPort);
  const controlPort = await pickPort(options.controlPort);
  // Pushpin's failure to bind a taken client port is in its log, and the start fails with it. A taken
  // control port is not: the other program answers there, and publishes would go to it.
  if (options.controlPort !== undefined && options.controlPort !== 0 && !(await canListen(controlPort))) {
    throw new Error(`control port ${controlPort} is taken by another program: stop it, or choose another controlPort (0 picks a free one)`);
  }
  // A cluster: node 1 keeps the control port asked for; each node's other ports are free ones.
  const nodePorts: { httpPort: number; controlPort: number; metricsPort: number }[] = [];
  for (let i = 0; i < (proxies > 1 ? proxies : 0); i++)
    nodePorts.push({ httpPort: await freePort(), controlPort: i === 0 ? controlPort : await freePort(), metricsPort: await freePort() });
  const metricsPort = proxies > 1 ? nodePorts[0]!.metricsPort : await freePort();
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const controlUrl = `http://127.0.0.1:${controlPort}`;
  let sigKey: string;
  let gripUrl: string;
  let proxyEnv: Record<string, string>;
  if (proxies === 1) {
    sigKey = randomBytes(24).toString('base64url');
    gripUrl = `${controlUrl}?iss=pushpin&key=${sigKey}`;
    proxyEnv = { GRIP_URL: gripUrl, GRIP_VERIFY_ISS: 'pushpin' };
  } else {
    // As in production (proxy-config): the nodes sign with a private key, the functions hold the public one.
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    sigKey = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    gripUrl = nodePorts.map((p) => `http://127.0.0.1:${p.controlPort}`).join(',');
    proxyEnv = { GRIP_URL: gripUrl, GRIP_VERIFY_ISS: 'pushpin', GRIP_VERIFY_KEY: `base64:${Buffer.from(publicPem).toString('base64')}` };
  }
  const runDir = await mkdtemp(join(tmpdir(), 'grip-'));
  const registration = new StackRegistration(runDir);
  const logDir = options.logDir ?? join(runDir, 'log');
  let redis: Service | undefined;
  let redisUrl: string | undefined;
  let host: RunningFunctionHost | undefined;
  let pushpin: RunningPushpin | undefined;
  let cluster: RunningCluster | undefined;
  let redisProcesses: readonly ProcessRecord[] = [];
  let dynamodb: LocalDynamoDB | undefined;
  let dynamodbProcesses: readonly ProcessRecord[] = [];
  let pushpinProcesses: readonly ProcessRecord[] = [];
  const record = () => registration.record([...redisProcesses, ...dynamodbProcesses, ...pushpinProcesses]);
  // Ended by a signal or process.exit before stop(): the services are signalled, and this goes too.
  const forgetCleanup = onAbruptExit(() => {
    rmSync(runDir, { recursive: true, force: true });
    registration.remove();
  });
  // The functions' lines as text, and their reports for the live view and the invocation lines.
  const dashboardState = options.dashboard === false ? undefined : new DashboardState(service.routes);
  let dashboard: RunningDashboard | undefined;
  let metricsPoll: NodeJS.Timeout | undefined;
  const observer = new StackObserver(dashboardState, () => dashboard?.changed());
  setLocalObserver(observer);
  const onInvocation = (log: InvocationLog) => {
    const reported = observer.take(log);
    const full: InvocationLog = reported === undefined ? log : { ...log, publishes: reported.publishes.length, errors: reported.errors };
    if (dashboardState !== undefined) {
      dashboardState.invocation(full, reported);
      dashboard?.changed();
    }
    options.onInvocation?.(full);
  };
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      forgetCleanup();
      if (metricsPoll !== undefined) clearInterval(metricsPoll);
      await dashboard?.close();
      if (localObserver() === observer) setLocalObserver(undefined);
      await pushpin?.stop();
      pushpin = undefined;
      await cluster?.stop();
      cluster = undefined;
      await host?.close();
      await closeSharedFeed();
      await closeSharedPresence();
      await closeSharedDynamo();
      await redis?.stop();
      await dynamodb?.stop();
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
    if (dynamodbTable !== undefined) {
      dynamodb = await startLocalDynamoDB({
        table: dynamodbTable,
        // In the run folder, so whatever ends the stack (Ctrl-C, a crash) takes its data with it.
        dir: join(runDir, 'dynamodb'),
        onProcesses: (processes) => {
          dynamodbProcesses = processes;
          record();
        },
      });
    }
    // One store per stack: a variable left by an earlier stack in this process would select the other one too.
    if (redisUrl !== undefined) delete process.env.DYNAMODB_TABLE;
    if (dynamodb !== undefined) delete process.env.REDIS_URL;
    // Functions read their settings when first loaded, which is after this.
    Object.assign(
      process.env,
      {
        ...proxyEnv,
        GRIP_MAX_MESSAGE_BYTES: String(maxMessageBytesFor(options.clientBufferSize ?? LOCAL_PUSHPIN_SETTINGS.clientBufferSize)),
      },
      redisUrl !== undefined ? { REDIS_URL: redisUrl } : {},
      dynamodb?.env ?? {},
      options.env,
    );
    // Every function served is loaded now: a missing export or a module that throws fails the start.
    await service.loadAll();
    host = await startFunctionHost({
      routes: service.routes,
      binaryMediaTypes: service.binaryMediaTypes,
      port: options.originPort ?? 0,
      onInvocation,
      ...(options.onUnmatched !== undefined ? { onUnmatched: options.onUnmatched } : {}),
    });
    if (dashboardState !== undefined) dashboard = await startDashboard({ state: dashboardState, gripUrl });
  } catch (error) {
    await stop();
    throw error;
  }
  // The live view's path goes to its own server, ahead of every function's route.
  const extraRoutes = [...(dashboard !== undefined ? [dashboard.route] : []), ...(options.extraRoutes ?? [])];
  const proxyOptions = {
    runDir,
    logDir,
    httpPort,
    controlPort,
    originPort: host.port,
    sigKey,
    extraRoutes,
    metricsPort,
    ...(options.messageRate !== undefined ? { messageRate: options.messageRate } : {}),
    ...(options.messageHwm !== undefined ? { messageHwm: options.messageHwm } : {}),
    ...(options.clientBufferSize !== undefined ? { clientBufferSize: options.clientBufferSize } : {}),
    onProcesses: (processes: readonly ProcessRecord[]) => {
      pushpinProcesses = processes;
      record();
    },
  };
  try {
    if (proxies === 1) {
      pushpin = await startPushpin(proxyOptions);
    } else {
      cluster = await startCluster({
        runDir,
        logDir,
        httpPort,
        nodePorts,
        originPort: host.port,
        signingKeyPem: sigKey,
        extraRoutes,
        settings: {
          clientBufferSize: options.clientBufferSize ?? LOCAL_PUSHPIN_SETTINGS.clientBufferSize,
          messageRate: options.messageRate === undefined ? LOCAL_PUSHPIN_SETTINGS.messageRate : options.messageRate,
          messageHwm: options.messageHwm ?? LOCAL_PUSHPIN_SETTINGS.messageHwm,
        },
        onProcesses: proxyOptions.onProcesses,
      });
    }
  } catch (error) {
    // The logs go with the run folder on stop: what they say of the failure goes in the error.
    const said = proxyLogProblems(logDir).slice(-10).join('\n');
    await stop();
    const where = options.logDir !== undefined ? ` (logs: ${logDir})` : '';
    throw new Error(`${(error as Error).message}${where}${said === '' ? '' : `; the logs said:\n${said}`}`, { cause: error });
  }
  if (dashboardState !== undefined) {
    // Pushpin's own count of connections, beside the functions' view of them.
    metricsPoll = setInterval(() => {
      readProxyConnections(metricsUrl).then(
        (count) => {
          if (count === dashboardState.proxyConnections) return;
          dashboardState.proxyConnections = count;
          dashboard?.changed();
        },
        () => undefined, // the proxy stopped (stopProxy): the count comes back with it
      );
    }, 1_000);
    metricsPoll.unref();
  }
  return {
    httpUrl: `http://127.0.0.1:${httpPort}`,
    wsUrl: `ws://127.0.0.1:${httpPort}`,
    metricsUrl,
    dashboardUrl: dashboard !== undefined ? `http://127.0.0.1:${httpPort}${DASHBOARD_PATH}` : undefined,
    controlUrl,
    originUrl: `http://127.0.0.1:${host.port}`,
    redisUrl,
    dynamodb: dynamodb !== undefined ? { endpoint: dynamodb.endpoint, table: dynamodb.table } : undefined,
    routes: service.routes,
    skipped: service.skipped,
    logDir,
    gripUrl,
    sigKey,
    nodes: cluster?.nodes ?? [],
    connectionsPerNode: async () => (cluster !== undefined ? cluster.connectionsPerNode() : []),
    async stopProxy() {
      if (cluster !== undefined) {
        for (const node of cluster.nodes) await node.stop();
        return;
      }
      await pushpin?.stop();
      pushpin = undefined;
      pushpinProcesses = [];
      record();
    },
    async startProxy() {
      if (cluster !== undefined) {
        for (const node of cluster.nodes) await node.start();
        return;
      }
      pushpin ??= await startPushpin(proxyOptions);
    },
    stop,
  };
}
