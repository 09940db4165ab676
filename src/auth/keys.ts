import type { KeyObject } from 'node:crypto';
import type { JwkKey, PemKey } from '@fanoutio/grip';

/** Key material as GRIP settings give it, and as @fanoutio/grip's `loadKey` returns it. */
export type VerifyKeyMaterial = string | Uint8Array | JsonWebKey | KeyObject | PemKey | JwkKey;

/** Algorithms for a shared secret: the only ones a secret may verify. */
export const SECRET_ALGORITHMS: readonly string[] = ['HS256', 'HS384', 'HS512'];

/**
 * Key material sorted by kind, without loading node:crypto: a secret is
 * ready to use; a public key is imported when first needed.
 */
export type KeyMaterial =
  | { readonly kind: 'secret'; readonly secret: Uint8Array }
  | { readonly kind: 'public'; readonly source: PublicKeySource };

export type PublicKeySource = { readonly pem: string } | { readonly jwk: JsonWebKey } | { readonly keyObject: KeyObject };

// Any PEM, not only the two kinds grip's loadKey knows (SPKI, PKCS#8): a PKCS#1 `RSA PUBLIC KEY` or a
// certificate read as a shared secret would let anyone who has the public text sign HS256 tokens.
// Checked by hand, not by a regular expression: the first use of one costs a
// compile, at every cold start, and this runs when the handler is made.
function isPem(text: string): boolean {
  const body = text.trimStart(); // the same whitespace as `\s`
  const BEGIN = '-----BEGIN ';
  if (!body.startsWith(BEGIN)) return false;
  let end = BEGIN.length;
  for (let code = body.charCodeAt(end); isPemLabelChar(code); code = body.charCodeAt(++end));
  return end > BEGIN.length && body.startsWith('-----', end);
}

/** `[A-Z0-9 ]`, the characters of a PEM label. */
function isPemLabelChar(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x30 && code <= 0x39) || code === 0x20;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** `{ kty: ... }` given as an object or as JSON text. */
function asJwk(value: unknown): JsonWebKey | undefined {
  if (typeof value === 'string') {
    if (!value.startsWith('{')) return undefined;
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  return isRecord(value) && typeof value.kty === 'string' ? (value as JsonWebKey) : undefined;
}

function fromText(text: string): KeyMaterial | undefined {
  if (isPem(text)) return { kind: 'public', source: { pem: text } };
  const jwk = asJwk(text);
  return jwk === undefined ? undefined : fromJwk(jwk);
}

function fromJwk(jwk: JsonWebKey): KeyMaterial {
  if (jwk.kty === 'oct') {
    if (typeof jwk.k !== 'string') throw new TypeError('a JWK of kty "oct" needs its secret in "k"');
    return { kind: 'secret', secret: Buffer.from(jwk.k, 'base64url') };
  }
  return { kind: 'public', source: { jwk } };
}

/**
 * Reads key material the way @fanoutio/grip's `loadKey` does (`base64:`
 * prefix, PEM, JWK as JSON or object; any other text or bytes is a shared
 * secret), plus Node.js KeyObjects.
 * @throws TypeError for an `oct` JWK without `k`, or a value of another type.
 */
export function readKeyMaterial(key: VerifyKeyMaterial): KeyMaterial {
  if (typeof key === 'string') {
    if (key.startsWith('base64:')) return readKeyMaterial(Buffer.from(key.slice(7), 'base64'));
    return fromText(key) ?? { kind: 'secret', secret: Buffer.from(key, 'utf8') };
  }
  if (key instanceof Uint8Array) {
    // Bytes that are a PEM or a JWK's JSON are read as those, as grip does.
    if (key[0] === 0x2d || key[0] === 0x7b) {
      const asText = fromText(Buffer.from(key).toString('utf8'));
      if (asText !== undefined) return asText;
    }
    return { kind: 'secret', secret: key };
  }
  if (!isRecord(key)) throw new TypeError('a verify key is a string, bytes, a JWK, a KeyObject, or a key loaded by @fanoutio/grip');
  // grip's PemKey and JwkKey, told by shape: importing the classes would load grip's key module (and jose) at cold start.
  if (typeof key.keyString === 'string') return { kind: 'public', source: { pem: key.keyString } };
  if (isRecord(key.jwk)) return fromJwk(key.jwk as JsonWebKey);
  const jwk = asJwk(key);
  if (jwk !== undefined) return fromJwk(jwk);
  if (typeof key.type === 'string' && typeof key.export === 'function') {
    const keyObject = key as unknown as KeyObject;
    if (keyObject.type === 'secret') return { kind: 'secret', secret: keyObject.export() };
    return { kind: 'public', source: { keyObject } };
  }
  throw new TypeError('a verify key is a string, bytes, a JWK, a KeyObject, or a key loaded by @fanoutio/grip');
}

/** Whether key material is a shared secret (which a GRIP URL's `key` then also verifies with). */
export function isSharedSecret(key: VerifyKeyMaterial): boolean {
  return readKeyMaterial(key).kind === 'secret';
}
