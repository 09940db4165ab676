import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { constantTimeEqual } from './constant-time.js';

// HS256, the algorithm Pushpin signs every request with, by @noble/hashes
// (audited, no dependencies) rather than node:crypto: loading node:crypto
// sets up OpenSSL, and a function's first signed request paid for it.
// Measured (CPU time, echo function, load plus its first signed request,
// median of 41 fresh processes, same run): node:crypto 18.6 ms, @noble/hashes
// 16.4 ms, @fanoutio/grip's echo with validateSig 16.4 ms. Other algorithms
// use node:crypto (node-crypto.ts), loaded on first use.

/** Whether `signature` is the HMAC-SHA256 of `signingInput` under `secret`, compared in constant time. */
export function verifyHs256(secret: Uint8Array, signingInput: Uint8Array, signature: Uint8Array): boolean {
  return constantTimeEqual(hmac(sha256, secret, signingInput), signature);
}
