import { describe, expect, it } from 'vitest';
import { RepoContext } from '@patchbay/contracts';
import { projectFacts } from '@patchbay/context-engine';
import { type RepoSnapshot, assembleContext } from '../src/domain/assemble.js';
import { isCode, isNoise, isTestFile, languageOf } from '../src/domain/languages.js';
import { mentionedTerms, rankFiles } from '../src/domain/relevance.js';

/** A repository as a map of path → text (null: a binary file). */
type Tree = Record<string, string | null>;

const factsOf = (tree: Tree) => projectFacts(Object.keys(tree), (p) => tree[p] ?? undefined);

const pkg = (fields: Record<string, unknown>) => JSON.stringify({ name: 'x', version: '1.0.0', ...fields }, null, 2);

function snapshot(tree: Tree, sizes: Record<string, number> = {}): RepoSnapshot {
  return {
    repo: '/repos/sample',
    commit: 'f'.repeat(40),
    files: Object.keys(tree).map((path) => ({ path, size: sizes[path] ?? (tree[path] ?? '\0\0\0\0').length })),
    text: (path) => tree[path] ?? undefined,
  };
}

const NO_FACTS = { manifests: [], dependencies: [], frameworks: [], sources: [] };

describe('projectFacts: JavaScript', () => {
  it('finds pnpm and vitest', () => {
    const facts = factsOf({
      'package.json': pkg({ scripts: { test: 'vitest run' }, devDependencies: { vitest: '^4.0.0' }, dependencies: { express: '^5.0.0' } }),
      'pnpm-lock.yaml': 'lockfileVersion: 9\n',
    });
    expect(facts.testCommand).toBe('pnpm test');
    expect(facts.testFramework).toBe('vitest');
    expect(facts.frameworks).toEqual(['Express']);
    expect(facts.manifests).toEqual([
      { path: 'package.json', kind: 'npm' },
      { path: 'pnpm-lock.yaml', kind: 'pnpm-lock' },
    ]);
    expect(facts.dependencies).toEqual([
      { name: 'express', version: '^5.0.0', manifest: 'package.json', dev: false },
      { name: 'vitest', version: '^4.0.0', manifest: 'package.json', dev: true },
    ]);
    expect(facts.sources).toEqual(['package.json']);
  });

  it('finds yarn and jest', () => {
    const facts = factsOf({
      'package.json': pkg({ scripts: { test: 'jest --ci' }, dependencies: { react: '^19.0.0', next: '^15.0.0' } }),
      'yarn.lock': '# yarn lockfile v1\n',
    });
    expect(facts.testCommand).toBe('yarn test');
    expect(facts.testFramework).toBe('jest');
    expect(facts.frameworks).toEqual(['Next.js', 'React']);
  });

  it('finds npm and node --test, with or without a package-lock', () => {
    for (const tree of [
      { 'package.json': pkg({ scripts: { test: 'node --test' } }) },
      { 'package.json': pkg({ scripts: { test: 'node --experimental-strip-types --test test/' } }), 'package-lock.json': '{}' },
    ]) {
      const facts = factsOf(tree);
      expect(facts.testCommand).toBe('npm test');
      expect(facts.testFramework).toBe('node:test');
    }
  });

  it('takes the framework from dependencies when the script does not name it', () => {
    const facts = factsOf({ 'package.json': pkg({ scripts: { test: 'run-tests.sh' }, devDependencies: { mocha: '^10' } }) });
    expect(facts.testCommand).toBe('npm test');
    expect(facts.testFramework).toBe('mocha');
  });

  it("ignores npm's placeholder test script", () => {
    const facts = factsOf({ 'package.json': pkg({ scripts: { test: 'echo "Error: no test specified" && exit 1' } }) });
    expect(facts.testCommand).toBeUndefined();
    expect(facts.testFramework).toBeUndefined();
    expect(facts.sources).toEqual([]);
    // A Makefile test target is used instead when there is one.
    const withMake = factsOf({
      'package.json': pkg({ scripts: { test: 'echo "Error: no test specified" && exit 1' } }),
      Makefile: 'build:\n\tcc main.c\n\ntest: build\n\t./run-tests\n',
    });
    expect(withMake.testCommand).toBe('make test');
    expect(withMake.sources).toEqual(['Makefile']);
  });

  it('reads a monorepo root first, then its packages', () => {
    const tree: Tree = {
      'packages/web/package.json': pkg({ scripts: { test: 'vitest' }, dependencies: { react: '^19' } }),
      'packages/api/package.json': pkg({ scripts: { test: 'jest' }, dependencies: { fastify: '^5' } }),
      'pnpm-lock.yaml': '',
      'package.json': pkg({ scripts: { test: 'pnpm -r test' }, devDependencies: { vitest: '^4' } }),
      'node_modules/left-pad/package.json': pkg({ scripts: { test: 'tap' }, dependencies: { express: '*' } }),
    };
    const facts = factsOf(tree);
    expect(facts.manifests.map((m) => m.path)).toEqual([
      'package.json',
      'pnpm-lock.yaml',
      'packages/api/package.json',
      'packages/web/package.json',
    ]);
    expect(facts.testCommand).toBe('pnpm test');
    expect(facts.testFramework).toBe('vitest');
    expect(facts.sources).toEqual(['package.json']);
    expect(facts.dependencies.map((d) => `${d.manifest}:${d.name}`)).toEqual([
      'package.json:vitest',
      'packages/api/package.json:fastify',
      'packages/web/package.json:react',
    ]);
    // Dependencies of dependencies say nothing about the project.
    expect(facts.frameworks).toEqual(['Fastify', 'React']);
  });

  it('runs a package\'s tests from its directory when the root has none, with the root lockfile\'s manager', () => {
    const facts = factsOf({
      'package.json': pkg({ private: true, workspaces: ['packages/*'] }),
      'yarn.lock': '',
      'packages/core/package.json': pkg({ scripts: { test: 'jest' } }),
      'packages/zeta/package.json': pkg({ scripts: { test: 'vitest' } }),
    });
    expect(facts.testCommand).toBe('cd packages/core && yarn test');
    expect(facts.testFramework).toBe('jest');
    expect(facts.sources).toEqual(['packages/core/package.json']);
  });

  it('keeps going past a manifest that does not parse', () => {
    const facts = factsOf({
      'package.json': '{ not json',
      'go.mod': 'module example.com/svc\n\ngo 1.22\n',
    });
    expect(facts.manifests.map((m) => m.kind)).toEqual(['go', 'npm']);
    expect(facts.testCommand).toBe('go test ./...');
  });
});

