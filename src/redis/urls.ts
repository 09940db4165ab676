/** One node of a Redis Cluster, as its startup list names it. */
export interface ClusterNodeAddress {
  readonly host: string;
  readonly port: number;
}

/** What every node of a cluster is connected with, from the URLs. */
export interface ClusterNodeSettings {
  readonly username?: string;
  readonly password?: string;
  /** `rediss://`: TLS, checked against each node's host name. */
  readonly tls: boolean;
  /** The URLs' query (e.g. `connectionName`), as ioredis reads it from a single URL. */
  readonly query: Readonly<Record<string, string | number>>;
}

/** A Redis URL as the stores connect to it: one server, or a cluster named by several nodes. */
export type RedisTarget =
  | { readonly kind: 'single'; readonly url: string; readonly where: string }
  | {
      readonly kind: 'cluster';
      readonly nodes: readonly ClusterNodeAddress[];
      readonly settings: ClusterNodeSettings;
      readonly where: string;
      /** The same node list whatever order the URLs named it in: one connection per process per cluster. */
      readonly key: string;
    };

const FORM = 'redis://HOST:PORT,redis://HOST:PORT (or redis://HOST:PORT,HOST:PORT)';

/**
 * Reads a REDIS_URL. One URL is one server (passed to ioredis as it is).
 * Several, comma-separated, name nodes of one Redis Cluster: every entry
 * a `redis://` or `rediss://` URL, or a bare `HOST:PORT` that takes the
 * first entry's scheme, credentials and query; all entries must agree on
 * those, and name database 0 (a cluster has no other). A comma in a
 * password is written `%2C`.
 * @throws TypeError naming the entry and what is wrong with it.
 */
export function parseRedisUrl(url: string): RedisTarget {
  if (typeof url !== 'string' || url.trim() === '') throw new TypeError('a Redis URL must be a non-empty string');
  const entries = url.split(',').map((entry) => entry.trim());
  if (entries.length === 1) return { kind: 'single', url, where: whereOf(url) };
  if (entries.some((entry) => entry === '')) {
    throw new TypeError(`Redis Cluster URL list ${JSON.stringify(redact(url))} has an empty entry; the form is ${FORM}`);
  }
  const first = parseEntry(entries[0]!, 1, undefined);
  const parsed = [first, ...entries.slice(1).map((entry, i) => parseEntry(entry, i + 2, first.url))];
  for (const [i, entry] of parsed.entries()) {
    if (
      entry.url.protocol !== first.url.protocol ||
      entry.url.username !== first.url.username ||
      entry.url.password !== first.url.password
    ) {
      throw new TypeError(
        `Redis Cluster URL list: entry ${i + 1} (${entry.where}) differs from the first in scheme or credentials; every node is connected to alike`,
      );
    }
    if (entry.url.search !== first.url.search) {
      throw new TypeError(`Redis Cluster URL list: entry ${i + 1} (${entry.where}) has other options (query) than the first`);
    }
  }
  const query: Record<string, string | number> = {};
  first.url.searchParams.forEach((value, name) => {
    // As ioredis reads a single URL's query: `family` is a number.
    query[name] = name === 'family' && /^\d+$/.test(value) ? Number(value) : value;
  });
  const nodes = parsed.map((entry) => ({ host: entry.host, port: entry.port }));
  const unique = [...new Set(nodes.map((node) => `${node.host}:${node.port}`))].sort();
  return {
    kind: 'cluster',
    nodes,
    settings: {
      ...(first.url.username !== '' ? { username: decodeURIComponent(first.url.username) } : {}),
      ...(first.url.password !== '' ? { password: decodeURIComponent(first.url.password) } : {}),
      tls: first.url.protocol === 'rediss:',
      query,
    },
    where: `Redis Cluster ${unique.join(',')}`,
    key: `${first.url.protocol}//${first.url.username}:${first.url.password}@${unique.join(',')}${first.url.search}`,
  };
}

interface Entry {
  readonly url: URL;
  readonly host: string;
  readonly port: number;
  readonly where: string;
}

function parseEntry(entry: string, position: number, base: URL | undefined): Entry {
  const bare = !/^[a-z][a-z0-9+.-]*:\/\//i.test(entry);
  if (bare && base === undefined) {
    throw new TypeError(`Redis Cluster URL list: the first entry must be a redis:// or rediss:// URL; the form is ${FORM}`);
  }
  let url: URL;
  try {
    url = new URL(bare && base !== undefined ? `${base.protocol}//${userinfo(base)}${entry}${base.search}` : entry);
  } catch {
    throw new TypeError(
      `Redis Cluster URL list: entry ${position} (${JSON.stringify(redact(entry))}) is not a URL; the form is ${FORM} (a comma inside a password is written %2C)`,
    );
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new TypeError(`Redis Cluster URL list: entry ${position} has scheme ${url.protocol}, not redis: or rediss:`);
  }
  if (url.hostname === '') throw new TypeError(`Redis Cluster URL list: entry ${position} names no host; the form is ${FORM}`);
  if (url.pathname !== '' && url.pathname !== '/' && url.pathname !== '/0') {
    throw new TypeError(`Redis Cluster URL list: entry ${position} names database ${url.pathname.slice(1)}; a cluster has database 0 only`);
  }
  // IPv6 hosts come bracketed from URL; a socket wants them bare.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port === '' ? 6379 : Number(url.port);
  return { url, host, port, where: `${url.hostname}:${port}` };
}

function userinfo(url: URL): string {
  if (url.username === '' && url.password === '') return '';
  return `${url.username}${url.password !== '' ? `:${url.password}` : ''}@`;
}

/** A URL list without its passwords, for messages. */
function redact(text: string): string {
  return text.replace(/\/\/([^/@,]*)@/g, '//***@');
}

/** host:port of one Redis URL, without its credentials. */
function whereOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || 6379}`;
  } catch {
    return 'Redis';
  }
}
