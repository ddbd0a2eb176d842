import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompleteRepoContext } from '@patchbay/contracts';
import { type ContextCache, analyzeRepository, loadSymbolParser, memoryContextCache } from '@patchbay/context-engine';
import { type GitFixture, createGitFixture } from '@patchbay/testkit';
import { GO_MODULE, MONOREPO, PY_FASTAPI, TS_LAYERED } from './fixtures/repos.js';
import { MAX_FILE_BYTES, contextOf, localSource } from './local-source.js';
import { namesOf, usedByOf } from './plain-analysis.js';

const fixtures: Record<string, GitFixture> = {};

beforeAll(async () => {
  for (const [name, tree] of Object.entries({ TS_LAYERED, PY_FASTAPI, GO_MODULE, MONOREPO })) fixtures[name] = await createGitFixture(tree);
});
afterAll(async () => {
  await Promise.all(Object.values(fixtures).map((f) => f.remove()));
});

const dir = (name: string) => fixtures[name]?.dir ?? '';

describe('codebase facts of fixture repositories', () => {
  it('TypeScript with the layered layout', async () => {
    const { context: c } = await contextOf(dir('TS_LAYERED'), 'Describe the repository');
    expect(CompleteRepoContext.safeParse(c).success).toBe(true);
    expect(c.languages).toEqual([
      { name: 'TypeScript', files: 9, lines: 64 },
      { name: 'JavaScript', files: 1, lines: 1 },
    ]);
    expect(c.frameworks).toEqual(['Express', 'PostgreSQL']);
    expect(c.manifests).toEqual([
      { path: 'package-lock.json', kind: 'npm-lock' },
      { path: 'package.json', kind: 'npm' },
    ]);
    expect(c.dependencies.map((d) => `${d.name} ${d.version} ${d.resolved} ${d.dev ? 'dev' : 'prod'}`)).toEqual([
      'express ^5.1.0 5.1.0 prod',
      'pg ^8.13.0 8.13.1 prod',
      'vitest ^4.0.0 4.0.3 dev',
      'typescript ^5.9.0 5.9.2 dev',
      'eslint ^9.0.0 9.12.0 dev',
      'prettier ^3.6.0 3.6.2 dev',
    ]);
    expect([c.testCommand, c.testFramework, c.testDirs]).toEqual(['npm test', 'vitest', ['test/routes', 'test/services']]);
    expect(c.tooling).toEqual([
      { tool: 'ESLint', kind: 'lint', config: 'eslint.config.js', notes: [] },
      { tool: 'Prettier', kind: 'format', config: '.prettierrc', notes: ['semi: true', 'singleQuote: true', 'printWidth: 100'] },
      { tool: 'TypeScript', kind: 'types', config: 'tsconfig.json', notes: ['strict', 'module: NodeNext (relative imports need .js)'] },
    ]);
    expect(c.architecture).toEqual({
      patterns: ['layered (routes → services → repositories → transformers → domain_models)', 'src/test mirroring'],
      layers: [
        { layer: 'routes', dirs: ['src/routes'] },
        { layer: 'services', dirs: ['src/services'] },
        { layer: 'repositories', dirs: ['src/repositories'] },
        { layer: 'transformers', dirs: ['src/transformers'] },
        { layer: 'domain_models', dirs: ['src/domain_models'] },
      ],
      workspaces: [],
      testLayout: 'mirrored',
      entryPoints: ['src/app.ts'],
    });
    expect(c.conventions).toEqual({
      naming: 'functions and methods camelCase; types PascalCase',
      imports: 'project imports relative; relative imports end in .js; aliases: @/',
      formatting: 'Prettier (.prettierrc): semi: true, singleQuote: true, printWidth: 100; 2-space indent; semicolons; single quotes',
      files: 'file names single words',
      measured: { camelCase: 1, snake_case: 0, PascalCase: 1, relativeImports: 0.67, aliasImports: 0, packageImports: 0.33 },
    });
    expect(c.quality).toMatchObject({ sourceFiles: 8, testFiles: 2, sourceLines: 51, testLines: 14, testToSourceRatio: 0.25, commentDensity: 0.03 });
    expect(c.quality.largestFiles[0]).toEqual({ path: 'src/app.ts', lines: 9 });
    expect(c.team).toEqual({
      standards: [
        'Return typed errors from services, never throw strings.',
        'Use async/await, never raw promise chains.',
        'Lint with ESLint (eslint.config.js)',
        'Format with Prettier (.prettierrc): semi: true, singleQuote: true, printWidth: 100',
        'Type-check with TypeScript (tsconfig.json): strict, module: NodeNext (relative imports need .js)',
        'ES modules ("type": "module" in package.json)',
        'Runs on node >=20 (package.json engines)',
      ],
      patterns: ['Prefer the repository layer for every SQL query instead of querying in services.'],
      testing: ['Run npm test before proposing a change.', 'Every route needs a test in test/routes.'],
      sources: ['.patchbay.yaml', 'CONTRIBUTING.md', 'eslint.config.js', '.prettierrc', 'tsconfig.json'],
    });
    expect(c.unanalysed).toEqual([]);
  });

  it('a FastAPI project', async () => {
    const { context: c } = await contextOf(dir('PY_FASTAPI'), 'Describe the repository');
    expect(c.languages).toEqual([{ name: 'Python', files: 11, lines: 46 }]);
    expect(c.frameworks).toEqual(['FastAPI', 'PostgreSQL']);
    expect([c.testCommand, c.testFramework, c.testDirs]).toEqual(['python3 -m pytest -q', 'pytest', ['tests']]);
    expect(c.tooling).toEqual([
      { tool: 'Ruff', kind: 'lint', config: 'pyproject.toml', notes: ['line-length: 100'] },
      { tool: 'Black', kind: 'format', config: 'pyproject.toml', notes: ['line-length: 100'] },
    ]);
    expect(c.architecture).toEqual({
      patterns: ['layered (routes → services → repositories → domain_models)'],
      layers: [
        { layer: 'routes', dirs: ['app/routes'] },
        { layer: 'services', dirs: ['app/services'] },
        { layer: 'repositories', dirs: ['app/repositories'] },
        { layer: 'domain_models', dirs: ['app/domain_models'] },
      ],
      workspaces: [],
      testLayout: 'separate',
      entryPoints: ['app/main.py'],
    });
    expect(c.conventions.naming).toBe('functions and methods snake_case; types PascalCase');
    expect(c.conventions.imports).toBe('project imports absolute or aliased');
    expect(c.conventions.formatting).toBe('Black (pyproject.toml): line-length: 100; 4-space indent');
    expect(c.conventions.measured).toEqual({ camelCase: 0, snake_case: 1, PascalCase: 1, relativeImports: 0, aliasImports: 0.5, packageImports: 0.5 });
    expect(c.team.standards).toEqual(['Lint with Ruff (pyproject.toml): line-length: 100', 'Format with Black (pyproject.toml): line-length: 100', 'Python >=3.11 (pyproject.toml)']);
    // Signatures only, methods under their class.
    expect(c.repoMap.text).toContain('app/domain_models/item.py:\n  class Item:\n    def is_empty(self) -> bool:\n');
    expect(c.repoMap.text).toContain('  async def get_item_count() -> int:\n');
    expect(c.repoMap.text).not.toContain('return');
  });

  it('a Go module', async () => {
    const { context: c } = await contextOf(dir('GO_MODULE'), 'Describe the repository');
    expect(c.languages).toEqual([{ name: 'Go', files: 3, lines: 46 }]);
    expect(c.frameworks).toEqual(['Gin']);
    expect(c.dependencies).toEqual([{ name: 'github.com/gin-gonic/gin', version: 'v1.10.0', manifest: 'go.mod', dev: false }]);
    expect([c.testCommand, c.testFramework, c.testDirs]).toEqual(['go test ./...', 'go test', ['internal/ledger']]);
    expect(c.tooling.map((t) => `${t.tool} ${t.config ?? '-'}`)).toEqual(['golangci-lint .golangci.yml', 'gofmt -']);
    expect(c.architecture).toMatchObject({ patterns: ['tests beside the code'], testLayout: 'colocated', entryPoints: ['main.go'], layers: [] });
    expect(c.conventions.formatting).toBe('gofmt: the Go standard format; tab indent; double quotes');
    expect(c.repoMap.text).toContain(
      'internal/ledger/book.go:\n  type Book struct\n    entries []Entry\n    func (b *Book) Balance() int64\n    func (b *Book) addEntry(e Entry)\n  type Entry struct\n    Amount int64\n  func NewBook() *Book\n',
    );
    expect(c.team.standards).toEqual(['Lint with golangci-lint (.golangci.yml)', 'Format with gofmt: the Go standard format', 'Go 1.22 (go.mod)']);
  });

  it('a pnpm monorepo', async () => {
    const { context: c } = await contextOf(dir('MONOREPO'), 'Describe the repository');
    expect(c.languages).toEqual([{ name: 'TypeScript', files: 4, lines: 20 }]);
    expect(c.frameworks).toEqual(['Fastify', 'React']);
    expect(c.dependencies.filter((d) => d.resolved).map((d) => `${d.name}@${d.resolved}`)).toEqual(['vitest@4.0.3', 'fastify@5.2.1', 'react@19.1.0']);
    expect([c.testCommand, c.testFramework]).toEqual(['pnpm test', 'vitest']);
    expect(c.architecture).toEqual({
      patterns: ['monorepo (pnpm workspaces: 3 packages)', 'tests beside the code'],
      layers: [],
      workspaces: ['apps/api', 'apps/web', 'packages/money'],
      testLayout: 'colocated',
      entryPoints: ['apps/api/src/server.ts', 'packages/money/src/index.ts'],
    });
    expect(c.conventions.imports).toBe('project imports mostly absolute or aliased; relative imports end in .js; aliases: @acme/api, @acme/web, @acme/money');
    // Workspace imports resolve to the package: it is the most central file.
    expect(c.repoMap.ranked[0]?.path).toBe('packages/money/src/index.ts');
  });
});

