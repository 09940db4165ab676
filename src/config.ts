import { parseGripUri, PublisherClient, type IGripConfig } from '@fanoutio/grip';
import type { VerifyKey } from './auth/grip-sig.js';

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
}

export interface GripSettings {
  /** One publishing client per proxy, built by @fanoutio/grip from its GRIP URL. */
  readonly clients: readonly PublisherClient[];
  readonly verifyKeys: readonly VerifyKey[];
  readonly prefix: string;
}

/**
 * Reads GRIP settings from the environment. Verify keys follow
 * @fanoutio/grip's rules: `verify-key` in the URL, or `key` with `iss` when
 * it is a shared secret, or GRIP_VERIFY_KEY for proxies without one.
 * @throws Error naming the variable when a GRIP URL cannot be parsed.
 */
export function readGripSettings(env: GripEnv = process.env): GripSettings {
  const urls = (env.GRIP_URL ?? '').split(/[\s,]+/).filter((url) => url !== '');
  const clients = urls.map((url) => {
    let config: IGripConfig;
    try {
      config = parseGripUri(url);
    } catch (error) {
      throw new Error(`GRIP_URL is not a valid URL: ${JSON.stringify(url)} (${(error as Error).message})`);
    }
    const client = new PublisherClient(config);
    // Only for a proxy without a key of its own: `key` with `iss` (a shared secret) is one.
    if (client.getVerifyKey() == null && env.GRIP_VERIFY_KEY) return new PublisherClient({ ...config, verify_key: env.GRIP_VERIFY_KEY });
    return client;
  });
  const verifyKeys: VerifyKey[] = [];
  for (const client of clients) {
    const key = client.getVerifyKey();
    if (key != null) verifyKeys.push({ key, issuer: env.GRIP_VERIFY_ISS || client.getVerifyIss() });
  }
  if (clients.length === 0 && env.GRIP_VERIFY_KEY) {
    verifyKeys.push({ key: env.GRIP_VERIFY_KEY, issuer: env.GRIP_VERIFY_ISS || undefined });
  }
  return { clients, verifyKeys, prefix: env.GRIP_PREFIX ?? '' };
}
