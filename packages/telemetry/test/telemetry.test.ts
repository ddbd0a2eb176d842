import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  createLogger,
  createServiceMetrics,
  newTraceparent,
  startMetricsServer,
  startTracing,
  traceIdOf,
  withMessageSpan,
} from '@patchbay/telemetry';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().trim().split('\n'));
      done();
    },
  });
  return { lines, destination };
}

describe('logger', () => {
  it('writes JSON lines with the service and child bindings', () => {
    const { lines, destination } = capture();
    const log = createLogger({ service: 'router', level: 'info', destination });
    log.child({ taskId: 't1', traceId: 'abc' }).info('task accepted');
    const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(line).toMatchObject({ service: 'router', taskId: 't1', traceId: 'abc', msg: 'task accepted' });
  });

  it('never prints secrets: secret-named fields, token shapes, or known secret values', () => {
    const { lines, destination } = capture();
    const log = createLogger({ service: 's', level: 'info', destination, knownSecrets: ['hunter2-very-secret'] });
    log.info({ config: { token: 'abc123' }, headers: { authorization: 'Bearer x' } }, 'using ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa and hunter2-very-secret');
    log.error({ err: new Error('login with password=hunter2-very-secret failed') }, 'failed');
    const text = lines.join('\n');
    expect(text).not.toContain('abc123');
    expect(text).not.toContain('ghp_aaaa');
    expect(text).not.toContain('hunter2-very-secret');
    expect(text).toContain('[REDACTED]');
  });
});

describe('metrics', () => {
  it('serves the service registry on /metrics and 404 elsewhere', async () => {
    const metrics = createServiceMetrics('codegen');
    metrics.messagesHandled.inc({ service: 'codegen', type: 'dev.patchbay.codegen.requested.v1', outcome: 'ack' });
    metrics.stageDuration.observe({ service: 'codegen', stage: 'x', outcome: 'ack' }, 1.5);
    const server = await startMetricsServer(metrics.registry, '127.0.0.1', 0);
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const body = await (await fetch(server.url)).text();
      expect(body).toMatch(/patchbay_messages_handled_total\{service="codegen",type="dev\.patchbay\.codegen\.requested\.v1",outcome="ack"\} 1/);
      expect(body).toContain('patchbay_stage_duration_seconds_bucket');
      expect(body).toContain('nodejs_heap_size_total_bytes');
      expect((await fetch(server.url.replace('/metrics', '/nope'))).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe('tracing', () => {
  it('stays off without an OTLP endpoint, and trace ids still flow through messages', async () => {
    const tracing = await startTracing('test', undefined);
    expect(tracing.enabled).toBe(false);
    const parent = newTraceparent();
    expect(parent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const seen = await withMessageSpan('x', parent, {}, async (traceparent) => traceparent);
    expect(traceIdOf(seen)).toBe(traceIdOf(parent));
    const fresh = await withMessageSpan('x', undefined, {}, async (traceparent) => traceparent);
    expect(fresh).toMatch(/^00-[0-9a-f]{32}-/);
  });
});
