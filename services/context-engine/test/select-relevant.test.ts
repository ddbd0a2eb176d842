import { describe, expect, it } from 'vitest';
import { type Candidate, selectRelevant } from '../src/domain/assemble.js';

/** A repository as a map of path → text (null: binary or unreadable). */
type Tree = Record<string, string | null>;

const inOrder = (tree: Tree): Candidate[] => Object.keys(tree).map((path) => ({ path, reason: 'ranked' }));
const text = (tree: Tree) => (path: string) => tree[path] ?? undefined;
const chars = (r: ReturnType<typeof selectRelevant>) => r.relevant.reduce((n, f) => n + f.content.length, 0);

describe('selectRelevant: file contents within the budget, by rank', () => {
  it('fills the budget in rank order and says why it left the others out', () => {
    const tree: Tree = {
      'src/stats.js': `export function median(values) {\n${'  // body\n'.repeat(30)}}\n`,
      'test/stats.test.js': `import { median } from '../src/stats.js';\n${'test();\n'.repeat(40)}`,
      'src/huge.js': 'x'.repeat(2_000),
      'assets/logo.js': null,
      'src/a.js': 'a'.repeat(250),
      'src/b.js': 'b'.repeat(250),
      'src/c.js': 'c'.repeat(250),
    };
    const result = selectRelevant(inOrder(tree), text(tree), 1_200, []);
    expect(chars(result)).toBeLessThanOrEqual(1_200);
    expect(result.relevant.map((r) => r.path)).toEqual(['src/stats.js', 'test/stats.test.js', 'src/a.js', 'src/b.js']);
    expect(result.relevant[0]?.content).toBe(tree['src/stats.js']);
    expect(result.skipped).toEqual([
      { path: 'src/huge.js', reason: 'too large (2000 chars) for the budget' },
      { path: 'assets/logo.js', reason: 'binary or unreadable' },
      { path: 'src/c.js', reason: 'over the context budget' },
    ]);
  });

  it('never exceeds the budget, whatever the budget', () => {
    const tree: Tree = {};
    for (let i = 0; i < 40; i++) tree[`src/mod${i}.ts`] = `export const v${i} = ${i};\n`.repeat(1 + ((i * 7) % 23));
    for (const budget of [1, 50, 200, 777, 1_500, 5_000, 100_000]) {
      const result = selectRelevant(inOrder(tree), text(tree), budget, []);
      expect(chars(result), `budget ${budget}`).toBeLessThanOrEqual(budget);
      for (const r of result.relevant) expect(r.content.length).toBeLessThanOrEqual(budget / 2);
      expect(result.relevant.length + result.skipped.length).toBe(40);
    }
  });

  it('stays within the budget when masking lengthens short secrets', () => {
    const secretHeavy = 'const config = {\n' + Array.from({ length: 40 }, (_, i) => `  token${i}: "ab${i % 10}x",\n`).join('') + '};\n';
    const tree: Tree = { 'src/config.ts': secretHeavy, 'src/other.ts': 'o'.repeat(secretHeavy.length) };
    const budget = secretHeavy.length * 2 + 10;
    const result = selectRelevant(inOrder(tree), text(tree), budget, []);
    expect(secretHeavy.length).toBeLessThanOrEqual(budget / 2);
    expect(chars(result)).toBeLessThanOrEqual(budget);
    expect(result.relevant.map((r) => r.path)).toEqual(['src/other.ts']);
    expect(result.skipped).toEqual([{ path: 'src/config.ts', reason: expect.stringMatching(/^too large \(\d+ chars\)/) }]);
    const roomy = selectRelevant(inOrder(tree), text(tree), budget * 4, []);
    const masked = roomy.relevant.find((r) => r.path === 'src/config.ts')?.content ?? '';
    expect(masked).toContain('token0: "[REDACTED]"');
    expect(masked).not.toContain('ab0x');
  });

  it('masks secrets in file contents', () => {
    const token = `ghp_${'abcdefghijklmnopqrstuvwxyzABCDEFGHIJ'}`;
    const custom = 'correct-horse-battery-staple';
    const tree: Tree = {
      'src/deploy.sh': `#!/bin/sh\nexport GITHUB_TOKEN=${token}\ncurl -H "Authorization: token ${token}" https://api.github.com\n`,
      'src/client.py': `DATABASE_URL = "postgres://app:s3cr3tpass@db:5432/app"\nKEY = "${custom}"\n`,
      'src/plain.js': 'export const answer = 42;\n',
    };
    const result = selectRelevant(inOrder(tree), text(tree), 10_000, [custom]);
    const all = result.relevant.map((r) => r.content).join('\n');
    expect(result.relevant.map((r) => r.path)).toEqual(['src/deploy.sh', 'src/client.py', 'src/plain.js']);
    for (const secret of [token, 's3cr3tpass', custom]) expect(all).not.toContain(secret);
    expect(all).toContain('[REDACTED]');
    expect(all).toContain('curl -H');
    expect(all).toContain('export const answer = 42;');
  });
});
