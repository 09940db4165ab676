import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_METRICS_PORT, defaultPrivateAddrs, writeProxyConfig } from './proxy-config.js';
import { LOCAL_PUSHPIN_SETTINGS } from './pushpin-settings.js';

export const PROXY_CONFIG_USAGE = `Usage: grip-lambda proxy-config --origin URL --out DIR [options]

Writes pushpin.conf, routes, zurl.conf and the Grip-Sig signing key for each
Pushpin node of a production proxy tier (DIR/node-1, ...), and the functions'
settings (DIR/functions.env, DIR/grip-verify-key.pem).

  --origin URL          the functions' API, e.g. https://ID.execute-api.REGION.amazonaws.com
                        (a REST API with its stage: .../prod)
  --out DIR             where to write
  --nodes N             how many nodes (default 1)
  --private-addrs LIST  each node's private IP, comma-separated; its control API
                        listens there only (default 10.0.1.11, 10.0.1.12, ...)
  --signing-key FILE    an EC P-256 (or RSA) private key in PEM for Grip-Sig;
                        default: a new P-256 key
  --client-buffer-size B  Pushpin's client_buffer_size (default 262144, which carries any
                        message a client can send; 65536 suits chat-sized traffic at a
                        quarter of the memory: README, Limits)
  --http-port N         client port, behind the load balancer (default 7999)
  --control-port N      control API port (default 5561)
  --metrics-port N|off  Pushpin's Prometheus metrics on the private address
                        (default 9100; connection_connected: clients connected now)
  --run-dir DIR         Pushpin's and zurl's sockets (default /run/pushpin)
  --log-dir DIR         logs (default /var/log/pushpin)`;

function port(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new RangeError(`--${name} must be a port number, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * `grip-lambda proxy-config ...`: returns the exit code; what it wrote, or
 * what is wrong with the arguments, goes to `log` / `error`.
 */
export async function proxyConfigCommand(
  args: readonly string[],
  log: (line: string) => void = console.log,
  error: (line: string) => void = console.error,
): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        origin: { type: 'string' },
        out: { type: 'string' },
        nodes: { type: 'string' },
        'private-addrs': { type: 'string' },
        'signing-key': { type: 'string' },
        'http-port': { type: 'string' },
        'client-buffer-size': { type: 'string' },
        'control-port': { type: 'string' },
        'metrics-port': { type: 'string' },
        'run-dir': { type: 'string' },
        'log-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    error(`${(e as Error).message}\n\n${PROXY_CONFIG_USAGE}`);
    return 2;
  }
  if (values.help === true) {
    log(PROXY_CONFIG_USAGE);
    return 0;
  }
  if (values.origin === undefined || values.out === undefined) {
    error(`--origin and --out are required\n\n${PROXY_CONFIG_USAGE}`);
    return 2;
  }
  try {
    const addrs = values['private-addrs']?.split(',').map((a) => a.trim());
    const count = values.nodes !== undefined ? Number(values.nodes) : (addrs?.length ?? 1);
    const privateAddrs = addrs ?? defaultPrivateAddrs(count);
    if (privateAddrs.length !== count)
      throw new RangeError(`--nodes ${count} needs ${count} private addresses, got ${privateAddrs.length}`);
    const httpPort = port('http-port', values['http-port']);
    const controlPort = port('control-port', values['control-port']);
    const metricsPort = values['metrics-port'] === 'off' ? null : port('metrics-port', values['metrics-port']);
    const outDir = resolve(values.out);
    const clientBufferSize =
      values['client-buffer-size'] !== undefined ? Number(values['client-buffer-size']) : LOCAL_PUSHPIN_SETTINGS.clientBufferSize;
    const written = await writeProxyConfig({
      origin: values.origin,
      outDir,
      nodes: privateAddrs.map((privateAddr) => ({
        privateAddr,
        ...(httpPort !== undefined ? { httpPort } : {}),
        ...(controlPort !== undefined ? { controlPort } : {}),
        ...(metricsPort !== undefined ? { metricsPort } : {}),
        ...(values['run-dir'] !== undefined ? { runDir: resolve(values['run-dir']) } : {}),
        ...(values['log-dir'] !== undefined ? { logDir: resolve(values['log-dir']) } : {}),
      })),
      ...(values['signing-key'] !== undefined ? { signingKeyPem: await readFile(values['signing-key'], 'utf8') } : {}),
      // The local stack's, for the same reasons (pushpin-settings.ts, README Limits).
      settings: { ...LOCAL_PUSHPIN_SETTINGS, clientBufferSize },
    });
    for (const [i, dir] of written.nodeDirs.entries())
      log(`node ${i + 1} (${privateAddrs[i]}): ${dir}/{pushpin.conf,routes,zurl.conf,grip-sig.key}`);
    log(`functions:  ${outDir}/functions.env (GRIP_URL, GRIP_VERIFY_ISS, GRIP_VERIFY_KEY)`);
    log(`GRIP_URL=${written.gripUrl}`);
    if (metricsPort !== null)
      log(
        `metrics:    ${privateAddrs.map((addr) => `http://${addr}:${metricsPort ?? DEFAULT_METRICS_PORT}/metrics`).join(' ')} (Prometheus; private network only)`,
      );
    return 0;
  } catch (e) {
    error(`proxy-config: ${(e as Error).message}`);
    return 1;
  }
}
