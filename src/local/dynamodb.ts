// A local DynamoDB for the stack and the tests: dynalite (a DynamoDB-API
// server on LevelDB, from npm) as a child process, its data in a folder the
// caller removes; no Java, no Docker. A child rather than in this process:
// a caller that blocks its event loop (execFileSync, a long computation)
// would otherwise stall every DynamoDB request its functions make.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBApi } from '../store/dynamodb/api.js';
import { TABLE_DEFINITION } from '../store/dynamodb/table.js';
import { freePort } from './free-port.js';
import type { ProcessRecord } from './process-tree.js';
import { startService, waitForPort, type Service } from './processes.js';

/** Region and credentials the local endpoint is called with: dynalite checks their form, not their value. */
export const LOCAL_AWS_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
} as const;

export interface LocalDynamoDBOptions {
  /** The table to create; default "grip-lambda". */
  readonly table?: string;
  /** 0 or unset picks a free one. */
  readonly port?: number;
  /** Where its data and log go; default a new temp folder, removed by `stop`. A folder given is left in place. */
  readonly dir?: string;
  /** Create the table with the stores' key schema (default true). */
  readonly createTable?: boolean;
  /** Told the processes running, whenever that changes (the stack records them, to clean up after a SIGKILL). */
  readonly onProcesses?: (processes: readonly ProcessRecord[]) => void;
}

export interface LocalDynamoDB {
  /** e.g. http://127.0.0.1:8000: AWS_ENDPOINT_URL_DYNAMODB for the functions. */
  readonly endpoint: string;
  readonly table: string;
  /** What a function needs to use it: DYNAMODB_TABLE, AWS_ENDPOINT_URL_DYNAMODB, region and dummy credentials. */
  readonly env: Readonly<Record<string, string>>;
  /** Stops the server, keeping its data: DynamoDB unreachable, as in an outage. */
  pause(): Promise<void>;
  /** Starts it again on the same port, with the data it had. */
  resume(): Promise<void>;
  /** Stops it for good and removes its data (unless `dir` was given); safe to call more than once. */
  stop(): Promise<void>;
}

/** dynalite's command-line script, from this package's dependencies or else the project's. */
function dynaliteCli(): string {
  for (const from of [import.meta.url, join(process.cwd(), 'package.json')]) {
    try {
      return createRequire(from).resolve('dynalite/cli.js');
    } catch {
      // not installed there
    }
  }
  throw new Error('a local DynamoDB needs the dynalite package: npm install --save-dev dynalite');
}

/** Starts dynalite on 127.0.0.1 and creates the table. */
export async function startLocalDynamoDB(options: LocalDynamoDBOptions = {}): Promise<LocalDynamoDB> {
  const table = options.table ?? 'grip-lambda';
  const cli = dynaliteCli();
  const port = options.port !== undefined && options.port !== 0 ? options.port : await freePort();
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'grip-dynamodb-')));
  await mkdir(join(dir, 'data'), { recursive: true });
  let service: Service | undefined;
  const start = async () => {
    service = startService(
      'dynalite',
      process.execPath,
      [cli, '--host', '127.0.0.1', '--port', String(port), '--path', join(dir, 'data'), '--createTableMs', '0'],
      join(dir, 'dynalite.log'),
    );
    options.onProcesses?.(service.processes());
    await waitForPort(port, service);
  };
  const halt = async () => {
    const current = service;
    service = undefined;
    await current?.stop();
    options.onProcesses?.([]);
  };
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await halt();
      if (options.dir === undefined) await rm(dir, { recursive: true, force: true });
    })());
  try {
    await start();
    const endpoint = `http://127.0.0.1:${port}`;
    if (options.createTable !== false) {
      const api = new DynamoDBApi({
        table,
        region: LOCAL_AWS_ENV.AWS_REGION,
        endpoint,
        credentials: { accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY },
      });
      await api.call('CreateTable', { TableName: table, ...TABLE_DEFINITION });
    }
    return {
      endpoint,
      table,
      env: { DYNAMODB_TABLE: table, AWS_ENDPOINT_URL_DYNAMODB: endpoint, ...LOCAL_AWS_ENV },
      pause: halt,
      async resume() {
        if (service === undefined && stopped === undefined) await start();
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
