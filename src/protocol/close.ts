import { decodeUtf8 } from './utf8.js';

/** Close codes (RFC 6455 §7.4) that the toolkit uses by name. */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  /** Reported when a CLOSE carried no code; never sent. */
  NO_STATUS: 1005,
  /** Reported when the connection dropped without a CLOSE; never sent. */
  ABNORMAL: 1006,
  INVALID_PAYLOAD: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  SERVICE_RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
} as const;

/** A close reason must fit a control frame with the 2-byte code: 125 - 2. */
export const MAX_CLOSE_REASON_BYTES = 123;

/**
 * Whether `code` may be put on the wire in a CLOSE frame. 1004-1006 and 1015
 * are reserved, 0-999 and 1016-2999 are unassigned, 3000-4999 are for
 * libraries and applications.
 */
export function isSendableCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false;
  if (code >= 3000 && code <= 4999) return true;
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014);
}

/**
 * Builds a CLOSE payload: 2-byte big-endian code, then the UTF-8 reason.
 * @throws TypeError for a code that may not be sent or a reason over 123 bytes.
 */
export function encodeClosePayload(code: number, reason = ''): Uint8Array {
  if (!isSendableCloseCode(code)) {
    throw new TypeError(`invalid WebSocket close code: ${code} (use 1000-1003, 1007-1014 or 3000-4999)`);
  }
  const reasonBytes = Buffer.from(reason, 'utf8');
  if (reasonBytes.length > MAX_CLOSE_REASON_BYTES) {
    throw new TypeError(`close reason is ${reasonBytes.length} bytes; at most ${MAX_CLOSE_REASON_BYTES} fit a close frame`);
  }
  const payload = new Uint8Array(2 + reasonBytes.length);
  payload[0] = code >> 8;
  payload[1] = code & 0xff;
  payload.set(reasonBytes, 2);
  return payload;
}

export interface CloseInfo {
  /** The peer's code, or 1005 (NO_STATUS) when its CLOSE carried none. */
  readonly code: number;
  readonly reason: string;
}

/** Reads a CLOSE event's content. A payload of one byte is malformed and read as no code. */
export function decodeClosePayload(content: Uint8Array | undefined): CloseInfo {
  if (content === undefined || content.length < 2) {
    return { code: CloseCode.NO_STATUS, reason: '' };
  }
  return {
    code: (content[0]! << 8) | content[1]!,
    reason: content.length > 2 ? decodeUtf8(content.subarray(2)) : '',
  };
}