describe('ranking for a task', () => {
  it('puts the files the task names first, then their direct dependents, then what they use', async () => {
    const { context: c } = await contextOf(dir('TS_LAYERED'), 'Apply the discount in src/services/orders.ts');
    const ranked = c.repoMap.ranked.map((r) => [r.path, r.reason]);
    expect(ranked.slice(0, 3)).toEqual([
      ['src/services/orders.ts', 'named in the task'],
      ['src/routes/orders.ts', 'uses src/services/orders.ts'],
      ['test/services/orders.test.ts', 'uses src/services/orders.ts'],
    ]);
    expect(ranked.slice(3, 6).map((r) => r[1])).toEqual(Array(3).fill('used by src/services/orders.ts'));
    expect(c.task.files).toEqual(['src/services/orders.ts']);
    expect(c.relevant[0]?.path).toBe('src/services/orders.ts');
    expect(c.repoMap.text.startsWith('src/services/orders.ts:\n  export async function getOrder(orderId: string): Promise<OrderDto>\n')).toBe(true);
  });

  it('seeds the ranking with the symbols the task names', async () => {
    const { context: c } = await contextOf(dir('PY_FASTAPI'), 'count_items must not open a connection per call');
    expect(c.task.identifiers).toEqual(['count_items']);
    expect(c.task.constraints).toEqual(['count_items must not open a connection per call']);
    expect(c.repoMap.ranked[0]).toMatchObject({ path: 'app/repositories/items.py', reason: 'defines count_items, named in the task' });
    expect(c.repoMap.ranked[1]).toMatchObject({ path: 'app/services/items.py', reason: 'uses app/repositories/items.py' });
  });

  it('reads requirements, constraints and priorities from the task', async () => {
    const { context: c } = await contextOf(
      dir('GO_MODULE'),
      'Urgent: Balance() is slow on big books',
      { budget: 500 },
    );
    expect(c.task.identifiers).toEqual(['Balance']);
    expect(c.task.priorities).toEqual(['urgent', 'performance']);
    expect(c.repoMap.ranked[0]?.path).toBe('internal/ledger/book.go');
  });
});

