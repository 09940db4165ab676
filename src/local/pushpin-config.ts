/**
 * Pushpin's and zurl's configuration files, as text. The local stack's
 * nodes and the production config (`proxy-config`) are both written here,
 * so what the tests run is what production runs, but for addresses and paths.
 */
import { pushpinSettingLines, type PushpinSettings } from './pushpin-settings.js';

/** How Pushpin signs the requests it sends to the functions (`Grip-Sig`). */
export type SigningKey =
  /** A shared secret: HS256; the functions check with the same secret. */
  | { readonly secret: string }
  /**
   * A PEM private key file (`sig_key=file:...`, read by Pushpin at start;
   * a path relative to pushpin.conf's folder, or absolute). An EC P-256 key
   * signs ES256, as Fastly Fanout does: the functions hold only the public key.
   */
  | { readonly file: string };

export interface PushpinNodeConfig {
  /** Sockets (ZeroMQ IPC, shared with zurl) and runtime files. Absolute; keep it short (socket paths max ~100 bytes). */
  readonly runDir: string;
  readonly logDir: string;
  /** Where clients (or the load balancer) connect. */
  readonly httpPort: number;
  /** The control API (publishing) listens on this address only: loopback locally, a private address in production. */
  readonly controlAddr: string;
  readonly controlPort: number;
  readonly sigIss: string;
  readonly sigKey: SigningKey;
  /** client_buffer_size, message_rate, message_hwm: why each, in pushpin-settings.ts. */
  readonly settings: PushpinSettings;
  /** `[runner] client_maxconn` (Pushpin's default: 50000). */
  readonly maxConnections?: number;
  /** 2 = info (Pushpin's default), 3 and up = verbose. */
  readonly logLevel?: number;
  /**
   * `[handler] prometheus_port` as ADDR:PORT: Pushpin's Prometheus metrics
   * (its connection and subscription counts) on this address only, a
   * private one; unset for none.
   */
  readonly metrics?: { readonly addr: string; readonly port: number };
  /**
   * `[handler] stats_report_interval`, seconds: how often Pushpin's counts
   * are updated (a closed connection leaves the count at the next report).
   * Unset: Pushpin's 10.
   */
  readonly statsReportInterval?: number;
}

/** zurl's sockets in a run folder; Pushpin's `[proxy]` section points at the same ones. */
function zurlSockets(runDir: string) {
  return {
    in: `ipc://${runDir}/zurl-in`,
    inStream: `ipc://${runDir}/zurl-in-stream`,
    out: `ipc://${runDir}/zurl-out`,
    inReq: `ipc://${runDir}/zurl-req`,
  };
}

