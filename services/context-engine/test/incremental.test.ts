import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Analysis, type ContextCache, analyzeRepository, loadSymbolParser, memoryContextCache } from '@patchbay/context-engine';
import { type GitFixture, createGitFixture } from '@patchbay/testkit';
import { MAX_FILE_BYTES, localSource } from './local-source.js';
import { plainAnalysis, plainState } from './plain-analysis.js';

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** A repository with what the aggregates are made of: helpers in use, case variants, several languages, tests, a minified file. */
const BASE: Record<string, string> = {
  'package.json': json({ name: 'mixed', type: 'module', scripts: { test: 'vitest run' }, devDependencies: { vitest: '^4.0.0' } }),
  'tsconfig.json': json({ compilerOptions: { strict: true, baseUrl: '.', paths: { '@/*': ['src/*'] } } }),
  'README.md': '# Mixed\n\nA fixture.\n',
  'src/lib/strings.ts': [
    '/** Text helpers. */',
    'export function slugify(text: string): string {',
    "  return text.toLowerCase().replace(/\\s+/g, '-');",
    '}',
    '',
    'export function capitalize(text: string): string {',
    '  return text.charAt(0).toUpperCase() + text.slice(1);',
    '}',
    '',
  ].join('\n'),
  'src/lib/logger.ts': [
    'export class Logger {',
    '  log(message: string): void {',
    '    console.log(message);',
    '  }',
    '  helperFn(): number {',
    '    return 1;',
    '  }',
    '}',
    '',
    'export const logger = new Logger();',
    '',
  ].join('\n'),
  'src/services/users.ts': [
    "import '../lib/setup.js';",
    "import { slugify } from '../lib/strings.js';",
    "import { logger } from '@/lib/logger.js';",
    '',
    'export function userSlug(name: string): string {',
    '  logger.log(name);',
    '  return slugify(name);',
    '}',
    '',
  ].join('\n'),
  'src/services/orders.ts': [
    "import { capitalize, slugify } from '../lib/strings.js';",
    "import { Logger } from '../lib/logger.js';",
    "import { clamp } from '../lib/numbers.js';",
    "import { nightly } from '../jobs';",
    "import settings from '../lib/config';",
    '',
    'export function orderTitle(title: string): string {',
    '  new Logger().log(title);',
    '  // trimAll is not defined anywhere yet',
    '  return capitalize(trimAll(slugify(title)));',
    '}',
    '',
    'export function helperUser(): number {',
    '  return helperFn();',
    '}',
    '',
  ].join('\n'),
  'src/routes/users.ts': [
    "import { userSlug } from '../services/users.js';",
    '',
    'export const route = (name: string) => userSlug(name);',
    '',
  ].join('\n'),
  'test/services/users.test.ts': [
    "import { userSlug } from '../../src/services/users.js';",
    '',
    "if (userSlug('A b') !== 'a-b') throw new Error('slug');",
    '',
  ].join('\n'),
  'scripts/report.py': ['from scripts import helpers', '', 'def build_report(rows):', '    return [helpers.clean_row(r) for r in rows]', ''].join('\n'),
  'scripts/helpers.py': ['def clean_row(row):', '    return row.strip()', ''].join('\n'),
  'public/app.min.js': `var a=${'1+'.repeat(3_000)}1;\n`,
  // One import, two candidates: the .ts wins while it exists.
  'src/lib/config.ts': 'export default { level: 1 };\n',
  'src/lib/config.js': 'export default { level: 2 };\n',
  // Case variants of one name, the first defined in a file that goes away.
  'src/a/helpers.ts': 'export function Helper(): number {\n  return 1;\n}\n',
  'src/z/helpers.ts': 'export function helper(): number {\n  return 2;\n}\n\nexport function Helper(): number {\n  return 3;\n}\n',
  'go.mod': 'module example.com/mixed\n\ngo 1.22\n',
  'cmd/app/main.go': ['package main', '', 'import "example.com/mixed/internal/calc"', '', 'func main() {', '\tcalc.Add(1, 2)', '}', ''].join('\n'),
  'internal/calc/add.go': ['package calc', '', '// Add adds.', 'func Add(a, b int) int {', '\treturn a + b', '}', ''].join('\n'),
  'internal/calc/sub.go': ['package calc', '', 'func Sub(a, b int) int {', '\treturn a - b', '}', ''].join('\n'),
};

