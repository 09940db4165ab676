/**
 * Compact JWS (RFC 7515) as `Grip-Sig` carries it: three base64url parts.
 * Parsing only; nothing here is trusted until the signature is checked.
 */

export interface CompactJws {
  readonly header: Readonly<Record<string, unknown>>;
  /** The signed bytes: `BASE64URL(header) "." BASE64URL(payload)`, as ASCII. */
  readonly signingInput: Uint8Array;
  readonly payloadPart: string;
  readonly signature: Uint8Array;
}

/** base64url without padding; an empty signature (alg `none`) is not a JWS here. */
const COMPACT = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/;

/** The JSON object a base64url part holds, or undefined when it holds anything else. */
export function decodeJsonObject(part: string): Record<string, unknown> | undefined {
  let text: string;
  let value: unknown;
  try {
    text = Buffer.from(part, 'base64url').toString('utf8');
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  // JSON.parse keeps the last of two members with one name; another parser may keep the first.
  // Refused, so that no reader of this token sees other values than the ones checked.
  if (hasDuplicateMember(text)) return undefined;
  return value as Record<string, unknown>;
}

export function parseCompactJws(token: string): CompactJws | undefined {
  const parts = COMPACT.exec(token);
  if (parts === null) return undefined;
  const header = decodeJsonObject(parts[1]!);
  if (header === undefined) return undefined;
  return {
    header,
    signingInput: Buffer.from(`${parts[1]}.${parts[2]}`, 'latin1'),
    payloadPart: parts[2]!,
    signature: Buffer.from(parts[3]!, 'base64url'),
  };
}

/**
 * Whether the top-level object in `json` (already known to be valid JSON)
 * names a member twice. Walks strings and nesting, reads top-level names.
 */
function hasDuplicateMember(json: string): boolean {
  const names = new Set<string>();
  let depth = 0;
  let expectName = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      const start = i;
      for (i++; json[i] !== '"'; i++) if (json[i] === '\\') i++;
      if (depth === 1 && expectName) {
        const quoted = json.slice(start, i + 1);
        const name = quoted.includes('\\') ? (JSON.parse(quoted) as string) : quoted.slice(1, -1);
        if (names.has(name)) return true;
        names.add(name);
        expectName = false;
      }
    } else if (c === '{' || c === '[') {
      depth++;
      if (depth === 1) expectName = true;
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 1) {
      expectName = true;
    }
  }
  return false;
}
