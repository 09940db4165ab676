// Grip-Sig (HS256) checked with node:crypto, imported at init: what loading OpenSSL costs at cold start.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { checkClaims, splitToken } from './sig-common.js';

const secret = process.env.GRIP_VERIFY_KEY ?? '';

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const token = splitToken(event.headers['grip-sig']);
  if (token === undefined) return { statusCode: 401 };
  const mac = createHmac('sha256', secret).update(token.signingInput).digest();
  const ok = mac.length === token.signature.length && timingSafeEqual(mac, token.signature) && checkClaims(token.payload);
  return { statusCode: ok ? 200 : 401 };
}