type Step = { name: string; files: Record<string, string | null>; via: 'patched' | 'built' };

/** Changes applied one after another; each analysis patches the one before. */
const STEPS: Step[] = [
  { name: 'a body edit', files: { 'src/services/users.ts': BASE['src/services/users.ts']?.replace('return slugify(name);', 'return slugify(name.trim());') ?? '' }, via: 'patched' },
  {
    name: 'a new definition of a name another file already uses',
    files: { 'src/lib/strings.ts': `${BASE['src/lib/strings.ts']}\nexport function trimAll(text: string): string {\n  return text.trim();\n}\n` },
    via: 'patched',
  },
  { name: 'a definition removed', files: { 'src/lib/strings.ts': `${BASE['src/lib/strings.ts']?.split('export function capitalize')[0]}\nexport function trimAll(text: string): string {\n  return text.trim();\n}\n` }, via: 'patched' },
  {
    name: 'a method becomes a top-level function, and a case variant defined first',
    files: {
      'src/lib/logger.ts': `export const LOGGER = 'x';\n\nexport class Logger {\n  log(message: string): void {\n    console.log(message);\n  }\n}\n\nexport function helperFn(): number {\n  return 1;\n}\n\nexport const logger = new Logger();\n`,
    },
    via: 'patched',
  },
  { name: 'a code file that stops parsing (minified)', files: { 'src/routes/users.ts': `export const route=${'1+'.repeat(2_000)}1;\n` }, via: 'patched' },
  { name: 'and parses again', files: { 'src/routes/users.ts': `${BASE['src/routes/users.ts']}// parses again\n` }, via: 'patched' },
  { name: 'a document', files: { 'README.md': '# Mixed\n\nStill a fixture.\n' }, via: 'patched' },
  { name: 'a manifest, aliases unchanged', files: { 'package.json': json({ name: 'mixed', type: 'module', scripts: { test: 'vitest run --reporter=dot' }, devDependencies: { vitest: '^4.0.0' } }) }, via: 'patched' },
  { name: 'Python', files: { 'scripts/helpers.py': ['def clean_row(row):', '    return row.strip()', '', 'def CleanAll(rows):', '    return [clean_row(r) for r in rows]', ''].join('\n') }, via: 'patched' },
  { name: 'several files at once', files: { 'src/services/users.ts': BASE['src/services/users.ts'] ?? '', 'src/services/orders.ts': `${BASE['src/services/orders.ts']}\nexport const userSlugCount = 0;\n` }, via: 'patched' },
  {
    name: "a module's own name that another file uses (no link), and a method called by name only",
    files: {
      'src/lib/quiet.ts': "import { slugify } from './strings.js';\n\nfunction quietSlug(text: string): string {\n  return slugify(text);\n}\n\nexport class Queue {\n  enqueueItem(item: string): string {\n    return quietSlug(item);\n  }\n}\n",
      'src/services/quietly.ts': "export const q = (list: { enqueueItem(x: string): string }) => list.enqueueItem(quietSlug('a'));\n",
    },
    via: 'patched',
  },
  { name: 'the module exports that name (its users link to it now)', files: { 'src/lib/quiet.ts': "import { slugify } from './strings.js';\n\nfunction quietSlug(text: string): string {\n  return slugify(text);\n}\n\nexport class Queue {\n  enqueueItem(item: string): string {\n    return quietSlug(item);\n  }\n}\n\nexport { quietSlug };\n" }, via: 'patched' },
  { name: 'a script (no import or export) defines a name others use', files: { 'src/lib/legacy.js': 'function legacyTotal(a) {\n  return a;\n}\nmodule.exports = { legacyTotal };\n', 'src/services/legacy-user.js': 'legacyTotal(1);\n' }, via: 'patched' },
  { name: 'and becomes a module that does not export it', files: { 'src/lib/legacy.js': "import './strings.js';\n\nfunction legacyTotal(a) {\n  return a;\n}\n" }, via: 'patched' },
  { name: 'a side-effect import starts resolving (only where imports look can tell)', files: { 'src/lib/setup.ts': "console.log('setup');\n" }, via: 'patched' },
  { name: 'the first definer of a name with case variants removed', files: { 'src/a/helpers.ts': null }, via: 'patched' },
  { name: 'a file added that an import was waiting for', files: { 'src/lib/numbers.ts': 'export function clamp(n: number): number {\n  return Math.max(0, n);\n}\n' }, via: 'patched' },
  { name: 'a directory import starts resolving (index file added)', files: { 'src/jobs/index.ts': 'export const nightly = true;\n' }, via: 'patched' },
  { name: 'a file others import removed', files: { 'src/lib/logger.ts': null }, via: 'patched' },
  { name: 'a test removed', files: { 'test/services/users.test.ts': null }, via: 'patched' },
  { name: 'a file renamed', files: { 'src/routes/users.ts': null, 'src/routes/people.ts': `${BASE['src/routes/users.ts']}// renamed\n` }, via: 'patched' },
  { name: 'a Python package gets its __init__', files: { 'scripts/__init__.py': '' }, via: 'patched' },
  { name: 'a Go file added to an imported package', files: { 'internal/calc/mul.go': ['package calc', '', 'func Mul(a, b int) int {', '\treturn a * b', '}', ''].join('\n') }, via: 'patched' },
  { name: 'a Go file removed from it', files: { 'internal/calc/sub.go': null }, via: 'patched' },
  { name: 'an import resolves to another candidate when the first is removed', files: { 'src/lib/config.ts': null }, via: 'patched' },
  { name: 'a side-effect import stops resolving', files: { 'src/lib/setup.ts': null }, via: 'patched' },
  { name: 'files added, changed and removed at once', files: { 'src/lib/extra.ts': 'export const extra = slugify;\n', 'src/lib/numbers.ts': null, 'README.md': '# Mixed\n' }, via: 'patched' },
  { name: 'a new top-level Python package (imports are read differently)', files: { 'tools/run.py': 'import scripts\n' }, via: 'built' },
  { name: 'import aliases changed (tsconfig paths)', files: { 'tsconfig.json': json({ compilerOptions: { strict: true, baseUrl: '.', paths: { '~/*': ['src/*'] } } }) }, via: 'built' },
];

