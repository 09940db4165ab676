// A stand-in for Fastly's publishing API, on a local port, that checks each
// request against what Fastly documents and records it. The documented API
// (https://www.fastly.com/documentation/reference/api/publishing/):
//   POST https://api.fastly.com/service/{service_id}/publish/  (the trailing
//   slash is required "for compatibility with GRIP"), the API token in
//   `Fastly-Key`, or in `Authorization` with the Bearer scheme, a JSON body
//   `{"items": [...]}`; each item has `channel`, `formats` (at least one of
//   `http-response`, `http-stream`, `ws-message`), optional `id`, `prev-id`.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FanoutRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  /** Where the request departs from the documented API; empty when it matches. */
  readonly problems: readonly string[];
}

export interface FakeFanout {
  readonly port: number;
  /** What `buildFanoutGripUrl({ baseUrl })` takes to publish here. */
  readonly serviceUrl: string;
  readonly requests: FanoutRequest[];
  /** Answers for the next requests, in order (then 200). */
  readonly answers: { status: number; body: string }[];
  close(): Promise<void>;
}

const FORMATS: Record<string, { readonly oneOf: readonly string[]; readonly optional?: readonly string[] }> = {
  'ws-message': { oneOf: ['content', 'content-bin'] },
  'http-stream': { oneOf: ['content', 'content-bin'] },
  'http-response': { oneOf: ['body', 'body-bin'], optional: ['code', 'reason', 'headers'] },
};

/** How a publish body departs from Fastly's documented data model. */
export function publishBodyProblems(body: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return ['body is not JSON'];
  }
  const problems: string[] = [];
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(parsed)) return ['body is not a JSON object'];
  for (const key of Object.keys(parsed)) if (key !== 'items') problems.push(`undocumented top-level field ${key}`);
  if (!Array.isArray(parsed.items) || parsed.items.length === 0) return [...problems, 'items is not a non-empty array'];
  parsed.items.forEach((item: unknown, i: number) => {
    if (!isObject(item)) {
      problems.push(`items[${i}] is not an object`);
      return;
    }
    for (const key of Object.keys(item))
      if (!['channel', 'formats', 'id', 'prev-id'].includes(key)) problems.push(`items[${i}]: undocumented field ${key}`);
    if (typeof item.channel !== 'string' || item.channel === '') problems.push(`items[${i}].channel is not a non-empty string`);
    for (const key of ['id', 'prev-id'])
      if (key in item && typeof item[key] !== 'string') problems.push(`items[${i}].${key} is not a string`);
    if (!isObject(item.formats) || Object.keys(item.formats).length === 0) {
      problems.push(`items[${i}].formats names no format`);
      return;
    }
    for (const [name, format] of Object.entries(item.formats)) {
      const rule = FORMATS[name];
      if (rule === undefined) {
        problems.push(`items[${i}]: undocumented format ${name}`);
        continue;
      }
      if (!isObject(format)) {
        problems.push(`items[${i}].formats.${name} is not an object`);
        continue;
      }
      const given = rule.oneOf.filter((key) => typeof format[key] === 'string');
      if (given.length !== 1) problems.push(`items[${i}].formats.${name} needs exactly one of ${rule.oneOf.join(', ')}`);
      for (const key of Object.keys(format)) {
        if (!rule.oneOf.includes(key) && !(rule.optional ?? []).includes(key))
          problems.push(`items[${i}].formats.${name}: undocumented field ${key}`);
      }
    }
  });
  return problems;
}

/** Starts the stand-in for service `serviceId`, accepting `apiToken`. */
export async function startFakeFanout(serviceId: string, apiToken: string): Promise<FakeFanout> {
  const requests: FanoutRequest[] = [];
  const answers: { status: number; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '';
      const problems: string[] = [];
      if (req.method !== 'POST') problems.push(`method ${req.method}, not POST`);
      if (path !== `/service/${serviceId}/publish/`) problems.push(`path ${path}, not /service/${serviceId}/publish/`);
      const auth =
        req.headers['authorization'] ??
        (req.headers['fastly-key'] !== undefined ? `Bearer ${String(req.headers['fastly-key'])}` : undefined);
      if (auth !== `Bearer ${apiToken}`) problems.push(`credentials ${JSON.stringify(auth)}, not the API token as Bearer (or Fastly-Key)`);
      if (!/^application\/json\b/.test(req.headers['content-type'] ?? ''))
        problems.push(`Content-Type ${req.headers['content-type']}, not application/json`);
      problems.push(...publishBodyProblems(body));
      requests.push({ method: req.method ?? '', path, headers: req.headers, body, problems });
      const answer =
        answers.shift() ??
        (problems.length === 0 ? { status: 200, body: 'Published\n' } : { status: 400, body: `${problems.join('; ')}\n` });
      res.writeHead(answer.status, { 'Content-Type': 'text/plain' }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    serviceUrl: `http://127.0.0.1:${port}/service/${serviceId}`,
    requests,
    answers,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