describe('projectFacts: Python', () => {
  const PYPROJECT = `
[project]
name = "svc"
dependencies = [
  "fastapi>=0.110",
  "SQLAlchemy[asyncio]>=2.0",
  "asyncpg",
]

[project.optional-dependencies]
dev = ["pytest>=8", "httpx"]

[tool.pytest.ini_options]
testpaths = ["tests"]
`;

  it('reads pyproject.toml with pytest settings and dependencies', () => {
    const facts = factsOf({ 'pyproject.toml': PYPROJECT, 'tests/test_app.py': 'def test_ok(): pass\n' });
    expect(facts.testCommand).toBe('python3 -m pytest -q');
    expect(facts.testFramework).toBe('pytest');
    expect(facts.frameworks).toEqual(['FastAPI', 'PostgreSQL']);
    expect(facts.dependencies).toEqual(
      expect.arrayContaining([
        { name: 'fastapi', version: '>=0.110', manifest: 'pyproject.toml', dev: false },
        { name: 'sqlalchemy', version: '>=2.0', manifest: 'pyproject.toml', dev: false },
        { name: 'asyncpg', manifest: 'pyproject.toml', dev: false },
        { name: 'pytest', version: '>=8', manifest: 'pyproject.toml (optional)', dev: true },
      ]),
    );
    expect(facts.sources).toEqual(['pyproject.toml']);
  });

  it('reads Poetry dependencies, leaving out python itself', () => {
    const facts = factsOf({
      'pyproject.toml': '[tool.poetry.dependencies]\npython = "^3.12"\nDjango = "^5.0"\n\n[tool.pytest.ini_options]\n',
    });
    expect(facts.dependencies.map((d) => d.name)).toEqual(['django']);
    expect(facts.frameworks).toEqual(['Django']);
    expect(facts.testCommand).toBe('python3 -m pytest -q');
  });

  it('reads requirements.txt: Flask and PostgreSQL, comments and options skipped', () => {
    const facts = factsOf({
      'requirements.txt': '# web\nflask==3.0.0\npsycopg2-binary>=2.9  # database\n-r other.txt\n\ngunicorn\n',
    });
    expect(facts.frameworks).toEqual(['Flask', 'PostgreSQL']);
    expect(facts.dependencies).toEqual([
      { name: 'flask', version: '==3.0.0', manifest: 'requirements.txt', dev: false },
      { name: 'psycopg2-binary', version: '>=2.9', manifest: 'requirements.txt', dev: false },
      { name: 'gunicorn', manifest: 'requirements.txt', dev: false },
    ]);
    // No pytest and no test files: nothing to run.
    expect(facts.testCommand).toBeUndefined();
  });

  it('uses pytest when a requirements file lists it, and marks dev requirements', () => {
    const facts = factsOf({ 'requirements.txt': 'flask\n', 'requirements-dev.txt': 'pytest==8.3\n' });
    expect(facts.testCommand).toBe('python3 -m pytest -q');
    expect(facts.dependencies.find((d) => d.name === 'pytest')).toEqual({
      name: 'pytest',
      version: '==8.3',
      manifest: 'requirements-dev.txt',
      dev: true,
    });
    expect(facts.sources).toEqual(['requirements-dev.txt', 'requirements.txt']);
  });

  it('falls back to unittest when there are Python test files but no pytest', () => {
    const facts = factsOf({ 'requirements.txt': 'flask\n', 'tests/test_views.py': 'import unittest\n' });
    expect(facts.testCommand).toBe('python3 -m unittest discover -v');
    expect(facts.testFramework).toBe('unittest');
  });

  it('takes pytest.ini and conftest.py as pytest', () => {
    expect(factsOf({ 'pytest.ini': '[pytest]\n' }).testCommand).toBe('python3 -m pytest -q');
    expect(factsOf({ 'conftest.py': '' }).testFramework).toBe('pytest');
  });
});

