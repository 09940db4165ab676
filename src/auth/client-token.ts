/**
 * Client tokens: JWTs a function's clients present when they connect,
 * checked with `jose` (loaded on first use, so functions that do not check
 * client tokens never load it). One key source per verifier: an HMAC
 * secret, a public key, or a JWKS URL fetched once per container and kept,
 * its keys picked by `kid`. The algorithms are pinned by the key's type, so
 * `alg: none`, HS256 keyed with a public key's text and keys carried in the
 * token (`jwk`, `x5c`, `jku`) never pass.
 */
import type { KeyObject } from 'node:crypto';
import type { JWTHeaderParameters, JWTPayload, KeyLike } from 'jose';

export interface ClientTokenOptions {
  /** A shared secret (HS256, HS384, HS512), at least 32 bytes: a string (its UTF-8 bytes), `base64:...`, or bytes. */
  readonly secret?: string | Uint8Array;
  /** A public key (PEM text, a JWK, or a KeyObject): RSA (RS*, PS*), EC (the ES* of its curve) or Ed25519 (EdDSA). */
  readonly publicKey?: string | JsonWebKey | KeyObject;
  /** A JWKS URL (https, or http for local use), fetched on first use and kept; its keys are picked by the token's `kid`. */
  readonly jwksUrl?: string;
  /** The `iss` tokens must carry (one of these). */
  readonly issuer?: string | readonly string[];
  /** The `aud` tokens must carry (one of these). */
  readonly audience?: string | readonly string[];
  /** Narrows the algorithms the key's type allows (e.g. `['RS256']`). */
  readonly algorithms?: readonly string[];
  /** Leeway for `exp` and `nbf`, in seconds; default 0. */
  readonly clockToleranceSeconds?: number;
  /** The longest a JWKS fetch may take, body included; default 3000 ms. A handshake waiting for it is answered 503 after it. */
  readonly jwksTimeoutMs?: number;
  /** How long fetched keys are kept before the next token fetches them again; default 1 hour. */
  readonly jwksMaxAgeMs?: number;
  /** A `kid` not in the set fetches it again, at most this often; default 30 s. */
  readonly jwksCooldownMs?: number;
  /** The clock, ms since the epoch (default Date.now). */
  readonly now?: () => number;
}

/** A verified token's claims: `sub` and `exp` are always there. */
export interface ClientClaims extends JWTPayload {
  readonly sub: string;
  readonly exp: number;
}

export type TokenCheck =
  | { readonly ok: true; readonly claims: ClientClaims }
  /** 401: the token is missing, forged, expired or not for this service; 503: its keys cannot be fetched now. */
  | { readonly ok: false; readonly status: 401 | 503; readonly reason: string };

export const DEFAULT_JWKS_TIMEOUT_MS = 3000;
const SECRET_ALGORITHMS = ['HS256', 'HS384', 'HS512'];
const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const EC_ALGORITHMS: Readonly<Record<string, string>> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };
const ASYMMETRIC_ALGORITHMS = [...RSA_ALGORITHMS, 'ES256', 'ES384', 'ES512', 'EdDSA'];
const MIN_SECRET_BYTES = 32;
/** A token longer than this is refused unread: headers and meta have no room for it anyway. */
const MAX_TOKEN_LENGTH = 8192;

type Jose = typeof import('./jose-verify.js');
let jose: Promise<Jose> | undefined;
const loadJose = (): Promise<Jose> => (jose ??= import('./jose-verify.js'));

type KeyResolver = (header: JWTHeaderParameters) => Promise<KeyLike | Uint8Array>;

/** Why the key set could not be had; answered 503, not 401: the token may well be good. */
class KeysUnavailableError extends Error {}

/**
 * A JWKS URL's keys, fetched with a deadline that covers the body too (a
 * server that sends headers and then stalls cannot hold a handshake), kept
 * for `maxAgeMs`, fetched again for an unknown `kid` at most every `cooldownMs`.
 */
