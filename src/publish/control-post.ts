import type { PublisherClient } from '@fanoutio/grip';
import { processCounters } from '../observe/counters.js';
import type { ProxyFailure } from './errors.js';
import type { PublisherSettings } from './options.js';

/**
 * Posts one control request body to one proxy, retrying a network error, a
 * timeout, a 5xx or a 429 with full-jitter exponential backoff until
 * `deadline`. Each proxy is retried on its own, so a proxy that took the
 * batch never gets it twice. Resolves with the failure, or undefined once
 * the proxy took it; never rejects.
 */
export async function postWithRetries(
  client: PublisherClient,
  body: string,
  deadline: number,
  settings: Pick<PublisherSettings, 'retry' | 'timeoutMs' | 'fetch'>,
): Promise<ProxyFailure | undefined> {
  const { attempts, baseDelayMs, maxDelayMs } = settings.retry;
  let previous: ProxyFailure | undefined;
  for (let attempt = 1; ; attempt++) {
    const timeLeft = deadline - Date.now();
    if (timeLeft <= 0) return previous ?? { publishUri: client.publishUri, status: undefined, message: 'no time left in the invocation' };
    const failure = await post(client, body, Math.min(settings.timeoutMs, timeLeft), settings.fetch);
    if (failure === undefined) return undefined;
    // An attempt cut short by the deadline says less than the proxy's own answer before it.
    if (previous !== undefined && failure.status === undefined && Date.now() >= deadline) return previous;
    previous = failure;
    const retryable = failure.status === undefined || failure.status >= 500 || failure.status === 429;
    if (!retryable || attempt >= attempts) return failure;
    const delay = Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
    if (Date.now() + delay >= deadline) return failure;
    processCounters.publishRetries++;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** One attempt: the proxy's failure, or undefined when it answered 2xx. */
async function post(client: PublisherClient, body: string, timeoutMs: number, fetchFn: typeof fetch): Promise<ProxyFailure | undefined> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  try {
    const auth = client.getAuth();
    if (auth !== undefined) headers['Authorization'] = await auth.buildHeader();
    const response = await fetchFn(client.publishUri, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    if (response.ok) return undefined;
    return { publishUri: client.publishUri, status: response.status, message: text.trim().slice(0, 200) };
  } catch (error) {
    return { publishUri: client.publishUri, status: undefined, message: (error as Error).message };
  }
}
