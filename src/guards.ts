/** A non-null object whose fields can be read, for checking the shape of an event before trusting it. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
