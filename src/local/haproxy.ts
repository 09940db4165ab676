import { connect } from 'node:net';

export interface BalancerConfig {
  /** The one port clients connect to. */
  readonly port: number;
  /** Each node's client port, on 127.0.0.1. */
  readonly nodePorts: readonly number[];
  /** haproxy's admin socket, for per-node connection counts. */
  readonly statsSocket: string;
}

/**
 * haproxy.cfg for a TCP load balancer in front of the nodes, as an AWS
 * Network Load Balancer would be: each client connection goes to the next
 * node (roundrobin) and stays there. A node that stops answering is taken
 * out after one failed check (500 ms) and a connection refused by it is
 * sent to another node (redispatch), so clients reconnecting after a node
 * dies reach the live ones.
 */
export function renderHaproxyConf(config: BalancerConfig): string {
  return [
    'global',
    // Two file descriptors per client connection: within the usual 20,000-descriptor limit.
    '  maxconn 9000',
    `  stats socket ${config.statsSocket} mode 600 level user`,
    'defaults',
    '  mode tcp',
    '  timeout connect 2s',
    // WebSockets and streams stay open for as long as clients want.
    '  timeout client 24h',
    '  timeout server 24h',
    '  retries 2',
    '  option redispatch',
    'frontend clients',
    `  bind 127.0.0.1:${config.port}`,
    '  maxconn 9000',
    '  default_backend nodes',
    'backend nodes',
    '  balance roundrobin',
    ...config.nodePorts.map((port, i) => `  server node-${i + 1} 127.0.0.1:${port} check inter 500ms fall 1 rise 1`),
    '',
  ].join('\n');
}

/** Current connections haproxy holds to each node (`scur` of `show stat`), in node order. */
export async function nodeConnections(statsSocket: string, nodes: number): Promise<number[]> {
  const csv = await new Promise<string>((resolve, reject) => {
    const socket = connect(statsSocket);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.once('error', reject);
    socket.once('end', () => resolve(text));
    socket.write('show stat\n');
  });
  const [header, ...rows] = csv.replace(/^# /, '').trim().split('\n');
  const columns = header!.split(',');
  const name = columns.indexOf('svname');
  const current = columns.indexOf('scur');
  const counts = Array.from({ length: nodes }, () => 0);
  for (const row of rows) {
    const cells = row.split(',');
    const match = /^node-(\d+)$/.exec(cells[name] ?? '');
    if (match !== null) counts[Number(match[1]) - 1] = Number(cells[current]);
  }
  return counts;
}
