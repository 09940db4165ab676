import type { InvocationLog, UnmatchedRequest } from './function-host.js';
import type { RunningStack } from './stack.js';

const time = () => new Date().toISOString().slice(11, 23);

/** One line per invocation: time, function, request, status, connection, events in/out, duration. */
export function formatInvocation(log: InvocationLog): string {
  const events = (list: readonly string[]) => (list.length === 0 ? '-' : list.join(','));
  return [
    time(),
    log.functionName.padEnd(8),
    `${log.method} ${log.path}`,
    log.status,
    log.connectionId !== undefined ? `conn=${log.connectionId.slice(0, 8)}` : '',
    log.eventsIn.length + log.eventsOut.length > 0 ? `in=${events(log.eventsIn)} out=${events(log.eventsOut)}` : '',
    `${log.durationMs.toFixed(1)}ms`,
    log.publishes !== undefined && log.publishes > 0 ? `pub=${log.publishes}` : '',
    log.errors !== undefined && log.errors.length > 0 ? `errors=${log.errors.length}` : '',
  ]
    .filter((part) => part !== '')
    .join(' ');
}

export function formatUnmatched(request: UnmatchedRequest): string {
  return `${time()} ${'-'.padEnd(8)} ${request.method} ${request.path} 404 (${request.reason})`;
}

/** The banner: each route served with its URL, each event not served with why, where things are. */
export function banner(stack: RunningStack, publicPort: number, logDir: string, redisNote: string): string {
  const host = `localhost:${publicPort}`;
  const lines = [''];
  lines.push('  Routes (through Pushpin):');
  const width = Math.max(0, ...stack.routes.map((r) => `${r.method === '*' ? 'ANY' : r.method} ${r.path}`.length));
  for (const route of stack.routes) {
    const key = `${route.method === '*' ? 'ANY' : route.method} ${route.path}`;
    const path = route.path === '*' ? '/' : route.path;
    // WebSocket-over-HTTP arrives as POST, so POST and ANY routes also take WebSocket clients.
    const urls = [`http://${host}${path}`, ...(route.method === 'POST' || route.method === '*' ? [`ws://${host}${path}`] : [])];
    const api = route.kind === 'http' ? 'REST API' : 'HTTP API';
    lines.push(`    ${key.padEnd(width)}  ${route.functionName.padEnd(10)} ${api}  ${urls.join('  ')}`);
  }
  if (stack.routes.length === 0) lines.push('    (none: serverless.yml declares no httpApi or http events)');
  if (stack.skipped.length > 0) {
    lines.push('  Not served:');
    for (const skip of stack.skipped) lines.push(`    ${skip.functionName} (${skip.event}): ${skip.reason}`);
  }
  if (stack.nodes.length > 0) {
    lines.push(`  Proxies:        ${stack.nodes.length} Pushpin nodes behind haproxy on :${publicPort}`);
    for (const node of stack.nodes) lines.push(`    ${node.name}  clients ${node.httpUrl}  control ${node.controlUrl}`);
    lines.push(`  GRIP_URL:       ${stack.gripUrl}`);
  } else {
    lines.push(`  Control API:    ${stack.controlUrl}   GRIP_URL=${stack.gripUrl}`);
  }
  if (stack.dashboardUrl !== undefined) lines.push(`  Dashboard:      ${stack.dashboardUrl}`);
  lines.push(`  Metrics:        ${stack.metricsUrl}   (Pushpin's Prometheus endpoint: connection_connected)`);
  lines.push(`  Logs:           ${logDir}`);
  const store =
    stack.dynamodb !== undefined
      ? `DynamoDB table ${stack.dynamodb.table} at ${stack.dynamodb.endpoint} (dynalite)`
      : stack.redisUrl !== undefined
        ? `Redis at ${stack.redisUrl}`
        : redisNote;
  lines.push(`  History:        ${store}`);
  lines.push('  Ctrl-C stops everything.');
  lines.push('');
  return lines.join('\n');
}