let repo: GitFixture;

beforeAll(async () => {
  repo = await createGitFixture(BASE);
});
afterAll(async () => {
  await repo?.remove();
});

const analyse = (cache: ContextCache) => analyzeRepository(localSource(repo.dir, cache), { cache, parser: loadSymbolParser, maxFileBytes: MAX_FILE_BYTES, memo: false });

async function apply(files: Record<string, string | null>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    if (content === null) await rm(join(repo.dir, path));
    else {
      await mkdir(dirname(join(repo.dir, path)), { recursive: true });
      await writeFile(join(repo.dir, path), content);
    }
  }
  await repo.git('add', '-A');
  await repo.git('commit', '-qm', 'step');
}

describe('an analysis patched after a change', () => {
  it('equals the analysis built from scratch, patch state included, change after change', async () => {
    const shared = memoryContextCache();
    const first = await analyse(shared);
    expect(first.route.via).toBe('built');
    let previous: Analysis = first.analysis;
    for (const step of STEPS) {
      await apply(step.files);
      const patched = await analyse(shared);
      const fresh = memoryContextCache();
      const scratch = await analyse(fresh);
      expect(patched.route.via, step.name).toBe(step.via);
      expect(scratch.route.via, step.name).toBe('built');
      expect(patched.analysis.key, step.name).not.toBe(previous.key);
      expect(plainAnalysis(patched.analysis), step.name).toEqual(plainAnalysis(scratch.analysis));
      const [patchedState, scratchState] = await Promise.all([shared.getPatchState(patched.analysis.key), fresh.getPatchState(scratch.analysis.key)]);
      expect(patchedState && plainState(patchedState), step.name).toEqual(scratchState && plainState(scratchState));
      previous = patched.analysis;
    }
  });

  it('reads only the changed files and their records, and parses only what is new', async () => {
    const shared = memoryContextCache();
    await analyse(shared);
    const reads: string[][] = [];
    const asked: string[][] = [];
    const counting: ContextCache = {
      ...shared,
      getRecords: (blobs) => {
        asked.push([...blobs]);
        return shared.getRecords(blobs);
      },
    };
    const before = await repo.git('rev-parse', 'HEAD:src/lib/strings.ts');
    const text = await readFile(join(repo.dir, 'src/lib/strings.ts'), 'utf8');
    await apply({ 'src/lib/strings.ts': `${text}\nexport function neverUsedAnywhere(): number {\n  return 0;\n}\n` });
    const after = await repo.git('rev-parse', 'HEAD:src/lib/strings.ts');
    const source = localSource(repo.dir, counting);
    const result = await analyzeRepository(
      {
        identify: () => source.identify(),
        list: () => source.list(),
        read: (files) => {
          reads.push(files.map((f) => f.path));
          return source.read(files);
        },
      },
      { cache: counting, parser: loadSymbolParser, maxFileBytes: MAX_FILE_BYTES, memo: false },
    );
    expect(result.route.via).toBe('patched');
    expect(result.stats).toMatchObject({ analysis: 'incremental', filesParsed: 1 });
    expect(reads).toEqual([['src/lib/strings.ts']]);
    // The changed file's record after (to parse if new) and before (to take its share out); nobody uses the new name.
    expect(asked.map((blobs) => blobs.sort())).toEqual([[after, before].sort(), []]);
  });
});

