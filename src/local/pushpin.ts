import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { READY_PATH } from './function-host.js';
import type { ProcessRecord } from './process-tree.js';
import { startService, waitForPort, type Service } from './processes.js';
import { LOCAL_PUSHPIN_SETTINGS, pushpinSettingLines } from './pushpin-settings.js';

export interface PushpinOptions {
  /** Folder for sockets and generated config; keep the path short (Unix socket paths max ~100 bytes). */
  readonly runDir: string;
  readonly logDir: string;
  /** Where clients connect. */
  readonly httpPort: number;
  /** Pushpin's HTTP control API (publishing). */
  readonly controlPort: number;
  /** The function host every route points at. */
  readonly originPort: number;
  /** The key Pushpin signs Grip-Sig with (HS256, iss "pushpin"). */
  readonly sigKey: string;
  /** Routes placed before the catch-all one, in Pushpin's routes-file syntax. */
  readonly extraRoutes?: readonly string[];
  /** Pushpin's `message_rate`, deliveries per second; null (the default) leaves it unset. */
  readonly messageRate?: number | null;
  /** Pushpin's `message_hwm` (default 1,000,000). */
  readonly messageHwm?: number;
  /** Pushpin's `client_buffer_size`, bytes (default 262144; Pushpin's own is 8192). */
  readonly clientBufferSize?: number;
  /** Told every process started (zurl, Pushpin and Pushpin's own children), once all run. */
  readonly onProcesses?: (processes: readonly ProcessRecord[]) => void;
}

export interface RunningPushpin {
  readonly httpUrl: string;
  readonly controlUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts zurl and Pushpin with configuration of their own in `runDir`.
 * Pushpin reaches origins through zurl and does not start it, so both run
 * here, wired to the same IPC sockets. Every route goes to the function host
 * with `over_http`, so WebSockets arrive as WebSocket-over-HTTP requests.
 */
export async function startPushpin(options: PushpinOptions): Promise<RunningPushpin> {
  const { runDir, logDir } = options;
  await mkdir(runDir, { recursive: true });
  await mkdir(logDir, { recursive: true });
  const zurlConf = join(runDir, 'zurl.conf');
  const pushpinConf = join(runDir, 'pushpin.conf');
  await writeFile(
    zurlConf,
    [
      '[General]',
      `in_spec=ipc://${runDir}/zurl-in`,
      `in_stream_spec=ipc://${runDir}/zurl-in-stream`,
      `out_spec=ipc://${runDir}/zurl-out`,
      `in_req_spec=ipc://${runDir}/zurl-req`,
      'defpolicy=allow',
      'deny=',
      'max_open_requests=4000',
      'buffer_size=200000',
      'timeout=600',
      '',
    ].join('\n'),
  );
  const settings = pushpinSettingLines({
    clientBufferSize: options.clientBufferSize ?? LOCAL_PUSHPIN_SETTINGS.clientBufferSize,
    messageRate: options.messageRate === undefined ? LOCAL_PUSHPIN_SETTINGS.messageRate : options.messageRate,
    messageHwm: options.messageHwm ?? LOCAL_PUSHPIN_SETTINGS.messageHwm,
  });
  const routes = [...(options.extraRoutes ?? []), `* 127.0.0.1:${options.originPort},over_http`];
  await writeFile(join(runDir, 'routes'), `${routes.join('\n')}\n`);
  await writeFile(
    pushpinConf,
    [
      '[global]',
      'include={libdir}/internal.conf',
      `rundir=${runDir}`,
      'ipc_prefix=pushpin-',
      'port_offset=0',
      '[runner]',
      'services=condure,pushpin-proxy,pushpin-handler',
      `http_port=${options.httpPort}`,
      `logdir=${logDir}`,
      'log_level=2',
      'condure_bin=condure',
      ...settings.runner, // why these values: pushpin-settings.ts
      '[proxy]',
      'routesfile=routes',
      `zurl_out_specs=ipc://${runDir}/zurl-in`,
      `zurl_out_stream_specs=ipc://${runDir}/zurl-in-stream`,
      `zurl_in_specs=ipc://${runDir}/zurl-out`,
      'sig_iss=pushpin',
      `sig_key=${options.sigKey}`,
      'updates_check=off',
      '[handler]',
      `push_in_spec=ipc://${runDir}/push-in`,
      `push_in_sub_specs=ipc://${runDir}/push-in-sub`,
      'push_in_http_addr=127.0.0.1',
      `push_in_http_port=${options.controlPort}`,
      `stats_spec=ipc://${runDir}/pushpin-stats`,
      `command_spec=ipc://${runDir}/pushpin-command`,
      ...settings.handler,
      '',
    ].join('\n'),
  );
  const services: Service[] = [];
  const stopAll = async () => {
    for (const service of [...services].reverse()) await service.stop();
  };
  try {
    services.push(startService('zurl', 'zurl', [`--config=${zurlConf}`], join(logDir, 'zurl.log')));
    const pushpin = startService('pushpin', 'pushpin', [`--config=${pushpinConf}`, '--merge-output'], join(logDir, 'pushpin.log'));
    services.push(pushpin);
    await waitForPort(options.httpPort, pushpin);
    await waitForPort(options.controlPort, pushpin);
    await waitForProxy(options.httpPort, pushpin);
    pushpin.recordDescendants();
    options.onProcesses?.(services.flatMap((service) => service.processes()));
  } catch (error) {
    await stopAll();
    throw error;
  }
  return {
    httpUrl: `http://127.0.0.1:${options.httpPort}`,
    controlUrl: `http://127.0.0.1:${options.controlPort}`,
    stop: stopAll,
  };
}

/**
 * Resolves once a request through the proxy gets an answer. Condure accepts
 * connections before Pushpin's internal ZeroMQ links are up; a request in
 * that window is cut off ("bad seq" in condure's debug log), so the port
 * being open is not enough.
 */
async function waitForProxy(port: number, service: Service, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      // Any path: the function host answers one that no route matches with a 404.
      const response = await fetch(`http://127.0.0.1:${port}${READY_PATH}`, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      return;
    } catch {
      // cut off: not ready yet
    }
    if (service.spawnError !== undefined) throw new Error(`could not run ${service.name}: ${service.spawnError.message}`);
    if (service.child.exitCode !== null) throw new Error(`${service.name} exited with code ${service.child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`${service.name} did not answer a request within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
