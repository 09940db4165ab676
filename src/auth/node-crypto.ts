// Loaded with import() on first use only: node:crypto's set-up is most of a cold start.
import { constants, createHmac, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { constantTimeEqual } from './constant-time.js';
import type { PublicKeySource } from './keys.js';

/** A public key, imported, with the algorithms its type allows. */
export interface PublicKey {
  readonly keyObject: KeyObject;
  readonly algorithms: readonly string[];
}

const EC_ALGORITHM: Readonly<Record<string, string>> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };
const EC_SIGNATURE_BYTES: Readonly<Record<string, number>> = { ES256: 64, ES384: 96, ES512: 132 };
const RSA_MIN_BITS = 2048;

/**
 * Imports a PEM, JWK or KeyObject as a public key and lists what it may
 * verify: each key type its own algorithms, an EC key only the one of its
 * curve, and a JWK's `alg` only that one.
 * @throws Error when the key cannot be read or is of no type JWS signs with.
 */
export function importPublicKey(source: PublicKeySource): PublicKey {
  let keyObject: KeyObject;
  if ('pem' in source) keyObject = createPublicKey(source.pem);
  else if ('jwk' in source) keyObject = createPublicKey({ key: source.jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
  else keyObject = source.keyObject.type === 'private' ? createPublicKey(source.keyObject) : source.keyObject;
  const details = keyObject.asymmetricKeyDetails ?? {};
  let algorithms: string[];
  switch (keyObject.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
      if ((details.modulusLength ?? 0) < RSA_MIN_BITS) throw new Error(`RSA keys must be at least ${RSA_MIN_BITS} bits`);
      algorithms =
        keyObject.asymmetricKeyType === 'rsa' ? ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] : ['PS256', 'PS384', 'PS512'];
      break;
    case 'ec': {
      const alg = EC_ALGORITHM[details.namedCurve ?? ''];
      if (alg === undefined) throw new Error(`EC curve ${details.namedCurve} is not one JWS signs with`);
      algorithms = [alg];
      break;
    }
    case 'ed25519':
    case 'ed448':
      algorithms = ['EdDSA'];
      break;
    default:
      throw new Error(`a ${keyObject.asymmetricKeyType ?? 'secret'} key does not verify JWS signatures`);
  }
  const pinned = 'jwk' in source ? source.jwk.alg : undefined;
  if (pinned !== undefined) algorithms = algorithms.filter((alg) => alg === pinned);
  return { keyObject, algorithms };
}

const digest = (alg: string) => `sha${alg.slice(2)}`;

/** Checks a signature by an algorithm `importPublicKey` allowed for the key. */
export function verifyAsymmetric(key: PublicKey, alg: string, signingInput: Uint8Array, signature: Uint8Array): boolean {
  if (!key.algorithms.includes(alg)) return false;
  const keyObject = key.keyObject;
  if (alg === 'EdDSA') return verify(null, signingInput, keyObject, signature);
  if (alg.startsWith('ES')) {
    if (signature.length !== EC_SIGNATURE_BYTES[alg]) return false;
    return verify(digest(alg), signingInput, { key: keyObject, dsaEncoding: 'ieee-p1363' }, signature);
  }
  if (alg.startsWith('PS')) {
    return verify(
      digest(alg),
      signingInput,
      { key: keyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
      signature,
    );
  }
  return verify(digest(alg), signingInput, { key: keyObject, padding: constants.RSA_PKCS1_PADDING }, signature);
}

export type HmacAlgorithm = 'HS384' | 'HS512';

/** HS384 and HS512, which no proxy we know signs with by default: node:crypto's HMAC, compared in constant time. */
export function verifyHmac(alg: HmacAlgorithm, secret: Uint8Array, signingInput: Uint8Array, signature: Uint8Array): boolean {
  return constantTimeEqual(createHmac(digest(alg), secret).update(signingInput).digest(), signature);
}
