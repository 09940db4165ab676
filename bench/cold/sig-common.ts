// The JWT handling the node:crypto options share: split, decode, claims (HS256 only, iss "pushpin", exp).
export function splitToken(
  token: string | undefined,
): { signingInput: string; signature: Buffer; payload: Record<string, unknown> } | undefined {
  const parts = token?.split('.');
  if (parts?.length !== 3) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as { alg?: unknown };
    if (header.alg !== 'HS256') return undefined;
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    return { signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2]!, 'base64url'), payload };
  } catch {
    return undefined;
  }
}

export function checkClaims(payload: Record<string, unknown>): boolean {
  return payload.iss === 'pushpin' && typeof payload.exp === 'number' && payload.exp * 1000 > Date.now();
}
