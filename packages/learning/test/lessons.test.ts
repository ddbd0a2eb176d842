import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, connectBus, ensureTopology } from '@patchbay/bus';
import { RepoLessons } from '@patchbay/contracts';
import { DEFAULT_LEARNING, currentWeight, emptyLessons, observeFailure, observeOutcome, openLessonStore, renderLessons } from '@patchbay/learning';
import { startNats, type TestNats } from '@patchbay/testkit';

const T0 = new Date('2026-05-01T00:00:00.000Z');
const days = (n: number) => new Date(T0.getTime() + n * 24 * 60 * 60 * 1000);
const sql = { key: 'rule:checklist/security/sql-built-from-strings', kind: 'rule' as const, text: 'checklist/security/sql-built-from-strings: use placeholders', where: 'src/db.js:12' };
const test = { key: 'test:median of two', kind: 'test' as const, text: 'Test "median of two" failed here before (expected 1.5 but got 2)', where: 'test/stats.test.js:14' };

describe('lessons: what recurs, what fixed it, and decay', () => {
  it('counts a failure once per attempt, however often the request is redelivered', () => {
    const first = observeFailure(emptyLessons('/r', T0), { taskId: 't1', attempt: 1, observations: [sql, test] }, T0);
    expect(first?.lessons.map((l) => [l.key, l.occurrences, l.weight])).toEqual([
      [sql.key, 1, 1],
      [test.key, 1, 1],
    ]);
    expect(observeFailure(first as RepoLessons, { taskId: 't1', attempt: 1, observations: [sql] }, T0)).toBeNull();
    expect(RepoLessons.safeParse(first).success).toBe(true);
  });

  it('weighs a failure that recurs in another task more than one that repeats within a task', () => {
    let r = observeFailure(emptyLessons('/r', T0), { taskId: 't1', attempt: 1, observations: [sql, test] }, T0) as RepoLessons;
    r = observeFailure(r, { taskId: 't1', attempt: 2, observations: [test] }, T0) as RepoLessons;
    r = observeFailure(r, { taskId: 't2', attempt: 1, observations: [sql] }, T0) as RepoLessons;
    const byKey = Object.fromEntries(r.lessons.map((l) => [l.key, l]));
    expect(byKey[sql.key]).toMatchObject({ occurrences: 2, tasks: ['t1', 't2'], weight: 2 });
    expect(byKey[test.key]).toMatchObject({ occurrences: 2, tasks: ['t1'], weight: 1.25 });
    expect(renderLessons(r, T0)?.keys).toEqual([sql.key, test.key]);
  });

  it('credits the advice that preceded a passing attempt, and tracks first-attempt passes with and without lessons', () => {
    let r = observeFailure(emptyLessons('/r', T0), { taskId: 't1', attempt: 1, observations: [test] }, T0) as RepoLessons;
    r = observeOutcome(r, { taskId: 't1', completed: true, firstAttemptPassed: false, applied: [], attempts: [{ attempt: 1, passed: false, keys: [test.key] }, { attempt: 2, passed: true, keys: [] }] }, T0) as RepoLessons;
    expect(r.lessons[0]).toMatchObject({ key: test.key, fixes: 1, weight: 2 });
    expect(r.stats).toEqual({ tasksWithout: 1, firstPassWithout: 0, tasksWith: 0, firstPassWith: 0, lessonsApplied: 0 });
    // The next task had the lesson in its prompt and passed at once: it helped.
    r = observeOutcome(r, { taskId: 't2', completed: true, firstAttemptPassed: true, applied: [test.key], attempts: [{ attempt: 1, passed: true, keys: [] }] }, T0) as RepoLessons;
    expect(r.lessons[0]).toMatchObject({ applied: 1, helped: 1, weight: 2.5 });
    expect(r.stats).toEqual({ tasksWithout: 1, firstPassWithout: 0, tasksWith: 1, firstPassWith: 1, lessonsApplied: 1 });
    expect(observeOutcome(r, { taskId: 't2', completed: true, firstAttemptPassed: true, applied: [test.key], attempts: [{ attempt: 1, passed: true, keys: [] }] }, T0)).toBeNull();
  });

  it('decays lessons that stop helping, and with time, until they are forgotten', () => {
    let r = observeFailure(emptyLessons('/r', T0), { taskId: 't1', attempt: 1, observations: [sql] }, T0) as RepoLessons;
    // Shown in the prompt, and the same failure happened anyway: halved.
    r = observeOutcome(r, { taskId: 't2', completed: false, firstAttemptPassed: false, applied: [sql.key], attempts: [{ attempt: 1, passed: false, keys: [sql.key] }] }, T0) as RepoLessons;
    expect(r.lessons[0]).toMatchObject({ applied: 1, helped: 0, weight: 0.5 });
    // A half-life later it weighs half as much; after enough of them it is gone.
    expect(currentWeight(r.lessons[0] as never, days(30), 30)).toBeCloseTo(0.25, 5);
    expect(renderLessons(r, days(30))).not.toBeNull();
    expect(renderLessons(r, days(90))).toBeNull();
    const later = observeFailure(r, { taskId: 't3', attempt: 1, observations: [test] }, days(90)) as RepoLessons;
    expect(later.lessons.map((l) => l.key)).toEqual([test.key]);
  });

  it('renders the heaviest lessons within the token budget, one line each', () => {
    let r = emptyLessons('/r', T0);
    for (let i = 0; i < 12; i++) {
      r = observeFailure(r, { taskId: `t${i}`, attempt: 1, observations: [{ key: `rule:r${i}`, kind: 'rule', text: `rule ${i}: ${'x'.repeat(150)}`, where: `f${i}.js:1` }] }, T0) as RepoLessons;
    }
    const shown = renderLessons(r, T0, { ...DEFAULT_LEARNING, tokenBudget: 150 });
    expect(shown?.text.length).toBeLessThanOrEqual(600);
    expect(shown?.keys.length).toBeGreaterThan(0);
    expect(shown?.keys.length).toBeLessThan(5);
    for (const line of shown?.text.split('\n') ?? []) expect(line.startsWith('- rule ')).toBe(true);
    expect(renderLessons(r, T0, { ...DEFAULT_LEARNING, maxLessons: 0 })).toBeNull();
  });
});

describe('the lessons store in JetStream KV', () => {
  let nats: TestNats;
  let bus: Bus;
  beforeAll(async () => {
    nats = await startNats();
    bus = await connectBus({ url: nats.url, name: 'lessons-test' });
    await ensureTopology(bus);
  });
  afterAll(async () => {
    await bus?.drain();
    await nats?.stop();
  });

  it('keeps lessons per repository, and concurrent writers lose nothing', async () => {
    const store = await openLessonStore(bus);
    expect(await store.get('/srv/a')).toBeNull();
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => store.update('/srv/a', (current) => observeFailure(current, { taskId: `t${i}`, attempt: 1, observations: [sql] }, T0), T0)),
    );
    const a = await store.get('/srv/a');
    expect(a?.lessons[0]).toMatchObject({ key: sql.key, occurrences: 6 });
    expect(a?.repo).toBe('/srv/a');
    expect(await store.get('/srv/b')).toBeNull();
    // The same repository, written differently, is the same key.
    expect((await store.get('/srv/a/'))?.lessons).toHaveLength(1);
  });
});
