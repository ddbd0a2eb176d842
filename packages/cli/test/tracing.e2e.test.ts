import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, connectBus, followTask, readStream, submitTask } from '@patchbay/bus';
import { loadConfig } from '@patchbay/config';
import { type AnyCloudEvent, eventTypes, streams, subjects } from '@patchbay/contracts';
import { type RunningService, startServices } from '@patchbay/runtime';
import { startTracing, type Tracing } from '@patchbay/telemetry';
import { createGitFixture, type GitFixture, type ScriptedOllama, startNats, startScriptedOllama, type TestNats } from '@patchbay/testkit';
import { ALL_SERVICES } from '../src/services.js';

/** Spans as an OTLP/HTTP JSON collector receives them. */
interface ReceivedSpan {
  traceId: string;
  name: string;
}

const ROOT = new URL('../../../', import.meta.url).pathname;
const MODEL = 'qwen2.5-coder:32b';
let collector: Server;
let spans: ReceivedSpan[] = [];
let nats: TestNats;
let ollama: ScriptedOllama;
let tracing: Tracing;
let services: RunningService[];
let bus: Bus;
let repo: GitFixture;
let workdir: string;
let taskId: string;
const events: AnyCloudEvent[] = [];

beforeAll(async () => {
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: ReceivedSpan[] }> }>;
      };
      for (const rs of body.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) spans.push(...(ss.spans ?? []));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;

  nats = await startNats();
  ollama = await startScriptedOllama({ models: [MODEL] });
  workdir = await mkdtemp(join(tmpdir(), 'patchbay-trace-'));
  const config = loadConfig({
    env: {},
    overrides: { nats: { url: nats.url }, llm: { host: ollama.url, model: MODEL }, workdir, log: { level: 'silent' }, telemetry: { otlpEndpoint: endpoint } },
  });
  tracing = await startTracing('patchbay-test', config.telemetry.otlpEndpoint);
  services = await startServices(ALL_SERVICES, { config });
  bus = await connectBus({ url: nats.url, name: 'trace-test' });
  repo = await createGitFixture({ copyFrom: join(ROOT, 'examples/demo-repo') });
  const replay = JSON.parse(await readFile(join(ROOT, 'examples/demo-repo.replay.json'), 'utf8')) as { answers: Array<{ content: string }> };
  ollama.enqueue({ content: replay.answers[1]?.content ?? '' }, { content: replay.answers[0]?.content ?? '' });
  taskId = await submitTask(bus, { title: 'Fix the failing median tests in src/stats.js', repo: { url: repo.dir } }, { source: 'test' });
  await (await followTask(bus, taskId, (e) => void events.push(e))).done;
  await tracing.shutdown(); // flushes every span to the collector
}, 120_000);

afterAll(async () => {
  await bus?.drain();
  await Promise.all((services ?? []).map((s) => s.stop()));
  await ollama?.close();
  await nats?.stop();
  await repo?.remove();
  await rm(workdir, { recursive: true, force: true });
  await new Promise((resolve) => collector.close(resolve));
});

describe('tracing with OTEL_EXPORTER_OTLP_ENDPOINT set', () => {
  it('exports spans from every service that handled the task', () => {
    expect(events.at(-1)?.type).toBe(eventTypes.taskCompleted);
    const handlers = new Set(spans.map((s) => s.name.split(' ')[0]));
    for (const service of ['router', 'context-engine', 'codegen', 'quality-assessor', 'feedback-processor', 'debugger']) {
      expect(handlers, `no span from ${service}`).toContain(service);
    }
    expect(spans.some((s) => s.name === 'llm.chat')).toBe(true);
    expect(spans.some((s) => s.name === 'tests.run')).toBe(true);
  });

  it('makes one task one trace: every span and every message of the task share a trace id', async () => {
    const traceIds = new Set(spans.map((s) => s.traceId));
    expect(traceIds.size).toBe(1);
    const [traceId] = [...traceIds];
    for (const event of events) expect(event.traceparent?.split('-')[1]).toBe(traceId);
    // The same context is in the NATS headers of every stored message of the task.
    const stored = await bus.jsm.streams.getMessage(streams.events.name, { last_by_subj: subjects.taskEvents(taskId) });
    expect(stored?.header.get('traceparent').split('-')[1]).toBe(traceId);
    // The changes log and the debug log are part of the same trace.
    const records = [
      ...(await readStream(bus, streams.changes.name, subjects.changes(taskId))),
      ...(await readStream(bus, streams.debug.name, subjects.debugLog(taskId))),
    ];
    expect(records.length).toBeGreaterThanOrEqual(3);
    for (const record of records) expect(record.event.traceparent?.split('-')[1]).toBe(traceId);
  });
});
