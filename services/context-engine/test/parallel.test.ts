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
});
