import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Identity, analyzeRepository, loadSymbolParser, memoryContextCache, workingTreeSource } from '@patchbay/context-engine';
import { type GitFixture, createGitFixture } from '@patchbay/testkit';
import { TS_LAYERED } from './fixtures/repos.js';
import { MAX_FILE_BYTES } from './local-source.js';

let repo: GitFixture;
let stateDir: string;

beforeAll(async () => {
  repo = await createGitFixture(TS_LAYERED);
  stateDir = await mkdtemp(join(tmpdir(), 'patchbay-index-'));
});
afterAll(async () => {
  await repo?.remove();
  await rm(stateDir, { recursive: true, force: true });
});

/** Identity of the checkout now: with the engine's own index copy, and with plain `git status` on the repository's index. */
async function identities(): Promise<[Identity, Identity]> {
  const cache = memoryContextCache();
  const options = { maxFileBytes: MAX_FILE_BYTES, ttlMs: 60_000, loadIndex: () => cache.getPointer<never>('dirty'), saveIndex: (i: unknown) => cache.putPointer('dirty', i) };
  return Promise.all([workingTreeSource(repo.dir, { ...options, stateDir }).identify(), workingTreeSource(repo.dir, options).identify()]);
}

const indexStamp = async () => {
  const info = await stat(join(repo.dir, '.git/index'));
  return `${info.ino}:${info.size}:${info.mtimeMs}`;
};

describe('a working tree with the engine’s own copy of the git index', () => {
  it('sees every kind of change plain git status sees, and never writes the repository’s index', async () => {
    const steps: Array<[string, () => Promise<unknown>, number]> = [
      ['clean', async () => {}, 0],
      ['a tracked file edited', () => writeFile(join(repo.dir, 'src/app.ts'), `${TS_LAYERED['src/app.ts']}\nexport const edited = 1;\n`), 1],
      ['an untracked file in a new directory', async () => {
        await mkdir(join(repo.dir, 'src/jobs'), { recursive: true });
        await writeFile(join(repo.dir, 'src/jobs/nightly.ts'), 'export const nightly = true;\n');
      }, 2],
      ['a second untracked file in that directory', () => writeFile(join(repo.dir, 'src/jobs/weekly.ts'), 'export const weekly = true;\n'), 3],
      ['one of them staged (the repository’s index changes)', () => repo.git('add', 'src/jobs/nightly.ts'), 3],
      ['a tracked file deleted', () => rm(join(repo.dir, 'src/repositories/pool.ts')), 4],
      ['an untracked file with spaces in its name', () => writeFile(join(repo.dir, 'src/jobs/clean up.ts'), 'export const cleanUp = true;\n'), 5],
      ['a tracked file moved and staged (a delete and an add: renames are not followed)', () => repo.git('mv', 'src/app.ts', 'src/main.ts'), 6],
      ['everything committed', async () => {
        await repo.git('add', '-A');
        await repo.git('commit', '-qm', 'jobs');
      }, 0],
      ['an untracked file removed again after being seen', async () => {
        await writeFile(join(repo.dir, 'notes.md'), 'notes\n');
        expect((await identities())[0].dirty).toBe(1);
        await rm(join(repo.dir, 'notes.md'));
      }, 0],
    ];
    for (const [name, change, dirty] of steps) {
      await change();
      const before = await indexStamp();
      const [own, plain] = await identities();
      expect(own, name).toEqual(plain);
      expect(own.dirty, name).toBe(dirty);
      expect(own.key === own.tree, name).toBe(dirty === 0);
      // Also after a commit made while the checkout was seen dirty (its commit's tree not yet known).
      expect([own.commit, own.tree], name).toEqual([await repo.git('rev-parse', 'HEAD'), await repo.git('rev-parse', 'HEAD^{tree}')]);
      expect(await indexStamp(), name).toBe(before);
    }
    // One copy of the repository's index, refreshed as it changed, where git keeps its untracked cache (extension "UNTR").
    const copies = (await readdir(stateDir)).filter((f) => f.endsWith('.index'));
    expect(copies).toHaveLength(1);
    expect((await readFile(join(stateDir, copies[0] ?? ''))).includes('UNTR')).toBe(true);
  });

  it('is looked up by its likely key while git checks for changes', async () => {
    const cache = memoryContextCache();
    const source = () => workingTreeSource(repo.dir, { maxFileBytes: MAX_FILE_BYTES, ttlMs: 60_000, stateDir, loadIndex: async () => null, saveIndex: async () => {} });
    const first = await analyzeRepository(source(), { cache, parser: loadSymbolParser, maxFileBytes: MAX_FILE_BYTES, memo: false });
    expect(await source().likelyKey?.()).toBe(first.analysis.tree);
    const again = await analyzeRepository(source(), { cache, parser: loadSymbolParser, maxFileBytes: MAX_FILE_BYTES, memo: false });
    expect(again.route).toEqual({ via: 'shared cache' });
    // Seen dirty once: this process stops guessing that it is clean.
    await writeFile(join(repo.dir, 'scratch.ts'), 'export const scratch = 1;\n');
    const dirty = await analyzeRepository(source(), { cache, parser: loadSymbolParser, maxFileBytes: MAX_FILE_BYTES, memo: false });
    expect(dirty.identity.dirty).toBe(1);
    expect(await source().likelyKey?.()).toBeUndefined();
    await rm(join(repo.dir, 'scratch.ts'));
  });
});
