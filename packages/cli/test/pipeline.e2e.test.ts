import { readFile, rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Bus,
  connectBus,
  followTask,
  openArtifacts,
  openBoard,
  openChangesLog,
  openDebugLog,
  readStream,
  readTaskEvents,
  submitTask,
} from '@patchbay/bus';
import { loadConfig } from '@patchbay/config';
import { type AnyCloudEvent, eventTypes, streams, subjects } from '@patchbay/contracts';
import { type RunningService, startServices } from '@patchbay/runtime';
import { createGitFixture, type GitFixture, type ScriptedOllama, startNats, startScriptedOllama, type TestNats } from '@patchbay/testkit';
import { ALL_SERVICES } from '../src/services.js';

const DEMO = new URL('../../../examples/demo-repo/', import.meta.url);
const REPLAY = new URL('../../../examples/demo-repo.replay.json', import.meta.url);
const MODEL = 'qwen2.5-coder:32b';

let nats: TestNats;
let ollama: ScriptedOllama;
let services: RunningService[];
let bus: Bus;
let workdir: string;
let answers: { wrong: string; right: string };

async function runTask(repo: GitFixture, title: string, id?: string): Promise<{ id: string; events: AnyCloudEvent[] }> {
  const taskId = await submitTask(bus, { title, repo: { url: repo.dir } }, { source: 'test', ...(id ? { id } : {}) });
  const events: AnyCloudEvent[] = [];
  const follow = await followTask(bus, taskId, (event) => void events.push(event));
  await follow.done;
  return { id: taskId, events };
}

beforeAll(async () => {
  nats = await startNats();
  ollama = await startScriptedOllama({ models: [MODEL] });
  workdir = await mkdtemp(join(tmpdir(), 'patchbay-e2e-'));
  const replay = JSON.parse(await readFile(REPLAY, 'utf8')) as { answers: Array<{ content: string }> };
  answers = { right: replay.answers[0]?.content ?? '', wrong: replay.answers[1]?.content ?? '' };
  const config = loadConfig({
    env: {},
    overrides: {
      nats: { url: nats.url },
      llm: { provider: 'ollama', host: ollama.url, model: MODEL },
      workdir,
      log: { level: 'silent' },
    },
  });
  services = await startServices(ALL_SERVICES, { config });
  bus = await connectBus({ url: nats.url, name: 'e2e-client' });
});

afterAll(async () => {
  await bus?.drain();
  await Promise.all((services ?? []).map((s) => s.stop()));
  await ollama?.close();
  await nats?.stop();
  await rm(workdir, { recursive: true, force: true });
});

