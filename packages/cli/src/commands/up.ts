import { type RunningService, startServices, stopOnSignals } from '@patchbay/runtime';
import { createLogger, startTracing } from '@patchbay/telemetry';
import { configFor } from '../connect.js';
import { UsageError, out } from '../output.js';
import { ALL_SERVICES, serviceByName } from '../services.js';

function pick(names: readonly string[]) {
  return names.map((name) => {
    const service = serviceByName(name);
    if (!service) throw new UsageError(`no service named ${name}; services: ${ALL_SERVICES.map((s) => s.name).join(', ')}`);
    return service;
  });
}

/** Runs services in this process until SIGINT/SIGTERM; prints where each serves /metrics. */
export async function upCommand(names: readonly string[]): Promise<number> {
  const definitions = names.length ? pick(names) : ALL_SERVICES;
  const config = configFor();
  const tracing = await startTracing('patchbay', config.telemetry.otlpEndpoint);
  const running: RunningService[] = await startServices(definitions, { config });
  out(`patchbay: ${running.length} service(s) on ${config.nats.url}; model ${config.llm.provider === 'replay' ? `REPLAY (${config.llm.replayFile ?? ''})` : `${config.llm.model} at ${config.llm.host}`}`);
  for (const service of running) out(`  ${service.name.padEnd(20)} ${service.metricsUrl}`);
  out('Ctrl-C stops them gracefully.');
  const log = createLogger({ service: 'patchbay', level: config.log.level, knownSecrets: config.knownSecrets });
  stopOnSignals(async () => {
    await Promise.all(running.map((s) => s.stop()));
    await tracing.shutdown();
  }, log);
  await new Promise(() => {});
  return 0;
}

export function serviceCommand(name: string): Promise<number> {
  return upCommand([name]);
}
