/**
 * A request the toolkit refuses, answered with `status` and `reason` as a
 * one-line text body: 400/401 before user code runs; user code may throw it
 * too (e.g. 400 for a body it cannot use). 500 is for failures in user code.
 */
export class RequestError extends Error {
  override readonly name = 'RequestError';
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 413 | 415 | 500,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** What was thrown, for a log line: an Error's message (or its stack, when asked), anything else as a string. */
export function describeError(error: unknown, { stack = false }: { readonly stack?: boolean } = {}): string {
  if (error instanceof Error) return (stack ? error.stack : undefined) ?? error.message;
  return String(error);
}
