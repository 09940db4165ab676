/**
 * Fan-out on a cluster: one publish to N WebSocket clients (default 3,000)
 * subscribed through three Pushpin nodes behind haproxy, against the same
 * number of clients on one of those nodes alone, in one run, on one stack
 * (`startStack({ proxies: 3 })`). Run by `npm run bench` in a process of its
 * own (the functions there check Grip-Sig with the cluster's key), and alone:
 *
 *   node --import tsx bench/cluster-fanout.ts [--clients 3000] [--rounds 5] [--json]
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { residentMiB } from '../src/local/proc.js';
import { startStack } from '../src/local/stack.js';
import { measureFanout, type FanoutRow } from './fanout.js';

export interface ClusterFanoutResult {
  readonly clients: number;
  /** Clients through the balancer: how many each node held. */
  readonly spread: readonly number[];
  /** Resident memory of each node's processes (zurl, Pushpin and its children), MiB, with the clients connected. */
  readonly threeNodesMiB: readonly number[];
  readonly oneNodeMiB: number;
  readonly threeNodes: readonly FanoutRow[];
  readonly oneNode: readonly FanoutRow[];
}

export async function measureClusterFanout(clients: number, rounds: number): Promise<ClusterFanoutResult> {
  const stack = await startStack({ root: join(import.meta.dirname, '..'), proxies: 3, redis: false });
  try {
    let spread: number[] = [];
    let threeNodesMiB: number[] = [];
    let oneNodeMiB = 0;
    // Three nodes: every client through the balancer, so each node holds a third.
    const threeNodes = await measureFanout(stack.wsUrl, stack.gripUrl, clients, rounds, async () => {
      spread = await stack.connectionsPerNode();
      threeNodesMiB = stack.nodes.map((node) => residentMiB(node.pids));
    });
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // let the closed connections go
    // One node: the same clients straight to node 1. The publish still goes to all three control APIs, as above.
    const oneNode = await measureFanout(stack.nodes[0]!.httpUrl.replace(/^http/, 'ws'), stack.gripUrl, clients, rounds, async () => {
      oneNodeMiB = residentMiB(stack.nodes[0]!.pids);
    });
    return { clients, spread, threeNodesMiB, oneNodeMiB, threeNodes, oneNode };
  } finally {
    await stack.stop();
  }
}

if (import.meta.filename === process.argv[1]) {
  const { values } = parseArgs({ options: { clients: { type: 'string' }, rounds: { type: 'string' }, json: { type: 'boolean' } } });
  const result = await measureClusterFanout(Number(values.clients ?? 3000), Number(values.rounds ?? 5));
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    console.log(`${result.clients} clients; through the balancer each node held ${result.spread.join(' / ')}`);
    console.log(`memory: three nodes ${result.threeNodesMiB.map((m) => m.toFixed(0)).join(' / ')} MiB; one node ${result.oneNodeMiB.toFixed(0)} MiB`);
    for (const [name, rows] of [['three nodes', result.threeNodes], ['one node', result.oneNode]] as const) {
      for (const r of rows) console.log(`${name.padEnd(12)} first ${r.firstMs.toFixed(1)} ms  median ${r.medianMs.toFixed(1)} ms  last ${r.lastMs.toFixed(1)} ms`);
    }
  }
  process.exit(0);
}
