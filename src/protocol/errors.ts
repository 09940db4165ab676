/** Why a WebSocket-over-HTTP body could not be decoded. */
export type DecodeErrorCode =
  | 'unknown-type' // the type name is not one of EVENT_TYPES
  | 'bad-length' // the length is empty, not hex, or too long to be real
  | 'truncated' // the body ends inside an event's type line or content
  | 'missing-crlf'; // a type line or content is not followed by CRLF

/**
 * Thrown by `decodeEvents` for any malformed body. `offset` is the byte
 * offset in the body where the problem was found.
 */
export class WebSocketEventsDecodeError extends Error {
  override readonly name = 'WebSocketEventsDecodeError';
  constructor(
    readonly code: DecodeErrorCode,
    readonly offset: number,
    detail: string,
  ) {
    super(`${detail} at byte ${offset}`);
  }
}
