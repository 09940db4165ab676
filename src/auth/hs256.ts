import { hmacSha256 } from './sha256.js';

/**
 * HS256 in JavaScript (sha256.ts): Pushpin signs every request this way,
 * and loading node:crypto (OpenSSL's set-up) costs about 3.5 ms of a cold
 * start, more than the rest of a function. Other algorithms use
 * node:crypto, loaded on first use (`node-crypto.ts`). Returns a check for
 * one secret: the HMAC states after the key are computed once.
 */
export function hs256Verifier(secret: Uint8Array): (signingInput: Uint8Array, signature: Uint8Array) => boolean {
  const mac = hmacSha256(secret);
  return (signingInput, signature) => equalInConstantTime(mac(signingInput), signature);
}

/** Compares every byte whatever the first difference, so timing does not reveal the MAC. */
export function equalInConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}
