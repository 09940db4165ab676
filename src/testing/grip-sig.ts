import { createHmac } from 'node:crypto';

const base64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

/**
 * A `Grip-Sig` token as Pushpin signs one: a JWT, HS256 with its `sig_key`,
 * `iss` = its `sig_iss`, expiring an hour after issue.
 */
export function signGripSig(key: string, options: { iss?: string; expiresInSeconds?: number; now?: number } = {}): string {
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(JSON.stringify({ iss: options.iss ?? 'pushpin', exp: now + (options.expiresInSeconds ?? 3600) }));
  const signature = createHmac('sha256', key).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}
