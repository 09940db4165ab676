// grip-lambda/client: the browser and Node client (no dependencies).
export {
  RealtimeClient,
  connect,
  isNewerId,
  tokenExpiry,
  type ClientOptions,
  type ConnectionState,
  type ServerMessage,
  type WebSocketConstructor,
  type WebSocketLike,
} from './client.js';
