/**
 * Whether two secrets (texts, as UTF-8, or bytes) are equal, in a time that
 * depends on their length only: every byte is compared whatever the first
 * difference, so the time taken does not tell a caller how much of a guess
 * was right. A different length answers false at once (lengths are not
 * secret here: a MAC's is fixed, a token's is known to its owner). Written
 * out rather than node:crypto's `timingSafeEqual` so that checking a token
 * does not load node:crypto (OpenSSL's set-up, several ms of a cold start).
 */
export function constantTimeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const x = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
  const y = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  if (x.length !== y.length) return false;
  let difference = 0;
  for (let i = 0; i < x.length; i++) difference |= x[i]! ^ y[i]!;
  return difference === 0;
}
