// A Redis Cluster of the test's own: three masters (no replicas), each a
// Debian redis-server in cluster mode on free ports (its client port and
// its cluster bus port, picked apart with --cluster-port), with its own
// folder and (unless asked not to) append-only file, joined by `redis-cli --cluster create`.
// A master can be killed (SIGKILL) and started again with its data and
// its nodes.conf, as a crashed and restarted machine; close() stops every
// process this started, by its pid, and removes the folders.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from '../../src/local/free-port.js';
import { startService, waitForPort, type Service } from '../../src/local/processes.js';

const run = promisify(execFile);

export interface ClusterNode {
  readonly port: number;
  readonly busPort: number;
  /** The running process (undefined while killed). */
  readonly service: Service | undefined;
}

export interface TestRedisCluster {
  /** REDIS_URL naming every master: `redis://127.0.0.1:P1,redis://127.0.0.1:P2,redis://127.0.0.1:P3`. */
  readonly url: string;
  readonly nodes: readonly ClusterNode[];
  /** Which node (index into `nodes`) serves the key's slot, by CLUSTER KEYSLOT and CLUSTER SLOTS. */
  ownerOf(key: string): Promise<number>;
  /**
   * Names `prefix-0`, `prefix-1`... until each master owns one (as the
   * `{name}` hash tag puts it): result[i] is a name whose keys live on node i.
   */
  namesOnEveryMaster(prefix: string): Promise<string[]>;
  /**
   * `perMaster` names for each master, in turns: node 0's, node 1's,
   * node 2's, node 0's... (by the `{name}` hash tag), so a run that uses
   * them in order reaches every master from its third name on.
   */
  namesInTurn(prefix: string, perMaster: number): Promise<string[]>;
  /** Kills node i (SIGKILL): no shutdown, no last write, as a crash. */
  kill(index: number): Promise<void>;
  /** Whether the other nodes have marked node i as failed (CLUSTER NODES: `fail`), as they do cluster-node-timeout after it went silent. */
  markedFailed(index: number): Promise<boolean>;
  /** Starts node i again on its ports, with its data and nodes.conf; resolves once the cluster says ok. */
  start(index: number): Promise<void>;
  /** Stops every node for good and removes the folders. */
  close(): Promise<void>;
}

export interface TestRedisClusterOptions {
  /**
   * Ms before the other masters mark a silent one as failed (cluster-node-timeout);
   * default 2000 (Redis's default is 15000).
   */
  readonly nodeTimeoutMs?: number;
  /**
   * cluster-require-full-coverage: with `true` (Redis's default) the whole
   * cluster refuses commands once a master is marked failed; default
   * `false` here, so only the dead master's slots are down.
   */
  readonly requireFullCoverage?: boolean;
  /** Keep an append-only file (appendfsync everysec), so a restarted master has its data; default true. */
  readonly appendOnly?: boolean;
}

const MASTERS = 3;