/** Characters that would end a config line or a value early. */
function checkValue(name: string, value: string): string {
  if (/[\r\n]/.test(value) || value === '') throw new TypeError(`${name} must be a non-empty single line, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * zurl.conf. Pushpin reaches every origin through zurl and does not start
 * it (its runner's services here leave zurl out): zurl runs next to it.
 */
export function renderZurlConf(runDir: string): string {
  const sockets = zurlSockets(runDir);
  return [
    '[General]',
    `in_spec=${sockets.in}`,
    `in_stream_spec=${sockets.inStream}`,
    `out_spec=${sockets.out}`,
    `in_req_spec=${sockets.inReq}`,
    'defpolicy=allow',
    'deny=',
    'max_open_requests=4000',
    // zurl's own buffer per request; Pushpin passes client messages of up to 200,000 bytes.
    'buffer_size=200000',
    'timeout=600',
    '',
  ].join('\n');
}

/** pushpin.conf for one node; `routesfile=routes` is read from the same folder. */
export function renderPushpinConf(node: PushpinNodeConfig): string {
  const sockets = zurlSockets(node.runDir);
  const sigKey =
    'secret' in node.sigKey ? checkValue('sigKey.secret', node.sigKey.secret) : `file:${checkValue('sigKey.file', node.sigKey.file)}`;
  const settings = pushpinSettingLines(node.settings);
  return [
    '[global]',
    'include={libdir}/internal.conf',
    `rundir=${node.runDir}`,
    'ipc_prefix=pushpin-',
    'port_offset=0',
    '[runner]',
    'services=condure,pushpin-proxy,pushpin-handler',
    `http_port=${node.httpPort}`,
    `logdir=${node.logDir}`,
    `log_level=${node.logLevel ?? 2}`,
    'condure_bin=condure',
    ...settings.runner,
    ...(node.maxConnections !== undefined ? [`client_maxconn=${node.maxConnections}`] : []),
    '[proxy]',
    'routesfile=routes',
    `zurl_out_specs=${sockets.in}`,
    `zurl_out_stream_specs=${sockets.inStream}`,
    `zurl_in_specs=${sockets.out}`,
    `sig_iss=${checkValue('sigIss', node.sigIss)}`,
    `sig_key=${sigKey}`,
    'updates_check=off',
    '[handler]',
    // ZeroMQ inputs on IPC only: nothing but the HTTP control API listens on the network.
    `push_in_spec=ipc://${node.runDir}/push-in`,
    `push_in_sub_specs=ipc://${node.runDir}/push-in-sub`,
    `push_in_http_addr=${checkValue('controlAddr', node.controlAddr)}`,
    `push_in_http_port=${node.controlPort}`,
    `stats_spec=ipc://${node.runDir}/pushpin-stats`,
    `command_spec=ipc://${node.runDir}/pushpin-command`,
    ...settings.handler,
    ...(node.metrics !== undefined ? [`prometheus_port=${checkValue('metrics addr', node.metrics.addr)}:${node.metrics.port}`] : []),
    ...(node.statsReportInterval !== undefined ? [`stats_report_interval=${node.statsReportInterval}`] : []),
    '',
  ].join('\n');
}

/** Where every route of a node goes: the function host, or the API in front of the functions. */
export interface Origin {
  readonly host: string;
  readonly port: number;
  /** TLS to the origin (zurl checks its certificate). */
  readonly tls: boolean;
  /** The Host header the origin expects (API Gateway routes by it); unset passes the client's. */
  readonly hostHeader?: string;
  /** A path prefix the origin serves under (a REST API's stage, `/prod`); unset for none. */
  readonly pathPrefix?: string;
}

/**
 * The routes file: `extraRoutes` first (Pushpin's syntax), then one that
 * sends everything to the origin with `over_http`, so that WebSockets
 * arrive as WebSocket-over-HTTP requests.
 */
export function renderRoutes(origin: Origin, extraRoutes: readonly string[] = []): string {
  const condition =
    origin.pathPrefix !== undefined ? `*,path_beg=/,replace_beg=${checkValue('pathPrefix', origin.pathPrefix).replace(/\/?$/, '/')}` : '*';
  const target = [
    `${checkValue('origin host', origin.host)}:${origin.port}`,
    ...(origin.tls ? ['ssl'] : []),
    'over_http',
    ...(origin.hostHeader !== undefined ? [`host=${checkValue('hostHeader', origin.hostHeader)}`] : []),
  ].join(',');
  return `${[...extraRoutes, `${condition} ${target}`].join('\n')}\n`;
}

/** An origin from a URL: `https://ID.execute-api.REGION.amazonaws.com[/stage]`, or the local function host's. */
export function originFromUrl(url: string): Origin {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`origin must be an http(s) URL, got ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new TypeError(`origin must be an http(s) URL, got ${JSON.stringify(url)}`);
  if (parsed.search !== '' || parsed.hash !== '' || parsed.username !== '')
    throw new TypeError(`origin must have no query, fragment or credentials: ${JSON.stringify(url)}`);
  const tls = parsed.protocol === 'https:';
  const path = parsed.pathname.replace(/\/+$/, '');
  return {
    host: parsed.hostname,
    port: parsed.port !== '' ? Number(parsed.port) : tls ? 443 : 80,
    tls,
    // API Gateway (and most origins behind a shared front) route by Host: not the clients' one.
    hostHeader: parsed.host,
    ...(path !== '' ? { pathPrefix: path } : {}),
  };
}
