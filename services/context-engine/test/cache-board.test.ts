import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Board, type Bus, connectBus, ensureTopology, openArtifacts, openBoard, publishEvent } from '@patchbay/bus';
import { loadConfig } from '@patchbay/config';
import { type BoardEntry, CompleteRepoContext, type ContextCompleted, createEvent, eventTypes, subjects } from '@patchbay/contracts';
import {
  type ContextCache,
  analyzeRepository,
  commitSource,
  contextEngineService,
  contextForTask,
  loadSymbolParser,
  openContextCache,
} from '@patchbay/context-engine';
import { type RunningService, startServices } from '@patchbay/runtime';
import { type GitFixture, type TestNats, createGitFixture, startNats } from '@patchbay/testkit';
import { createGitWorkspace } from '@patchbay/workspace';
import { TS_LAYERED } from './fixtures/repos.js';
import { MAX_FILE_BYTES, localSource } from './local-source.js';
import { namesOf } from './plain-analysis.js';

let nats: TestNats;
const buses: Bus[] = [];
let workdir: string;

/** One context-engine worker: its own connection, git mirrors and (no) process memory. */
async function worker(name: string): Promise<{ cache: ContextCache; board: Board; git: ReturnType<typeof createGitWorkspace> }> {
  const bus = await connectBus({ url: nats.url, name });
  buses.push(bus);
  return { cache: await openContextCache(bus), board: openBoard(bus), git: createGitWorkspace(join(workdir, name)) };
}

const analyse = async (w: Awaited<ReturnType<typeof worker>>, repo: GitFixture, commit = repo.head) =>
  analyzeRepository(commitSource(w.git, repo.dir, commit), { cache: w.cache, parser: loadSymbolParser, maxFileBytes: MAX_FILE_BYTES, memo: false });

async function commitChange(repo: GitFixture, path: string, content: string): Promise<string> {
  await writeFile(join(repo.dir, path), content);
  await repo.git('commit', '-qam', `change ${path}`);
  return repo.git('rev-parse', 'HEAD');
}

beforeAll(async () => {
  nats = await startNats();
  const bus = await connectBus({ url: nats.url, name: 'context-cache-test' });
  buses.push(bus);
  await ensureTopology(bus);
  workdir = await mkdtemp(join(tmpdir(), 'patchbay-context-'));
});

afterAll(async () => {
  for (const bus of buses) await bus.drain();
  await nats?.stop();
  await rm(workdir, { recursive: true, force: true });
});

