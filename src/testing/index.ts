/**
 * `grip-lambda/testing`: Lambda events carrying WebSocket-over-HTTP
 * requests, as a GRIP proxy sends them through each front door (signed with
 * a Grip-Sig or not), and a reader of what a handler answers. For unit tests
 * without a proxy, and for `serverless invoke local --data`.
 */
export {
  webSocketRequest,
  openEvent,
  textEvent,
  binaryEvent,
  pingEvent,
  closeEvent,
  disconnectEvent,
  type FrontDoorKind,
  type FrontDoorEvents,
  type WebSocketRequestOptions,
} from './events.js';
export { readWebSocketResult, type WebSocketResultView, type OutgoingMessage } from './results.js';
export { signGripSig } from './grip-sig.js';
export type { WebSocketEvent } from '../protocol/events.js';
export type { ControlMessage } from '../protocol/control.js';
export type { CloseInfo } from '../protocol/close.js';
export { lambdaContext } from '../local/function-host.js';
import '../globals.js'; // types without the DOM lib
