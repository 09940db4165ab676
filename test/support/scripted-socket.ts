// A WebSocket for grip-lambda/client's unit tests, driven by the test.
import type { WebSocketLike } from '../../src/client/client.js';

/** A socket the test drives: it records what the client sends and opens, delivers and closes on command. */
export class ScriptedSocket implements WebSocketLike {
  static made: ScriptedSocket[] = [];
  readyState = 0;
  readonly sent: string[] = [];
  onopen: ((event: object) => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: object) => void) | null = null;
  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {
    ScriptedSocket.made.push(this);
  }
  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(data);
  }
  close(): void {
    this.readyState = 3;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  deliver(message: object | string): void {
    this.onmessage?.({ data: typeof message === 'string' ? message : JSON.stringify(message) });
  }
  drop(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
}
