import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { READY_HEADER, READY_PATH } from './function-host.js';
import type { ProcessRecord } from './process-tree.js';
import { startService, waitForPort, type Service } from './processes.js';
import { renderPushpinConf, renderRoutes, renderZurlConf, type SigningKey } from './pushpin-config.js';
import { LOCAL_PUSHPIN_SETTINGS } from './pushpin-settings.js';

export interface PushpinOptions {
  /** Folder for sockets and generated config; keep the path short (Unix socket paths max ~100 bytes). */
  readonly runDir: string;
  readonly logDir: string;
  /** Where clients connect. */
  readonly httpPort: number;
  /** Pushpin's HTTP control API (publishing). */
  readonly controlPort: number;
  /** The function host every route points at. */
  readonly originPort: number;
  /** The key Pushpin signs Grip-Sig with: a shared secret (HS256), or a PEM private key file (ES256 for an EC key). */
  readonly sigKey: string | SigningKey;
  /** The issuer of Grip-Sig (default "pushpin"). */
  readonly sigIss?: string;
  /** Routes placed before the catch-all one, in Pushpin's routes-file syntax. */
  readonly extraRoutes?: readonly string[];
  /** Pushpin's `message_rate`, deliveries per second; null (the default) leaves it unset. */
  readonly messageRate?: number | null;
  /** Pushpin's `message_hwm` (default 1,000,000). */
  readonly messageHwm?: number;
  /** Pushpin's `client_buffer_size`, bytes (default 262144; Pushpin's own is 8192). */
  readonly clientBufferSize?: number;
  /** Told every process started (zurl, Pushpin and Pushpin's own children), once all run. */
  readonly onProcesses?: (processes: readonly ProcessRecord[]) => void;
  /** Pushpin's Prometheus endpoint on 127.0.0.1 at this port, its counts reported every second; unset for none. */
  readonly metricsPort?: number;
}

export interface RunningPushpin {
  readonly httpUrl: string;
  readonly controlUrl: string;
  /** The folder holding this node's pushpin.conf, routes and zurl.conf. */
  readonly configDir: string;
  /** zurl, Pushpin's runner and the runner's children (condure, pushpin-proxy, pushpin-handler). */
  readonly processes: readonly ProcessRecord[];
  stop(): Promise<void>;
}

/**
 * Starts zurl and Pushpin with configuration of their own in `runDir`.
 * Pushpin reaches origins through zurl and does not start it, so both run
 * here, wired to the same IPC sockets. Every route goes to the function host
 * with `over_http`, so WebSockets arrive as WebSocket-over-HTTP requests.
 */
export async function startPushpin(options: PushpinOptions): Promise<RunningPushpin> {
  const { runDir, logDir } = options;
  await mkdir(runDir, { recursive: true });
  await writeFile(join(runDir, 'zurl.conf'), renderZurlConf(runDir));
  await writeFile(join(runDir, 'routes'), renderRoutes({ host: '127.0.0.1', port: options.originPort, tls: false }, options.extraRoutes));
  await writeFile(
    join(runDir, 'pushpin.conf'),
    renderPushpinConf({
      runDir,
      logDir,
      httpPort: options.httpPort,
      controlAddr: '127.0.0.1',
      controlPort: options.controlPort,
      sigIss: options.sigIss ?? 'pushpin',
      sigKey: typeof options.sigKey === 'string' ? { secret: options.sigKey } : options.sigKey,
      // Why these values: pushpin-settings.ts.
      settings: {
        clientBufferSize: options.clientBufferSize ?? LOCAL_PUSHPIN_SETTINGS.clientBufferSize,
        messageRate: options.messageRate === undefined ? LOCAL_PUSHPIN_SETTINGS.messageRate : options.messageRate,
        messageHwm: options.messageHwm ?? LOCAL_PUSHPIN_SETTINGS.messageHwm,
      },
      // Counts a second old at most: a closed connection leaves the gauge within about 2 s, not 20.
      ...(options.metricsPort !== undefined ? { metrics: { addr: '127.0.0.1', port: options.metricsPort }, statsReportInterval: 1 } : {}),
    }),
  );
  return runPushpin(runDir, {
    httpPort: options.httpPort,
    controlPort: options.controlPort,
    logDir,
    ...(options.onProcesses !== undefined ? { onProcesses: options.onProcesses } : {}),
  });
}

