// Grip-Sig checked by grip-lambda's GripSigVerifier alone (HS256 by @noble/hashes; node:crypto only for other algorithms; each on first use).
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { GripSigVerifier } from '../../src/auth/grip-sig.js';

const verifier = new GripSigVerifier([{ key: process.env.GRIP_VERIFY_KEY ?? '', issuer: 'pushpin' }]);

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  return { statusCode: (await verifier.verify(event.headers['grip-sig'])).ok ? 200 : 401 };
}
