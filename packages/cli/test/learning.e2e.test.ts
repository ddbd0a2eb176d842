import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, connectBus, followStream, followTask, openArtifacts, submitFeedback, submitTask } from '@patchbay/bus';
import { loadConfig } from '@patchbay/config';
import { type AnyCloudEvent, eventTypes, streams, subjects } from '@patchbay/contracts';
import { openLessonStore } from '@patchbay/learning';
import { type RunningService, startServices } from '@patchbay/runtime';
import { createGitFixture, type GitFixture, type ScriptedOllama, startNats, startScriptedOllama, type TestNats } from '@patchbay/testkit';
import { ALL_SERVICES } from '../src/services.js';

/*
 * Learning per repository and a person's review, through the whole pipeline: lessons
 * learned on one task appear in the next task's prompt for the same repository, and not
 * for another; `patchbay feedback` re-opens a completed task and lands a new commit on its
 * branch. The model is the scripted Ollama server; everything else is real.
 */

const ROOT = new URL('../../../', import.meta.url).pathname;
const DEMO = join(ROOT, 'examples/demo-repo');
const BIN = join(ROOT, 'packages/cli/dist/bin.js');
const MODEL = 'qwen2.5-coder:32b';
const TITLE = 'Fix the failing median tests in src/stats.js';

let nats: TestNats;
let ollama: ScriptedOllama;
let services: RunningService[];
let bus: Bus;
let workdir: string;
let answers: { wrong: string; right: string };

const promptOf = (i: number) => (ollama.generations()[i]?.body as { messages: Array<{ content: string }> }).messages.map((m) => m.content).join('\n');

async function runTask(repo: GitFixture): Promise<{ id: string; events: AnyCloudEvent[] }> {
  const id = await submitTask(bus, { title: TITLE, repo: { url: repo.dir } }, { source: 'test' });
  const events: AnyCloudEvent[] = [];
  await (await followTask(bus, id, (e) => void events.push(e))).done;
  return { id, events };
}

beforeAll(async () => {
  nats = await startNats();
  ollama = await startScriptedOllama({ models: [MODEL] });
  workdir = await mkdtemp(join(tmpdir(), 'patchbay-learning-'));
  const replay = JSON.parse(await readFile(join(ROOT, 'examples/demo-repo.replay.json'), 'utf8')) as { answers: Array<{ content: string }> };
  answers = { right: replay.answers[0]?.content ?? '', wrong: replay.answers[1]?.content ?? '' };
  const config = loadConfig({ env: {}, overrides: { nats: { url: nats.url }, llm: { provider: 'ollama', host: ollama.url, model: MODEL }, workdir, log: { level: 'silent' } } });
  services = await startServices(ALL_SERVICES, { config });
  bus = await connectBus({ url: nats.url, name: 'learning-e2e' });
}, 60_000);

afterAll(async () => {
  await bus?.drain();
  await Promise.all((services ?? []).map((s) => s.stop()));
  await ollama?.close();
  await nats?.stop();
  await rm(workdir, { recursive: true, force: true });
});

describe('lessons per repository', () => {
  let repo: GitFixture;
  let other: GitFixture;
  beforeAll(async () => {
    repo = await createGitFixture({ copyFrom: DEMO });
    other = await createGitFixture({ copyFrom: DEMO });
  });
  afterAll(async () => {
    await repo.remove();
    await other.remove();
  });

  it('feeds what one task learned into the next task for the same repository, and not for another', async () => {
    const before = ollama.generations().length;
    ollama.enqueue({ content: answers.wrong }, { content: answers.right });
    const first = await runTask(repo);
    expect(first.events.at(-1)?.type).toBe(eventTypes.taskCompleted);
    // The first task's prompts had no lessons: the repository had taught nothing yet.
    expect(promptOf(before)).not.toContain('Lessons from earlier tasks in this repository');

    const lessons = await (await openLessonStore(bus)).get(repo.dir);
    expect(lessons?.lessons.map((l) => l.key)).toContain('test:median of an even-length list');

    ollama.enqueue({ content: answers.right });
    const second = await runTask(repo);
    expect(second.events.at(-1)?.type).toBe(eventTypes.taskCompleted);
    const prompt = promptOf(before + 2);
    expect(prompt).toContain('## Lessons from earlier tasks in this repository');
    expect(prompt).toMatch(/- Test "median of an even-length list" failed here before \(expected 2\.5 but got 3\)/);

    ollama.enqueue({ content: answers.right });
    const elsewhere = await runTask(other);
    expect(elsewhere.events.at(-1)?.type).toBe(eventTypes.taskCompleted);
    expect(promptOf(before + 3)).not.toContain('Lessons from earlier tasks');
  });

  it('learns from how tasks ended and exports learning metrics', async () => {
    const store = await openLessonStore(bus);
    const deadline = Date.now() + 10_000;
    let stats = (await store.get(repo.dir))?.stats;
    while ((stats?.tasksWith ?? 0) < 1 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      stats = (await store.get(repo.dir))?.stats;
    }
    // Task one had no lessons and failed its first attempt; task two had one and passed at once.
    expect(stats).toMatchObject({ tasksWithout: 1, firstPassWithout: 0, tasksWith: 1, firstPassWith: 1 });
    const lesson = (await store.get(repo.dir))?.lessons.find((l) => l.key === 'test:median of an even-length list');
    expect(lesson).toMatchObject({ fixes: 1, applied: 1, helped: 1 });

    const url = services.find((s) => s.name === 'feedback-processor')?.metricsUrl ?? '';
    const body = await (await fetch(url)).text();
    expect(body).toMatch(/patchbay_learning_tasks_total\{[^}]*lessons="with"[^}]*first_attempt="passed"[^}]*\} 1/);
    expect(body).toMatch(/patchbay_learning_tasks_total\{[^}]*lessons="without"[^}]*first_attempt="failed"[^}]*\} 1/);
    expect(body).toMatch(/patchbay_lessons_applied_total\{[^}]*\} [1-9]/);
  });
});