describe('reference graph', () => {
  it("links files by what they can reach: not by a module's own names, nor by a method name alone", async () => {
    const repo = await createGitFixture({
      'package.json': '{ "name": "graph", "type": "module" }\n',
      'src/queue.ts': 'export class Queue {\n  push(item: string): void {\n    void item;\n  }\n}\n',
      // Calls an array's push: nothing to do with Queue.
      'src/report.ts': "const rows: string[] = [];\nrows.push('a');\n\nexport function report(): string[] {\n  return rows;\n}\n",
      'src/jobs.ts': "import { Queue } from './queue.js';\n\nexport function enqueue(queue: Queue): void {\n  queue.push('job');\n}\n",
      // `probes` is limits.ts's own; health.ts has a property of that name.
      'src/limits.ts': 'const probes = 3;\n\nexport function retries(): number {\n  return probes;\n}\n',
      'src/health.ts': 'export interface Health {\n  probes: number;\n}\n\nexport function check(health: Health): number {\n  return health.probes;\n}\n',
      // A CommonJS module shares its names without export statements.
      'lib/legacy.js': 'function legacyTotal(rows) {\n  return rows.length;\n}\nmodule.exports = { legacyTotal };\n',
      'lib/run.js': 'legacyTotal([]);\n',
    });
    try {
      const cache = memoryContextCache();
      const { analysis } = await analyzeRepository(localSource(repo.dir, cache), { cache, parser: loadSymbolParser, maxFileBytes: MAX_FILE_BYTES, memo: false });
      const path = (i: number | undefined) => analysis.files[i ?? -1]?.path;
      const edges = new Set<string>();
      for (let i = 0; i < analysis.edges.length; i += 3) edges.add(`${path(analysis.edges[i])} -> ${path(analysis.edges[i + 1])}`);
      expect([...edges].sort()).toEqual(['lib/run.js -> lib/legacy.js', 'src/jobs.ts -> src/queue.ts']);
    } finally {
      await repo.remove();
    }
  });
});

