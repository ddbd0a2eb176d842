import { describe, expect, it } from 'vitest';
import { createGitFixture } from '@patchbay/testkit';
import { bestConnected, pageRank, rankFiles } from '../src/domain/ranking.js';
import { analyzeRepository, loadSymbolParser, memoryContextCache, workingTreeSource } from '../src/index.js';

const DAMPING = 0.85;

/** The textbook power iteration, edge by edge, forward edges and reverse ones at half weight. */
function reference(n: number, edges: Int32Array, personal: Float64Array): Float64Array {
  const arcs: Array<[number, number, number]> = [];
  for (let i = 0; i < edges.length; i += 3) {
    const [from, to, w] = [edges[i] as number, edges[i + 1] as number, edges[i + 2] as number];
    arcs.push([from, to, w], [to, from, w / 2]);
  }
  const out = new Float64Array(n);
  for (const [from, , w] of arcs) out[from] = (out[from] as number) + w;
  let rank = Float64Array.from(personal);
  for (let iter = 0; iter < 50; iter++) {
    const next = new Float64Array(n);
    let dangling = 0;
    for (let i = 0; i < n; i++) if (out[i] === 0) dangling += rank[i] as number;
    for (const [from, to, w] of arcs) next[to] = (next[to] as number) + (DAMPING * (rank[from] as number) * w) / (out[from] as number);
    for (let i = 0; i < n; i++) next[i] = (next[i] as number) + (DAMPING * dangling + (1 - DAMPING)) * (personal[i] as number);
    rank = next;
  }
  return rank;
}

/** A deterministic pseudo-random graph: rows grouped by source, as analyses store them. */
function graph(seed: number, n: number): { edges: Int32Array; personal: Float64Array } {
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const rows: number[] = [];
  for (let from = 0; from < n; from++) {
    const targets = new Set<number>();
    for (let k = Math.floor(random() * 5); k > 0; k--) targets.add(Math.floor(random() * n));
    targets.delete(from);
    for (const to of [...targets].sort((a, b) => a - b)) rows.push(from, to, 1 + Math.floor(random() * 3000));
  }
  const personal = new Float64Array(n);
  for (let i = 0; i < n; i++) personal[i] = random() < 0.1 ? 1 : 0;
  const total = personal.reduce((a, b) => a + b, 0);
  for (let i = 0; i < n; i++) personal[i] = total ? (personal[i] as number) / total : 1 / n;
  return { edges: Int32Array.from(rows), personal };
}

describe('pageRank', () => {
  it('equals the textbook iteration on graphs with isolated, dangling and heavily linked files', () => {
    for (const [seed, n] of [[1, 7], [2, 60], [3, 400], [4, 1500]] as const) {
      const { edges, personal } = graph(seed, n);
      const want = reference(n, edges, personal);
      const got = pageRank(n, edges, personal);
      for (let i = 0; i < n; i++) expect(got[i]).toBeCloseTo(want[i] as number, 12);
    }
  });

  it('gives the same ranks when asked again for the same graph (the compressed graph is reused)', () => {
    const { edges, personal } = graph(5, 300);
    expect([...pageRank(300, edges, personal)]).toEqual([...pageRank(300, edges, personal)]);
  });
});

describe('central files', () => {
  it('are the head of a ranking for a task naming nothing, without tests or secrets', async () => {
    // Many modules using a few shared ones, with ties, tests and a secret-looking file.
    const files: Record<string, string> = { 'package.json': '{"name":"central"}' };
    for (let i = 0; i < 40; i++) {
      const uses = [`shared${i % 3}`, `shared${(i + 1) % 3}`, 'tokens', 'secret'];
      const from = (u: string) => (u === 'secret' ? '.env' : u);
      files[`src/feature${String(i).padStart(2, '0')}.ts`] =
        uses.map((u) => `import { ${u} } from './${from(u)}.js';`).join('\n') + `\nexport function feature${i}() { return ${uses.join(' + ')}; }\n`;
      files[`src/feature${String(i).padStart(2, '0')}.test.ts`] = `import { feature${i} } from './feature${String(i).padStart(2, '0')}.js';\nexport const check${i} = feature${i}();\n`;
    }
    for (let k = 0; k < 3; k++) files[`src/shared${k}.ts`] = `export const shared${k} = ${k};\n`;
    files['src/tokens.ts'] = 'export const tokens = 1;\n';
    files['src/.env.ts'] = 'export const secret = 1;\n';
    const repo = await createGitFixture(files);
    try {
      const cache = memoryContextCache();
      const source = workingTreeSource(repo.dir, { maxFileBytes: 200_000, ttlMs: 60_000, loadIndex: async () => null, saveIndex: async () => {} });
      const { analysis } = await analyzeRepository(source, { cache, parser: loadSymbolParser, maxFileBytes: 200_000, memo: false });
      const keep = (i: number) => !analysis.files[i]?.test && (analysis.files[i]?.symbols ?? 0) > 0;
      const want = rankFiles(analysis, '').files.filter((f) => keep(f.index)).slice(0, 10).map((f) => f.index);
      expect(bestConnected(analysis, 10, keep)).toEqual(want);
      expect(analysis.central.map((c) => c.index)).toEqual(want);
      // Every feature uses tokens and the secret-looking module alike: only tokens shows.
      expect(want.map((i) => analysis.files[i]?.path).slice(0, 4)).toEqual(['src/tokens.ts', 'src/shared0.ts', 'src/shared1.ts', 'src/shared2.ts']);
      expect(analysis.files.find((f) => f.path === 'src/.env.ts')?.symbols).toBe(1);
    } finally {
      await repo.remove();
    }
  });
});
