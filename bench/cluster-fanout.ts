/**
 * Fan-out on a cluster: one publish to N WebSocket clients (default 3,000)
 * subscribed through three Pushpin nodes behind haproxy, against the same
 * number of clients on one of those nodes alone, in one run, on one stack
 * (`startStack({ proxies: 3 })`). Run by `npm run bench` in a process of its
 * own (the functions there check Grip-Sig with the cluster's key), and alone:
 *
 *   node --import tsx bench/cluster-fanout.ts [--clients 3000] [--rounds 5] [--json | --write]
 *
 * --write replaces this section of BENCHMARKS.md (and only it) with this run's.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { writeMarkdown } from './write-markdown.js';
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
  /** When and where it ran. */
  readonly ran: string;
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
      threeNodesMiB = stack.nodes.map((node) => residentMiB(node.processes));
    });
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // let the closed connections go
    // One node: the same clients straight to node 1. The publish still goes to all three control APIs, as above.
    const oneNode = await measureFanout(stack.nodes[0]!.httpUrl.replace(/^http/, 'ws'), stack.gripUrl, clients, rounds, async () => {
      oneNodeMiB = residentMiB(stack.nodes[0]!.processes);
    });
    const ran = `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpus().length} cores`;
    return { clients, spread, threeNodesMiB, oneNodeMiB, ran, threeNodes, oneNode };
  } finally {
    await stack.stop();
  }
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export const CLUSTER_HEADING = '## Fan-out on three nodes';

/** The BENCHMARKS.md section for a run. */
export function clusterReport(result: ClusterFanoutResult): string[] {
  const lastMedian = (rows: readonly FanoutRow[]) => median(rows.map((r) => r.lastMs));
  const lines = [CLUSTER_HEADING, ''];
  lines.push(
    `${result.clients.toLocaleString('en')} \`ws\` clients subscribed to one channel, one publish, time until each client has it, ${result.threeNodes.length} rounds each: first through haproxy (TCP, roundrobin) in front of three Pushpin nodes (\`startStack({ proxies: 3 })\`; each node held ${result.spread.join(' / ')} of the clients), then the same number straight to one of those nodes. Same stack, same run (${result.ran}); the publish goes to all three control APIs both times (GRIP_URL names them). \`bench/cluster-fanout.ts\`.`,
    '',
    '| Round | Three nodes: first | median | last | One node: first | median | last |',
    '|---:|---:|---:|---:|---:|---:|---:|',
  );
  result.threeNodes.forEach((t, i) => {
    const o = result.oneNode[i]!;
    lines.push(
      `| ${i + 1} | ${t.firstMs.toFixed(1)} ms | ${t.medianMs.toFixed(1)} ms | ${t.lastMs.toFixed(1)} ms | ${o.firstMs.toFixed(1)} ms | ${o.medianMs.toFixed(1)} ms | ${o.lastMs.toFixed(1)} ms |`,
    );
  });
  lines.push(
    '',
    `Last client, median of the rounds: three nodes ${lastMedian(result.threeNodes).toFixed(1)} ms, one node ${lastMedian(result.oneNode).toFixed(1)} ms (${(lastMedian(result.threeNodes) / lastMedian(result.oneNode)).toFixed(2)}×). Resident memory of each node's processes (zurl, Pushpin and its children) with the clients connected: ${result.threeNodesMiB.map((m) => m.toFixed(0)).join(' / ')} MiB on three nodes, ${result.oneNodeMiB.toFixed(0)} MiB on one node alone.`,
    '',
    "The three nodes share this machine's cores with each other, haproxy, the function host and the clients, so here the comparison says little about speed (and the noise of a shared machine is in both columns): what spreading buys on one machine is memory and connections per node, and a node that fails takes only its third of the clients with it. On machines of their own each node does a third of the fan-out work; not measured here.",
    '',
  );
  return lines;
}

/** BENCHMARKS.md with this section replaced (or added before the closing note). */
function spliceReport(markdown: string, section: readonly string[]): string {
  const lines = markdown.split('\n');
  const start = lines.indexOf(CLUSTER_HEADING);
  const closing = lines.findIndex((l) => l.startsWith('Figures vary from machine to machine'));
  if (start >= 0) {
    const next = lines.findIndex((l, i) => i > start && (l.startsWith('## ') || l.startsWith('Figures vary from machine to machine')));
    lines.splice(start, (next < 0 ? lines.length : next) - start, ...section);
  } else {
    lines.splice(closing < 0 ? lines.length : closing, 0, ...section);
  }
  return lines.join('\n');
}

if (import.meta.filename === process.argv[1]) {
  const { values } = parseArgs({
    options: { clients: { type: 'string' }, rounds: { type: 'string' }, json: { type: 'boolean' }, write: { type: 'boolean' } },
  });
  const result = await measureClusterFanout(Number(values.clients ?? 3000), Number(values.rounds ?? 5));
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    console.log(clusterReport(result).join('\n'));
    if (values.write === true) {
      const file = join(import.meta.dirname, '..', 'BENCHMARKS.md');
      writeMarkdown(file, spliceReport(readFileSync(file, 'utf8'), clusterReport(result)));
      console.log('wrote its section of BENCHMARKS.md');
    }
  }
  process.exit(0);
}
