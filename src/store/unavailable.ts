/**
 * A store (the feed's, presence's, the sequence numbers') did not answer in
 * time: unreachable, timed out, or refusing commands for now. Nothing was
 * read, and a write may or may not have been applied (one already sent when
 * its answer timed out) but is never sent later. Every backend fails this
 * way within a bounded time, so callers can degrade (live delivery without
 * history) or ask to be retried.
 */
export class StoreUnavailableError extends Error {
  override readonly name: string = 'StoreUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
