import { describeError } from '../errors.js';
import { decodeJsonObject, parseCompactJws, type CompactJws } from './jws.js';
import { readKeyMaterial, SECRET_ALGORITHMS, type KeyMaterial, type PublicKeySource, type VerifyKeyMaterial } from './keys.js';
import type { HmacAlgorithm, PublicKey } from './node-crypto.js';
import { log } from '../observe/current.js';

/** A key that proxies sign `Grip-Sig` with, and the issuer they put in it. */
export interface VerifyKey {
  /** A shared secret (string, `base64:...`, or bytes), a PEM public key, a JWK, a KeyObject, or a key loaded by @fanoutio/grip. */
  readonly key: VerifyKeyMaterial;
  /** When set, the token's `iss` must equal it (Pushpin signs with `iss` "pushpin" by default). */
  readonly issuer?: string | undefined;
}

export type VerifyResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const OK: VerifyResult = Object.freeze({ ok: true });

export interface GripSigVerifierOptions {
  /** The clock, in ms since the epoch (default `Date.now`). */
  readonly now?: () => number;
  /** How long past its `exp` a token still admits a request that holds only a DISCONNECT (default 24 h; 0: never). */
  readonly disconnectGraceSeconds?: number;
}

/** What the caller knows of the request the token came with. */
export interface SignedRequest {
  /** The request is WebSocket-over-HTTP and holds one DISCONNECT event and nothing else. */
  readonly disconnectOnly?: boolean;
}

/**
 * Why a grace for DISCONNECT, and why bounded. Pushpin 1.36 signs each
 * request with a token that expires an hour after it is made, but a
 * DISCONNECT (the client went away) carries the token of the connection's
 * previous request: after an hour without traffic it has expired, and a
 * strict check would answer 401 and lose `onClose` (leave notices,
 * presence, cleanup). So a request holding only a DISCONNECT, whose token
 * is signed by a configured key and from the expected issuer, passes for
 * this long after `exp`. It widens nothing else: every other request still
 * needs an unexpired token. What it costs: a token copied off the path
 * between proxy and function could announce a disconnect (run `onClose`)
 * for a day longer than it could do anything. Connections idle longer
 * than this (plus the token's hour) still lose `onClose`; a function that
 * must not lose it sets `ctx.setKeepAliveInterval(seconds)`, which has the
 * proxy call it at least that often with fresh tokens (presence needs such
 * requests every 20-30 s anyway).
 */
const DEFAULT_DISCONNECT_GRACE_SECONDS = 24 * 60 * 60;

/** Tokens already verified, until they expire: proxies reuse one token for many requests. */
const MAX_CACHED_TOKENS = 1024;

