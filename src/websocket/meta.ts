/**
 * Connection meta: values the proxy keeps per connection and sends back on
 * every request as `Meta-*` headers. Changes go out as `Set-Meta-*` headers,
 * so names and values must be valid in a header and are checked when set.
 */

/** Per value; the proxy sends every value on every request, so keep them small. */
export const MAX_META_VALUE_BYTES = 1024;
export const MAX_META_NAME_LENGTH = 64;

/**
 * The library's own bookkeeping (subscriptions held, the client token's
 * claims, its rate-limit bucket, a keep-alive ceiling, the mark of a
 * connection counted for its user's limit): read back from the
 * `Meta-*` headers only, so changes go out as `Set-Meta-*` headers and not
 * also as set-meta control messages, which only the proxy's filters read.
 */
export const LIBRARY_STATE_META: ReadonlySet<string> = new Set(['grip-subs', 'grip-auth', 'grip-rate', 'grip-keep-alive', 'grip-uconn']);

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
// Visible ASCII, space and tab: what survives every proxy and Lambda front door unchanged.
const FIELD_VALUE = /^[\t\x20-\x7e]*$/;

export class ConnectionMeta {
  /** The request's headers, read for `meta-*` on first use: most requests never look at meta. */
  #headers: ReadonlyMap<string, string> | undefined;
  #initial: ReadonlyMap<string, string> | undefined;
  /** The values once one is set or deleted; until then, the initial ones. */
  #current: Map<string, string> | undefined;

  constructor(initial?: ReadonlyMap<string, string>) {
    this.#initial = initial;
  }

  /** Reads meta from request headers (`meta-name: value`). */
  static fromHeaders(headers: ReadonlyMap<string, string>): ConnectionMeta {
    const meta = new ConnectionMeta();
    meta.#headers = headers;
    return meta;
  }

  /** The values the request carried (none without headers or an initial map). */
  #initialValues(): ReadonlyMap<string, string> {
    if (this.#initial === undefined) {
      const initial = new Map<string, string>();
      this.#headers?.forEach((value, name) => {
        if (name.length > 5 && name.startsWith('meta-')) initial.set(name.slice(5), value);
      });
      this.#initial = initial;
    }
    return this.#initial;
  }

  #values(): ReadonlyMap<string, string> {
    return this.#current ?? this.#initialValues();
  }

  #writable(): Map<string, string> {
    return (this.#current ??= new Map(this.#initialValues()));
  }

  /** Whether a value was set or deleted since the request (`changedHeaders` then has something to say). */
  get changed(): boolean {
    return this.#current !== undefined;
  }

  get(name: string): string | undefined {
    return this.#values().get(name.toLowerCase());
  }

  has(name: string): boolean {
    return this.#values().has(name.toLowerCase());
  }

  /**
   * @throws TypeError when the name is not a header token, or the value holds
   * CR, LF or any character outside visible ASCII, space and tab, or is too long.
   */
  set(name: string, value: string): this {
    const key = checkName(name);
    if (typeof value !== 'string' || !FIELD_VALUE.test(value)) {
      throw new TypeError(`meta ${key}: value must be visible ASCII, space or tab (no CR, LF or control characters)`);
    }
    if (value.length > MAX_META_VALUE_BYTES) {
      throw new TypeError(`meta ${key}: value is ${value.length} bytes, at most ${MAX_META_VALUE_BYTES} allowed`);
    }
    if (value === '') {
      // The proxy reads an empty Set-Meta value as a delete.
      this.#writable().delete(key);
    } else {
      this.#writable().set(key, value);
    }
    return this;
  }

  delete(name: string): boolean {
    return this.#writable().delete(checkName(name));
  }

  entries(): IterableIterator<[string, string]> {
    return this.#values().entries();
  }

  toJSON(): Record<string, string> {
    return Object.fromEntries(this.#values());
  }

  /** `Set-Meta-*` headers for what changed since the request: '' deletes. */
  changedHeaders(into: Record<string, string>): void {
    const current = this.#current;
    if (current === undefined) return;
    const initial = this.#initialValues();
    for (const [name, value] of current) {
      if (initial.get(name) !== value) into[`Set-Meta-${name}`] = value;
    }
    for (const name of initial.keys()) {
      if (!current.has(name)) into[`Set-Meta-${name}`] = '';
    }
  }
}

function checkName(name: string): string {
  const key = typeof name === 'string' ? name.toLowerCase() : '';
  if (key.length === 0 || key.length > MAX_META_NAME_LENGTH || !TOKEN.test(key)) {
    throw new TypeError(`meta name ${JSON.stringify(name)} must be 1-${MAX_META_NAME_LENGTH} header token characters`);
  }
  return key;
}