/** Where a node's pushpin.conf makes it listen, and where its logs go. */
export interface NodePorts {
  readonly httpPort: number;
  readonly controlPort: number;
  readonly logDir: string;
  /** Told every process started (zurl, Pushpin and Pushpin's own children), once all run. */
  readonly onProcesses?: (processes: readonly ProcessRecord[]) => void;
}

/**
 * Starts zurl and Pushpin from the zurl.conf and pushpin.conf in
 * `configDir` (written by `startPushpin` or by `writeProxyConfig`), and
 * resolves once a request through the proxy gets an answer.
 */
export async function runPushpin(configDir: string, ports: NodePorts): Promise<RunningPushpin> {
  const { logDir } = ports;
  await mkdir(logDir, { recursive: true });
  // zurl binds its sockets in Pushpin's rundir, and starts first: the folder must exist.
  const runDir = /^rundir=(.+)$/m.exec(await readFile(join(configDir, 'pushpin.conf'), 'utf8'))?.[1];
  if (runDir !== undefined) await mkdir(runDir, { recursive: true });
  const services: Service[] = [];
  const stopAll = async () => {
    for (const service of services.splice(0).reverse()) await service.stop();
  };
  try {
    services.push(startService('zurl', 'zurl', [`--config=${join(configDir, 'zurl.conf')}`], join(logDir, 'zurl.log')));
    const pushpin = startService(
      'pushpin',
      'pushpin',
      [`--config=${join(configDir, 'pushpin.conf')}`, '--merge-output'],
      join(logDir, 'pushpin.log'),
    );
    services.push(pushpin);
    await waitForPort(ports.httpPort, pushpin);
    await waitForPort(ports.controlPort, pushpin);
    await waitForProxy(ports.httpPort, pushpin);
    pushpin.recordDescendants();
    ports.onProcesses?.(services.flatMap((service) => service.processes()));
  } catch (error) {
    await stopAll();
    throw error;
  }
  return {
    httpUrl: `http://127.0.0.1:${ports.httpPort}`,
    controlUrl: `http://127.0.0.1:${ports.controlPort}`,
    configDir,
    get processes() {
      return services.flatMap((service) => service.processes());
    },
    stop: stopAll,
  };
}

/**
 * Resolves once a request through the proxy gets an answer that Pushpin's
 * handler took part in. Condure accepts connections before Pushpin's
 * internal ZeroMQ links are up: a request in that window is cut off ("bad
 * seq" in condure's debug log). The proxy's link to the handler's accept
 * service comes up on its own schedule too (pushpin-proxy and
 * pushpin-handler start side by side): seen here, a plain request was
 * already proxied while the first held one, 65 ms after it, got "500 Accept
 * service unavailable." (the proxy's ZeroMQ client had no peer yet:
 * zrpcrequest.cpp) or, once, a closed connection. So the function host
 * answers READY_PATH with a stream hold, marked with READY_HEADER: its 200
 * means held requests work. Another origin's answer (its own 404, say)
 * counts as ready unless it is that 500.
 */
async function waitForProxy(port: number, service: Service, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const attempt = new AbortController();
    const timer = setTimeout(() => attempt.abort(), 2_000);
    try {
      const response = await fetch(`http://127.0.0.1:${port}${READY_PATH}`, { signal: attempt.signal });
      if (response.headers.get(READY_HEADER) === 'held') {
        // The host's held stream never ends: its status is the answer, and the request is dropped.
        if (response.status === 200) return;
      } else {
        // Another origin's answer is read to its end, so the proxy is not left sending to a closed client.
        const body = await response.text();
        if (response.status !== 500 || !body.startsWith('Accept service unavailable')) return;
      }
    } catch {
      // cut off: not ready yet
    } finally {
      clearTimeout(timer);
      attempt.abort();
    }
    if (service.spawnError !== undefined) throw new Error(`could not run ${service.name}: ${service.spawnError.message}`);
    if (service.child.exitCode !== null) throw new Error(`${service.name} exited with code ${service.child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`${service.name} did not answer a request within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
