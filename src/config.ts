import { parseGripUri, PublisherClient, type IGripConfig } from '@fanoutio/grip';
import type { VerifyKey } from './auth/grip-sig.js';
import { isSharedSecret, type VerifyKeyMaterial } from './auth/keys.js';

/** The environment variables the toolkit reads. */
export interface GripEnv {
  /** One or more GRIP URLs, separated by commas or whitespace, e.g. `http://localhost:5561?iss=pushpin&key=changeme`. */
  readonly GRIP_URL?: string | undefined;
  /** The key proxies sign `Grip-Sig` with: a secret, `base64:...`, a PEM public key or a JWK. */
  readonly GRIP_VERIFY_KEY?: string | undefined;
  /** The `iss` every `Grip-Sig` must carry; overrides `verify-iss` in GRIP_URL. */
  readonly GRIP_VERIFY_ISS?: string | undefined;
  /** Prefix added to every channel name, on subscribe and publish. */
  readonly GRIP_PREFIX?: string | undefined;
  /** The largest message `ctx.send` takes (default 32766, Pushpin 1.36's stock; see README, Limits). */
  readonly GRIP_MAX_MESSAGE_BYTES?: string | undefined;
  /** Subscriptions the proxy holds per connection, its own channels included (default 20, Pushpin's `connection_subscription_max`). */
  readonly GRIP_MAX_SUBSCRIPTIONS?: string | undefined;
}

export interface GripSettings {
  /** One publishing client per proxy, built by @fanoutio/grip from its GRIP URL. */
  readonly clients: readonly PublisherClient[];
  readonly verifyKeys: readonly VerifyKey[];
  readonly prefix: string;
}

/** The GRIP URLs in GRIP_URL, separated by commas or whitespace. */
function gripUrls(env: GripEnv): string[] {
  return (env.GRIP_URL ?? '').split(/[\s,]+/).filter((url) => url !== '');
}

/** Each GRIP URL in GRIP_URL, parsed by @fanoutio/grip. @throws Error naming the variable for one it cannot parse. */
export function gripConfigs(env: GripEnv): IGripConfig[] {
  return gripUrls(env).map((url) => {
    try {
      return parseGripUri(url);
    } catch (error) {
      throw new Error(`GRIP_URL is not a valid URL: ${JSON.stringify(url)} (${(error as Error).message})`);
    }
  });
}

/** What checking needs from one GRIP URL: its query parameters, as @fanoutio/grip's parseGripUri reads them. */
interface GripUrlKeys {
  readonly iss: string | undefined;
  readonly key: string | undefined;
  readonly verifyIss: string | undefined;
  readonly verifyKey: string | undefined;
}

/**
 * GRIP_URL's entries (as gripConfigs reads them), each checked to be a URL,
 * without parsing it (grip's parse costs most of a ms the first time).
 * @throws Error naming the variable for an entry that is not a URL, as gripConfigs would.
 */
export function checkedGripUrls(env: GripEnv): string[] {
  const urls = gripUrls(env);
  for (const url of urls) {
    if (!URL.canParse(url)) throw new Error(`GRIP_URL is not a valid URL: ${JSON.stringify(url)} (Invalid URL)`);
  }
  return urls;
}

/**
 * GRIP_URL's entries (`checkedGripUrls`), each with its query read as
 * URLSearchParams reads it (`+` is a space, %-escapes decoded, a malformed
 * one kept as written, the first of a repeated name wins). Written out
 * because WHATWG URL's `searchParams` costs about 0.5 ms the first time it
 * is used, at every cold start; the publisher still parses with grip.
 * @throws Error naming the variable for an entry that is not a URL.
 */
function readGripUrlKeys(env: GripEnv): GripUrlKeys[] {
  return checkedGripUrls(env).map((url) => {
    const query = new Map<string, string>();
    const start = url.indexOf('?');
    if (start !== -1) {
      const end = url.indexOf('#', start);
      for (const pair of url.slice(start + 1, end === -1 ? undefined : end).split('&')) {
        if (pair === '') continue;
        const eq = pair.indexOf('=');
        const name = formDecode(eq === -1 ? pair : pair.slice(0, eq));
        if (!query.has(name)) query.set(name, eq === -1 ? '' : formDecode(pair.slice(eq + 1)));
      }
    }
    return { iss: query.get('iss'), key: query.get('key'), verifyIss: query.get('verify-iss'), verifyKey: query.get('verify-key') };
  });
}

/** One name or value of an application/x-www-form-urlencoded query. */
function formDecode(text: string): string {
  const spaced = text.replaceAll('+', ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    // A malformed %-escape, or escapes that are not UTF-8: decoded byte by byte as URLSearchParams does,
    // a malformed escape kept as written and bytes that are not UTF-8 read as U+FFFD.
    const bytes = Buffer.from(spaced, 'utf8');
    const out = Buffer.alloc(bytes.length);
    let length = 0;
    for (let i = 0; i < bytes.length; i++) {
      const escaped = bytes[i] === 0x25 ? /^[0-9a-fA-F]{2}$/.exec(bytes.toString('latin1', i + 1, i + 3)) : null;
      if (escaped === null) {
        out[length++] = bytes[i]!;
      } else {
        out[length++] = Number.parseInt(escaped[0], 16);
        i += 2;
      }
    }
    return out.toString('utf8', 0, length);
  }
}

/**
 * The key a proxy signs with, by @fanoutio/grip's rules (as its
 * PublisherClient applies them): `verify-key`, else `key` when `iss` is set
 * and the key is a shared secret; else GRIP_VERIFY_KEY. Keys are read by
 * src/auth, not grip's `loadKey`, which would load jose and node:crypto
 * at cold start.
 */
function verifyKeyOf(url: GripUrlKeys, env: GripEnv): VerifyKey | undefined {
  let key: VerifyKeyMaterial | undefined = url.verifyKey;
  if (key === undefined && url.iss !== undefined && url.key !== undefined && isSharedSecret(url.key)) key = url.key;
  if (key === undefined && env.GRIP_VERIFY_KEY) key = env.GRIP_VERIFY_KEY;
  if (key === undefined) return undefined;
  return { key, issuer: env.GRIP_VERIFY_ISS || url.verifyIss };
}

/**
 * The keys requests must be signed with, from GRIP_URL / GRIP_VERIFY_KEY /
 * GRIP_VERIFY_ISS. Reads only what checking needs, so functions that never
 * publish do not load the publishing code.
 * @throws Error naming the variable when a GRIP URL cannot be parsed.
 */
export function readVerifyKeys(env: GripEnv = process.env): VerifyKey[] {
  const urls = readGripUrlKeys(env);
  if (urls.length === 0) {
    return env.GRIP_VERIFY_KEY ? [{ key: env.GRIP_VERIFY_KEY, issuer: env.GRIP_VERIFY_ISS || undefined }] : [];
  }
  return urls.map((url) => verifyKeyOf(url, env)).filter((key) => key !== undefined);
}

/**
 * Reads GRIP settings from the environment: a publishing client per proxy
 * (built by @fanoutio/grip from its GRIP URL) and the verify keys
 * (`readVerifyKeys`).
 * @throws Error naming the variable when a GRIP URL cannot be parsed.
 */
export function readGripSettings(env: GripEnv = process.env): GripSettings {
  const clients = gripConfigs(env).map((config) => new PublisherClient(config));
  return { clients, verifyKeys: readVerifyKeys(env), prefix: env.GRIP_PREFIX ?? '' };
}
