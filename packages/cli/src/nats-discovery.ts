import { type Bus, connectBus } from '@patchbay/bus';
import { type LocalNatsServer, findNatsServerBinary, startLocalNatsServer } from '@patchbay/nats-local';

export interface FoundNats {
  url: string;
  bus: Bus;
  /** Set when the demo started its own server; stop it at the end. */
  local?: LocalNatsServer;
  how: string;
}

const DEFAULT_URL = 'nats://127.0.0.1:4222';

export const NO_NATS_HELP = [
  'No NATS server with JetStream was found, and no nats-server binary to start one.',
  'Get one of these, then run the command again:',
  '  - Debian/Ubuntu:  sudo apt-get install nats-server',
  '  - Docker:         docker compose up -d nats     (from this repository)',
  '  - A download:     https://github.com/nats-io/nats-server/releases, then put nats-server on PATH',
  'Or point NATS_URL at a server you have (it must run with -js).',
].join('\n');

/** NATS_URL (or the configured URL), else 127.0.0.1:4222, else a throwaway local nats-server. */
export async function findNats(
  configuredUrl: string,
  pathEnv: string,
  onProblem: (text: string) => void,
): Promise<FoundNats | undefined> {
  const candidates = [...new Set([configuredUrl, DEFAULT_URL])];
  for (const url of candidates) {
    try {
      const bus = await connectBus({ url, name: 'patchbay-demo', timeoutMs: 2_000 });
      return { url, bus, how: url === configuredUrl && url !== DEFAULT_URL ? `NATS_URL ${url}` : `the NATS server at ${url}` };
    } catch {
      // try the next one
    }
  }
  const binary = findNatsServerBinary(pathEnv);
  if (binary === undefined) return undefined;
  let local: LocalNatsServer;
  try {
    local = await startLocalNatsServer(binary);
  } catch (err) {
    onProblem(`found ${binary} but it did not start: ${(err as Error).message.split('\n')[0] ?? ''}`);
    return undefined;
  }
  const bus = await connectBus({ url: local.url, name: 'patchbay-demo' });
  return { url: local.url, bus, local, how: `a local ${binary} with JetStream in ${local.storeDir}` };
}
