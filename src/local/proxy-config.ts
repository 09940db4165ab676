import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { originFromUrl, renderPushpinConf, renderRoutes, renderZurlConf } from './pushpin-config.js';
import { DEFAULT_CONNECTION_SUBSCRIPTION_MAX, pushpinSettingLines, type PushpinSettings } from './pushpin-settings.js';
import { maxMessageBytesFor } from '../websocket/limits.js';

/** One Pushpin node of the proxy tier. Ports and folders default to a production node's. */
export interface ProxyNodeSpec {
  /** The node's private address: its control API listens there and nowhere else. */
  readonly privateAddr: string;
  /** Where the load balancer sends clients (default 7999). */
  readonly httpPort?: number;
  /** The control API's port (default 5561). */
  readonly controlPort?: number;
  /** Pushpin's Prometheus metrics port, on the private address (default 9100); null for none. */
  readonly metricsPort?: number | null;
  /** Sockets and runtime files (default /run/pushpin). */
  readonly runDir?: string;
  /** Logs (default /var/log/pushpin). */
  readonly logDir?: string;
}

export interface ProxyConfigOptions {
  /** The functions' API: `https://ID.execute-api.REGION.amazonaws.com`, with the stage for a REST API (`.../prod`). */
  readonly origin: string;
  /** The folder to write into: one sub-folder per node, `node-1`... */
  readonly outDir: string;
  readonly nodes: readonly ProxyNodeSpec[];
  /** PEM private key (EC P-256: Grip-Sig is then ES256) every node signs with; a new one is made when absent. */
  readonly signingKeyPem?: string;
  /** `sig_iss` (default "pushpin"). */
  readonly sigIss?: string;
  /** client_buffer_size, message_rate, message_hwm (pushpin-settings.ts). */
  readonly settings: PushpinSettings;
  /** Routes ahead of the origin's, in Pushpin's syntax. */
  readonly extraRoutes?: readonly string[];
}

export interface WrittenProxyConfig {
  /** Each node's folder, holding pushpin.conf, routes, zurl.conf and grip-sig.key. */
  readonly nodeDirs: readonly string[];
  /** GRIP_URL for the functions: every node's control API, comma-separated. */
  readonly gripUrl: string;
  /** The public key the functions check Grip-Sig with (PEM), also written to grip-verify-key.pem. */
  readonly verifyKeyPem: string;
  readonly sigIss: string;
  /** The functions' settings, one `NAME=value` a line (functions.env): GRIP_VERIFY_KEY as `base64:` of the PEM, GRIP_MAX_MESSAGE_BYTES for the nodes' buffer, GRIP_MAX_SUBSCRIPTIONS for their subscription cap. */
  readonly functionsEnv: string;
}

/** Where each node serves its Prometheus metrics, on its private address. */
export const DEFAULT_METRICS_PORT = 9100;

/** The private key file's name in each node folder; pushpin.conf reads it as `sig_key=file:grip-sig.key`. */
export const SIGNING_KEY_FILE = 'grip-sig.key';

/** Addresses that are not the public Internet's: loopback, RFC 1918, IPv6 unique-local and link-local. */
export function isPrivateAddress(addr: string): boolean {
  if (isIP(addr) === 4) {
    const [a, b] = addr.split('.').map(Number) as [number, number];
    return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
  }
  if (isIP(addr) === 6) return addr === '::1' || /^f[cd]/i.test(addr) || /^fe[89ab]/i.test(addr);
  return false;
}

/** The default private addresses of N nodes: 10.0.1.11, 10.0.1.12... (README's recipe subnet). */
export function defaultPrivateAddrs(count: number): string[] {
  if (!Number.isInteger(count) || count < 1 || count > 200)
    throw new RangeError(`nodes must be a whole number from 1 to 200, got ${count}`);
  return Array.from({ length: count }, (_, i) => `10.0.1.${11 + i}`);
}