describe('plain words of a task', () => {
  const WORDS: Record<string, string> = {
    'package.json': '{ "name": "words", "type": "module" }\n',
    'src/board.ts': "export interface Board {\n  write(entry: string): void;\n}\n\nexport function openBoard(): Board {\n  return { write: () => undefined };\n}\n",
    'src/publisher.ts': "import { openBoard } from './board.js';\n\nexport function publishAll(): void {\n  openBoard().write('all');\n}\n",
    // A property that shares a task word, and an exported function that is that word.
    'src/provider.ts': 'export interface ChatRequest {\n  stream?: boolean;\n}\n',
    'src/streams.ts': 'export function stream(): string {\n  return "s";\n}\n',
    'src/consumer.ts': "import { stream } from './streams.js';\n\nexport const first = stream();\n",
    'src/openai-provider.ts': 'export function chat(): string {\n  return "hi";\n}\n',
    'scripts/deploy.sh': '#!/bin/sh\necho deploy\n',
    'test/pipeline.e2e.test.ts': "import { publishAll } from '../src/publisher.js';\n\npublishAll();\n",
    'types/shim.d.ts': 'export declare function applyShim(): void;\n',
    'test/streams.test.ts': "import { stream } from '../src/streams.js';\n\nconst stalls = stream();\nvoid stalls;\n",
  };
  let words: GitFixture;
  beforeAll(async () => {
    words = await createGitFixture(WORDS);
  });
  afterAll(async () => {
    await words.remove();
  });

  it('lean the ranking behind what the task names precisely, and never name a property', async () => {
    const { context: c } = await contextOf(words.dir, 'Make board writes retry when the stream is unavailable');
    const ranked = c.repoMap.ranked.map((r) => [r.path, r.reason]);
    expect(ranked.slice(0, 2)).toEqual([
      ['src/board.ts', 'named in the task'],
      ['src/publisher.ts', 'uses src/board.ts'],
    ]);
    expect(ranked[2]).toEqual(['src/streams.ts', 'defines stream, a word of the task']);
    expect(ranked.find((r) => r[0] === 'src/provider.ts')?.[1]).toBe('reference graph rank');
    expect(c.task.identifiers).toEqual(['Board', 'stream']);
  });

  it("lead when nothing more precise is named, but not through a test's names", async () => {
    const { context: c } = await contextOf(words.dir, 'The stream stalls');
    expect(c.repoMap.ranked.slice(0, 2).map((r) => [r.path, r.reason])).toEqual([
      ['src/streams.ts', 'defines stream, named in the task'],
      ['src/consumer.ts', 'uses src/streams.ts'],
    ]);
    expect(c.task.identifiers).toEqual(['stream']);
  });

  it('rank what a named file does not reach by how central it is, not by name', async () => {
    // The script has no symbols and no links: its neighbourhood is empty.
    const { context: c } = await contextOf(words.dir, 'scripts/deploy.sh hangs');
    const ranked = c.repoMap.ranked;
    expect(ranked[0]).toMatchObject({ path: 'scripts/deploy.sh', reason: 'named in the task' });
    expect(ranked[1]).toMatchObject({ reason: 'reference graph rank' });
    expect(ranked[1]?.rank).toBeGreaterThan(0);
    const order = ranked.map((r) => r.path);
    expect(order.indexOf('src/streams.ts')).toBeLessThan(order.indexOf('package.json'));
  });

  it('that spell a package name together name the package, not the files one of them names', async () => {
    const repo = await createGitFixture({
      'package.json': '{ "name": "mono", "private": true, "workspaces": ["services/*", "packages/*"] }\n',
      'services/context-engine/package.json': '{ "name": "@mono/context-engine", "type": "module" }\n',
      'services/context-engine/src/engine.ts': "import { emptyContext } from '@mono/shared';\n\nexport function analyse(): string {\n  return emptyContext();\n}\n",
      'packages/shared/package.json': '{ "name": "@mono/shared", "type": "module" }\n',
      'packages/shared/src/context.ts': "export function emptyContext(): string {\n  return '';\n}\n",
    });
    try {
      const { context: c } = await contextOf(repo.dir, 'The context engine drops the map budget');
      expect(c.repoMap.ranked[0]).toMatchObject({ path: 'services/context-engine/src/engine.ts', reason: 'in services/context-engine, named in the task' });
      expect(c.task.files).toEqual([]);
      // Alone, the word still names the file.
      const { context: d } = await contextOf(repo.dir, 'An empty context is an empty string');
      expect(d.task.files).toEqual(['packages/shared/src/context.ts']);
    } finally {
      await repo.remove();
    }
  });

  it('name a workspace package by its directory, a file by part of its name, and a test or declaration file by its stem', async () => {
    const { context: c } = await contextOf(dir('MONOREPO'), 'The web app shows prices without a currency');
    expect(c.repoMap.ranked[0]).toMatchObject({ path: 'apps/web/src/Price.tsx', reason: 'in apps/web, named in the task' });
    const { context: d } = await contextOf(words.dir, 'Support the OpenAI responses API');
    expect(d.repoMap.ranked[0]).toMatchObject({ path: 'src/openai-provider.ts', reason: 'its name has "openai", named in the task' });
    // A file's stem leaves out what kind of test or declaration it is.
    const { context: e } = await contextOf(words.dir, 'The pipeline hangs, and the shim is missing');
    expect(e.task.files).toEqual(['test/pipeline.e2e.test.ts', 'types/shim.d.ts']);
  });
});

