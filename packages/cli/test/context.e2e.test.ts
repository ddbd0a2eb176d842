import { chmod, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@patchbay/config';
import { connectBus, encodeEvent } from '@patchbay/bus';
import { CompleteRepoContext, createEvent, eventTypes, parseEvent, subjects } from '@patchbay/contracts';
import { contextEngineService } from '@patchbay/context-engine';
import { startServices } from '@patchbay/runtime';
import { type GitFixture, type TestNats, createGitFixture, startNats, until } from '@patchbay/testkit';

const ROOT = new URL('../../../', import.meta.url).pathname;
const BIN = join(ROOT, 'packages/cli/dist/bin.js');
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

let nats: TestNats;
let repo: GitFixture;

/**
 * Runs `patchbay context`. As root, without the capabilities that let root read any file,
 * so a mode-000 file is as unreadable as it is for everyone else.
 */
const patchbay = (args: string[], natsUrl: string, more: Record<string, string> = {}) => {
  const env = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '',
    NATS_URL: natsUrl,
    PATCHBAY_CONTEXT_MAX_FILE_BYTES: '100000',
    // Tests that want the background engine ask for it.
    PATCHBAY_CONTEXT_START_ENGINE: 'false',
    ...more,
  };
  const drop = ['--inh-caps=-dac_override,-dac_read_search', '--bounding-set=-dac_override,-dac_read_search'];
  return isRoot
    ? execa('setpriv', [...drop, 'node', BIN, 'context', ...args], { env, reject: false, timeout: 60_000 })
    : execa('node', [BIN, 'context', ...args], { env, reject: false, timeout: 60_000 });
};