function signingKey(pem: string | undefined): { privatePem: string; publicPem: string } {
  if (pem === undefined) {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return {
      privatePem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
  }
  const key = createPrivateKey(pem);
  // Pushpin signs ES256 with an EC key and RS256 with an RSA one: both check with the public half.
  if (key.asymmetricKeyType !== 'ec' && key.asymmetricKeyType !== 'rsa') {
    throw new TypeError(`the signing key must be an EC (P-256) or RSA private key in PEM, got ${key.asymmetricKeyType ?? 'a secret'}`);
  }
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new TypeError(`an EC signing key must be on P-256 (Pushpin signs ES256), got ${key.asymmetricKeyDetails?.namedCurve}`);
  }
  return {
    privatePem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Why each setting is what it is, with what it costs, as comments at the top of pushpin.conf. */
function explain(settings: PushpinSettings): string {
  const b = settings.clientBufferSize;
  const perThousandMiB = Math.round((2 * b * 1000) / 2 ** 20);
  return [
    "# Written by `grip-lambda proxy-config`. The same code writes the local stack's nodes.",
    `# client_buffer_size=${b}: condure keeps two buffers of this per connection, paid for as traffic fills them:`,
    `#   up to ${perThousandMiB} MiB per 1,000 connections (idle ones far less). With Pushpin 1.36 a message from a`,
    `#   function arrives at once only up to ${maxMessageBytesFor(b)} bytes (GRIP_MAX_MESSAGE_BYTES, in functions.env),`,
    '#   and a burst to one connection arrives whole only if it fits this buffer. See README, Limits.',
    settings.messageRate === null
      ? '# message_rate unset: publishes go out at once (any rate batches them every 25 ms and counts deliveries).'
      : `# message_rate=${settings.messageRate}: deliveries per second; Pushpin releases publishes in 25 ms batches.`,
    `# message_hwm=${settings.messageHwm}: queued deliveries (items x subscribers) past which Pushpin drops, logging "exceeded publish hwm";`,
    "#   each queued delivery holds its message in the handler's memory.",
    '# The control API (push_in_http_*) has no authentication of its own: only the functions may reach its address.',
    '# prometheus_port: connection_connected (client connections open now), message_sent and more, for a scraper on the',
    '#   private network (docs/observability.md); like the control API, it has no authentication.',
    '',
  ].join('\n');
}

/**
 * Writes pushpin.conf, routes, zurl.conf and the signing key for each node
 * of a proxy tier, plus what the functions need to reach and trust them.
 */
export async function writeProxyConfig(options: ProxyConfigOptions): Promise<WrittenProxyConfig> {
  if (options.nodes.length === 0) throw new RangeError('a proxy tier needs at least one node');
  const origin = originFromUrl(options.origin);
  for (const node of options.nodes) {
    if (!isPrivateAddress(node.privateAddr)) {
      throw new TypeError(
        `${JSON.stringify(node.privateAddr)} is not a private IP address: the control API must not listen on a public one`,
      );
    }
  }
  pushpinSettingLines(options.settings); // refuses settings Pushpin cannot use before anything is written
  const sigIss = options.sigIss ?? 'pushpin';
  const key = signingKey(options.signingKeyPem);
  const routes = renderRoutes(origin, options.extraRoutes);
  await mkdir(options.outDir, { recursive: true });
  const nodeDirs: string[] = [];
  const controlUrls: string[] = [];
  for (const [i, node] of options.nodes.entries()) {
    const dir = join(options.outDir, `node-${i + 1}`);
    const runDir = node.runDir ?? '/run/pushpin';
    const controlPort = node.controlPort ?? 5561;
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'routes'), routes);
    await writeFile(join(dir, 'zurl.conf'), renderZurlConf(runDir));
    const conf = renderPushpinConf({
      runDir,
      logDir: node.logDir ?? '/var/log/pushpin',
      httpPort: node.httpPort ?? 7999,
      controlAddr: node.privateAddr,
      controlPort,
      sigIss,
      sigKey: { file: SIGNING_KEY_FILE },
      settings: options.settings,
      ...(node.metricsPort !== null ? { metrics: { addr: node.privateAddr, port: node.metricsPort ?? DEFAULT_METRICS_PORT } } : {}),
    });
    await writeFile(join(dir, 'pushpin.conf'), explain(options.settings) + conf);
    await writeFile(join(dir, SIGNING_KEY_FILE), key.privatePem, { mode: 0o600 });
    await chmod(join(dir, SIGNING_KEY_FILE), 0o600); // an existing file keeps its mode otherwise
    nodeDirs.push(dir);
    controlUrls.push(`http://${isIP(node.privateAddr) === 6 ? `[${node.privateAddr}]` : node.privateAddr}:${controlPort}`);
  }
  const gripUrl = controlUrls.join(',');
  const functionsEnv = [
    `GRIP_URL=${gripUrl}`,
    `GRIP_VERIFY_ISS=${sigIss}`,
    `GRIP_VERIFY_KEY=base64:${Buffer.from(key.publicPem).toString('base64')}`,
    // So that ctx.send refuses what these nodes would hold up.
    `GRIP_MAX_MESSAGE_BYTES=${maxMessageBytesFor(options.settings.clientBufferSize)}`,
    `GRIP_MAX_SUBSCRIPTIONS=${options.settings.connectionSubscriptionMax ?? DEFAULT_CONNECTION_SUBSCRIPTION_MAX}`,
    '',
  ].join('\n');
  await writeFile(join(options.outDir, 'grip-verify-key.pem'), key.publicPem);
  await writeFile(join(options.outDir, 'functions.env'), functionsEnv);
  return { nodeDirs, gripUrl, verifyKeyPem: key.publicPem, sigIss, functionsEnv };
}