describe('the shared cache', () => {
  it('costs a lookup when nothing changed, re-reads only a changed file, and is shared by workers', async () => {
    const repo = await createGitFixture(TS_LAYERED);
    try {
      const a = await worker('worker-a');
      const b = await worker('worker-b');
      const cold = await analyse(a, repo);
      expect(cold.stats).toMatchObject({ analysis: 'cold', filesParsed: 10, filesReused: 0 });
      // Another worker, another process memory: the analysis comes from the shared cache by tree hash.
      const warm = await analyse(b, repo);
      expect(warm.stats).toMatchObject({ analysis: 'hit', filesParsed: 0, filesReused: 0 });
      expect(warm.analysis.key).toBe(await repo.git('rev-parse', 'HEAD^{tree}'));
      expect(namesOf(warm.analysis)).toEqual(namesOf(cold.analysis));

      const services = await readFile(join(repo.dir, 'src/services/orders.ts'), 'utf8');
      const next = await commitChange(repo, 'src/services/orders.ts', `${services}\nexport function applyDiscount(cents: number, percent: number): number {\n  return Math.round(cents * (1 - percent / 100));\n}\n`);
      const incremental = await analyse(b, repo, next);
      expect(incremental.stats).toMatchObject({ analysis: 'incremental', filesParsed: 1, filesReused: 9 });
      expect(namesOf(incremental.analysis)['applyDiscount']).toEqual([incremental.analysis.files.findIndex((f) => f.path === 'src/services/orders.ts')]);

      // A different repository with mostly the same files reuses their records by blob hash.
      const fork = await createGitFixture({ ...TS_LAYERED, 'src/app.ts': `${TS_LAYERED['src/app.ts']}\nexport const version = 2;\n` });
      try {
        const forked = await analyse(a, fork);
        expect(forked.stats).toMatchObject({ analysis: 'incremental', filesParsed: 1, filesReused: 9 });
      } finally {
        await fork.remove();
      }
    } finally {
      await repo.remove();
    }
  });

  it('lets a new worker patch the previous analysis from the shared cache, reading only the changed file', async () => {
    const repo = await createGitFixture(TS_LAYERED);
    try {
      const a = await worker('worker-first');
      const b = await worker('worker-next');
      await analyse(a, repo);
      const path = 'src/repositories/pool.ts';
      const next = await commitChange(repo, path, `${TS_LAYERED[path]}\nexport function closePoolSoon(): void {}\n`);
      const [before, after] = await Promise.all([repo.git('rev-parse', `${repo.head}:${path}`), repo.git('rev-parse', `${next}:${path}`)]);
      const asked = { records: [] as string[], analyses: 0, states: 0 };
      const counting: ContextCache = {
        ...b.cache,
        getRecords: (blobs) => {
          asked.records.push(...blobs);
          return b.cache.getRecords(blobs);
        },
        getAnalysis: (key) => {
          asked.analyses += 1;
          return b.cache.getAnalysis(key);
        },
        getPatchState: (key) => {
          asked.states += 1;
          return b.cache.getPatchState(key);
        },
      };
      const source = commitSource(b.git, repo.dir, next);
      const read: string[] = [];
      const result = await analyzeRepository(
        { identify: () => source.identify(), list: () => source.list(), read: (files) => (read.push(...files.map((f) => f.path)), source.read(files)) },
        { cache: counting, parser: loadSymbolParser, maxFileBytes: MAX_FILE_BYTES, memo: false },
      );
      expect(result.route).toEqual({ via: 'patched' });
      expect(result.stats).toMatchObject({ analysis: 'incremental', filesParsed: 1, filesReused: 9 });
      expect(read).toEqual([path]);
      expect(asked.records.sort()).toEqual([after, before].sort());
      // The lookup of this state (a miss), then the previous analysis and its patch state.
      expect([asked.analyses, asked.states]).toEqual([2, 1]);
      // A third worker gets the patched analysis by tree hash.
      const c = await worker('worker-third');
      const warm = await analyse(c, repo, next);
      expect(warm.route).toEqual({ via: 'shared cache' });
      expect(namesOf(warm.analysis)['closePoolSoon']).toEqual([warm.analysis.files.findIndex((f) => f.path === path)]);
    } finally {
      await repo.remove();
    }
  });

  it('trusts a file outside git by size and mtime only for the TTL', async () => {
    const repo = await createGitFixture(TS_LAYERED);
    try {
      const { cache } = await worker('worker-ttl');
      let clock = 1_000_000;
      const run = () => analyzeRepository(localSource(repo.dir, cache, 5_000, () => clock), { cache, parser: loadSymbolParser, maxFileBytes: MAX_FILE_BYTES, memo: false });
      const clean = await run();
      expect(clean.identity.dirty).toBe(0);

      const path = join(repo.dir, 'src/repositories/pool.ts');
      const original = await readFile(path, 'utf8');
      const first = original.replace('export const pool', 'export const poolA');
      const second = original.replace('export const pool', 'export const poolB');
      // Whole seconds, so the same mtime can be set again exactly.
      const mtime = new Date(1_700_000_000_000);
      await writeFile(path, first);
      await utimes(path, mtime, mtime);
      const dirty = await run();
      expect(dirty.identity.dirty).toBe(1);
      expect(dirty.stats).toMatchObject({ analysis: 'incremental', filesParsed: 1 });
      expect(Object.keys(namesOf(dirty.analysis)).filter((n) => n.startsWith('pool'))).toEqual(['poolA']);
      expect((await run()).stats.analysis).toBe('hit');

      // Same size, same mtime, other content: within the TTL the remembered blob is trusted…
      await writeFile(path, second);
      await utimes(path, mtime, mtime);
      const trusted = await run();
      expect(trusted.stats.analysis).toBe('hit');
      expect(trusted.analysis.key).toBe(dirty.analysis.key);
      // …and past it the file is read again.
      clock += 5_001;
      const reread = await run();
      expect(reread.analysis.key).not.toBe(dirty.analysis.key);
      expect(Object.keys(namesOf(reread.analysis)).filter((n) => n.startsWith('pool'))).toEqual(['poolB']);
    } finally {
      await repo.remove();
    }
  });
});