describe('budget', () => {
  it('never exceeds the map budget, and says by rank what it left out', async () => {
    let previous = -1;
    for (const budget of [1, 10, 30, 60, 100, 200, 5_000]) {
      const { context: c } = await contextOf(dir('TS_LAYERED'), 'Apply the discount in src/services/orders.ts', { budget });
      expect(c.repoMap.tokens, `budget ${budget}`).toBeLessThanOrEqual(budget);
      expect(Math.ceil(c.repoMap.text.length / 4)).toBe(c.repoMap.tokens);
      expect(c.repoMap.files).toBeGreaterThanOrEqual(previous);
      previous = c.repoMap.files;
      const omitted = c.leftOut.find((l) => l.what.startsWith('repo map:'));
      if (c.repoMap.files < 7) {
        expect(omitted?.reason).toBe(`over the ${budget}-token map budget; they rank below the files shown`);
      } else expect(omitted).toBeUndefined();
      // Whole lines only, best ranked first: the shown files are a prefix of the ranking.
      const shown = [...c.repoMap.text.matchAll(/^(\S.*):$/gm)].map((m) => m[1]);
      const ranked = c.repoMap.ranked.map((r) => r.path).filter((p) => shown.includes(p) || !p.startsWith('test/'));
      expect(shown).toEqual(ranked.filter((p) => shown.includes(p)));
    }
  });
});

