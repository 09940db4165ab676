/**
 * Pushpin's Prometheus endpoint (`[handler] prometheus_port`): its counts
 * in Prometheus' text format. `connection_connected` is the gauge of client
 * connections open on the node now, updated at each stats report.
 */

/** The value of one metric without labels in Prometheus' text format; undefined when absent. */
export function prometheusValue(text: string, name: string): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!rest.startsWith(' ')) continue; // another metric whose name starts the same, or one with labels
    const value = Number(rest.trim().split(' ', 1)[0]);
    if (Number.isFinite(value)) return value;
  }
  return undefined;
}

/**
 * The client connections a Pushpin node holds now, from its metrics URL.
 * @throws Error when the endpoint does not answer within `timeoutMs` or has no connection_connected.
 */
export async function readProxyConnections(metricsUrl: string, timeoutMs = 2_000): Promise<number> {
  const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${metricsUrl} answered ${response.status}`);
  const value = prometheusValue(text, 'connection_connected');
  if (value === undefined) throw new Error(`${metricsUrl} has no connection_connected gauge`);
  return value;
}
