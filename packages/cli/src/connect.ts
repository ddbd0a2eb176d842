import { type Bus, connectBus } from '@patchbay/bus';
import { type Config, type ConfigInput, loadConfig } from '@patchbay/config';
import { isPatchbayError } from '@patchbay/errors';
import { UsageError } from './output.js';

/** Settings for a command: environment, optional YAML file, then the command's flags. */
export function configFor(overrides: ConfigInput = {}): Config {
  try {
    return loadConfig({ overrides });
  } catch (error) {
    if (isPatchbayError(error) && error.code === 'CONFIG_INVALID') throw new UsageError(error.message);
    throw error;
  }
}

export async function withBus<T>(config: Config, fn: (bus: Bus) => Promise<T>): Promise<T> {
  const bus = await connectBus({ url: config.nats.url, name: 'patchbay-cli', timeoutMs: config.nats.connectTimeoutMs });
  try {
    return await fn(bus);
  } finally {
    await bus.drain();
  }
}