class RemoteKeySet {
  #keys: ((header: JWTHeaderParameters) => Promise<KeyLike>) | undefined;
  #fetchedAt = 0;
  #pending: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
    private readonly maxAgeMs: number,
    private readonly cooldownMs: number,
    private readonly now: () => number,
  ) {}

  async key(header: JWTHeaderParameters): Promise<KeyLike> {
    if (this.#keys === undefined || this.now() - this.#fetchedAt >= this.maxAgeMs) await this.#refresh();
    try {
      return await this.#keys!(header);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== 'ERR_JWKS_NO_MATCHING_KEY' || this.now() - this.#fetchedAt < this.cooldownMs) throw error;
    }
    await this.#refresh(); // a kid not seen yet: the issuer may have rotated its keys
    return this.#keys!(header);
  }

  #refresh(): Promise<void> {
    // One fetch at a time, and never one without a deadline: a hung one ends at its timeout.
    this.#pending ??= this.#fetch().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #fetch(): Promise<void> {
    const { createLocalJWKSet } = await loadJose();
    let body: unknown;
    try {
      const response = await fetch(this.url, { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: 'application/json' } });
      if (response.status !== 200) throw new Error(`answered ${response.status}`);
      body = await response.json();
    } catch (error) {
      const why = (error as Error).name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : (error as Error).message;
      throw new KeysUnavailableError(`token keys unavailable (${why})`);
    }
    try {
      this.#keys = createLocalJWKSet(body as Parameters<typeof createLocalJWKSet>[0]);
    } catch (error) {
      throw new KeysUnavailableError(`token keys unavailable (the JWKS is not a key set: ${(error as Error).message})`);
    }
    this.#fetchedAt = this.now();
  }
}

function readSecret(secret: string | Uint8Array): Uint8Array {
  const bytes =
    typeof secret === 'string'
      ? secret.startsWith('base64:')
        ? Buffer.from(secret.slice(7), 'base64')
        : Buffer.from(secret, 'utf8')
      : secret;
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new TypeError(`a client token secret must be at least ${MIN_SECRET_BYTES} bytes (HS256's key size), got ${bytes.length}`);
  }
  if (typeof secret === 'string' && secret.trimStart().startsWith('-----BEGIN')) {
    throw new TypeError('a PEM is a public key, not a secret: pass it as publicKey');
  }
  return bytes;
}

/** The algorithms a public key's type allows: an EC key only its curve's. */
function algorithmsOf(key: KeyObject): string[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return RSA_ALGORITHMS;
    case 'rsa-pss':
      return RSA_ALGORITHMS.filter((alg) => alg.startsWith('PS'));
    case 'ec': {
      const alg = EC_ALGORITHMS[key.asymmetricKeyDetails?.namedCurve ?? ''];
      if (alg === undefined) throw new TypeError(`EC curve ${key.asymmetricKeyDetails?.namedCurve} does not sign JWTs`);
      return [alg];
    }
    case 'ed25519':
      return ['EdDSA'];
    default:
      throw new TypeError(`a ${key.asymmetricKeyType ?? key.type} key does not verify client tokens: use an RSA, EC or Ed25519 public key`);
  }
}

/** One reason per way a token fails, short enough for a handshake's answer. */
function reasonOf(error: unknown): string {
  const { code, claim } = error as { code?: string; claim?: string };
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'token expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (claim === 'nbf') return 'token not yet valid';
      if (claim === 'iss' || claim === 'aud') return `token ${claim} not accepted`;
      return `token claim ${claim ?? ''} missing or invalid`.replace('  ', ' ');
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'token algorithm not allowed';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'token signature invalid';
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'token key (kid) unknown';
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'token uses an unsupported feature';
    default:
      return 'token malformed';
  }
}

/**
 * Checks client tokens; make one per container (at module load) so a JWKS
 * is fetched once. `exp` and `sub` are required; `iss` and `aud` checked
 * when set; `nbf` when present.
 */
