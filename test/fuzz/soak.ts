/**
 * The soak test: many chat clients through the real local stack (Pushpin,
 * zurl, the function host), each sending numbered messages at a steady rate
 * for a while, every client recording what it receives. Then: nothing lost,
 * nothing duplicated, each sender's order kept, nothing leaked across rooms,
 * and the function host's memory (measured in its own process, after GC)
 * not growing without bound.
 *
 * Chat semantics (functions/chat.ts): a sender gets its own message back in
 * the response to its request, everyone else in the room through one
 * publish with Pushpin's skip-self filter. So every client of a room must
 * receive every message of every client of that room, its own included.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import type { HostMemory, HostMessage, HostRequest, HostStats } from './soak-host.js';

export interface SoakOptions {
  readonly clients: number;
  readonly messages: number;
  /** Sending lasts at least this long: each client sends one message every seconds/messages. */
  readonly seconds: number;
  readonly roomSize: number;
  /**
   * Cap on messages per second, all clients together (0: none). Sending then
   * lasts longer than `seconds` when clients * messages / seconds is above it.
   */
  readonly maxRate?: number;
  /** Run Redis so the chat function keeps history (messages carry ids). */
  readonly redis?: boolean;
  /** Where Pushpin, zurl (and Redis) log; a fresh temporary folder by default. Kept after the run. */
  readonly logDir?: string;
  /** Pushpin's log level (3: debug), for investigating losses; the stack's own is 2. */
  readonly pushpinLogLevel?: number;
  /** Pushpin's `message_rate`; null leaves it unset (see src/local/pushpin.ts). Default: the stack's. */
  readonly messageRate?: number | null;
  /** After the last message is sent, how long delivery may stall before the rest counts as lost. */
  readonly settleMs?: number;
  /** A memory sample above this many times the warm one fails the run. */
  readonly maxHeapGrowth?: number;
  readonly log?: (line: string) => void;
}

export interface MemorySample extends HostMemory {
  readonly at: string;
  readonly seconds: number;
}

export interface Problem {
  readonly receiver: number;
  readonly sender: number;
  readonly kind: 'lost' | 'duplicated' | 'out-of-order' | 'leaked';
  readonly seq: number;
}

export interface SoakReport {
  readonly options: Required<Omit<SoakOptions, 'log' | 'logDir' | 'pushpinLogLevel' | 'messageRate'>> & { readonly logDir: string };
  /** Whether the Pushpin, zurl and investigation logs were kept (a failed run, or logDir given). */
  readonly logsKept: boolean;
  readonly rooms: number;
  readonly sent: number;
  readonly expected: number;
  readonly received: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly outOfOrder: number;
  /** Messages from a sender of another room. */
  readonly leaked: number;
  /** Messages whose nick was not the sender's (its /nick was not kept in meta). */
  readonly wrongNick: number;
  /** `{type: 'error'}` events, unparseable messages, connections that failed or closed early. */
  readonly chatErrors: number;
  readonly unparseable: number;
  readonly connectFailures: number;
  readonly unexpectedCloses: number;
  readonly sendSeconds: number;
  readonly deliverySeconds: number;
  readonly totalSeconds: number;
  /** Delivery latency of messages to other clients (publish path), ms. */
  readonly latency: { readonly p50: number; readonly p99: number; readonly max: number };
  /** Event loop delay of the driver (the clients' process) while sending and delivering, ms. */
  readonly driverLag: { readonly p50: number; readonly p99: number; readonly max: number };
  /** Round trip of a sender's own message (in the function's response), ms. */
  readonly ownLatency: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly memory: readonly MemorySample[];
  /** heapUsed after delivery over heapUsed once the clients were connected (both after GC). */
  readonly heapGrowth: number;
  readonly peakHeapGrowth: number;
  readonly hostStats: HostStats;
  /** First few problems, for investigation. */
  readonly problems: readonly Problem[];
  readonly failures: readonly string[];
}

interface ChatEvent {
  readonly type?: unknown;
  readonly nick?: unknown;
  readonly text?: unknown;
}

