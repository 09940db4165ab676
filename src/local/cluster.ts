import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nodeConnections, renderHaproxyConf } from './haproxy.js';
import { signalRecorded, type ProcessRecord } from './process-tree.js';
import { startService, waitForPort, type Service } from './processes.js';
import { writeProxyConfig } from './proxy-config.js';
import type { PushpinSettings } from './pushpin-settings.js';
import { runPushpin, type RunningPushpin } from './pushpin.js';
import { MissingProgramError, onPath } from './requirements.js';

export interface ClusterOptions {
  /** Folder for every node's config, sockets and the balancer's; keep the path short. */
  readonly runDir: string;
  readonly logDir: string;
  /** The balancer's port: the one clients connect to. */
  readonly httpPort: number;
  /** Each node's client, control and Prometheus metrics ports, in node order. */
  readonly nodePorts: readonly { readonly httpPort: number; readonly controlPort: number; readonly metricsPort?: number }[];
  /** The function host every node routes to. */
  readonly originPort: number;
  /** client_buffer_size, message_rate, message_hwm (pushpin-settings.ts). */
  readonly settings: PushpinSettings;
  /** EC P-256 private key (PEM) the nodes sign Grip-Sig with (ES256). */
  readonly signingKeyPem: string;
  readonly extraRoutes?: readonly string[];
  /** Told every process the cluster runs (each node's, haproxy), whenever that changes. */
  readonly onProcesses?: (processes: readonly ProcessRecord[]) => void;
}

/** One node of a running cluster. */
export interface ClusterNode {
  readonly name: string;
  /** The node's own client port, bypassing the balancer. */
  readonly httpUrl: string;
  readonly controlUrl: string;
  /** The node's Prometheus metrics (connection_connected), when it has a metrics port. */
  readonly metricsUrl: string | undefined;
  readonly configDir: string;
  readonly running: boolean;
  /** zurl, Pushpin and Pushpin's children, while running (none when stopped). */
  readonly processes: readonly ProcessRecord[];
  /** Stops the node's Pushpin and zurl (SIGTERM): its clients are cut off. */
  stop(): Promise<void>;
  /** Kills every process of the node at once (SIGKILL), as a machine failing would. */
  kill(): Promise<void>;
  /** Starts it again from the same config, on the same ports. */
  start(): Promise<void>;
}

export interface RunningCluster {
  /** Where clients connect: the balancer. */
  readonly httpUrl: string;
  readonly nodes: readonly ClusterNode[];
  /** GRIP_URL naming every node's control API. */
  readonly gripUrl: string;
  /** The public key the functions check Grip-Sig with. */
  readonly verifyKeyPem: string;
  /** Client connections the balancer holds to each node right now, in node order. */
  connectionsPerNode(): Promise<number[]>;
  stop(): Promise<void>;
}

/**
 * N Pushpin nodes, each with its zurl, behind Debian's haproxy in TCP mode,
 * all routed to one function host. Each node runs the config the production
 * generator writes (`writeProxyConfig`), with loopback addresses, ports and
 * folders of its own. Publishing reaches every node because GRIP_URL names
 * each node's control API (see README, Scaling out).
 */
export async function startCluster(options: ClusterOptions): Promise<RunningCluster> {
  checkHaproxy();
  if (options.nodePorts.length === 0) throw new RangeError('a cluster needs at least one node');
  const nodeRunDirs = options.nodePorts.map((_, i) => join(options.runDir, `n${i + 1}`));
  const written = await writeProxyConfig({
    origin: `http://127.0.0.1:${options.originPort}`,
    outDir: join(options.runDir, 'nodes'),
    nodes: options.nodePorts.map((ports, i) => ({
      privateAddr: '127.0.0.1',
      httpPort: ports.httpPort,
      controlPort: ports.controlPort,
      // Every node is on 127.0.0.1 here: each needs a metrics port of its own, or none.
      metricsPort: ports.metricsPort ?? null,
      runDir: nodeRunDirs[i]!,
      logDir: join(options.logDir, `node-${i + 1}`),
    })),
    signingKeyPem: options.signingKeyPem,
    settings: options.settings,
    ...(options.extraRoutes !== undefined ? { extraRoutes: options.extraRoutes } : {}),
  });
  let balancer: Service | undefined;
  const report = () => options.onProcesses?.([...nodes.flatMap((node) => node.processes), ...(balancer?.processes() ?? [])]);
  const nodes = written.nodeDirs.map((configDir, i) => {
    const ports = { ...options.nodePorts[i]!, logDir: join(options.logDir, `node-${i + 1}`) };
    let running: RunningPushpin | undefined;
    return {
      name: `node-${i + 1}`,
      httpUrl: `http://127.0.0.1:${ports.httpPort}`,
      controlUrl: `http://127.0.0.1:${ports.controlPort}`,
      metricsUrl: ports.metricsPort !== undefined ? `http://127.0.0.1:${ports.metricsPort}/metrics` : undefined,
      configDir,
      get running() {
        return running !== undefined;
      },
      get processes() {
        return running?.processes ?? [];
      },
      async stop() {
        const stopping = running;
        running = undefined;
        await stopping?.stop();
        report();
      },
      async kill() {
        const killing = running;
        if (killing === undefined) return;
        for (const record of killing.processes) signalRecorded(record, 'SIGKILL');
        running = undefined;
        await killing.stop(); // reaps what was killed, closes the logs
        report();
      },
      async start() {
        running ??= await runPushpin(configDir, ports);
        report();
      },
    } satisfies ClusterNode;
  });
  const statsSocket = join(options.runDir, 'haproxy.sock');
  const stopAll = async () => {
    await balancer?.stop();
    balancer = undefined;
    for (const node of nodes) await node.stop();
  };
  try {
    // One at a time: two cores, and each node waits until it answers.
    for (const node of nodes) await node.start();
    const haproxyConf = join(options.runDir, 'haproxy.cfg');
    await writeFile(
      haproxyConf,
      renderHaproxyConf({ port: options.httpPort, nodePorts: options.nodePorts.map((p) => p.httpPort), statsSocket }),
    );
    // -db: stay in the foreground, in the process group startService made.
    balancer = startService('haproxy', 'haproxy', ['-db', '-f', haproxyConf], join(options.logDir, 'haproxy.log'));
    report();
    await waitForPort(options.httpPort, balancer);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return {
    httpUrl: `http://127.0.0.1:${options.httpPort}`,
    nodes,
    gripUrl: written.gripUrl,
    verifyKeyPem: written.verifyKeyPem,
    connectionsPerNode: () => nodeConnections(statsSocket, nodes.length),
    stop: stopAll,
  };
}

/** Haproxy missing is said at once, with the command that installs it, not as a port that never opens. */
export function checkHaproxy(): void {
  if (onPath('haproxy')) return;
  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  throw new MissingProgramError(['haproxy'], `${sudo}apt-get install -y haproxy`);
}