describe('projectFacts: Go, Rust and make', () => {
  it('reads go.mod: go test and its requirements', () => {
    const facts = factsOf({
      'go.mod': [
        'module example.com/svc',
        '',
        'go 1.22',
        '',
        'require github.com/gin-gonic/gin v1.10.0',
        '',
        'require (',
        '\tgithub.com/jackc/pgx/v5 v5.6.0',
        '\tgolang.org/x/text v0.16.0 // indirect',
        ')',
        '',
      ].join('\n'),
    });
    expect(facts.testCommand).toBe('go test ./...');
    expect(facts.testFramework).toBe('go test');
    expect(facts.dependencies).toEqual([
      { name: 'github.com/gin-gonic/gin', version: 'v1.10.0', manifest: 'go.mod', dev: false },
      { name: 'github.com/jackc/pgx/v5', version: 'v5.6.0', manifest: 'go.mod', dev: false },
      { name: 'golang.org/x/text', version: 'v0.16.0', manifest: 'go.mod', dev: false },
    ]);
    expect(facts.frameworks).toEqual(['Gin']);
    expect(facts.sources).toEqual(['go.mod']);
  });

  it('runs go test from the module directory when go.mod is not at the root', () => {
    expect(factsOf({ 'backend/go.mod': 'module x\n' }).testCommand).toBe('cd backend && go test ./...');
  });

  it('reads Cargo.toml: cargo test and its dependencies', () => {
    const facts = factsOf({
      'Cargo.toml': '[package]\nname = "svc"\nversion = "0.1.0"\n\n[dependencies]\naxum = "0.7"\nserde = { version = "1", features = ["derive"] }\n\n[dev-dependencies]\ntokio-test = "0.4"\n',
    });
    expect(facts.testCommand).toBe('cargo test');
    expect(facts.testFramework).toBe('cargo test');
    expect(facts.dependencies).toEqual([
      { name: 'axum', manifest: 'Cargo.toml', dev: false },
      { name: 'serde', manifest: 'Cargo.toml', dev: false },
      { name: 'tokio-test', manifest: 'Cargo.toml', dev: true },
    ]);
    expect(facts.frameworks).toEqual(['Axum']);
  });

  it('uses a Makefile test target, and only a test target', () => {
    expect(factsOf({ Makefile: '.PHONY: test\ntest:\n\tpython3 run.py\n' }).testCommand).toBe('make test');
    expect(factsOf({ Makefile: 'all:\n\tcc main.c\nintegration-test:\n\t./it\n' }).testCommand).toBeUndefined();
  });

  it('finds nothing in a repository without manifests', () => {
    expect(factsOf({ 'main.c': 'int main(){}', 'README.md': '# hi' })).toEqual(NO_FACTS);
  });
});

