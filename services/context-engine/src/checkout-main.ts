import { isAbsolute } from 'node:path';
import { type Config, loadConfig } from '@patchbay/config';
import { startService, stopOnSignals } from '@patchbay/runtime';
import { createLogger, startTracing } from '@patchbay/telemetry';
import { claimCheckoutEngine, releaseCheckoutEngine } from './engine/checkout-engine.js';
import { checkoutEngineService } from './service.js';

// The engine `patchbay context` starts for one checkout: `node checkout-main.js <real path>`.
const checkout = process.argv[2];
if (checkout === undefined || !isAbsolute(checkout)) {
  process.stderr.write('usage: checkout-main.js <absolute path of a checkout>\n');
  process.exit(2);
}
let config: Config;
try {
  // It reads that checkout alone, and serves /metrics wherever a port is free.
  config = loadConfig({ overrides: { context: { localRoots: [checkout] }, metrics: { port: 0 } } });
} catch (err) {
  process.stderr.write(`context engine: ${(err as Error).message}\n`);
  process.exit(78);
}
const log = createLogger({ service: 'context-engine', level: config.log.level, knownSecrets: config.knownSecrets }).child({ checkout });
if (!(await claimCheckoutEngine(config.workdir, checkout))) {
  log.info('another engine serves this checkout; exiting');
  process.exit(0);
}
const tracing = await startTracing('context-engine', config.telemetry.otlpEndpoint);

let idle: NodeJS.Timeout | undefined;
let stop = async () => {};
const stillWanted = () => {
  clearTimeout(idle);
  idle = setTimeout(() => {
    log.info({ idleMs: config.context.engineIdleMs }, 'no request for a while: stopping');
    // A server gone for good must not keep it waiting to drain: no one is left to ask it.
    setTimeout(() => process.exit(1), config.service.shutdownGraceMs + 5_000).unref();
    stop().then(() => process.exit(0), () => process.exit(1));
  }, config.context.engineIdleMs);
};
try {
  const running = await startService(checkoutEngineService(checkout, stillWanted), { config, log, consume: false });
  stop = async () => {
    clearTimeout(idle);
    await running.stop();
    await releaseCheckoutEngine(config.workdir, checkout);
    await tracing.shutdown();
  };
} catch (err) {
  log.fatal({ err }, 'the checkout engine could not start');
  await releaseCheckoutEngine(config.workdir, checkout);
  process.exit(1);
}
stillWanted();
stopOnSignals(() => stop(), log);
