import { RequestError } from '../errors.js';
import { decodeBase64, encodeBase64 } from './base64.js';
import type { HttpResponse } from './types.js';

const EMPTY = new Uint8Array(0);

/** The request body as bytes, whether the front door base64-encoded it or not. */
export function decodeBody(body: string | null | undefined, isBase64Encoded: boolean | undefined): Uint8Array {
  if (body == null || body === '') return EMPTY;
  if (typeof body !== 'string') throw new RequestError(400, 'event body is not a string');
  return isBase64Encoded === true ? decodeBase64(body) : Buffer.from(body, 'utf8');
}

/** A response body for a front door that decodes `isBase64Encoded: true` bodies. */
export function encodeBody(response: HttpResponse): { body: string; isBase64Encoded: boolean } {
  const { body } = response;
  if (typeof body === 'string') return { body, isBase64Encoded: false };
  return { body: encodeBase64(body), isBase64Encoded: true };
}

/** Lower-cases header names; later duplicates win, as in a single-value header map. */
export function lowerCaseHeaders(headers: Record<string, string | undefined> | null | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (headers == null) return out;
  for (const name in headers) {
    const value = headers[name];
    if (typeof value === 'string') out.set(name.toLowerCase(), value);
  }
  return out;
}

/** Folds multi-value headers into one value per name, comma-joined (RFC 9110 §5.3). */
export function foldMultiValueHeaders(headers: Record<string, string[] | undefined> | null | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (headers == null) return out;
  for (const name in headers) {
    const values = headers[name];
    if (!Array.isArray(values) || values.length === 0) continue;
    const key = name.toLowerCase();
    const joined = values.join(', ');
    const previous = out.get(key);
    out.set(key, previous === undefined ? joined : `${previous}, ${joined}`);
  }
  return out;
}

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

export function pathParams(params: Record<string, string | undefined> | null | undefined): Readonly<Record<string, string>> {
  if (params == null) return NO_PARAMS;
  const out: Record<string, string> = {};
  for (const name in params) {
    const value = params[name];
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}

export function queryFromMultiValue(params: Record<string, string[] | undefined> | null | undefined): string {
  if (params == null) return '';
  const query = new URLSearchParams();
  for (const name in params) {
    for (const value of params[name] ?? []) query.append(name, value);
  }
  return query.toString();
}

export function queryFromSingleValue(params: Record<string, string | undefined> | null | undefined): string {
  if (params == null) return '';
  const query = new URLSearchParams();
  for (const name in params) {
    const value = params[name];
    if (value !== undefined) query.append(name, value);
  }
  return query.toString();
}
