import * as jose from 'jose';
import { JwkKey, loadKey, PemKey } from '@fanoutio/grip';

/** A key that proxies sign `Grip-Sig` with, and the issuer they put in it. */
export interface VerifyKey {
  /** A shared secret (string, `base64:...`, or bytes), a PEM public key, a JWK, or a jose key. */
  readonly key: string | Uint8Array | JsonWebKey | jose.KeyLike | PemKey | JwkKey;
  /** When set, the token's `iss` must equal it (Pushpin signs with `iss` "pushpin" by default). */
  readonly issuer?: string | undefined;
}

export type VerifyResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const SYMMETRIC_ALGS = ['HS256', 'HS384', 'HS512'];
const ASYMMETRIC_ALGS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA'];
/** Tokens already verified, until they expire: proxies reuse one token for many requests. */
const MAX_CACHED_TOKENS = 1024;

interface PreparedKey {
  readonly issuer: string | undefined;
  readonly algorithms: string[];
  resolve(alg: string): Promise<jose.KeyLike | Uint8Array>;
}

function prepare({ key, issuer }: VerifyKey): PreparedKey {
  const loaded = key instanceof PemKey || key instanceof JwkKey ? key : loadKey(key);
  if (loaded instanceof Uint8Array) {
    return { issuer, algorithms: SYMMETRIC_ALGS, resolve: async () => loaded };
  }
  if (loaded instanceof PemKey || loaded instanceof JwkKey) {
    // PEM and JWK keys are imported per algorithm, once each.
    const byAlg = new Map<string, Promise<jose.KeyLike | Uint8Array>>();
    const symmetric = loaded instanceof JwkKey && loaded.jwk.kty === 'oct';
    return {
      issuer,
      algorithms: symmetric ? SYMMETRIC_ALGS : ASYMMETRIC_ALGS,
      resolve(alg) {
        let imported = byAlg.get(alg);
        if (imported === undefined) {
          imported = loaded instanceof PemKey ? loaded.getKeyLike(alg) : loaded.getSecretOrKeyLike(alg);
          byAlg.set(alg, imported);
        }
        return imported;
      },
    };
  }
  const keyLike = loaded as jose.KeyLike;
  return { issuer, algorithms: keyLike.type === 'secret' ? SYMMETRIC_ALGS : ASYMMETRIC_ALGS, resolve: async () => keyLike };
}

/**
 * Checks the `Grip-Sig` header proxies add to each request they forward: a
 * JWT signed with the proxy's key, short-lived. Build one per container.
 */
export class GripSigVerifier {
  readonly #keys: PreparedKey[];
  readonly #verified = new Map<string, number>(); // token -> expiry, ms since epoch

  constructor(keys: readonly VerifyKey[]) {
    this.#keys = keys.map(prepare);
  }

  /** Whether requests must carry a valid signature: true once any key is configured. */
  get required(): boolean {
    return this.#keys.length > 0;
  }

  async verify(token: string | undefined): Promise<VerifyResult> {
    if (!this.required) return { ok: true };
    if (token === undefined || token === '') return { ok: false, reason: 'missing Grip-Sig header' };
    const cachedExpiry = this.#verified.get(token);
    if (cachedExpiry !== undefined) {
      if (cachedExpiry > Date.now()) return { ok: true };
      this.#verified.delete(token);
    }
    let header: jose.ProtectedHeaderParameters;
    try {
      header = jose.decodeProtectedHeader(token);
    } catch {
      return { ok: false, reason: 'Grip-Sig is not a JWT' };
    }
    let reason = 'Grip-Sig signature does not match any configured key';
    for (const key of this.#keys) {
      if (header.alg === undefined || !key.algorithms.includes(header.alg)) continue;
      try {
        const { payload } = await jose.jwtVerify(token, await key.resolve(header.alg), {
          algorithms: key.algorithms,
          requiredClaims: ['exp'],
          ...(key.issuer !== undefined ? { issuer: key.issuer } : {}),
        });
        this.#remember(token, payload.exp);
        return { ok: true };
      } catch (error) {
        if (error instanceof jose.errors.JWTExpired) reason = 'Grip-Sig has expired';
        else if (error instanceof jose.errors.JWTClaimValidationFailed && key.issuer !== undefined) reason = `Grip-Sig claim ${error.claim} is not as expected`;
      }
    }
    return { ok: false, reason };
  }

  #remember(token: string, exp: number | undefined): void {
    if (exp === undefined) return;
    if (this.#verified.size >= MAX_CACHED_TOKENS) this.#verified.clear();
    this.#verified.set(token, exp * 1000);
  }
}
