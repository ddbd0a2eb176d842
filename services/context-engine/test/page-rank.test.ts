import { describe, expect, it } from 'vitest';
import { pageRank } from '../src/domain/ranking.js';

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
