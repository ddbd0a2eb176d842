import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectBus, followTask, submitTask } from '@patchbay/bus';
import { codegenService } from '@patchbay/codegen';
import { loadConfig } from '@patchbay/config';
import { type AnyCloudEvent, eventTypes } from '@patchbay/contracts';
import { type RunningService, startService, startServices } from '@patchbay/runtime';
import { createGitFixture, startNats, startScriptedOllama, until } from '@patchbay/testkit';
import { ALL_SERVICES } from '../src/services.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const MODEL = 'qwen2.5-coder:32b';
const cleanup: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => {});
});

describe('graceful shutdown', () => {
  it('releases an in-flight message past the grace period, and another instance finishes it', async () => {
    const nats = await startNats();
    cleanup.push(() => nats.stop());
    const ollama = await startScriptedOllama({ models: [MODEL] });
    cleanup.push(() => ollama.close());
    const workdir = await mkdtemp(join(tmpdir(), 'patchbay-shutdown-'));
    cleanup.push(() => rm(workdir, { recursive: true, force: true }));
    const config = loadConfig({
      env: {},
      overrides: {
        nats: { url: nats.url },
        llm: { host: ollama.url, model: MODEL },
        workdir,
        log: { level: 'silent' },
        service: { shutdownGraceMs: 300 },
      },
    });
    const others = await startServices(ALL_SERVICES.filter((s) => s.name !== 'codegen'), { config });
    cleanup.push(() => Promise.all(others.map((s) => s.stop())));
    const first: RunningService = await startService(codegenService, { config });
    const repo = await createGitFixture({ copyFrom: join(ROOT, 'examples/demo-repo') });
    cleanup.push(() => repo.remove());
    const right = (JSON.parse(await readFile(join(ROOT, 'examples/demo-repo.replay.json'), 'utf8')) as { answers: Array<{ content: string }> }).answers[0]?.content ?? '';
    // The first generation streams slowly (about 10 s); the second is the answer.
    ollama.enqueue({ content: 'x'.repeat(500), chunkSize: 1, chunkDelayMs: 20 }, { content: right });

    const bus = await connectBus({ url: nats.url, name: 'shutdown-test' });
    cleanup.push(() => bus.drain());
    const id = await submitTask(bus, { title: 'Fix the failing median tests in src/stats.js', repo: { url: repo.dir } }, { source: 'test' });
    const events: AnyCloudEvent[] = [];
    const follow = await followTask(bus, id, (e) => void events.push(e));

    await until(() => ollama.generations().length === 1, { timeoutMs: 20_000 });
    const stopping = Date.now();
    await first.stop(); // past its 300 ms grace the generation is aborted and the message released
    expect(Date.now() - stopping).toBeLessThan(5_000);

    const second = await startService(codegenService, { config });
    cleanup.push(() => second.stop());
    await follow.done;

    expect(events.at(-1)?.type).toBe(eventTypes.taskCompleted);
    const completed = events.at(-1);
    if (completed?.type === eventTypes.taskCompleted) expect(completed.data.attempts).toBe(1);
    expect(ollama.generations()).toHaveLength(2);
    expect(events.filter((e) => e.type === eventTypes.taskStage && e.data.stage === 'codegen' && e.data.status === 'failed')).toHaveLength(0);
  }, 90_000);
});
