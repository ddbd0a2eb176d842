import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Bus,
  connectBus,
  followTask,
  openStateStore,
  readStream,
  readTaskEvents,
  reportCiFailure,
  submitTask,
} from '@patchbay/bus';
import { loadConfig } from '@patchbay/config';
import { type AnyCloudEvent, buckets, eventTypes, streams, subjectPatterns } from '@patchbay/contracts';
import { TaskState } from '@patchbay/router';
import { type RunningService, startService, startServices } from '@patchbay/runtime';
import { createGitFixture, type GitFixture, type ScriptedOllama, startNats, startScriptedOllama, type TestNats } from '@patchbay/testkit';
import { ALL_SERVICES } from '../src/services.js';

/**
 * Two router processes share the router's durable consumers, as when a user starts the
 * router twice, and every service handles up to four messages at once. Several tasks in
 * flight at the same time must still each get one clean lifecycle and one branch.
 */

const DEMO = new URL('../../../examples/demo-repo/', import.meta.url);
const REPLAY = new URL('../../../examples/demo-repo.replay.json', import.meta.url);
const MODEL = 'qwen2.5-coder:32b';
const TASKS = 4;

let nats: TestNats;
let ollama: ScriptedOllama;
let services: RunningService[];
let routers: RunningService[];
let bus: Bus;
let workdir: string;
let correct: string;
let wrong: string;

/** Waits for a task's terminal event, collecting every event on the way. */
async function untilTerminal(id: string): Promise<AnyCloudEvent[]> {
  const events: AnyCloudEvent[] = [];
  const follow = await followTask(bus, id, (event) => void events.push(event));
  await follow.done;
  return events;
}

const lifecycleOf = (events: AnyCloudEvent[]) => events.filter((e) => e.type !== eventTypes.taskProgress);
const seqOf = (e: AnyCloudEvent) => (e.data as { seq?: number }).seq;

