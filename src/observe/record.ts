import type { FrontDoorName } from '../lambda/types.js';

/**
 * What one invocation did, as its log line carries it. Field names follow
 * Lambda's JSON log format (`requestId`) and Powertools Logger
 * (`function_name`, `xray_trace_id`, `cold_start`); the toolkit's own are
 * snake_case like Powertools'.
 */
export interface InvocationRecord {
  readonly function_name: string;
  /** The Lambda request id (`context.awsRequestId`). */
  readonly requestId: string | undefined;
  /** The X-Ray trace's root id, when Lambda traces the invocation. */
  readonly xray_trace_id?: string;
  /** The first invocation of this process. */
  readonly cold_start: boolean;
  readonly front_door?: FrontDoorName;
  readonly method?: string;
  readonly path?: string;
  /** WebSocket-over-HTTP: the connection's id (`Connection-Id`). */
  readonly connection_id?: string;
  /** WebSocket-over-HTTP events by type: the request's, and the answer's. */
  readonly events_in?: Readonly<Record<string, number>>;
  readonly events_out?: Readonly<Record<string, number>>;
  /** TEXT and BINARY messages (control messages not counted) and their payload bytes. */
  readonly messages_in?: number;
  readonly messages_out?: number;
  readonly bytes_in?: number;
  readonly bytes_out?: number;
  /** An OPEN answered with OPEN: the connection was accepted. */
  readonly opened?: boolean;
  /** The connection ended in this invocation, with this code (1006 when the client went away). */
  readonly close_code?: number;
  readonly status: number;
  /** From the event in to the answer out, the invocation's publishes awaited included. */
  readonly duration_ms: number;
  readonly publishes: number;
  readonly publish_failures: number;
  /** Control requests sent again after a failed attempt, in this process while the invocation ran. */
  readonly publish_retries: number;
  /** Refused for a missing or bad Grip-Sig. */
  readonly grip_sig_rejected?: boolean;
  /** User code failed (answered 500, or the connection closed with 1011). */
  readonly handler_error?: boolean;
}