class Client {
  readonly nick: string;
  ws: WebSocket | undefined;
  /** seqs received from each sender, in arrival order */
  readonly bySender = new Map<number, number[]>();
  received = 0;
  wrongNick = 0;
  chatErrors = 0;
  unparseable = 0;
  leaked = 0;
  sent = 0;
  closedEarly = false;
  /** How the connection ended early: close code and reason, seconds into the run. */
  closeInfo: string | undefined;
  lastError: string | undefined;
  done = false;
  #waiters: { test: (event: ChatEvent) => boolean; resolve: () => void }[] = [];

  constructor(
    readonly index: number,
    readonly room: number,
    readonly roomOf: (sender: number) => number | undefined,
    readonly latencies: number[],
    readonly ownLatencies: number[],
  ) {
    this.nick = `s${index}`;
  }

  connect(url: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      this.ws = ws;
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`client ${this.index}: no welcome within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.push({
        test: (event) => event.type === 'welcome',
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      ws.on('message', (data) => this.#onMessage(data.toString()));
      ws.on('error', (error) => {
        this.lastError = error.message;
        clearTimeout(timer);
        reject(error);
      });
      ws.on('close', (code, reason) => {
        if (!this.done) {
          this.closedEarly = true;
          this.closeInfo = `${code} ${JSON.stringify(reason.toString())}${this.lastError !== undefined ? ` (${this.lastError})` : ''}`;
        }
      });
    });
  }

  /** Sets the nickname and waits for the function to confirm it. */
  setNick(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`client ${this.index}: /nick not confirmed within ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push({
        test: (event) => event.type === 'nick' && event.nick === this.nick,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      this.ws!.send(`/nick ${this.nick}`);
    });
  }

  send(seq: number): void {
    this.ws!.send(`${this.index}:${seq}:${Date.now()}`);
    this.sent++;
  }

  #onMessage(raw: string): void {
    let event: ChatEvent;
    try {
      event = JSON.parse(raw) as ChatEvent;
    } catch {
      this.unparseable++;
      return;
    }
    for (let i = 0; i < this.#waiters.length; i++) {
      const waiter = this.#waiters[i]!;
      if (waiter.test(event)) {
        this.#waiters.splice(i, 1);
        waiter.resolve();
        break;
      }
    }
    if (event.type === 'error') {
      this.chatErrors++;
      return;
    }
    if (event.type !== 'message' || typeof event.text !== 'string') return;
    const match = /^(\d+):(\d+):(\d+)$/.exec(event.text);
    if (match === null) {
      this.unparseable++;
      return;
    }
    const sender = Number(match[1]);
    const seq = Number(match[2]);
    if (event.nick !== `s${sender}`) this.wrongNick++;
    if (this.roomOf(sender) !== this.room) {
      this.leaked++;
      return;
    }
    if (sender === this.index) this.ownLatencies.push(Date.now() - Number(match[3]));
    else if (this.latencies.length < 2_000_000) this.latencies.push(Date.now() - Number(match[3]));
    let list = this.bySender.get(sender);
    if (list === undefined) this.bySender.set(sender, (list = []));
    list.push(seq);
    this.received++;
  }
}

/** The stack in a child process, with --expose-gc so its memory can be measured after a full GC. */
class Host {
  readonly #child: ChildProcess;
  readonly #queue: { type: string; resolve: (message: HostMessage) => void }[] = [];
  readonly ready: Promise<{ wsUrl: string; httpUrl: string }>;
  readonly exited: Promise<number | null>;