beforeAll(async () => {
  nats = await startNats();
  repo = await createGitFixture({
    'package.json': JSON.stringify({ name: 'odd', type: 'module', scripts: { test: 'node --test' } }),
    'src/geometry.ts': 'export function area(width: number, height: number): number {\n  return width * height;\n}\n',
    'src/shapes.ts': "import { area } from './geometry.js';\n\nexport const square = (side: number) => area(side, side);\n",
    'src/huge.ts': `export const data = [\n${'  1,\n'.repeat(40_000)}];\n`,
    'public/app.min.js': `var a=${'1+'.repeat(30_000)}1;\n`,
  });
  // Binary content, committed: an image and a "script" full of NUL bytes and invalid UTF-8.
  await mkdir(join(repo.dir, 'assets'), { recursive: true });
  await writeFile(join(repo.dir, 'assets/logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]));
  await writeFile(join(repo.dir, 'src/blob.js'), Buffer.from([0x63, 0x6f, 0, 0, 0xff, 0xfe, 0x00, 0x01]));
  await writeFile(join(repo.dir, 'src/latin1.py'), Buffer.from('def caf\xe9():\n    pass\n', 'latin1'));
  await symlink('/etc/passwd', join(repo.dir, 'passwd-link'));
  await repo.git('add', '-A');
  await repo.git('commit', '-qm', 'odd files');
  // Outside git: a link to a directory outside, a broken link, and a file nobody may read.
  await symlink('/usr', join(repo.dir, 'usr-link'));
  await symlink('does-not-exist.ts', join(repo.dir, 'src/dangling.ts'));
  await writeFile(join(repo.dir, 'src/private.ts'), 'export const hidden = 1;\n');
  await chmod(join(repo.dir, 'src/private.ts'), 0o000);
}, 60_000);

afterAll(async () => {
  await repo?.remove();
  await nats?.stop();
});

describe('patchbay context', () => {
  it('analyses a repository with binary, huge, minified, linked and unreadable files, naming each skipped file and why', async () => {
    const run = await patchbay(['--repo', repo.dir, '--task', 'Fix area() in src/geometry.ts', '--json'], 'nats://127.0.0.1:1');
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('no NATS at nats://127.0.0.1:1; analysing without the shared cache');
    const context = CompleteRepoContext.parse(JSON.parse(run.stdout));
    expect(context.unanalysed).toEqual([
      { path: 'assets/logo.png', reason: 'binary' },
      { path: 'passwd-link', reason: 'symlink pointing outside the repository (→ /etc/passwd), not followed' },
      { path: 'public/app.min.js', reason: 'minified or generated (lines average over 500 characters)' },
      { path: 'src/blob.js', reason: 'binary' },
      { path: 'src/dangling.ts', reason: 'broken symlink (→ does-not-exist.ts)' },
      { path: 'src/huge.ts', reason: expect.stringMatching(/^too large \(\d+ bytes; the limit is 100000\)$/) },
      { path: 'src/latin1.py', reason: 'binary (not UTF-8 text)' },
      { path: 'src/private.ts', reason: 'unreadable (EACCES)' },
      { path: 'usr-link', reason: 'symlink pointing outside the repository (→ /usr), not followed' },
    ]);
    // The rest is analysed as usual.
    expect(context.repoMap.text).toBe(
      'src/geometry.ts:\n  export function area(width: number, height: number): number\nsrc/shapes.ts:\n  export const square = (side: number) =>\n',
    );
    expect(context.repoMap.ranked.slice(0, 2).map((r) => r.reason)).toEqual(['named in the task', 'uses src/geometry.ts']);
    expect(context.testCommand).toBe('npm test');
    expect(JSON.stringify(context)).not.toContain('root:x:0');
  });

  it('prints the facts and the map as text, cut to --budget, and uses the shared cache when NATS answers', async () => {
    const first = await patchbay(['--repo', repo.dir, '--budget', '20'], nats.url);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stdout).toContain('## Codebase');
    expect(first.stdout).toContain('Tests: npm test (node:test)');
    expect(first.stdout).toMatch(/## Repo map \(\d+ of 20 tokens, 1 files, 1 symbols\)/);
    expect(first.stdout).toContain('repo map: 1 file (src/shapes.ts): over the 20-token map budget; they rank below the files shown');
    expect(first.stdout).toMatch(/\(analysis: (cold|incremental), /);
    const second = await patchbay(['--repo', repo.dir, '--budget', '20'], nats.url);
    expect(second.stdout).toMatch(/\(analysis: hit, 0 files parsed, 0 reused, /);
  });

  it('exits 2 on bad arguments', async () => {
    for (const args of [['--repo', '/no/such/dir'], ['--repo', repo.dir, '--budget', 'lots'], ['--repo', repo.dir, '--budget', '0'], ['--repo', repo.dir, '--timeout', '0'], []]) {
      const run = await patchbay(args, nats.url);
      expect(run.exitCode, args.join(' ')).toBe(2);
    }
  });
});

describe('patchbay context with a context engine running', () => {
  it('is answered by the engine for a checkout it may read, the same context as analysing here; else analysed here, saying why', async () => {
    const served = await createGitFixture({
      'package.json': JSON.stringify({ name: 'served', type: 'module', scripts: { test: 'vitest run' }, devDependencies: { vitest: '^4.0.0' } }),
      'src/prices.ts': 'export function withTax(cents: number): number {\n  return Math.round(cents * 1.2);\n}\n',
      'src/cart.ts': "import { withTax } from './prices.js';\n\nexport const total = (items: number[]) => withTax(items.reduce((a, b) => a + b, 0));\n",
    });
    const workdir = await mkdtemp(join(tmpdir(), 'patchbay-cli-engine-'));
    const config = loadConfig({ env: {}, overrides: { nats: { url: nats.url }, workdir, log: { level: 'silent' }, context: { localRoots: [served.dir] } } });
    const engine = await startServices([contextEngineService], { config });
    try {
      // Uncommitted: only a reader of the working tree sees it.
      await writeFile(join(served.dir, 'src/discount.ts'), "import { total } from './cart.js';\n\nexport const discounted = (items: number[]) => total(items) * 0.9;\n");
      const args = ['--repo', served.dir, '--task', 'Round withTax() in src/prices.ts down', '--json'];
      const remote = await patchbay(args, nats.url);
      expect(remote.exitCode, remote.stderr).toBe(0);
      expect(remote.stderr).toMatch(/patchbay: context from the context-engine on .+ \(pid \d+\)/);
      const here = await patchbay([...args, '--local'], nats.url);
      expect(here.exitCode, here.stderr).toBe(0);
      expect(here.stderr).not.toContain('context from the context-engine');
      const a = CompleteRepoContext.parse(JSON.parse(remote.stdout));
      const b = CompleteRepoContext.parse(JSON.parse(here.stdout));
      expect(a.repoMap.text).toContain('src/discount.ts:\n  export const discounted = (items: number[]) =>');
      expect({ ...a, cache: undefined }).toEqual({ ...b, cache: undefined });

      // The engine may not read the other fixture: it says so, and the CLI analyses it itself.
      const refused = await patchbay(['--repo', repo.dir, '--budget', '20'], nats.url);
      expect(refused.exitCode, refused.stderr).toBe(0);
      expect(refused.stderr).toContain(`patchbay: the context engine did not serve it: ${repo.dir} is outside the directories this context engine may read`);
      expect(refused.stderr).toContain('; analysing here');
      expect(refused.stdout).toContain('## Repo map');
    } finally {
      await Promise.all(engine.map((s) => s.stop()));
      await served.remove();
      await rm(workdir, { recursive: true, force: true });
    }
    // With no engine running, the CLI says so and analyses here.
    const alone = await patchbay(['--repo', repo.dir, '--budget', '20'], nats.url);
    expect(alone.stderr).toContain('patchbay: no context engine is running; analysing here');
  }, 120_000);
});

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('patchbay context with no engine running', () => {
  it('analyses here, then starts an engine for the checkout that answers the next calls, sees edits at once, and exits when idle', async () => {
    const mine = await createGitFixture({
      'package.json': JSON.stringify({ name: 'mine', type: 'module', scripts: { test: 'node --test' } }),
      'src/units.ts': 'export function toMetres(feet: number): number {\n  return feet * 0.3048;\n}\n',
    });
    const workdir = await mkdtemp(join(tmpdir(), 'patchbay-cli-own-engine-'));
    const env = { PATCHBAY_WORKDIR: workdir, PATCHBAY_CONTEXT_START_ENGINE: 'true', PATCHBAY_CONTEXT_ENGINE_IDLE_MS: '6000' };
    const args = ['--repo', mine.dir, '--task', 'Round toMetres() in src/units.ts', '--json'];
    let pid = 0;
    try {
      const first = await patchbay(args, nats.url, env);
      expect(first.exitCode, first.stderr).toBe(0);
      expect(first.stderr).toContain('patchbay: no context engine is running; analysing here');
      const started = /patchbay: started a context engine for this checkout in the background \(pid (\d+), log ([^)]+)\); it exits after 6000 ms without a request/.exec(first.stderr);
      expect(started, first.stderr).not.toBeNull();
      pid = Number(started?.[1]);
      const log = started?.[2] ?? '';
      await until(async () => (await readFile(log, 'utf8').catch(() => '')).includes('"service started"'), { what: 'the engine has started', timeoutMs: 30_000, everyMs: 100 });

      // --local asks no engine and starts none.
      const here = await patchbay([...args, '--local'], nats.url, env);
      expect(here.stderr).toBe('');

      const second = await patchbay(args, nats.url, env);
      expect(second.exitCode, second.stderr).toBe(0);
      expect(second.stderr).toBe(`patchbay: context from the context engine of this checkout (pid ${pid})`);
      const a = CompleteRepoContext.parse(JSON.parse(first.stdout));
      const b = CompleteRepoContext.parse(JSON.parse(second.stdout));
      expect({ ...b, cache: undefined }).toEqual({ ...a, cache: undefined });
      expect(CompleteRepoContext.parse(JSON.parse(here.stdout)).repoMap).toEqual(a.repoMap);

      // An edit made just before asking is in the answer.
      await writeFile(join(mine.dir, 'src/units.ts'), 'export function toMetres(feet: number): number {\n  return feet * 0.3048;\n}\n\nexport function toFeet(metres: number): number {\n  return metres / 0.3048;\n}\n');
      const third = await patchbay(args, nats.url, env);
      expect(third.stderr).toContain(`(pid ${pid})`);
      expect(CompleteRepoContext.parse(JSON.parse(third.stdout)).repoMap.text).toContain('export function toFeet(metres: number): number');

      // It reads this checkout only.
      const bus = await connectBus({ url: nats.url, name: 'test-own-engine' });
      try {
        const query = createEvent(eventTypes.contextQuery, { path: repo.dir, head: 'f'.repeat(40), title: 'x', mapBudget: 10 }, { source: 'test' });
        const reply = await bus.nc.request(subjects.checkoutContextQuery(hostname(), mine.dir), encodeEvent(query), { timeout: 30_000 });
        const parsed = parseEvent(reply.data);
        expect(parsed.ok && parsed.event.data).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      } finally {
        await bus.drain();
      }

      // A second engine for the same checkout sees the first and exits.
      const entry = join(ROOT, 'services/context-engine/dist/checkout-main.js');
      const twin = await execa('node', [entry, mine.dir], { env: { PATH: process.env['PATH'] ?? '', NATS_URL: nats.url, PATCHBAY_WORKDIR: workdir }, reject: false, timeout: 30_000 });
      expect(twin.exitCode, twin.stderr).toBe(0);
      expect(twin.stdout).toContain('another engine serves this checkout; exiting');
      expect(isAlive(pid)).toBe(true);

      // Idle for 6 s, it stops and removes its state file.
      await until(() => !isAlive(pid), { what: 'the engine has exited', timeoutMs: 30_000, everyMs: 100 });
      expect(await readdir(join(workdir, 'checkout-engines'))).toEqual([expect.stringMatching(/^[0-9a-f]{24}\.log$/)]);
      expect(await readFile(log, 'utf8')).toContain('no request for a while: stopping');
    } finally {
      if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
      await mine.remove();
      await rm(workdir, { recursive: true, force: true });
    }
  }, 120_000);
});
