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
}

export interface GripSettings {
  /** One publishing client per proxy, built by @fanoutio/grip from its GRIP URL. */
  readonly clients: readonly PublisherClient[];
  readonly verifyKeys: readonly VerifyKey[];
  readonly prefix: string;
}

/** Each GRIP URL in GRIP_URL, parsed by @fanoutio/grip. @throws Error naming the variable for one it cannot parse. */
export function gripConfigs(env: GripEnv): IGripConfig[] {
  const urls = (env.GRIP_URL ?? '').split(/[\s,]+/).filter((url) => url !== '');
  return urls.map((url) => {
    try {
      return parseGripUri(url);
    } catch (error) {
      throw new Error(`GRIP_URL is not a valid URL: ${JSON.stringify(url)} (${(error as Error).message})`);
    }
  });
}

/**
 * The key a proxy signs with, by @fanoutio/grip's rules (as its
 * PublisherClient applies them): `verify-key`, else `key` when `iss` is set
 * and the key is a shared secret; else GRIP_VERIFY_KEY. Keys are read by
 * src/auth, not grip's `loadKey`, which would load jose and node:crypto
 * at cold start.
 */
function verifyKeyOf(config: IGripConfig, env: GripEnv): VerifyKey | undefined {
  // A KeyLike in grip's types is a KeyObject on Node.js.
  let key = (config.verify_key ?? undefined) as VerifyKeyMaterial | undefined;
  if (key == null && config.control_iss != null && config.key != null && isSharedSecret(config.key as VerifyKeyMaterial))
    key = config.key as VerifyKeyMaterial;
  if (key == null && env.GRIP_VERIFY_KEY) key = env.GRIP_VERIFY_KEY;
  if (key == null) return undefined;
  return { key, issuer: env.GRIP_VERIFY_ISS || (config.verify_iss ?? undefined) };
}

/**
 * The keys requests must be signed with, from GRIP_URL / GRIP_VERIFY_KEY /
 * GRIP_VERIFY_ISS. Reads only what checking needs, so functions that never
 * publish do not load the publishing code.
 * @throws Error naming the variable when a GRIP URL cannot be parsed.
 */
export function readVerifyKeys(env: GripEnv = process.env): VerifyKey[] {
  const configs = gripConfigs(env);
  if (configs.length === 0) {
    return env.GRIP_VERIFY_KEY ? [{ key: env.GRIP_VERIFY_KEY, issuer: env.GRIP_VERIFY_ISS || undefined }] : [];
  }
  return configs.map((config) => verifyKeyOf(config, env)).filter((key) => key !== undefined);
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