describe('one task through the whole pipeline', () => {
  let repo: GitFixture;
  let result: { id: string; events: AnyCloudEvent[] };

  beforeAll(async () => {
    repo = await createGitFixture({ copyFrom: DEMO.pathname });
    ollama.enqueue({ content: answers.wrong, chunkSize: 24 }, { content: answers.right, chunkSize: 24 });
    result = await runTask(repo, 'Fix the failing median tests in src/stats.js');
  }, 120_000);

  afterAll(() => repo.remove());

  it('completes after two attempts: the first answer fails its tests, the second passes', () => {
    const last = result.events.at(-1);
    expect(last?.type).toBe(eventTypes.taskCompleted);
    if (last?.type !== eventTypes.taskCompleted) return;
    expect(last.data.attempts).toBe(2);
    expect(last.data.branch).toBe(`patchbay/${result.id}`);
    expect(last.data.attemptScores).toHaveLength(2);
    expect(last.data.attemptScores[0]).toBeLessThan(last.data.attemptScores[1] ?? 0);
    expect(last.data.score).toBe(1);
    expect(last.data.filesChanged).toEqual([{ path: 'src/stats.js', action: 'modify', linesAdded: 3, linesRemoved: 2 }]);
    expect(last.data.tokens.prompt).toBeGreaterThan(0);
    expect(last.data.tokens.completion).toBeGreaterThan(0);
    expect(last.data.model).toEqual({ provider: 'ollama', name: MODEL, replay: false });
    expect(last.data.durationMs).toBeGreaterThan(0);
  });

  it('sent the model the failing feedback on the second attempt, with a sized context window', () => {
    const calls = ollama.generations();
    expect(calls).toHaveLength(2);
    const second = calls[1]?.body as { messages: Array<{ content: string }>; options: { num_ctx: number } };
    const prompt = second.messages.map((m) => m.content).join('\n');
    expect(prompt).toContain('Feedback from the previous attempt');
    expect(prompt).toContain('median of an even-length list');
    expect(prompt).toMatch(/expected 2\.5 but got 3/);
    expect(second.options.num_ctx).toBeGreaterThanOrEqual(4096);
    // The context engine's repo map and conventions reach the model: the named file's signatures first.
    expect(prompt).toContain('## Repository map');
    expect(prompt).toMatch(/```\nsrc\/stats\.js:\n  export function mean\(values\)\n  export function median\(values\)\n/);
    expect(prompt).toContain('- Conventions: ');
  });

  it('leaves branch patchbay/<id> with exactly one commit on the base, and its tests pass', async () => {
    const branch = `patchbay/${result.id}`;
    expect(await repo.git('rev-list', '--count', `${repo.head}..${branch}`)).toBe('1');
    expect(await repo.git('rev-parse', `${branch}^`)).toBe(repo.head);
    expect(await repo.git('log', '-1', '--format=%B', branch)).toContain(`Patchbay-Task: ${result.id}`);
    const checkout = await mkdtemp(join(tmpdir(), 'patchbay-branch-'));
    try {
      await execa('git', ['clone', '-q', '--branch', branch, repo.dir, checkout]);
      const tests = await execa('node', ['--test'], { cwd: checkout, reject: false });
      expect(tests.exitCode).toBe(0);
    } finally {
      await rm(checkout, { recursive: true, force: true });
    }
    // The user's checkout is untouched.
    expect(await repo.git('status', '--porcelain')).toBe('');
    expect(await repo.git('rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
  });

  it('publishes the lifecycle in order on patchbay.tasks.<id>.events, ending with completed', () => {
    const lifecycle = result.events.filter((e) => e.type !== eventTypes.taskProgress);
    const seqs = lifecycle.map((e) => (e.data as { seq: number }).seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    const stages = lifecycle.flatMap((e) =>
      e.type === eventTypes.taskStage ? [`${e.data.stage}:${e.data.status}:${e.data.attempt}`] : [e.type.split('.').slice(3, -1).join('.')],
    );
    expect(stages[0]).toBe('accepted');
    expect(stages).toEqual(
      expect.arrayContaining(['context:completed:0', 'codegen:completed:1', 'assessment:completed:1', 'feedback:completed:1', 'codegen:completed:2', 'delivery:completed:2']),
    );
    const order = (s: string) => stages.indexOf(s);
    expect(order('codegen:completed:1')).toBeLessThan(order('assessment:completed:1'));
    expect(order('assessment:completed:1')).toBeLessThan(order('feedback:completed:1'));
    expect(order('feedback:completed:1')).toBeLessThan(order('codegen:started:2'));
    expect(order('assessment:completed:2')).toBeLessThan(order('delivery:started:2'));
    expect(stages.at(-1)).toBe('completed');
    expect(result.events.filter((e) => e.type === eventTypes.taskCompleted)).toHaveLength(1);
  });

  it('records one changes-log entry per file per attempt', async () => {
    const entries = await openChangesLog(bus).read(result.id);
    expect(entries.map((e) => [e.iteration, e.file, e.action, e.lines_added, e.lines_removed])).toEqual([
      [1, 'src/stats.js', 'modify', 3, 2],
      [2, 'src/stats.js', 'modify', 3, 2],
    ]);
    expect(entries.every((e) => e.task === result.id)).toBe(true);
  });

  it('puts the repository facts on the discovery board', async () => {
    const entries = await openBoard(bus).read(repo.dir);
    const byType = Object.fromEntries(entries.map((e) => [e.type, e]));
    expect(byType['test_command']?.data).toMatchObject({ unit: 'npm test', framework: 'node:test' });
    expect(byType['tech_stack']?.data).toMatchObject({ languages: ['JavaScript'] });
    expect(byType['tech_stack']?.commit).toBe(repo.head);
  });

  it('logs a first debugger hypothesis for the failing attempt', async () => {
    const entries = await openDebugLog(bus).read(result.id);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ iteration: 1, file: 'test/stats.test.js', outcome: 'inconclusive' });
    expect(entries[0]?.hypothesis).toMatch(/median\(\) in src\/stats\.js returns 3 where 2\.5 is expected/);
  });

  it('stores a final report naming the branch and the attempts', async () => {
    const last = result.events.at(-1);
    if (last?.type !== eventTypes.taskCompleted) throw new Error('not completed');
    const report = await (await openArtifacts(bus)).getText(last.data.reportRef);
    expect(report).toContain(`patchbay/${result.id}`);
    expect(report).toMatch(/\| 1 \| 0\.\d+ \| 3 passed, 2 failed|\| 1 \| 0\.\d+ \| 4 passed, 1 failed/);
    expect(report).toContain('Feedback between attempts');
  });
});

describe('robustness', () => {
  it('treats a second submission with the same id as the same task', async () => {
    const repo = await createGitFixture({ copyFrom: DEMO.pathname });
    try {
      ollama.enqueue({ content: answers.right });
      const id = 'same-id-twice';
      const event = {
        specversion: '1.0',
        id,
        source: 'external-system',
        type: eventTypes.taskSubmitted,
        time: new Date().toISOString(),
        subject: id,
        data: { title: 'Fix the median bug in src/stats.js', repo: { url: repo.dir } },
      };
      // Plain core publishes, without de-duplication headers: the router itself must notice.
      bus.nc.publish(subjects.taskSubmit, JSON.stringify(event));
      bus.nc.publish(subjects.taskSubmit, JSON.stringify({ ...event, data: { ...event.data, title: 'A different title' } }));
      const events: AnyCloudEvent[] = [];
      await (await followTask(bus, id, (e) => void events.push(e))).done;
      expect(events.filter((e) => e.type === eventTypes.taskAccepted)).toHaveLength(1);
      expect(events.at(-1)?.type).toBe(eventTypes.taskCompleted);
      const accepted = events.find((e) => e.type === eventTypes.taskAccepted);
      expect(accepted?.type === eventTypes.taskAccepted && accepted.data.title).toBe('Fix the median bug in src/stats.js');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await readTaskEvents(bus, id)).filter((e) => e.type === eventTypes.taskCompleted)).toHaveLength(1);
      expect(await repo.git('branch', '--list', 'patchbay/*')).toContain(`patchbay/${id}`);
    } finally {
      await repo.remove();
    }
  });

  it('dead-letters invalid messages with the reason and keeps serving', async () => {
    bus.nc.publish(subjects.taskSubmit, 'this is not json');
    bus.nc.publish(subjects.taskSubmit, JSON.stringify({ hello: 'world' }));
    bus.nc.publish(subjects.taskSubmit, JSON.stringify({ specversion: '1.0', id: 'x1', source: 's', type: 'dev.example.unknown.v1', time: new Date().toISOString(), data: {} }));
    bus.nc.publish(
      subjects.taskSubmit,
      JSON.stringify({ specversion: '1.0', id: 'x2', source: 's', type: eventTypes.taskSubmitted, time: new Date().toISOString(), data: { title: '' } }),
    );
    await bus.nc.flush();
    const deadline = Date.now() + 10_000;
    let letters: Awaited<ReturnType<typeof readStream>> = [];
    while (Date.now() < deadline) {
      letters = await readStream(bus, streams.deadLetters.name, subjects.deadLetter('router'));
      if (letters.length >= 4) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const reasons = letters.map((l) => (l.event.type === eventTypes.deadLetter ? l.event.data.reason : ''));
    expect(reasons).toEqual(['not_json', 'invalid_envelope', 'unknown_type', 'invalid_data']);
    const first = letters[0]?.event;
    expect(first?.type === eventTypes.deadLetter && first.data.payload).toBe('this is not json');

    // Still serving: a valid task after the garbage completes.
    const repo = await createGitFixture({ copyFrom: DEMO.pathname });
    try {
      ollama.enqueue({ content: answers.right });
      const { events } = await runTask(repo, 'Fix the median bug in src/stats.js');
      expect(events.at(-1)?.type).toBe(eventTypes.taskCompleted);
    } finally {
      await repo.remove();
    }
  });

  it('stops early when the same failure repeats after switching to whole files, with attempts left', async () => {
    const repo = await createGitFixture({ copyFrom: DEMO.pathname });
    try {
      ollama.enqueue({ content: answers.wrong }, { content: answers.wrong }, { content: answers.wrong });
      const before = ollama.generations().length;
      const id = await submitTask(bus, { title: 'Fix the failing median tests in src/stats.js', repo: { url: repo.dir }, constraints: { maxAttempts: 5 } }, { source: 'test' });
      const events: AnyCloudEvent[] = [];
      await (await followTask(bus, id, (e) => void events.push(e))).done;
      const last = events.at(-1);
      expect(last?.type).toBe(eventTypes.taskFailed);
      if (last?.type !== eventTypes.taskFailed) return;
      expect(last.data.attempts).toBe(3);
      expect(last.data.reason).toMatch(/^stopped early: attempts 2 and 3 failed the same way \(tests:/);
      // Three model calls, not five; the third asked for whole files.
      const calls = ollama.generations().slice(before);
      expect(calls).toHaveLength(3);
      const third = (calls[2]?.body as { messages: Array<{ content: string }> }).messages.map((m) => m.content).join('\n');
      expect(third).toContain('## Change of strategy');
      const report = await (await openArtifacts(bus)).getText(last.data.reportRef ?? '');
      expect(report).toContain('| 3 | qwen2.5-coder:32b |');
      expect(report).toContain('| QUALITY_THRESHOLD | whole files |');
    } finally {
      await repo.remove();
    }
  });

  it('escalates an architecture request to pm without touching the model', async () => {
    const before = ollama.generations().length;
    const repo = await createGitFixture({ copyFrom: DEMO.pathname });
    try {
      const { id, events } = await runTask(repo, 'Redesign the entire API architecture');
      expect(events.map((e) => e.type)).toEqual([eventTypes.taskEscalated]);
      const escalations = await readStream(bus, streams.escalations.name, subjects.escalation('pm'));
      expect(escalations.some((e) => e.event.type === eventTypes.taskEscalated && e.event.data.taskId === id)).toBe(true);
      expect(ollama.generations().length).toBe(before);
    } finally {
      await repo.remove();
    }
  });
});
