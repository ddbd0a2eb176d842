import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Analysis,
  ANALYSIS_VERSION,
  analyzeRepository,
  decodeAnalysis,
  decodePatchState,
  encodeAnalysis,
  encodePatchState,
  loadSymbolParser,
  memoryContextCache,
} from '@patchbay/context-engine';
import { type GitFixture, createGitFixture } from '@patchbay/testkit';
import { buildNameTable } from '../src/domain/names.js';
import { MONOREPO, TS_LAYERED } from './fixtures/repos.js';
import { MAX_FILE_BYTES, localSource } from './local-source.js';
import { plainAnalysis, plainState } from './plain-analysis.js';

let repo: GitFixture;

beforeAll(async () => {
  repo = await createGitFixture({ ...TS_LAYERED, ...MONOREPO });
  // Uncommitted: an edited file, and one too large to read (its blob stands in by size and time).
  await writeFile(join(repo.dir, 'src/app.ts'), `${TS_LAYERED['src/app.ts']}\nexport const edited = true;\n`);
  await writeFile(join(repo.dir, 'data.json'), `[${'1,'.repeat(MAX_FILE_BYTES)}1]\n`);
});
afterAll(async () => {
  await repo?.remove();
});

/** The stored form with its directory's version replaced, as an older or newer engine would have written it. */
function withVersion(data: Buffer, version: number): Buffer {
  const length = data.readUInt32LE(4);
  const directory = JSON.parse(data.toString('utf8', 8, 8 + length)) as { version: number };
  const head = Buffer.from(JSON.stringify({ ...directory, version }));
  const prefix = Buffer.from(data.subarray(0, 8));
  prefix.writeUInt32LE(head.length, 4);
  return Buffer.concat([prefix, head, data.subarray(8 + length)]);
}

describe('the stored form of an analysis', () => {
  it('reads back everything the analysis and its patch state hold', async () => {
    const cache = memoryContextCache();
    const { analysis, identity, route } = await analyzeRepository(localSource(repo.dir, cache), { cache, parser: loadSymbolParser, maxFileBytes: MAX_FILE_BYTES, memo: false });
    expect(route.via).toBe('built');
    expect(identity.dirty).toBe(2);
    expect(analysis.files.find((f) => f.path === 'data.json')?.blob).toMatch(/^stat-\d+-\d+$/);
    expect(analysis.names.size).toBeGreaterThan(10);
    expect(analysis.edges.length).toBeGreaterThan(0);

    const decoded = decodeAnalysis(await encodeAnalysis(analysis));
    expect(decoded && plainAnalysis(decoded)).toEqual(plainAnalysis(analysis));
    const state = await cache.getPatchState(analysis.key);
    expect(state).not.toBeNull();
    if (!state) return;
    expect(state.refs.names.length).toBeGreaterThan(10);
    const again = decodePatchState(await encodePatchState(state));
    expect(again && plainState(again)).toEqual(plainState(state));
  });

  it('keeps file indices whole past 65,535 files', async () => {
    const n = 70_000;
    const files = Array.from({ length: n }, (_, i) => ({ path: `f/${String(i).padStart(5, '0')}.ts`, blob: i.toString(16).padStart(40, '0'), size: i, test: i % 7 === 0, ...(i % 3 ? { language: 'TypeScript', symbols: i % 5 } : {}) }));
    const { table } = buildNameTable([
      { index: 1, defs: [{ name: 'first', kind: 'function' }] },
      { index: n - 1, defs: [{ name: 'last', kind: 'class' }, { name: 'First', kind: 'variable' }] },
    ]);
    // Only what the size matters for; the table comes from the sources, the codec from the package.
    const analysis = {
      version: ANALYSIS_VERSION,
      key: 'k',
      repo: 'r',
      commit: 'c',
      tree: 't',
      files,
      names: table,
      edges: Int32Array.from([0, n - 1, 5, 2, 3, 1_000_000, n - 1, 0, 7]),
      links: Int32Array.from([0, n - 1, n - 1, 66_000]),
    } as unknown as Analysis;
    const decoded = decodeAnalysis(await encodeAnalysis(analysis));
    expect(decoded && plainAnalysis(decoded)).toEqual(plainAnalysis(analysis));
    expect(decoded?.names.variants('first').map((v) => v.name)).toEqual(['first', 'First']);
  });

  it('is ignored when it is not ours or another version wrote it', async () => {
    const cache = memoryContextCache();
    const { analysis } = await analyzeRepository(localSource(repo.dir, cache), { cache, parser: loadSymbolParser, maxFileBytes: MAX_FILE_BYTES, memo: false });
    const data = await encodeAnalysis(analysis);
    expect(decodeAnalysis(withVersion(data, ANALYSIS_VERSION))).not.toBeNull();
    expect(decodeAnalysis(withVersion(data, ANALYSIS_VERSION - 1))).toBeNull();
    expect(decodeAnalysis(Buffer.from(JSON.stringify(analysis)))).toBeNull();
    expect(decodeAnalysis(new Uint8Array(0))).toBeNull();
  });
});