const PUBLIC_KEY_ALGORITHMS: readonly string[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

// Each algorithm's code is loaded when a request first needs it, not at
// cold start: functions without a verify key never load it, and a
// deployment uses one proxy's algorithm (Pushpin HS256, Fanout ES256).
type Hs256 = typeof import('./hs256.js');
type NodeCrypto = typeof import('./node-crypto.js');
let hs256: Promise<Hs256> | undefined;
let nodeCrypto: Promise<NodeCrypto> | undefined;
const loadHs256 = (): Promise<Hs256> => (hs256 ??= import('./hs256.js'));
/** node:crypto and what uses it: loading node:crypto sets up OpenSSL, a few ms. */
const loadNodeCrypto = (): Promise<NodeCrypto> => (nodeCrypto ??= import('./node-crypto.js'));

interface PreparedKey {
  readonly issuer: string | undefined;
  /** Whether the key may verify `alg`, by its kind; a public key's own type narrows it further once imported. */
  accepts(alg: string): boolean;
  /** @throws Error when a public key cannot be imported. */
  verify(alg: string, jws: CompactJws): Promise<boolean>;
}

function secretKey(secret: Uint8Array, issuer: string | undefined): PreparedKey {
  return {
    issuer,
    accepts: (alg) => SECRET_ALGORITHMS.includes(alg),
    async verify(alg, jws) {
      if (alg === 'HS256') return (await loadHs256()).verifyHs256(secret, jws.signingInput, jws.signature);
      return (await loadNodeCrypto()).verifyHmac(alg as HmacAlgorithm, secret, jws.signingInput, jws.signature);
    },
  };
}

function publicKey(source: PublicKeySource, issuer: string | undefined): PreparedKey {
  let imported: Promise<PublicKey> | undefined;
  return {
    issuer,
    accepts: (alg) => PUBLIC_KEY_ALGORITHMS.includes(alg),
    async verify(alg, jws) {
      imported ??= loadNodeCrypto().then((crypto) => crypto.importPublicKey(source));
      const key = await imported;
      return (await loadNodeCrypto()).verifyAsymmetric(key, alg, jws.signingInput, jws.signature);
    },
  };
}

function prepare({ key, issuer }: VerifyKey): PreparedKey {
  const material: KeyMaterial = readKeyMaterial(key);
  return material.kind === 'secret' ? secretKey(material.secret, issuer) : publicKey(material.source, issuer);
}

/**
 * Checks the `Grip-Sig` header proxies add to each request they forward: a
 * JWT signed with the proxy's key, short-lived. Build one per container.
 *
 * Strict: the algorithm must be one the key's type allows (a secret: HS256,
 * HS384, HS512; an RSA key: RS* and PS*; an EC key: the ES* of its curve;
 * Ed25519/Ed448: EdDSA), so `none`, or HS256 keyed with a public key's text,
 * never pass; keys inside the token (`jwk`, `x5c`...) are never used;
 * `crit` extensions, duplicate JSON members, a missing `exp`, an expired
 * token, an `nbf` in the future and another issuer are refused.
 */
export class GripSigVerifier {
  readonly #keys: PreparedKey[];
  readonly #now: () => number;
  readonly #disconnectGraceMs: number;
  readonly #verified = new Map<string, number>(); // token -> expiry, ms since epoch
  #reportedKeyError = false;

  /** @throws TypeError when a key is of no kind it can read. */
  constructor(keys: readonly VerifyKey[], options: GripSigVerifierOptions = {}) {
    this.#keys = keys.map(prepare);
    this.#now = options.now ?? (() => Date.now());
    this.#disconnectGraceMs = (options.disconnectGraceSeconds ?? DEFAULT_DISCONNECT_GRACE_SECONDS) * 1000;
  }

  /** Whether requests must carry a valid signature: true once any key is configured. */
  get required(): boolean {
    return this.#keys.length > 0;
  }

  /** Answers from the cache for a token already verified (a proxy signs many requests with one token). */
  async verify(token: string | undefined, request: SignedRequest = {}): Promise<VerifyResult> {
    if (!this.required) return OK;
    if (token === undefined || token === '') return { ok: false, reason: 'missing Grip-Sig header' };
    const now = this.#now();
    const cachedExpiry = this.#verified.get(token);
    if (cachedExpiry !== undefined) {
      if (cachedExpiry > now) return OK;
      this.#verified.delete(token);
    }
    return this.#verifySignature(token, request, now);
  }

  async #verifySignature(token: string, request: SignedRequest, now: number): Promise<VerifyResult> {
    const jws = parseCompactJws(token);
    if (jws === undefined) return { ok: false, reason: 'Grip-Sig is not a JWT' };
    const alg = jws.header.alg;
    if (typeof alg !== 'string') return { ok: false, reason: 'Grip-Sig has no alg' };
    // RFC 7515 §4.1.11: a token naming extensions the verifier does not implement is invalid.
    if (jws.header.crit !== undefined) return { ok: false, reason: 'Grip-Sig names extensions (crit) that are not supported' };
    for (const key of this.#keys) {
      if (!key.accepts(alg)) continue;
      let matches: boolean;
      try {
        matches = await key.verify(alg, jws);
      } catch (error) {
        this.#reportKeyError(error);
        continue;
      }
      if (matches) return this.#checkClaims(token, jws, key.issuer, now, request.disconnectOnly === true);
    }
    return { ok: false, reason: 'Grip-Sig signature does not match any configured key' };
  }

  /** Claims, read only once the signature is known to be the proxy's. */
  #checkClaims(token: string, jws: CompactJws, issuer: string | undefined, now: number, disconnectOnly: boolean): VerifyResult {
    const claims = decodeJsonObject(jws.payloadPart);
    if (claims === undefined) return { ok: false, reason: 'Grip-Sig payload is not a JSON object' };
    if (issuer !== undefined && claims.iss !== issuer) return { ok: false, reason: 'Grip-Sig claim iss is not as expected' };
    const { exp, nbf } = claims;
    if (typeof exp !== 'number' || !Number.isFinite(exp)) return { ok: false, reason: 'Grip-Sig claim exp is missing or not a number' };
    if (nbf !== undefined && (typeof nbf !== 'number' || !(nbf * 1000 <= now)))
      return { ok: false, reason: 'Grip-Sig is not yet valid (nbf)' };
    const expiry = exp * 1000;
    if (expiry <= now) {
      if (disconnectOnly && now < expiry + this.#disconnectGraceMs) return { ok: true };
      return { ok: false, reason: 'Grip-Sig has expired' };
    }
    if (this.#verified.size >= MAX_CACHED_TOKENS) this.#verified.clear();
    this.#verified.set(token, expiry);
    return { ok: true };
  }

  #reportKeyError(error: unknown): void {
    if (this.#reportedKeyError) return;
    this.#reportedKeyError = true;
    log('error', `a Grip-Sig verify key cannot be used: ${describeError(error)}`);
  }
}