export class ClientTokenVerifier {
  readonly #resolve: () => Promise<{ key: KeyResolver; algorithms: string[] }>;
  readonly #options: ClientTokenOptions;
  readonly #now: () => number;
  #prepared: Promise<{ key: KeyResolver; algorithms: string[] }> | undefined;

  /** @throws TypeError when not exactly one key source is given, or a secret is too short. */
  constructor(options: ClientTokenOptions) {
    const sources = [options.secret, options.publicKey, options.jwksUrl].filter((source) => source !== undefined);
    if (sources.length !== 1) throw new TypeError('a client token verifier takes exactly one of secret, publicKey, jwksUrl');
    this.#options = options;
    this.#now = options.now ?? Date.now;
    const narrow = (allowed: string[]): string[] => {
      const chosen = options.algorithms === undefined ? allowed : allowed.filter((alg) => options.algorithms!.includes(alg));
      if (chosen.length === 0)
        throw new TypeError(`none of the algorithms ${options.algorithms!.join(', ')} fits the key (${allowed.join(', ')})`);
      return chosen;
    };
    if (options.secret !== undefined) {
      const secret = readSecret(options.secret);
      const algorithms = narrow(SECRET_ALGORITHMS);
      this.#resolve = async () => ({ key: async () => secret, algorithms });
    } else if (options.publicKey !== undefined) {
      const source = options.publicKey;
      this.#resolve = async () => {
        const { createPublicKey } = await import('node:crypto');
        let key: KeyObject;
        if (typeof source === 'string') key = createPublicKey(source);
        else if (typeof (source as KeyObject).export === 'function') key = source as KeyObject;
        else key = createPublicKey({ key: source as import('node:crypto').JsonWebKey, format: 'jwk' });
        if (key.type !== 'public') key = createPublicKey(key);
        return { key: async () => key, algorithms: narrow(algorithmsOf(key)) };
      };
    } else {
      const url = options.jwksUrl!;
      if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
        throw new TypeError(`jwksUrl must be an http(s) URL, got ${JSON.stringify(url)}`);
      const keys = new RemoteKeySet(
        url,
        options.jwksTimeoutMs ?? DEFAULT_JWKS_TIMEOUT_MS,
        options.jwksMaxAgeMs ?? 3_600_000,
        options.jwksCooldownMs ?? 30_000,
        this.#now,
      );
      const algorithms = narrow(ASYMMETRIC_ALGORITHMS);
      this.#resolve = async () => ({ key: (header) => keys.key(header), algorithms });
    }
  }

  async verify(token: string | undefined): Promise<TokenCheck> {
    if (token === undefined || token === '') return { ok: false, status: 401, reason: 'missing token' };
    if (token.length > MAX_TOKEN_LENGTH) return { ok: false, status: 401, reason: 'token too long' };
    const [{ jwtVerify }, prepared] = await Promise.all([loadJose(), (this.#prepared ??= this.#resolve())]);
    const options = this.#options;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, (header) => prepared.key(header), {
        algorithms: prepared.algorithms,
        ...(options.issuer !== undefined ? { issuer: options.issuer as string | string[] } : {}),
        ...(options.audience !== undefined ? { audience: options.audience as string | string[] } : {}),
        clockTolerance: options.clockToleranceSeconds ?? 0,
        requiredClaims: ['exp', 'sub'],
        currentDate: new Date(this.#now()),
      }));
    } catch (error) {
      if (error instanceof KeysUnavailableError) return { ok: false, status: 503, reason: error.message };
      return { ok: false, status: 401, reason: reasonOf(error) };
    }
    if (typeof payload.sub !== 'string' || typeof payload.exp !== 'number')
      return { ok: false, status: 401, reason: 'token claim sub or exp invalid' };
    return { ok: true, claims: payload as ClientClaims };
  }
}
