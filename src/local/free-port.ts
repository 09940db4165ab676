import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * The lowest port the OS hands out for `listen(0)` and for the local end of
 * outgoing connections (Linux: ip_local_port_range; 32768 by default, and
 * macOS starts higher). Ports below it are never taken by those.
 */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > 0) return low;
  } catch {
    // not Linux
  }
  return 32_768;
}

const LOWEST = 10_000;
const range = { low: LOWEST, high: ephemeralLow() - 1 };
/** Handed out by this process, so two picks made before either is bound never collide. */
const handedOut = new Set<number>();

/** Whether nothing listens on `port`, on any IPv4 address. */
export function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    // 0.0.0.0, as condure listens: a port taken on any IPv4 address is refused.
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}

/**
 * A port nothing listens on right now, for a service to bind a moment
 * later. It is picked below the OS's ephemeral range: a port from
 * `listen(0)` would be free again once checked, and the OS could hand it to
 * the next `listen(0)` or outgoing connection before the service binds it
 * (seen: Pushpin exiting with "address in use" at start, in one CI run of
 * many). Where that range leaves no room, `listen(0)` as a fallback.
 */
export async function freePort(): Promise<number> {
  if (range.high - range.low >= 1000) {
    for (let attempt = 0; attempt < 100; attempt++) {
      const port = range.low + Math.floor(Math.random() * (range.high - range.low + 1));
      if (handedOut.has(port) || !(await canListen(port))) continue;
      handedOut.add(port);
      return port;
    }
  }
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