describe('a worker that keeps the patch state of an analysis from the shared cache', () => {
  it('patches the first change without fetching the patch state; without keepPatchState it fetches it', async () => {
    for (const keep of [true, false]) {
      const fixture = await createGitFixture({
        'package.json': JSON.stringify({ name: `keep-${keep}`, type: 'module' }),
        'src/a.ts': 'export function alpha(n: number): number {\n  return n + 1;\n}\n',
        'src/b.ts': "import { alpha } from './a.js';\n\nexport const beta = (n: number) => alpha(n) * 2;\n",
      });
      try {
        const shared = memoryContextCache();
        let fetched = 0;
        const cache: ContextCache = { ...shared, getPatchState: (key) => ((fetched += 1), shared.getPatchState(key)) };
        // Another worker analysed it: only the shared cache has it.
        await (await analyzeRepository(localSource(fixture.dir, shared), { cache: shared, parser: loadSymbolParser, maxFileBytes: MAX_FILE_BYTES, memo: false })).stored;
        const hit = await analyzeRepository(localSource(fixture.dir, cache), { cache, parser: loadSymbolParser, maxFileBytes: MAX_FILE_BYTES, keepPatchState: keep });
        expect(hit.route.via).toBe('shared cache');
        const before = fetched;
        await writeFile(join(fixture.dir, 'src/a.ts'), 'export function alpha(n: number): number {\n  return n + 2;\n}\n\nexport function gamma(): number {\n  return 3;\n}\n');
        const changed = await analyzeRepository(localSource(fixture.dir, cache), { cache, parser: loadSymbolParser, maxFileBytes: MAX_FILE_BYTES });
        expect(changed.route.via).toBe('patched');
        expect(fetched - before).toBe(keep ? 0 : 1);
      } finally {
        await fixture.remove();
      }
    }
  });
});
