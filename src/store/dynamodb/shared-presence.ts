import { Presence, type PresenceOptions } from '../../presence/presence.js';
import { dynamoPresenceStore, type Env } from './shared.js';

/** A presence on DYNAMODB_TABLE (getPresence's, when DYNAMODB_TABLE is set), on the process's one client for the table. */
export function dynamoPresence(table: string, env: Env, options: PresenceOptions): Presence {
  return new Presence(dynamoPresenceStore(table, env), options);
}
