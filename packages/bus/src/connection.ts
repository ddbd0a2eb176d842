import { type NatsConnection, connect } from '@nats-io/transport-node';
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { BusUnavailableError } from '@patchbay/errors';

export interface Bus {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** Server version, e.g. "2.9.10": some features differ between 2.9 and 2.10+. */
  serverVersion: string;
  /** Finishes in-flight work and closes the connection. */
  drain(): Promise<void>;
}

export interface ConnectOptions {
  url: string;
  /** Shown in the server's connection list. */
  name: string;
  timeoutMs?: number;
}

/** Connects to NATS with JetStream, failing with a message that says what to do. */
export async function connectBus(options: ConnectOptions): Promise<Bus> {
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: options.url.split(',').map((s) => s.trim()),
      name: options.name,
      timeout: options.timeoutMs ?? 5_000,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1_000,
    });
  } catch (err) {
    throw new BusUnavailableError(
      `cannot reach NATS at ${options.url} (${(err as Error).message}); start one (nats-server -js) or set NATS_URL`,
      { cause: err },
    );
  }
  const jsm = await jetstreamManager(nc, { timeout: options.timeoutMs ?? 5_000 }).catch(async (err: unknown) => {
    await nc.close();
    throw new BusUnavailableError(
      `NATS at ${options.url} has no JetStream (${(err as Error).message}); start the server with -js`,
      { cause: err },
    );
  });
  return {
    nc,
    js: jetstream(nc, { timeout: 10_000 }),
    jsm,
    serverVersion: nc.info?.version ?? 'unknown',
    drain: async () => {
      if (!nc.isClosed()) await nc.drain().catch(() => nc.close());
    },
  };
}

/** Whether a server version is at least `major.minor`. */
export function serverAtLeast(bus: Bus, major: number, minor: number): boolean {
  const [a = 0, b = 0] = bus.serverVersion.split('.').map((n) => Number.parseInt(n, 10));
  return a > major || (a === major && b >= minor);
}
