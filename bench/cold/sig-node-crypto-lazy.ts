// Grip-Sig (HS256) checked with node:crypto, imported on the first request: init is lighter, the first request pays.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { checkClaims, splitToken } from './sig-common.js';

const secret = process.env.GRIP_VERIFY_KEY ?? '';

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const token = splitToken(event.headers['grip-sig']);
  if (token === undefined) return { statusCode: 401 };
  const { createHmac, timingSafeEqual } = await import('node:crypto');
  const mac = createHmac('sha256', secret).update(token.signingInput).digest();
  const ok = mac.length === token.signature.length && timingSafeEqual(mac, token.signature) && checkClaims(token.payload);
  return { statusCode: ok ? 200 : 401 };
}