/** Sums a Prometheus counter over the series whose labels include all of `labels`. */
async function counter(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(url)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

const metricsPath = (service: RunningService) => `${service.metricsUrl.replace(/\/metrics$/, '')}/metrics`;

/** Reads the stored state of a task. */
async function storedState(id: string): Promise<TaskState | undefined> {
  const store = await openStateStore(bus, buckets.tasks, TaskState);
  return (await store.get(id))?.value;
}

/** The checks every completed task must pass, whatever ran alongside it. */
async function expectCleanCompletion(id: string, repo: GitFixture, followed: AnyCloudEvent[]): Promise<void> {
  expect(followed.at(-1)?.type).toBe(eventTypes.taskCompleted);
  // Read again from the stream, after the fact: nothing was published twice or after the end.
  const stored = lifecycleOf(await readTaskEvents(bus, id));
  const seqs = stored.map(seqOf);
  expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  expect(stored.map((e) => e.id)).toEqual([...new Set(stored.map((e) => e.id))]);
  expect(stored.filter((e) => e.type === eventTypes.taskAccepted)).toHaveLength(1);
  expect(stored.filter((e) => e.type === eventTypes.taskCompleted)).toHaveLength(1);
  expect(stored.at(-1)?.type).toBe(eventTypes.taskCompleted);
  // Every event is about this task.
  expect(stored.every((e) => e.subject === id)).toBe(true);
  expect(lifecycleOf(followed).map(seqOf)).toEqual(seqs);

  const completed = stored.at(-1);
  if (completed?.type !== eventTypes.taskCompleted) throw new Error('not completed');
  expect(completed.data.branch).toBe(`patchbay/${id}`);
  expect(completed.data.attempts).toBe(1);
  expect(completed.data.baseCommit).toBe(repo.head);
  expect(completed.data.filesChanged).toEqual([{ path: 'src/stats.js', action: 'modify', linesAdded: 3, linesRemoved: 2 }]);

  // Exactly its own branch, one commit on the base, in its own repository.
  expect((await repo.git('branch', '--list', 'patchbay/*', '--format=%(refname:short)')).split('\n')).toEqual([`patchbay/${id}`]);
  expect(await repo.git('rev-parse', `patchbay/${id}`)).toBe(completed.data.commit);
  expect(await repo.git('rev-parse', `patchbay/${id}^`)).toBe(repo.head);
  expect(await repo.git('log', '-1', '--format=%B', `patchbay/${id}`)).toContain(`Patchbay-Task: ${id}`);
  expect(await repo.git('diff', '--name-only', repo.head, `patchbay/${id}`)).toBe('src/stats.js');
  expect(await repo.git('show', `patchbay/${id}:src/stats.js`)).toContain('(sorted[middle - 1] + sorted[middle]) / 2');
  expect(await repo.git('status', '--porcelain')).toBe('');
  expect(await repo.git('rev-parse', 'HEAD')).toBe(repo.head);

  // The stored state agrees and owes the bus nothing.
  const state = await storedState(id);
  expect(state?.status).toBe('completed');
  expect(state?.outbox).toEqual([]);
  expect(state?.seq).toBe(seqs.length);
}

beforeAll(async () => {
  nats = await startNats();
  ollama = await startScriptedOllama({ models: [MODEL] });
  workdir = await mkdtemp(join(tmpdir(), 'patchbay-concurrency-'));
  const replay = JSON.parse(await readFile(REPLAY, 'utf8')) as { answers: Array<{ content: string }> };
  correct = replay.answers[0]?.content ?? '';
  wrong = replay.answers[1]?.content ?? '';
  expect(correct).toContain('sorted[middle - 1]');
  const config = loadConfig({
    env: {},
    overrides: {
      nats: { url: nats.url },
      llm: { provider: 'ollama', host: ollama.url, model: MODEL },
      workdir,
      log: { level: 'silent' },
      service: { concurrency: 4 },
    },
  });
  expect(config.service.concurrency).toBe(4);
  services = await startServices(ALL_SERVICES, { config });
  const routerDefinition = ALL_SERVICES.find((s) => s.name === 'router');
  if (!routerDefinition) throw new Error('no router service');
  // The second router: its own connection, metrics and consumer loops, the same durables.
  services.push(await startService(routerDefinition, { config }));
  routers = services.filter((s) => s.name === 'router');
  bus = await connectBus({ url: nats.url, name: 'concurrency-client' });
});

afterAll(async () => {
  await bus?.drain();
  await Promise.all((services ?? []).map((s) => s.stop()));
  await ollama?.close();
  await nats?.stop();
  if (workdir) await rm(workdir, { recursive: true, force: true });
});

describe('two routers, concurrency 4', () => {
  it('starts two router instances on separate endpoints', () => {
    expect(routers).toHaveLength(2);
    expect(routers[0]?.metricsUrl).not.toBe(routers[1]?.metricsUrl);
    expect(services.map((s) => s.name).sort()).toEqual(
      ['codegen', 'context-engine', 'debugger', 'feedback-processor', 'quality-assessor', 'router', 'router'],
    );
  });

  describe(`${TASKS} tasks submitted at once on ${TASKS} repositories`, () => {
    const repos: GitFixture[] = [];
    const ids: string[] = [];
    const results = new Map<string, AnyCloudEvent[]>();

    beforeAll(async () => {
      for (let i = 0; i < TASKS; i++) repos.push(await createGitFixture({ copyFrom: DEMO.pathname }));
      ollama.enqueue(...repos.map(() => ({ content: correct, chunkSize: 64 })));
      // Submit them all before waiting for any.
      const submitted = await Promise.all(
        repos.map((repo, i) =>
          submitTask(bus, { title: `Fix the failing median tests in src/stats.js (#${i + 1})`, repo: { url: repo.dir } }, { source: 'concurrency-test' }),
        ),
      );
      ids.push(...submitted);
      const all = await Promise.all(ids.map((id) => untilTerminal(id)));
      ids.forEach((id, i) => results.set(id, all[i] ?? []));
      // Give a stray duplicate (if any) the time to show up before the checks read the streams.
      await new Promise((resolve) => setTimeout(resolve, 300));
    }, 55_000);

    afterAll(async () => {
      await Promise.all(repos.map((r) => r.remove()));
    });

    it('completes every task, each with a gap-free lifecycle and exactly its own branch', async () => {
      expect(new Set(ids).size).toBe(TASKS);
      for (const [i, id] of ids.entries()) {
        const repo = repos[i];
        if (!repo) throw new Error('missing repo');
        await expectCleanCompletion(id, repo, results.get(id) ?? []);
      }
    });

    it('gave each task its own context and its own title', () => {
      for (const [i, id] of ids.entries()) {
        const events = results.get(id) ?? [];
        const accepted = events.find((e) => e.type === eventTypes.taskAccepted);
        expect(accepted?.type === eventTypes.taskAccepted && accepted.data.title).toBe(`Fix the failing median tests in src/stats.js (#${i + 1})`);
        expect(accepted?.type === eventTypes.taskAccepted && accepted.data.repo.url).toBe(repos[i]?.dir);
      }
    });

    it('called the model exactly once per task', () => {
      expect(ollama.generations()).toHaveLength(TASKS);
      expect(ollama.pending()).toBe(0);
      // Each task's prompt was about its own title.
      const prompts = ollama.generations().map((c) => (c.body as { messages: Array<{ content: string }> }).messages.map((m) => m.content).join('\n'));
      for (let i = 1; i <= TASKS; i++) expect(prompts.filter((p) => p.includes(`(#${i})`))).toHaveLength(1);
    });

    it('handled every router message once across both routers, with no failures or dead letters', async () => {
      // Per task: the submission, then context, codegen, assessment and delivery results.
      const perRouter = await Promise.all(
        routers.map((r) => counter(metricsPath(r), 'patchbay_messages_handled_total', { service: 'router', outcome: 'ack' })),
      );
      expect(perRouter.reduce((a, b) => a + b, 0)).toBe(TASKS * 5);
      // Both routers took part: the durables are shared, not owned by the first one started.
      for (const handled of perRouter) expect(handled).toBeGreaterThan(0);
      for (const r of routers) {
        expect(await counter(metricsPath(r), 'patchbay_failures_total')).toBe(0);
        expect(await counter(metricsPath(r), 'patchbay_messages_handled_total', { outcome: 'retry' })).toBe(0);
      }
      const letters = await readStream(bus, streams.deadLetters.name, subjectPatterns.allDeadLetters);
      expect(letters.map((l) => (l.event.type === eventTypes.deadLetter ? `${l.event.data.service}: ${l.event.data.error}` : l.subject))).toEqual([]);
    });
  });

  describe('a CI failure report', () => {
    let repo: GitFixture;
    let id: string;
    let events: AnyCloudEvent[];

    beforeAll(async () => {
      repo = await createGitFixture({ copyFrom: DEMO.pathname });
      ollama.enqueue({ content: correct });
      id = await reportCiFailure(
        bus,
        {
          repo: { url: repo.dir, ref: 'main' },
          pipeline: 'ci',
          job: 'unit-tests',
          testCommand: 'npm test',
          failingTests: ['median of an unsorted list', 'median of an even-length list'],
          log: 'not ok 4 - median of an even-length list\n  expected: 2.5\n  actual: 3\n# tests 5\n# pass 3\n# fail 2\n',
        },
        { source: 'ci-system' },
      );
      events = await untilTerminal(id);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }, 30_000);

    afterAll(() => repo?.remove());

    it('is accepted as a BUG_FIXING task from ci, routed to codegen', () => {
      const accepted = events.find((e) => e.type === eventTypes.taskAccepted);
      if (accepted?.type !== eventTypes.taskAccepted) throw new Error('not accepted');
      expect(accepted.data.origin).toBe('ci');
      expect(accepted.data.mode).toBe('BUG_FIXING');
      expect(accepted.data.route.agent).toBe('codegen');
      expect(accepted.data.route.reason).toBe('CI failure: implementation work');
      expect(accepted.data.title).toBe('Fix the CI failure in ci / unit-tests');
      expect(events.some((e) => e.type === eventTypes.taskEscalated)).toBe(false);
    });

    it('shows the model the failing tests and the log', () => {
      const last = ollama.generations().at(-1)?.body as { messages: Array<{ content: string }> };
      const prompt = last.messages.map((m) => m.content).join('\n');
      expect(prompt).toContain('median of an even-length list');
      expect(prompt).toContain('expected: 2.5');
    });

    it('completes with a clean lifecycle and one branch', async () => {
      await expectCleanCompletion(id, repo, events);
      const state = await storedState(id);
      expect(state?.origin).toBe('ci');
      expect(state?.mode).toBe('BUG_FIXING');
    });
  });
  describe('a task whose feedback and debug results race', () => {
    let repo: GitFixture;
    let id: string;
    let events: AnyCloudEvent[];

    beforeAll(async () => {
      repo = await createGitFixture({ copyFrom: DEMO.pathname });
      // The first answer sorts but fails the even-length test; the second is right.
      ollama.enqueue({ content: wrong }, { content: correct });
      id = await submitTask(bus, { title: 'Fix the failing median tests in src/stats.js', repo: { url: repo.dir } }, { source: 'concurrency-test' });
      events = await untilTerminal(id);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }, 30_000);

    afterAll(() => repo?.remove());

    it('records both results once, whichever router took each, and completes on attempt 2', async () => {
      const stored = lifecycleOf(await readTaskEvents(bus, id));
      const seqs = stored.map(seqOf);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      const stages = stored.flatMap((e) => (e.type === eventTypes.taskStage ? [`${e.data.stage}:${e.data.status}:${e.data.attempt}`] : []));
      for (const stage of ['feedback:started:1', 'feedback:completed:1', 'debug:started:1', 'debug:completed:1', 'codegen:started:2']) {
        expect(stages.filter((s) => s === stage), stage).toHaveLength(1);
      }
      const completed = stored.at(-1);
      if (completed?.type !== eventTypes.taskCompleted) throw new Error(`ended with ${completed?.type}`);
      expect(completed.data.attempts).toBe(2);
      expect(completed.data.attemptScores).toHaveLength(2);
      expect(lifecycleOf(events).map(seqOf)).toEqual(seqs);
      const state = await storedState(id);
      expect(state?.outbox).toEqual([]);
      expect(state?.attempts[0]?.feedback).toBeTruthy();
      expect(state?.attempts[0]?.hypothesis).toMatch(/median/);
      expect((await repo.git('branch', '--list', 'patchbay/*', '--format=%(refname:short)')).split('\n')).toEqual([`patchbay/${id}`]);
    });
  });
});
