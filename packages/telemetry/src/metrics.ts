import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The metrics every service exports, on its own registry. */
export interface ServiceMetrics {
  registry: Registry;
  messagesHandled: Counter<'service' | 'type' | 'outcome'>;
  stageDuration: Histogram<'service' | 'stage' | 'outcome'>;
  failures: Counter<'service' | 'code'>;
  deadLetters: Counter<'service' | 'reason'>;
}

export function createServiceMetrics(service: string): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    messagesHandled: new Counter({
      name: 'patchbay_messages_handled_total',
      help: 'Messages handled, by event type and outcome (ack, retry, dead_letter)',
      labelNames: ['service', 'type', 'outcome'],
      registers: [registry],
    }),
    stageDuration: new Histogram({
      name: 'patchbay_stage_duration_seconds',
      help: 'Time spent handling one message, by stage',
      labelNames: ['service', 'stage', 'outcome'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
      registers: [registry],
    }),
    failures: new Counter({
      name: 'patchbay_failures_total',
      help: 'Handler failures, by error code',
      labelNames: ['service', 'code'],
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'patchbay_dead_letters_total',
      help: 'Messages sent to the dead-letter subject, by reason',
      labelNames: ['service', 'reason'],
      registers: [registry],
    }),
  };
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/** Serves GET /metrics (and /healthz) for one registry. */
export async function startMetricsServer(registry: Registry, host: string, port: number): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      registry
        .metrics()
        .then((body) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(body);
        })
        .catch((err: unknown) => {
          res.writeHead(500);
          res.end(String(err));
        });
      return;
    }
    if (req.method === 'GET' && req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