describe('incremental analysis', () => {
  it('patches the reference graph to exactly what a rebuild from scratch finds', async () => {
    const repo = await createGitFixture(TS_LAYERED);
    try {
      const cache = memoryContextCache();
      const analyse = (c: ContextCache) =>
        analyzeRepository(localSource(repo.dir, c), { cache: c, parser: loadSymbolParser, maxFileBytes: MAX_FILE_BYTES, memo: false });
      await analyse(cache);
      // A body edit, a new name other files already use, and a second definer of a used name.
      await writeFile(
        join(repo.dir, 'src/services/orders.ts'),
        `${TS_LAYERED['src/services/orders.ts']}\nexport function toOrderDto(row: unknown) {\n  return row;\n}\nexport const pool = null;\n`,
      );
      await repo.git('commit', '-qam', 'change');
      const patched = await analyse(cache);
      expect(patched.stats).toMatchObject({ analysis: 'incremental', filesParsed: 1 });
      const scratch = await analyse(memoryContextCache());
      expect(scratch.stats.analysis).toBe('cold');
      const triples = (a: ArrayLike<number>, k: number) => Array.from({ length: a.length / k }, (_, i) => Array.from(a).slice(i * k, i * k + k).join(',')).sort();
      expect(triples(patched.analysis.edges, 3)).toEqual(triples(scratch.analysis.edges, 3));
      expect(triples(patched.analysis.links, 2)).toEqual(triples(scratch.analysis.links, 2));
      const nonZero = (u: Record<string, number>) => Object.fromEntries(Object.entries(u).filter(([, v]) => v > 0));
      expect(nonZero(usedByOf(patched.analysis))).toEqual(nonZero(usedByOf(scratch.analysis)));
      expect([patched.analysis.names.usedBy('findOrder'), patched.analysis.names.usedBy('pool')]).toEqual([1, 1]);
      expect(namesOf(patched.analysis)).toEqual(namesOf(scratch.analysis));
      expect(patched.analysis.files).toEqual(scratch.analysis.files);
    } finally {
      await repo.remove();
    }
  });
});
