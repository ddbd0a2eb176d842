import { describe, expect, it } from 'vitest';
import { type ImportContext, importProbe, probesOf, resolveImport } from '../src/domain/imports.js';

const FROM = ['src/app.ts', 'src/deep/nested/file.tsx', 'lib/index.js', 'pkg/mod/code.py', 'cmd/tool/main.go'];
const JS_SPECS = ['./util', './util.js', '../x/y.js', './dir', '.', '..', './a.d', '@/lib/thing', '@/lib/thing.js', '@scope/pkg', '@scope/pkg/sub/file.js', 'react', './styles.mjs'];
const PY_SPECS = ['pkg.mod.other', '.sibling', '..parent.mod', '.', 'src.pkg', 'os'];
const GO_SPECS = ['example.com/m/internal/calc', 'example.com/m', 'fmt'];
const PATHS = [
  'src/util.ts', 'src/util.d.ts', 'src/util.js', 'src/util/index.ts', 'src/util/index.js', 'src/util/src/index.ts', 'src/x/y.ts', 'src/deep/x/y.js',
  'src/deep/nested/util.tsx', 'src/deep/nested/dir/index.mjs', 'src/index.ts', 'src/lib/thing.ts', 'src/lib/thing/index.tsx', 'packages/pkg/src/index.ts',
  'packages/pkg/sub/file.ts', 'lib/util.cjs', 'lib/styles.mts', 'src/a.d.ts', 'src/a.d.js', 'pkg/mod/other.py', 'pkg/mod/other/__init__.py', 'src/pkg/mod/other.py',
  'pkg/mod/sibling.py', 'pkg/parent/mod.py', 'pkg/mod/__init__.py', 'src/pkg.py', 'src/src/pkg/__init__.py', 'internal/calc/add.go', 'add.go',
];
const language = (path: string) => (path.endsWith('.py') ? 'Python' : path.endsWith('.go') ? 'Go' : /\.[cm]?[jt]sx?$/.test(path) ? (path.includes('.ts') ? 'TypeScript' : 'JavaScript') : undefined);

describe('where imports look', () => {
  it('covers every file an import can resolve to: adding or removing it reaches that import', () => {
    const resolved: Record<string, number> = {};
    for (const target of PATHS) {
      // A repository holding just this file: whatever resolves, resolves to it.
      const ctx: ImportContext = {
        has: (p) => p === target,
        goFiles: (dir) => (target.endsWith('.go') && (target.includes('/') ? target.slice(0, target.lastIndexOf('/')) : '') === dir ? [target] : []),
        goModules: [{ dir: '', module: 'example.com/m' }],
        aliases: [['@/', 'src'], ['@scope/pkg', 'packages/pkg']],
      };
      for (const from of FROM) {
        const specs = from.endsWith('.py') ? PY_SPECS : from.endsWith('.go') ? GO_SPECS : JS_SPECS;
        for (const spec of specs) {
          const hit = resolveImport(from, spec, language(from), ctx);
          if (hit.length === 0) continue;
          resolved[language(from) ?? '?'] = (resolved[language(from) ?? '?'] ?? 0) + 1;
          expect(hit, `${from} imports ${spec}`).toEqual([target]);
          expect(probesOf(target), `${from} imports ${spec} → ${target}`).toContain(importProbe(from, spec, language(from), ctx));
        }
      }
    }
    // The samples do exercise resolution in every language.
    expect(Object.keys(resolved).sort()).toEqual(['Go', 'JavaScript', 'Python', 'TypeScript']);
    expect(Object.values(resolved).reduce((a, b) => a + b, 0)).toBeGreaterThan(40);
  });
});