describe('board facts', () => {
  const request = { title: 'Describe the repository', mapBudget: 1_000, fileBudgetChars: 4_000, knownSecrets: [] };
  const typesOf = (entries: readonly BoardEntry[]) => entries.map((e) => e.type).sort();

  it('are written once, read back instead of explored, and refreshed when a source file changes', async () => {
    const repo = await createGitFixture(TS_LAYERED);
    try {
      const w = await worker('worker-board');
      const context = async (commit: string) =>
        contextForTask(commitSource(w.git, repo.dir, commit), request, { cache: w.cache, parser: loadSymbolParser, maxFileBytes: MAX_FILE_BYTES, board: w.board });
      const first = await context(repo.head);
      expect(first.context.fromBoard).toEqual([]);
      expect(typesOf(first.toWrite)).toEqual([
        'architecture',
        'code_convention',
        'integration_point',
        'integration_point',
        'integration_point',
        'integration_point',
        'integration_point',
        'integration_point',
        'similar_impl',
        'tech_stack',
        'test_command',
      ]);
      for (const entry of first.toWrite) expect(await w.board.write(entry)).toBe(true);
      // Written again (another worker racing): the server refuses every duplicate.
      for (const entry of first.toWrite) expect(await w.board.write(entry)).toBe(false);
      expect(await w.board.read(repo.dir)).toHaveLength(first.toWrite.length);

      const second = await context(repo.head);
      expect(second.toWrite).toEqual([]);
      expect(second.context.fromBoard).toEqual(['tech_stack', 'architecture', 'test_command', 'code_convention', 'integration_point', 'similar_impl']);

      // package.json changes: the facts that came from it get a new version; the rest still hold.
      const pkg = JSON.parse(TS_LAYERED['package.json'] ?? '{}') as { scripts: Record<string, string> };
      pkg.scripts['test'] = 'vitest run --reporter=dot';
      const next = await commitChange(repo, 'package.json', `${JSON.stringify(pkg, null, 2)}\n`);
      const third = await context(next);
      expect(typesOf(third.toWrite)).toEqual(['tech_stack', 'test_command']);
      for (const entry of third.toWrite) expect(await w.board.write(entry)).toBe(true);
      const all = await w.board.read(repo.dir);
      expect(all).toHaveLength(first.toWrite.length + 2);
      expect(all.filter((e) => e.type === 'test_command').map((e) => e.commit)).toEqual([repo.head, next]);
      // Readers get the fresh version: the one whose sources match the current blobs.
      const blob = await repo.git('rev-parse', `${next}:package.json`);
      const current = await w.board.current(repo.dir, (p) => (p === 'package.json' ? blob : undefined));
      expect(current.filter((e) => e.type === 'test_command').map((e) => e.commit)).toEqual([next]);
    } finally {
      await repo.remove();
    }
  });

  it('takes a finding another agent made from the same sources instead of its own', async () => {
    const repo = await createGitFixture(TS_LAYERED);
    try {
      const w = await worker('worker-other');
      const blob = await repo.git('rev-parse', 'HEAD:package.json');
      expect(
        await w.board.write({
          ts: new Date().toISOString(),
          agent: 'quality-assessor',
          type: 'test_command',
          repo: repo.dir,
          commit: repo.head,
          data: { unit: 'npm run test:ci', framework: 'vitest' },
          sources: [{ path: 'package.json', blob }],
        }),
      ).toBe(true);
      const { context, toWrite } = await contextForTask(commitSource(w.git, repo.dir, repo.head), request, {
        cache: w.cache,
        parser: loadSymbolParser,
        maxFileBytes: MAX_FILE_BYTES,
        board: w.board,
      });
      expect(context.testCommand).toBe('npm run test:ci');
      expect(context.fromBoard).toEqual(['test_command']);
      expect(toWrite.some((e) => e.type === 'test_command')).toBe(false);
    } finally {
      await repo.remove();
    }
  });
});

describe('the service', () => {
  let services: RunningService[] = [];
  afterAll(async () => {
    await Promise.all(services.map((s) => s.stop()));
  });

  it('answers context requests on the bus with a stored context, from the cache the second time', async () => {
    const repo = await createGitFixture(TS_LAYERED);
    try {
      const config = loadConfig({ env: {}, overrides: { nats: { url: nats.url }, workdir: join(workdir, 'service'), log: { level: 'silent' } } });
      services = await startServices([contextEngineService], { config });
      const bus = buses[0] as Bus;
      const results: ContextCompleted[] = [];
      const sub = bus.nc.subscribe(subjects.workResult('context'), {
        callback: (_err, msg) => {
          const event = msg.json<{ type: string; data: ContextCompleted }>();
          if (event.type === eventTypes.contextCompleted) results.push(event.data);
        },
      });
      const ask = (taskId: string) =>
        publishEvent(
          bus,
          subjects.workRequest('context'),
          createEvent(eventTypes.contextRequested, { taskId, attempt: 0, repo: { url: repo.dir }, title: 'Apply a discount in getOrder' }, { source: 'test', subject: taskId }),
        );
      const waitFor = async (n: number) => {
        const deadline = Date.now() + 20_000;
        while (results.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      };
      await ask('ctx-1');
      await waitFor(1);
      await ask('ctx-2');
      await waitFor(2);
      sub.unsubscribe();
      expect(results.map((r) => r.taskId)).toEqual(['ctx-1', 'ctx-2']);
      const artifacts = await openArtifacts(bus);
      const [one, two] = await Promise.all(results.map((r) => artifacts.getJson(r.contextRef, CompleteRepoContext)));
      // The first request analyses (reusing per-file records earlier tests left in the shared cache).
      expect(one?.cache.analysis).not.toBe('hit');
      expect(two?.cache.analysis).toBe('hit');
      expect(two?.repoMap.text.startsWith('src/services/orders.ts:\n  export async function getOrder(orderId: string): Promise<OrderDto>')).toBe(true);
      expect(two?.fromBoard).toContain('test_command');
      expect(results[0]?.summary).toMatchObject({ testCommand: 'npm test', manifests: ['package-lock.json', 'package.json'] });
    } finally {
      await repo.remove();
    }
  });
});
