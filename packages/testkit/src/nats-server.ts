import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { findNatsServerBinary, startLocalNatsServer } from '@patchbay/nats-local';

export interface TestNats {
  url: string;
  /** How the server was provided: NATS_URL, a container, or the local binary. */
  kind: 'external' | 'container' | 'binary';
  stop(): Promise<void>;
}

/**
 * A shared server (NATS_URL) keeps streams between test files; each file starts from an
 * empty patchbay. Point NATS_URL only at a throwaway server when running the tests.
 */
async function resetPatchbayStreams(url: string): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const doomed: string[] = [];
    for await (const name of jsm.streams.names()) {
      if (/^(PATCHBAY_|KV_patchbay-|OBJ_patchbay-)/.test(name)) doomed.push(name);
    }
    for (const name of doomed) await jsm.streams.delete(name);
  } finally {
    await nc.close();
  }
}

async function containerRuntimeAvailable(): Promise<boolean> {
  const cached = process.env['PATCHBAY_TEST_CONTAINER_RUNTIME'];
  if (cached !== undefined) return cached === 'docker';
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

/**
 * A real NATS server with JetStream for one test file: NATS_URL when set; otherwise a
 * `nats:2.10` container when a Docker engine answers; otherwise the local binary.
 */
export async function startNats(): Promise<TestNats> {
  const external = process.env['NATS_URL'];
  if (external) {
    await resetPatchbayStreams(external);
    return { url: external, kind: 'external', stop: async () => {} };
  }
  if (await containerRuntimeAvailable()) {
    const { NatsContainer } = await import('@testcontainers/nats');
    const container = await new NatsContainer('nats:2.10').withJetStream().start();
    const options = container.getConnectionOptions();
    const servers = Array.isArray(options.servers) ? options.servers[0] : options.servers;
    return { url: `nats://${String(servers).replace(/^nats:\/\//, '')}`, kind: 'container', stop: async () => void (await container.stop()) };
  }
  const binary = findNatsServerBinary(process.env['PATH'] ?? '');
  if (binary === undefined) {
    throw new Error(
      'No NATS server for the tests: set NATS_URL, start a Docker engine, or install nats-server (apt-get install nats-server)',
    );
  }
  const server = await startLocalNatsServer(binary);
  return { url: server.url, kind: 'binary', stop: server.stop };
}
