import { mkdtemp, rm, symlink, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, connectBus, encodeEvent, ensureTopology, openArtifacts, readStream } from '@patchbay/bus';
import { loadConfig } from '@patchbay/config';
import { CompleteRepoContext, ContextAnswer, createEvent, eventTypes, streams, subjects } from '@patchbay/contracts';
import { contextEngineService } from '@patchbay/context-engine';
import { type RunningService, startServices } from '@patchbay/runtime';
import { type GitFixture, type TestNats, createGitFixture, startNats } from '@patchbay/testkit';
import { TS_LAYERED } from './fixtures/repos.js';

let nats: TestNats;
let bus: Bus;
let workdir: string;
/** The directory the engine may read checkouts under, and one it may not. */
let allowed: string;
let elsewhere: string;
let repo: GitFixture;
let outside: GitFixture;
let services: RunningService[] = [];

/** A context query as `patchbay context` sends it: a NATS request, answered by one engine instance. */
async function ask(data: Record<string, unknown>, raw?: Uint8Array): Promise<ContextAnswer> {
  const payload = raw ?? encodeEvent(createEvent(eventTypes.contextQuery, { title: 'Apply a discount in getOrder', mapBudget: 4096, ...data } as never, { source: 'test' }));
  const reply = await bus.nc.request(subjects.contextQuery, payload, { timeout: 30_000 });
  const event = reply.json<{ type: string; data: unknown }>();
  expect(event.type).toBe(eventTypes.contextAnswer);
  return ContextAnswer.parse(event.data);
}

const errorOf = (answer: ContextAnswer) => (answer.ok ? undefined : answer.error);

beforeAll(async () => {
  nats = await startNats();
  bus = await connectBus({ url: nats.url, name: 'context-query-test' });
  await ensureTopology(bus);
  workdir = await mkdtemp(join(tmpdir(), 'patchbay-query-'));
  allowed = await mkdtemp(join(tmpdir(), 'patchbay-roots-'));
  elsewhere = await mkdtemp(join(tmpdir(), 'patchbay-elsewhere-'));
  repo = await createGitFixture(TS_LAYERED);
  outside = await createGitFixture({ 'src/secret.ts': 'export const outsideOnly = 1;\n' });
  // The engine may read what lies under `allowed`: the fixture is linked in, and a link inside points outside.
  await symlink(repo.dir, join(allowed, 'shop'));
  await symlink(outside.dir, join(allowed, 'escape'));
  const config = loadConfig({
    env: {},
    overrides: { nats: { url: nats.url }, workdir, log: { level: 'silent' }, context: { localRoots: [allowed, repo.dir] } },
  });
  services = await startServices([contextEngineService], { config });
}, 60_000);

afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
  await bus?.drain();
  await nats?.stop();
  for (const dir of [workdir, allowed, elsewhere]) if (dir) await rm(dir, { recursive: true, force: true });
  await repo?.remove();
  await outside?.remove();
});

