// Grip-Sig (HS256) checked with @noble/hashes' HMAC-SHA256 alone, imported on the first request:
// beside `sig-grip-lambda.ts`, what the verifier's own checks (header, claims, cache) add.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { checkClaims, splitToken } from './sig-common.js';

const secret = new TextEncoder().encode(process.env.GRIP_VERIFY_KEY ?? '');

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const token = splitToken(event.headers['grip-sig']);
  if (token === undefined) return { statusCode: 401 };
  const [{ hmac }, { sha256 }] = await Promise.all([import('@noble/hashes/hmac.js'), import('@noble/hashes/sha2.js')]);
  const mac = hmac(sha256, secret, Buffer.from(token.signingInput));
  let difference = mac.length ^ token.signature.length;
  for (let i = 0; i < mac.length; i++) difference |= mac[i]! ^ (token.signature[i] ?? 0);
  return { statusCode: difference === 0 && checkClaims(token.payload) ? 200 : 401 };
}
