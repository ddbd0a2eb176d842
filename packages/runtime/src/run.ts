import { type Bus, connectBus, ensureConsumer, ensureTopology, openArtifacts, startConsuming, type ConsumeLoop } from '@patchbay/bus';
import { type Config, loadConfig } from '@patchbay/config';
import { consumers } from '@patchbay/contracts';
import { createLogger, createServiceMetrics, type Logger, type MetricsServer, startMetricsServer, startTracing } from '@patchbay/telemetry';
import { createDispatcher } from './dispatch.js';
import { type Responding, startResponding } from './respond.js';
import type { ServiceContext, ServiceDefinition } from './service.js';

export interface RunningService {
  name: string;
  metricsUrl: string;
  /** Stops pulling, lets in-flight work finish (or releases it), drains the connection. */
  stop(): Promise<void>;
}

export interface StartOptions {
  config: Config;
  /** The service's logger; one is created from the config when absent. */
  log?: Logger;
  /** False: only the responders run and the service takes no pipeline work (an engine that serves one checkout). */
  consume?: boolean;
}

/** Starts one service: its consumers, its handlers, and its /metrics endpoint. */
export async function startService(definition: ServiceDefinition, options: StartOptions): Promise<RunningService> {
  const { config } = options;
  const log =
    options.log ??
    createLogger({ service: definition.name, level: config.log.level, knownSecrets: config.knownSecrets });
  const metrics = createServiceMetrics(definition.name);
  let bus: Bus | undefined;
  let metricsServer: MetricsServer | undefined;
  const loops: ConsumeLoop[] = [];
  const answering: Responding[] = [];
  try {
    bus = await connectBus({ url: config.nats.url, name: `patchbay-${definition.name}`, timeoutMs: config.nats.connectTimeoutMs });
    await ensureTopology(bus);
    const context: ServiceContext = {
      name: definition.name,
      source: `patchbay/${definition.name}`,
      config,
      log,
      bus,
      artifacts: await openArtifacts(bus),
      metrics,
    };
    const handlers = await definition.createHandlers(context);
    metricsServer = await startMetricsServer(metrics.registry, config.metrics.host, config.metrics.port);
    for (const spec of options.consume === false ? [] : consumers[definition.name]) {
      await ensureConsumer(bus, spec);
      loops.push(
        startConsuming(bus, spec, {
          concurrency: config.service.concurrency,
          handle: createDispatcher(context, spec, handlers),
          onLoopError: (err) => log.error({ err, consumer: spec.durable }, 'consumer loop error'),
        }),
      );
    }
    for (const responder of (await definition.createResponders?.(context)) ?? []) answering.push(startResponding(context, responder));
    // Started means answering: the server has the subscriptions before anyone is told.
    if (answering.length) await bus.nc.flush();
    log.info({ metrics: metricsServer.url, nats: config.nats.url, server: bus.serverVersion }, 'service started');
  } catch (err) {
    await Promise.all([...loops.map((loop) => loop.stop(0)), ...answering.map((a) => a.stop(0))]);
    await metricsServer?.close();
    await bus?.drain();
    throw err;
  }
  const started = { bus, metricsServer };
  let stopping: Promise<void> | undefined;
  return {
    name: definition.name,
    metricsUrl: started.metricsServer.url,
    stop() {
      stopping ??= (async () => {
        log.info('stopping: no new work; finishing in-flight messages');
        await Promise.all([...loops.map((loop) => loop.stop(config.service.shutdownGraceMs)), ...answering.map((a) => a.stop(config.service.shutdownGraceMs))]);
        await started.bus.drain();
        await started.metricsServer.close();
        log.info('stopped');
      })();
      return stopping;
    },
  };
}

/** Starts several services in one process (`patchbay up`, the demo, end-to-end tests). */
export async function startServices(definitions: readonly ServiceDefinition[], options: StartOptions): Promise<RunningService[]> {
  const running: RunningService[] = [];
  try {
    for (const definition of definitions) running.push(await startService(definition, options));
  } catch (err) {
    await Promise.all(running.map((s) => s.stop()));
    throw err;
  }
  return running;
}

/** Runs until SIGTERM or SIGINT, then shuts down gracefully. */
export function stopOnSignals(stop: () => Promise<void>, log: Logger): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    signalled = true;
    log.info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Entry point of a standalone service process: config, tracing, service, signals. */
export async function runMain(definition: ServiceDefinition): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`${definition.name}: ${(err as Error).message}\n`);
    process.exit(78);
  }
  const log = createLogger({ service: definition.name, level: config.log.level, knownSecrets: config.knownSecrets });
  const tracing = await startTracing(definition.name, config.telemetry.otlpEndpoint);
  let running: RunningService;
  try {
    running = await startService(definition, { config, log });
  } catch (err) {
    log.fatal({ err }, 'service could not start');
    await tracing.shutdown();
    process.exit(1);
  }
  stopOnSignals(async () => {
    await running.stop();
    await tracing.shutdown();
  }, log);
}