describe('context queries (request/reply)', () => {
  it('answers with the working tree as it is, uncommitted edits included, from memory the second time', async () => {
    const orders = join(repo.dir, 'src/services/orders.ts');
    await writeFile(orders, `${await readFile(orders, 'utf8')}\nexport function applyDiscount(cents: number, percent: number): number {\n  return cents - (cents * percent) / 100;\n}\n`);
    const first = await ask({ path: repo.dir, head: repo.head });
    if (!first.ok) throw new Error(first.error.message);
    expect(first.servedBy).toMatch(/^context-engine on .+ \(pid \d+\)$/);
    const artifacts = await openArtifacts(bus);
    const context = await artifacts.getJson(first.contextRef, CompleteRepoContext);
    expect(context.repoMap.text).toContain('export function applyDiscount(cents: number, percent: number): number');
    expect(context.repoMap.ranked[0]?.path).toBe('src/services/orders.ts');
    expect(context.testCommand).toBe('npm test');

    const again = await ask({ path: repo.dir, head: repo.head });
    if (!again.ok) throw new Error(again.error.message);
    expect((await artifacts.getJson(again.contextRef, CompleteRepoContext)).cache.analysis).toBe('hit');

    // The engine watches the checkout now; an edit made right before asking is in the answer all the same.
    for (let i = 0; i < 3; i++) {
      await writeFile(orders, `${await readFile(orders, 'utf8')}\nexport const rush${i} = ${i};\n`);
      const answer = await ask({ path: repo.dir, head: repo.head, title: `Use rush${i} in getOrder` });
      if (!answer.ok) throw new Error(answer.error.message);
      const seen = await artifacts.getJson(answer.contextRef, CompleteRepoContext);
      expect(seen.cache.analysis, `edit ${i}`).toBe('incremental');
      // The file's content as offered to the model (the map shows only its best symbols).
      expect(seen.relevant.find((f) => f.path === 'src/services/orders.ts')?.content).toContain(`export const rush${i} = ${i};`);
    }
  });

  it('refuses what it may not read or does not see as the asker does, saying why', async () => {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ path: outside.dir, head: outside.head }, 'FORBIDDEN', /is outside the directories this context engine may read/],
      // Under an allowed root by name, outside it in fact.
      [{ path: join(allowed, 'escape'), head: outside.head }, 'FORBIDDEN', /is outside the directories/],
      [{ path: join(elsewhere, 'gone'), head: repo.head }, 'NOT_FOUND', /does not exist on the context engine's machine/],
      [{ path: join(repo.dir, 'src'), head: repo.head }, 'INPUT_INVALID', /is not the top-level directory of a git checkout/],
      [{ path: repo.dir, head: 'a'.repeat(40) }, 'INPUT_INVALID', /sees another checkout .*HEAD [0-9a-f]{40}, not a{40}/],
    ];
    for (const [data, code, message] of cases) {
      const error = errorOf(await ask(data));
      expect(error?.code, JSON.stringify(data)).toBe(code);
      expect(error?.message).toMatch(message);
    }
    // Through the allowed link, the same checkout is served.
    expect((await ask({ path: join(allowed, 'shop'), head: repo.head })).ok).toBe(true);
  });

  it('dead-letters an invalid query with the reason and answers with it', async () => {
    const answer = await ask({}, new TextEncoder().encode(JSON.stringify({ ...createEvent(eventTypes.contextQuery, { path: '/x', head: 'b'.repeat(40), title: 't', mapBudget: 1 }, { source: 'test' }), data: { path: 'relative/dir' } })));
    expect(errorOf(answer)?.code).toBe('INPUT_INVALID');
    const letters = await readStream(bus, streams.deadLetters.name, subjects.deadLetter('context-engine'));
    const letter = letters.find((l) => l.event.type === eventTypes.deadLetter && JSON.stringify(l.event.data).includes('relative/dir'));
    expect(letter?.event.data).toMatchObject({ service: 'context-engine', subject: subjects.contextQuery, reason: 'invalid_data' });

    // Published without a reply subject, a query cannot be answered: it is dead-lettered, not dropped.
    bus.nc.publish(subjects.contextQuery, encodeEvent(createEvent(eventTypes.contextQuery, { path: '/nobody/listens', head: 'c'.repeat(40), title: 't', mapBudget: 1 }, { source: 'test' })));
    let unanswerable;
    for (let i = 0; i < 100 && !unanswerable; i++) {
      await new Promise((r) => setTimeout(r, 50));
      unanswerable = (await readStream(bus, streams.deadLetters.name, subjects.deadLetter('context-engine'))).find((l) => JSON.stringify(l.event.data).includes('/nobody/listens'));
    }
    expect(unanswerable?.event.data).toMatchObject({ reason: 'invalid_envelope', error: expect.stringContaining('publish it with a reply subject') });
  });

  it('answers that it reads no checkouts when no local roots are configured', async () => {
    const config = loadConfig({ env: {}, overrides: { nats: { url: nats.url }, workdir, log: { level: 'silent' } } });
    expect(config.context.localRoots).toEqual([]);
    // Only this instance answers now.
    await Promise.all(services.map((s) => s.stop()));
    services = await startServices([contextEngineService], { config });
    const error = errorOf(await ask({ path: repo.dir, head: repo.head }));
    expect(error).toMatchObject({ code: 'FORBIDDEN', retryable: false });
    expect(error?.message).toContain('set PATCHBAY_CONTEXT_LOCAL_ROOTS');
  });
});
