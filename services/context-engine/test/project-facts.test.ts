import { describe, expect, it } from 'vitest';
import { projectFacts } from '@patchbay/context-engine';
import { isCode, isNoise, isTestFile, languageOf } from '../src/domain/languages.js';
import { mentionedTerms } from '../src/domain/relevance.js';

/** A repository as a map of path → text (null: a binary file). */
type Tree = Record<string, string | null>;

const factsOf = (tree: Tree) => projectFacts(Object.keys(tree), (p) => tree[p] ?? undefined);

const pkg = (fields: Record<string, unknown>) => JSON.stringify({ name: 'x', version: '1.0.0', ...fields }, null, 2);

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

describe('mentionedTerms', () => {
  it('extracts identifier-like terms without stop words', () => {
    expect(mentionedTerms('Fix the median() in src/stats.js, and add tests for it.')).toEqual(['median', 'src', 'stats.js']);
    expect(mentionedTerms('Document it. Do it-')).toEqual(['document']);
  });
});