  constructor(env: Record<string, string>) {
    const script = fileURLToPath(new URL('./soak-host.ts', import.meta.url));
    this.#child = fork(script, [], {
      execArgv: ['--import', 'tsx', '--expose-gc'],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.exited = new Promise((resolve) => this.#child.once('exit', (code) => resolve(code)));
    this.ready = new Promise((resolve, reject) => {
      this.#child.once('exit', (code) => reject(new Error(`the stack process exited (${code}) before it was ready`)));
      this.#child.on('message', (message: HostMessage) => {
        if (message.type === 'ready') resolve(message);
        else if (message.type === 'failed') reject(new Error(`the stack did not start: ${message.error}`));
        else {
          const index = this.#queue.findIndex((q) => q.type === message.type);
          if (index >= 0) this.#queue.splice(index, 1)[0]!.resolve(message);
        }
      });
    });
  }

  #ask<T extends HostMessage['type']>(request: HostRequest & { type: T }): Promise<Extract<HostMessage, { type: T }>> {
    return new Promise((resolve) => {
      this.#queue.push({ type: request.type, resolve: resolve as (message: HostMessage) => void });
      this.#child.send(request);
    });
  }

  async memory(): Promise<HostMemory> {
    return (await this.#ask({ type: 'memory' })).memory;
  }

  async stats(): Promise<HostStats> {
    return (await this.#ask({ type: 'stats' })).stats;
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.send({ type: 'stop' } satisfies HostRequest);
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function inBatches<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<PromiseSettledResult<void>[]> {
  const results: PromiseSettledResult<void>[] = [];
  for (let i = 0; i < items.length; i += limit) {
    results.push(...(await Promise.allSettled(items.slice(i, i + limit).map(fn))));
  }
  return results;
}

export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

export async function runSoak(input: SoakOptions): Promise<SoakReport> {
  const log = input.log ?? (() => undefined);
  const logDir = input.logDir ?? (await mkdtemp(join(tmpdir(), 'grip-soak-')));
  const options = {
    clients: input.clients,
    messages: input.messages,
    seconds: input.seconds,
    roomSize: Math.max(1, Math.min(input.roomSize, input.clients)),
    maxRate: input.maxRate ?? 0,
    redis: input.redis ?? false,
    settleMs: input.settleMs ?? 20_000,
    maxHeapGrowth: input.maxHeapGrowth ?? 3,
    logDir,
  };
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const failures: string[] = [];
  const memory: MemorySample[] = [];

  let keepLogs = input.logDir !== undefined;
  const host = new Host({
    SOAK_LOG_DIR: logDir,
    SOAK_REDIS: options.redis ? '1' : '0',
    SOAK_PUSHPIN_LOG_LEVEL: input.pushpinLogLevel !== undefined ? String(input.pushpinLogLevel) : '',
    SOAK_MESSAGE_RATE: input.messageRate === undefined ? '' : String(input.messageRate ?? 'none'),
  });
  const clients: Client[] = [];
  try {
    const { wsUrl } = await host.ready;
    log(`stack up: ${wsUrl} (logs: ${logDir})`);
    const sample = async (at: string) => {
      const m = await host.memory();
      memory.push({ at, seconds: elapsed(), ...m });
      log(`  memory [${at}] rss ${mb(m.rss)}, heapUsed ${mb(m.heapUsed)}`);
    };
    await sample('stack started');

    const rooms = Math.ceil(options.clients / options.roomSize);
    const roomOf = (sender: number) => (sender >= 0 && sender < options.clients ? sender % rooms : undefined);
    const latencies: number[] = [];
    const ownLatencies: number[] = [];
    const runId = Date.now().toString(36);
    for (let i = 0; i < options.clients; i++) clients.push(new Client(i, roomOf(i)!, roomOf, latencies, ownLatencies));

    // Connect and set nicknames, a batch at a time (as clients would trickle in).
    const connectResults = await inBatches(clients, 50, async (client) => {
      await client.connect(`${wsUrl}/chat/soak-${runId}-${client.room}`, 30_000);
      await client.setNick(30_000);
    });
    const connectFailures = connectResults.filter((r) => r.status === 'rejected');
    if (connectFailures.length > 0) {
      failures.push(
        `${connectFailures.length} client(s) could not connect: ${String((connectFailures[0] as PromiseRejectedResult).reason)}`,
      );
    }
    log(`${options.clients} clients connected in ${rooms} room(s) of up to ${options.roomSize}, nicknames set (${elapsed().toFixed(1)} s)`);
    // Join and nick notices are still on their way to the others; let them land.
    await sleep(1000);
    await sample('clients connected (warm)');

    // Send: each client one message every interval, from a random offset, so the load is steady.
    const ready = clients.filter((c) => c.ws?.readyState === WebSocket.OPEN);
    const interval = Math.max(
      (options.seconds * 1000) / options.messages,
      options.maxRate > 0 ? (ready.length * 1000) / options.maxRate : 0,
    );
    log(
      `sending: each client one message every ${interval.toFixed(0)} ms, ${((ready.length * 1000) / interval).toFixed(0)} messages/s in all, for ${((interval * options.messages) / 1000).toFixed(0)} s`,
    );
    const loopDelay = monitorEventLoopDelay({ resolution: 20 });
    loopDelay.enable();
    const sendStart = performance.now();
    let sendEnd = sendStart;
    const readyRooms = new Map<number, number>();
    for (const c of ready) readyRooms.set(c.room, (readyRooms.get(c.room) ?? 0) + 1);
    const expected = [...readyRooms.values()].reduce((sum, n) => sum + n * n * options.messages, 0);
    const progress = setInterval(() => {
      const sent = clients.reduce((sum, c) => sum + c.sent, 0);
      const received = clients.reduce((sum, c) => sum + c.received, 0);
      log(`  ${elapsed().toFixed(0)} s: sent ${sent}/${ready.length * options.messages}, received ${received}/${expected}`);
    }, 5000);
    const memoryTimer = setInterval(() => void sample('sending').catch(() => undefined), Math.max(5000, (interval * options.messages) / 8));
    try {
      await Promise.all(
        ready.map(async (client) => {
          const offset = Math.random() * interval;
          for (let seq = 0; seq < options.messages; seq++) {
            const due = sendStart + offset + seq * interval;
            const wait = due - performance.now();
            if (wait > 0) await sleep(wait);
            if (client.ws?.readyState !== WebSocket.OPEN) return;
            client.send(seq);
          }
        }),
      );
      sendEnd = performance.now();
      log(`all messages sent in ${((sendEnd - sendStart) / 1000).toFixed(1)} s`);

      // Wait for delivery to finish, or to stall for settleMs.
      let last = -1;
      let lastChange = performance.now();
      for (;;) {
        const received = clients.reduce((sum, c) => sum + c.received, 0);
        if (received >= expected) break;
        if (received !== last) {
          last = received;
          lastChange = performance.now();
        } else if (performance.now() - lastChange > options.settleMs) {
          log(`delivery stalled at ${received}/${expected} for ${options.settleMs / 1000} s`);
          break;
        }
        await sleep(100);
      }
    } finally {
      clearInterval(progress);
      clearInterval(memoryTimer);
    }
    const deliveryEnd = performance.now();
    loopDelay.disable();
    const driverLag = { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
    await sample('all delivered');

    // Check every receiver against every sender of its room.
    const problems: Problem[] = [];
    let lost = 0;
    let duplicated = 0;
    let outOfOrder = 0;
    const allProblems: Problem[] = [];
    const note = (problem: Problem) => {
      if (problems.length < 50) problems.push(problem);
      if (allProblems.length < 200_000) allProblems.push(problem);
    };
    for (const receiver of clients) {
      if (!ready.includes(receiver)) continue;
      for (const sender of ready) {
        if (sender.room !== receiver.room) continue;
        const seqs = receiver.bySender.get(sender.index) ?? [];
        const seen = new Set<number>();
        let previous = -1;
        for (const seq of seqs) {
          if (seen.has(seq)) {
            duplicated++;
            note({ receiver: receiver.index, sender: sender.index, kind: 'duplicated', seq });
            continue;
          }
          seen.add(seq);
          if (seq < previous) {
            outOfOrder++;
            note({ receiver: receiver.index, sender: sender.index, kind: 'out-of-order', seq });
          }
          previous = Math.max(previous, seq);
        }
        for (let seq = 0; seq < sender.sent; seq++) {
          if (!seen.has(seq)) {
            lost++;
            note({ receiver: receiver.index, sender: sender.index, kind: 'lost', seq });
          }
        }
      }
    }
    if (allProblems.length > 0) {
      // For investigation, next to Pushpin's logs: every problem, and each client's arrival order.
      await writeFile(join(logDir, 'soak-problems.json'), JSON.stringify(allProblems));
      await writeFile(
        join(logDir, 'soak-received.json'),
        JSON.stringify(clients.map((c) => ({ client: c.index, room: c.room, bySender: Object.fromEntries(c.bySender) }))),
      );
    }
    const sum = (pick: (c: Client) => number) => clients.reduce((total, c) => total + pick(c), 0);
    const leaked = sum((c) => c.leaked);
    const wrongNick = sum((c) => c.wrongNick);
    const chatErrors = sum((c) => c.chatErrors);
    const unparseable = sum((c) => c.unparseable);
    const unexpectedCloses = sum((c) => (c.closedEarly ? 1 : 0));
    const closeReasons: Record<string, number> = {};
    for (const c of clients) if (c.closeInfo !== undefined) closeReasons[c.closeInfo] = (closeReasons[c.closeInfo] ?? 0) + 1;

    for (const c of clients) c.done = true;
    await Promise.all(
      clients.map(
        (c) =>
          new Promise<void>((resolve) => {
            const ws = c.ws;
            if (ws === undefined || ws.readyState === WebSocket.CLOSED) return resolve();
            const timer = setTimeout(() => {
              ws.terminate();
              resolve();
            }, 5000);
            ws.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            ws.close(1000);
          }),
      ),
    );
    // Let the leave notices and the DISCONNECT/CLOSE invocations finish.
    await sleep(2000);
    await sample('clients closed');
    const hostStats = await host.stats();

    const sorted = [...latencies].sort((a, b) => a - b);
    const ownSorted = [...ownLatencies].sort((a, b) => a - b);
    const warm = memory.find((m) => m.at.startsWith('clients connected')) ?? memory[0]!;
    const peak = memory.reduce((max, m) => Math.max(max, m.heapUsed), 0);
    const end = memory.find((m) => m.at === 'all delivered') ?? memory[memory.length - 1]!;
    const heapGrowth = end.heapUsed / warm.heapUsed;

    const sent = sum((c) => c.sent);
    const received = sum((c) => c.received);
    if (lost > 0) failures.push(`${lost} message deliveries lost`);
    if (duplicated > 0) failures.push(`${duplicated} message deliveries duplicated`);
    if (outOfOrder > 0) failures.push(`${outOfOrder} message deliveries out of order`);
    if (leaked > 0) failures.push(`${leaked} messages leaked to another room`);
    if (wrongNick > 0) failures.push(`${wrongNick} messages carried the wrong nick`);
    if (chatErrors + unparseable > 0) failures.push(`${chatErrors} chat errors, ${unparseable} unparseable messages`);
    if (unexpectedCloses > 0) {
      failures.push(
        `${unexpectedCloses} connection(s) closed before the end: ${Object.entries(closeReasons)
          .map(([k, n]) => `${k} x${n}`)
          .join('; ')}`,
      );
    }
    if (sent !== ready.length * options.messages) failures.push(`only ${sent} of ${ready.length * options.messages} messages sent`);
    if (heapGrowth > options.maxHeapGrowth) {
      failures.push(
        `function host heapUsed grew ${heapGrowth.toFixed(2)}x (${mb(warm.heapUsed)} -> ${mb(end.heapUsed)}), more than ${options.maxHeapGrowth}x`,
      );
    }
    const serverErrors = Object.entries(hostStats.invocations).filter(([key]) => / 5\d\d$/.test(key));
    if (serverErrors.length > 0) failures.push(`function host answered 5xx: ${serverErrors.map(([k, n]) => `${k}: ${n}`).join(', ')}`);

    keepLogs = input.logDir !== undefined || failures.length > 0;
    return {
      options,
      logsKept: keepLogs,
      rooms,
      sent,
      expected,
      received,
      lost,
      duplicated,
      outOfOrder,
      leaked,
      wrongNick,
      chatErrors,
      unparseable,
      connectFailures: connectFailures.length,
      unexpectedCloses,
      sendSeconds: (sendEnd - sendStart) / 1000,
      deliverySeconds: (deliveryEnd - sendStart) / 1000,
      totalSeconds: elapsed(),
      latency: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? 0 },
      driverLag,
      ownLatency: { p50: percentile(ownSorted, 50), p99: percentile(ownSorted, 99), max: ownSorted[ownSorted.length - 1] ?? 0 },
      memory,
      heapGrowth,
      peakHeapGrowth: peak / warm.heapUsed,
      hostStats,
      problems,
      failures,
    };
  } catch (error) {
    keepLogs = true;
    throw error;
  } finally {
    for (const c of clients) {
      c.done = true;
      c.ws?.terminate();
    }
    await host.stop();
    // A temporary log folder goes when the run passed; one asked for, or a failed run's, stays.
    if (!keepLogs) await rm(logDir, { recursive: true, force: true });
  }
}

export function formatSoakReport(report: SoakReport): string {
  const o = report.options;
  const lines = [
    `soak: ${o.clients} clients in ${report.rooms} room(s) of up to ${o.roomSize}, ${o.messages} messages each over at least ${o.seconds} s${o.maxRate > 0 ? ` at most ${o.maxRate} messages/s in all` : ''}${o.redis ? ', with Redis history' : ''}`,
    `  sent ${report.sent} messages in ${report.sendSeconds.toFixed(1)} s (${(report.sent / report.sendSeconds).toFixed(0)}/s); deliveries expected ${report.expected}, received ${report.received} (all by ${report.deliverySeconds.toFixed(1)} s)`,
    `  lost ${report.lost}, duplicated ${report.duplicated}, out of order ${report.outOfOrder}, leaked across rooms ${report.leaked}, wrong nick ${report.wrongNick}`,
    `  chat errors ${report.chatErrors}, unparseable ${report.unparseable}, connect failures ${report.connectFailures}, closed early ${report.unexpectedCloses}`,
    `  delivery latency to others (publish path): p50 ${report.latency.p50} ms, p99 ${report.latency.p99} ms, max ${report.latency.max} ms`,
    `  round trip of a sender's own message (response path): p50 ${report.ownLatency.p50} ms, p99 ${report.ownLatency.p99} ms, max ${report.ownLatency.max} ms`,
    `  driver (clients' process) event loop delay: p50 ${report.driverLag.p50.toFixed(1)} ms, p99 ${report.driverLag.p99.toFixed(1)} ms, max ${report.driverLag.max.toFixed(0)} ms`,
    `  function invocations: ${Object.entries(report.hostStats.invocations)
      .map(([k, n]) => `${k}: ${n}`)
      .join(', ')}`,
    `  invocation duration: p50 ${report.hostStats.durations.p50} ms, p99 ${report.hostStats.durations.p99} ms; slowest: ${report.hostStats.slowest ? `${report.hostStats.slowest.functionName} ${report.hostStats.slowest.durationMs.toFixed(1)} ms` : '-'}; function log errors/warnings: ${report.hostStats.errorCount}`,
    '  function host memory (its own process, after GC):',
    ...report.memory.map(
      (m) =>
        `    ${m.seconds.toFixed(0).padStart(4)} s  ${m.at.padEnd(26)} rss ${mb(m.rss).padStart(9)}  heapUsed ${mb(m.heapUsed).padStart(8)}  external ${mb(m.external)}`,
    ),
    `  heapUsed growth (all delivered / clients connected): ${report.heapGrowth.toFixed(2)}x, peak ${report.peakHeapGrowth.toFixed(2)}x (limit ${o.maxHeapGrowth}x)`,
    `  total ${report.totalSeconds.toFixed(1)} s; ${report.logsKept ? `Pushpin and zurl logs: ${o.logDir}` : 'logs removed (the run passed; --log-dir keeps them)'}`,
  ];
  if (report.hostStats.errors.length > 0)
    lines.push('  first function log lines:', ...report.hostStats.errors.slice(0, 5).map((e) => `    ${e}`));
  if (report.problems.length > 0) {
    lines.push('  first problems (receiver <- sender #seq):');
    for (const p of report.problems.slice(0, 20)) lines.push(`    ${p.kind}: client ${p.receiver} <- client ${p.sender} #${p.seq}`);
  }
  lines.push(report.failures.length === 0 ? 'soak: PASS' : `soak: FAIL\n${report.failures.map((f) => `  - ${f}`).join('\n')}`);
  return lines.join('\n');
}
