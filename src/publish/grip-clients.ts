import { PublisherClient, type IGripConfig } from '@fanoutio/grip';

/**
 * @fanoutio/grip's publishing clients, one per proxy. A module of its own,
 * imported on first publish: PublisherClient signs control requests with
 * jose, whose Node.js build loads node:crypto (OpenSSL) as it loads, which
 * would otherwise cost every cold start of a function that publishes.
 */
export function publisherClients(configs: readonly IGripConfig[]): PublisherClient[] {
  return configs.map((config) => new PublisherClient(config));
}