describe('languages', () => {
  it('knows code, tests and noise when it sees them', () => {
    expect(languageOf('src/a.ts')).toBe('TypeScript');
    expect(languageOf('src/A.PY')).toBe('Python');
    expect(languageOf('Dockerfile')).toBe('Dockerfile');
    expect(languageOf('.gitignore')).toBeUndefined();
    expect(languageOf('LICENSE')).toBeUndefined();
    expect(isCode('Go')).toBe(true);
    expect(isCode('Markdown')).toBe(false);
    expect(isCode(undefined)).toBe(false);
    for (const path of ['test/a.js', 'src/__tests__/a.tsx', 'a.spec.ts', 'pkg/app_test.go', 'tests/test_app.py', 'b.test.mjs']) {
      expect(isTestFile(path), path).toBe(true);
    }
    for (const path of ['src/testing.ts', 'contest.py', 'latest.js']) expect(isTestFile(path), path).toBe(false);
    for (const path of ['node_modules/a/index.js', 'web/dist/app.js', 'package-lock.json', 'sub/yarn.lock', 'go.sum', 'target/debug/x', '.venv/lib/x.py']) {
      expect(isNoise(path), path).toBe(true);
    }
    expect(isNoise('src/distance.ts')).toBe(false);
  });
});

describe('rankFiles', () => {
  const files = [
    { path: 'src/util.js', size: 400, language: 'JavaScript' },
    { path: 'README.md', size: 300, language: 'Markdown' },
    { path: 'test/stats.test.js', size: 800, language: 'JavaScript' },
    { path: 'src/stats.js', size: 500, language: 'JavaScript' },
    { path: 'node_modules/stats.js/index.js', size: 100, language: 'JavaScript' },
    { path: 'pnpm-lock.yaml', size: 100, language: 'YAML' },
    { path: 'package-lock.json', size: 100, language: 'JSON' },
    { path: '.env', size: 50 },
    { path: 'config/.env.production', size: 50 },
    { path: 'certs/server.key', size: 50 },
    { path: 'dist/stats.js', size: 100, language: 'JavaScript' },
    { path: 'docs/notes.txt', size: 100 },
  ];

  it('puts the files the task names first, then tests, then code', () => {
    const ranked = rankFiles(files, 'Fix the median in stats.js');
    expect(ranked.map((r) => r.path).slice(0, 4)).toEqual(['src/stats.js', 'test/stats.test.js', 'src/util.js', 'README.md']);
    expect(ranked[0]?.reason).toBe('named in the task (stats.js); source');
    expect(ranked[1]?.reason).toBe('matches stats.js; test');
    // Scores are strictly ordered along the list.
    for (let i = 1; i < ranked.length; i++) expect(ranked[i - 1]?.score ?? 0).toBeGreaterThanOrEqual(ranked[i]?.score ?? 0);
  });

  it('never offers dependencies, build output, lockfiles or secret files', () => {
    const paths = rankFiles(files, 'Fix stats.js, .env, server.key and pnpm-lock.yaml').map((r) => r.path);
    for (const hidden of ['node_modules/stats.js/index.js', 'pnpm-lock.yaml', 'package-lock.json', '.env', 'config/.env.production', 'certs/server.key', 'dist/stats.js']) {
      expect(paths).not.toContain(hidden);
    }
    expect(paths).toContain('docs/notes.txt');
  });

  it('ranks a named test above an unnamed source file, and prefers smaller files among equals', () => {
    const ranked = rankFiles(
      [
        { path: 'src/big.py', size: 150_000, language: 'Python' },
        { path: 'src/small.py', size: 1_000, language: 'Python' },
        { path: 'tests/test_parser.py', size: 2_000, language: 'Python' },
      ],
      'The parser drops the last token',
    );
    expect(ranked.map((r) => r.path)).toEqual(['tests/test_parser.py', 'src/small.py', 'src/big.py']);
  });

  it('extracts identifier-like terms without stop words', () => {
    expect(mentionedTerms('Fix the median() in src/stats.js, and add tests for it.')).toEqual(['median', 'src', 'stats.js']);
    expect(mentionedTerms('Document it. Do it-')).toEqual(['document']);
  });

  it('does not let a short word before a full stop match half the repository', () => {
    const ranked = rankFiles(
      [
        { path: 'src/parser.ts', size: 100, language: 'TypeScript' },
        { path: 'src/git/commit.ts', size: 100, language: 'TypeScript' },
      ],
      'Rename the parser and document it.',
    );
    expect(ranked.map((r) => [r.path, r.reason])).toEqual([
      ['src/parser.ts', 'named in the task (parser); source'],
      ['src/git/commit.ts', 'source'],
    ]);
  });
});

