// The unique names (channels, rooms, connection and user ids) a contract
// suite uses. Random by default; a backend that spreads keys over several
// nodes passes its own, so the suites reach every node by construction
// rather than by chance.
import { randomUUID } from 'node:crypto';

export type NameKind = 'channel' | 'room' | 'connection' | 'user';

/** Returns a name no other call returned. */
export type MakeName = (kind: NameKind) => string;

export const randomName: MakeName = (kind) => `${kind}-${randomUUID()}`;
