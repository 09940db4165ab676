/**
 * A request the toolkit refuses before user code runs: answered with
 * `status` and `reason` as a one-line text body.
 */
export class RequestError extends Error {
  override readonly name = 'RequestError';
  constructor(
    readonly status: 400 | 401 | 405 | 413 | 415,
    readonly reason: string,
  ) {
    super(reason);
  }
}