describe('assembleContext', () => {
  const FACTS = factsOf({ 'package.json': pkg({ scripts: { test: 'node --test' } }) });
  const contentChars = (c: RepoContext) => c.relevant.reduce((n, r) => n + r.content.length, 0);

  it('fills the budget with the most relevant files and says why it left the others out', () => {
    const tree: Tree = {
      'package.json': pkg({ scripts: { test: 'node --test' } }),
      'src/stats.js': `export function median(values) {\n${'  // body\n'.repeat(30)}}\n`, // ~ 330 chars
      'test/stats.test.js': `import { median } from '../src/stats.js';\n${'test();\n'.repeat(40)}`, // ~ 360 chars
      'src/huge.js': 'x'.repeat(2_000), // more than half the budget
      'src/a.js': 'a'.repeat(250),
      'src/b.js': 'b'.repeat(250),
      'src/c.js': 'c'.repeat(250),
      'assets/logo.js': null, // binary content with a code extension
      'README.md': '# Stats\n',
    };
    const budget = 1_200;
    const context = assembleContext(snapshot(tree), FACTS, 'Fix median in stats.js', budget, [], ['test_command']);
    expect(RepoContext.safeParse(context).success).toBe(true);
    expect(contentChars(context)).toBeLessThanOrEqual(budget);
    expect(context.relevant.map((r) => r.path).slice(0, 2)).toEqual(['src/stats.js', 'test/stats.test.js']);
    expect(context.relevant[0]?.content).toBe(tree['src/stats.js']);
    const skipped = Object.fromEntries(context.skipped.map((s) => [s.path, s.reason]));
    expect(skipped['src/huge.js']).toBe('too large (2000 chars) for the budget');
    expect(skipped['assets/logo.js']).toBe('binary or unreadable');
    expect(Object.values(skipped)).toContain('over the context budget');
    // Nothing is both offered and skipped, and everything ranked is one or the other.
    const offered = new Set(context.relevant.map((r) => r.path));
    for (const s of context.skipped) expect(offered.has(s.path)).toBe(false);
    expect(offered.size + context.skipped.length).toBe(Object.keys(tree).filter((p) => p !== 'package.json').length);
    expect(context.fromBoard).toEqual(['test_command']);
    expect(context.testCommand).toBe('npm test');
    expect(context.testFramework).toBe('node:test');
    expect(context.testDirs).toEqual(['test']);
    expect(context.languages[0]).toMatchObject({ name: 'JavaScript' });
    expect(context.files).toHaveLength(Object.keys(tree).length);
    expect(context.filesOmitted).toBe(0);
  });

  it('never exceeds the budget, whatever the budget', () => {
    const tree: Tree = {};
    for (let i = 0; i < 40; i++) tree[`src/mod${i}.ts`] = `export const v${i} = ${i};\n`.repeat(1 + ((i * 7) % 23));
    for (const budget of [1, 50, 200, 777, 1_500, 5_000, 100_000]) {
      const context = assembleContext(snapshot(tree), NO_FACTS, 'update the modules', budget, [], []);
      expect(contentChars(context), `budget ${budget}`).toBeLessThanOrEqual(budget);
      for (const r of context.relevant) expect(r.content.length).toBeLessThanOrEqual(budget / 2);
    }
  });

  it('stays within the budget when masking lengthens short secrets', () => {
    // Each short secret becomes "[REDACTED]": masked text is longer than the original.
    const secretHeavy = 'const config = {\n' + Array.from({ length: 40 }, (_, i) => `  token${i}: "ab${i % 10}x",\n`).join('') + '};\n';
    const tree: Tree = {
      'src/config.ts': secretHeavy,
      'src/other.ts': 'o'.repeat(secretHeavy.length),
    };
    const budget = secretHeavy.length * 2 + 10;
    const context = assembleContext(snapshot(tree), NO_FACTS, 'Update config.ts and other.ts', budget, [], []);
    // Raw, config.ts fits half the budget; masked, it does not.
    expect(secretHeavy.length).toBeLessThanOrEqual(budget / 2);
    expect(contentChars(context)).toBeLessThanOrEqual(budget);
    expect(context.relevant.map((r) => r.path)).toEqual(['src/other.ts']);
    expect(context.skipped).toEqual([{ path: 'src/config.ts', reason: expect.stringMatching(/^too large \(\d+ chars\)/) }]);
    // With room for the masked text, it is offered masked.
    const roomy = assembleContext(snapshot(tree), NO_FACTS, 'Update config.ts and other.ts', budget * 4, [], []);
    const masked = roomy.relevant.find((r) => r.path === 'src/config.ts')?.content ?? '';
    expect(masked).toContain('token0: "[REDACTED]"');
    expect(masked).not.toContain('ab0x');
    expect(contentChars(roomy)).toBeLessThanOrEqual(budget * 4);
  });

  it('masks secrets in file contents', () => {
    const token = `ghp_${'abcdefghijklmnopqrstuvwxyzABCDEFGHIJ'}`;
    expect(token).toHaveLength(40);
    const custom = 'correct-horse-battery-staple';
    const tree: Tree = {
      'src/deploy.sh': `#!/bin/sh\nexport GITHUB_TOKEN=${token}\ncurl -H "Authorization: token ${token}" https://api.github.com\n`,
      'src/client.py': `DATABASE_URL = "postgres://app:s3cr3tpass@db:5432/app"\nKEY = "${custom}"\n`,
      'src/plain.js': 'export const answer = 42;\n',
    };
    const context = assembleContext(snapshot(tree), NO_FACTS, 'Fix deploy.sh and client.py', 10_000, [custom], []);
    const all = context.relevant.map((r) => r.content).join('\n');
    expect(context.relevant.map((r) => r.path).sort()).toEqual(['src/client.py', 'src/deploy.sh', 'src/plain.js']);
    expect(all).not.toContain(token);
    expect(all).not.toContain('ghp_abcdefghijklmnop');
    expect(all).not.toContain('s3cr3tpass');
    expect(all).not.toContain(custom);
    expect(all).toContain('[REDACTED]');
    // Everything else survives.
    expect(all).toContain('curl -H');
    expect(all).toContain('export const answer = 42;');
    expect(JSON.stringify(context)).not.toContain(token);
  });

  it('lists secret files by name but never reads them into the context', () => {
    const tree: Tree = {
      '.env': 'GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ\n',
      'id_rsa': '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n',
      'src/app.js': 'console.log(process.env.GITHUB_TOKEN);\n',
    };
    const context = assembleContext(snapshot(tree), NO_FACTS, 'Read .env in app.js', 10_000, [], []);
    expect(context.relevant.map((r) => r.path)).toEqual(['src/app.js']);
    expect(context.skipped).toEqual([]);
    expect(context.files.map((f) => f.path)).toEqual(['.env', 'id_rsa', 'src/app.js']);
    expect(JSON.stringify(context)).not.toContain('ghp_');
    expect(JSON.stringify(context)).not.toContain('PRIVATE KEY');
  });

  it('lists at most 2,000 files and counts the rest, and keeps at most 50 skipped', () => {
    const tree: Tree = {};
    for (let i = 0; i < 2_100; i++) tree[`src/f${String(i).padStart(4, '0')}.js`] = 'x'.repeat(100);
    const context = assembleContext(snapshot(tree), NO_FACTS, 'touch everything', 1_000, [], []);
    expect(context.files).toHaveLength(2_000);
    expect(context.filesOmitted).toBe(100);
    expect(context.skipped).toHaveLength(50);
    expect(context.relevant).toHaveLength(10);
    expect(RepoContext.safeParse(context).success).toBe(true);
  });

  it('counts languages by lines, code only', () => {
    const tree: Tree = {
      'a.py': 'a\nb\nc\nd\n',
      'b.py': 'x\n',
      'main.go': 'package main\n',
      'README.md': '# a\n# b\n# c\n# d\n# e\n# f\n',
    };
    const context = assembleContext(snapshot(tree), NO_FACTS, 'x', 1_000, [], []);
    expect(context.languages).toEqual([
      { name: 'Python', files: 2, lines: 7 },
      { name: 'Go', files: 1, lines: 2 },
    ]);
  });
});