export async function startTestRedisCluster(options: TestRedisClusterOptions = {}): Promise<TestRedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'grip-test-cluster-'));
  const ports: { port: number; busPort: number }[] = [];
  for (let i = 0; i < MASTERS; i++) ports.push({ port: await freePort(), busPort: await freePort() });
  const services: (Service | undefined)[] = ports.map(() => undefined);
  const observers = new Map<number, Redis>();

  const startNode = async (index: number) => {
    const { port, busPort } = ports[index]!;
    const nodeDir = join(dir, `node-${index}`);
    await mkdir(nodeDir, { recursive: true });
    const service = startService(
      `redis-cluster-${port}`,
      'redis-server',
      Object.entries({
        port,
        'cluster-port': busPort,
        bind: '127.0.0.1',
        'cluster-enabled': 'yes',
        'cluster-config-file': join(nodeDir, 'nodes.conf'),
        'cluster-node-timeout': options.nodeTimeoutMs ?? 2000,
        'cluster-require-full-coverage': options.requireFullCoverage ? 'yes' : 'no',
        dir: nodeDir,
        save: '',
        appendonly: options.appendOnly === false ? 'no' : 'yes',
      }).flatMap(([name, value]) => [`--${name}`, String(value)]),
      join(nodeDir, 'redis.log'),
    );
    services[index] = service;
    await waitForPort(port, service);
  };

  /** A plain client of the test's on node i, to look at the cluster from outside. */
  const observer = (index: number): Redis => {
    let client = observers.get(index);
    if (client === undefined) {
      client = new Redis({
        port: ports[index]!.port,
        host: '127.0.0.1',
        lazyConnect: true,
        maxRetriesPerRequest: 1,
        retryStrategy: () => 200,
      });
      client.on('error', () => undefined); // a killed node: the next command says so
      observers.set(index, client);
    }
    return client;
  };

  /** Waits until every running node says cluster_state:ok and agrees on who serves every slot. */
  const untilOk = async () => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const running = ports.map((_, i) => i).filter((i) => services[i] !== undefined);
      const states = await Promise.all(
        running.map((i) =>
          observer(i)
            .cluster('INFO')
            .catch((error: Error) => error.message),
        ),
      );
      if (states.every((info) => /cluster_state:ok/.test(String(info)) && /cluster_slots_assigned:16384/.test(String(info)))) return;
      if (Date.now() > deadline) throw new Error(`the test cluster did not come up: ${JSON.stringify(states)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  const stopAll = async () => {
    for (const client of observers.values()) client.disconnect();
    observers.clear();
    await Promise.all(services.map((service) => service?.stop()));
    services.fill(undefined);
  };

  try {
    for (let i = 0; i < MASTERS; i++) await startNode(i);
    await run(
      'redis-cli',
      ['--cluster', 'create', ...ports.map(({ port }) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'],
      {
        timeout: 30_000,
      },
    );
    await untilOk();
  } catch (error) {
    await stopAll();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  const ownerOf = async (key: string): Promise<number> => {
    const up = ports.findIndex((_, i) => services[i] !== undefined);
    const slot = Number(await observer(up).cluster('KEYSLOT', key));
    const ranges = await observer(up).cluster('SLOTS');
    const master = ranges.find(([from, to]) => slot >= from && slot <= to)?.[2];
    if (master === undefined) throw new Error(`no node serves slot ${slot}`);
    const index = ports.findIndex(({ port }) => port === Number(master[1]));
    if (index < 0) throw new Error(`slot ${slot} is served by port ${master[1]}, not a node of this cluster`);
    return index;
  };

  const namesInTurn = async (prefix: string, perMaster: number): Promise<string[]> => {
    const byMaster: string[][] = ports.map(() => []);
    for (let n = 0; byMaster.some((names) => names.length < perMaster); n++) {
      if (n > perMaster * MASTERS * 100) throw new Error('no name hashes to some master');
      const name = `${prefix}-${n}`;
      const names = byMaster[await ownerOf(`{${name}}`)]!;
      if (names.length < perMaster) names.push(name);
    }
    return Array.from({ length: perMaster * MASTERS }, (_, i) => byMaster[i % MASTERS]![Math.floor(i / MASTERS)]!);
  };

  return {
    url: ports.map(({ port }) => `redis://127.0.0.1:${port}`).join(','),
    get nodes() {
      return ports.map(({ port, busPort }, i) => ({ port, busPort, service: services[i] }));
    },
    ownerOf,
    namesInTurn,
    async namesOnEveryMaster(prefix) {
      const found: (string | undefined)[] = ports.map(() => undefined);
      for (let n = 0; found.includes(undefined); n++) {
        if (n > 1000) throw new Error('no name hashes to some master');
        const name = `${prefix}-${n}`;
        const owner = await ownerOf(`{${name}}`);
        found[owner] ??= name;
      }
      return found as string[];
    },
    async kill(index) {
      const service = services[index];
      if (service === undefined) return;
      observers.get(index)?.disconnect();
      observers.delete(index);
      if (service.child.pid !== undefined) process.kill(service.child.pid, 'SIGKILL');
      await service.stop();
      services[index] = undefined;
    },
    async markedFailed(index) {
      const other = ports.findIndex((_, i) => i !== index && services[i] !== undefined);
      const nodes = String(await observer(other).cluster('NODES'));
      const line = nodes.split('\n').find((l) => l.includes(`127.0.0.1:${ports[index]!.port}@`));
      return line !== undefined && /\bfail\b/.test(line.split(' ')[2] ?? '');
    },
    async start(index) {
      if (services[index] !== undefined) return;
      await startNode(index);
      await untilOk();
    },
    async close() {
      await stopAll();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