describe('a person\'s review re-opens a completed task', () => {
  it('runs another attempt on the delivered branch and lands it as a new commit on patchbay/<task-id>', async () => {
    const repo = await createGitFixture({ copyFrom: DEMO });
    try {
      ollama.enqueue({ content: answers.right });
      const { id, events } = await runTask(repo);
      const done = events.at(-1);
      if (done?.type !== eventTypes.taskCompleted) throw new Error(`task did not complete: ${done?.type}`);
      const branch = `patchbay/${id}`;
      const delivered = await repo.git('rev-parse', branch);

      const review = 'Say in the doc comment that an even-length list gives the mean of the two middle values.';
      const docs = [
        'src/stats.js',
        '<<<<<<< SEARCH',
        '/** Middle value of a non-empty list of numbers. */',
        '=======',
        '/** Middle value of a non-empty list of numbers; for an even length, the mean of the two middle values. */',
        '>>>>>>> REPLACE',
        '',
      ].join('\n');
      ollama.enqueue({ content: docs });
      const generations = ollama.generations().length;
      const seq = (done.data as { seq: number }).seq;

      // Through the CLI, as a person would.
      const cli = await execa('node', [BIN, 'feedback', id, review, '--author', 'ana', '--follow', '--timeout', '120'], {
        env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', NATS_URL: nats.url, LOG_LEVEL: 'warn' },
        reject: false,
        all: true,
        timeout: 150_000,
      });
      expect(cli.exitCode, cli.all).toBe(0);
      expect(cli.all).toContain(`feedback sent: task ${id} re-opens for attempt 2 on ${branch}`);
      expect(cli.all).toContain('↺ re-opened by review from ana');
      expect(cli.all).toMatch(/✓ completed in 2 attempt\(s\)/);

      // The new attempt saw the review and the delivered code, not the original.
      const prompt = promptOf(generations);
      expect(prompt).toContain(review);
      expect(prompt).toContain('sorted.length % 2 === 0');
      // A new commit on the same branch, on top of the delivered one.
      const head = await repo.git('rev-parse', branch);
      expect(head).not.toBe(delivered);
      expect(await repo.git('rev-parse', `${branch}^`)).toBe(delivered);
      expect(await repo.git('show', `${branch}:src/stats.js`)).toContain('for an even length, the mean of the two middle values');

      const after: AnyCloudEvent[] = [];
      const follow = await followStream(bus, streams.events.name, subjects.taskEvents(id), ({ event }) => {
        after.push(event);
        return event.type === eventTypes.taskCompleted && (event.data as { seq: number }).seq > seq;
      });
      await follow.done;
      const reopened = after.find((e) => e.type === eventTypes.taskReopened);
      expect(reopened?.data).toMatchObject({ attempt: 2, text: review, author: 'ana', branch, fromCommit: delivered });
      const last = after.at(-1);
      expect(last?.type === eventTypes.taskCompleted && last.data).toMatchObject({ commit: head, baseCommit: delivered, attempts: 2 });
      const report = await (await openArtifacts(bus)).getText(`reports/${id}.md`);
      expect(report).toContain('After attempt 1:');
      expect(report).toContain('A reviewer (ana) looked at the delivered change');

      // Feedback on a task that is not completed changes nothing and says why.
      const unknown = await execa('node', [BIN, 'feedback', 'no-such-task', 'more'], { env: { PATH: process.env['PATH'] ?? '', NATS_URL: nats.url }, reject: false, all: true });
      expect(unknown.exitCode).toBe(1);
      expect(unknown.all).toContain('no task no-such-task');
      const bad = await execa('node', [BIN, 'feedback', id, '   '], { env: { PATH: process.env['PATH'] ?? '', NATS_URL: nats.url }, reject: false, all: true });
      expect(bad.exitCode).toBe(2);
      await submitFeedback(bus, { taskId: 'no-such-task', text: 'x' }, { source: 'test' });
    } finally {
      await repo.remove();
    }
  }, 180_000);
});
