import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeRepository, loadSymbolParser, memoryContextCache } from '@patchbay/context-engine';
import { type GitFixture, createGitFixture } from '@patchbay/testkit';
import { TS_LAYERED } from './fixtures/repos.js';
import { MAX_FILE_BYTES, localSource } from './local-source.js';
import { plainAnalysis } from './plain-analysis.js';

let repo: GitFixture;

/** Enough code to be worth a parsing thread: the fixture's files many times over, each a little different. */
beforeAll(async () => {
  const sources = Object.entries(TS_LAYERED).filter(([path]) => path.endsWith('.ts'));
  const files: Record<string, string> = { 'package.json': TS_LAYERED['package.json'] ?? '{}' };
  for (let i = 0; i < 1_200; i++) {
    const [path, text] = sources[i % sources.length] as [string, string];
    files[path.replace(/\.ts$/, `${i}.ts`)] = `${text}\nexport function variant${i}(value: number): number {\n  return value + ${i};\n}\n${'// padding\n'.repeat(40)}`;
  }
  repo = await createGitFixture(files);
}, 60_000);
afterAll(async () => {
  await repo?.remove();
});

describe('parsing on several threads', () => {
  it('gives the analysis one thread gives', async () => {
    const analyse = (threads: number) => {
      const cache = memoryContextCache();
      return analyzeRepository(localSource(repo.dir, cache), { cache, parser: loadSymbolParser, maxFileBytes: MAX_FILE_BYTES, memo: false, threads });
    };
    const one = await analyse(0);
    const two = await analyse(1);
    expect(one.route).toEqual({ via: 'built' });
    expect(two.route).toEqual({ via: 'built', threads: 1 });
    expect(two.stats.filesParsed).toBe(1_200);
    expect(plainAnalysis(two.analysis)).toEqual(plainAnalysis(one.analysis));
  });

  it('keeps its threads for the next parse without keeping the process alive', async () => {
    // A real process: two cold builds in a row (the second on the thread the first left idle), then nothing.
    const run = await twoBuilds([]);
    expect(run).toMatchObject({ code: 0, err: '' });
    expect(run.result).toEqual({
      routes: [
        { via: 'built', threads: 1 },
        { via: 'built', threads: 1 },
      ],
      same: true,
    });
  });

  it('parses on this thread when a parsing thread cannot start', async () => {
    // Workers inherit Node's flags, and --input-type makes a worker's own file fail to load.
    const run = await twoBuilds(['--input-type=module']);
    expect(run).toMatchObject({ code: 0 });
    expect(run.result).toEqual({ routes: [{ via: 'built' }, { via: 'built' }], same: true });
  });
});

/** Runs two cold builds of the fixture in a new Node process (with `flags`), and how that process ended. */
async function twoBuilds(flags: string[]): Promise<{ code: number | null | 'still running'; err: string; result: unknown }> {
  const engine = new URL('../dist/index.js', import.meta.url).href;
  const script = `
    import { analyzeRepository, loadSymbolParser, memoryContextCache, workingTreeSource } from ${JSON.stringify(engine)};
    const analyse = () => {
      const cache = memoryContextCache();
      const source = workingTreeSource(${JSON.stringify(repo.dir)}, { maxFileBytes: ${MAX_FILE_BYTES}, ttlMs: 60000, loadIndex: async () => null, saveIndex: async () => {} });
      return analyzeRepository(source, { cache, parser: loadSymbolParser, maxFileBytes: ${MAX_FILE_BYTES}, memo: false, threads: 1 });
    };
    const first = await analyse();
    const second = await analyse();
    console.log(JSON.stringify({ routes: [first.route, second.route], same: JSON.stringify(first.analysis.files) === JSON.stringify(second.analysis.files) }));
  `;
  const dir = await mkdtemp(join(tmpdir(), 'patchbay-two-builds-'));
  const file = join(dir, 'two-builds.mjs');
  await writeFile(file, script);
  const args = flags.includes('--input-type=module') ? [...flags, '-e', script] : [...flags, file];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  // Idle threads are kept for a minute: a process they held would outlive this wait.
  const code = await new Promise<number | null | 'still running'>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve('still running');
    }, 30_000);
    child.on('exit', (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  await rm(dir, { recursive: true, force: true });
  return { code, err, result: out ? (JSON.parse(out) as unknown) : undefined };
}
