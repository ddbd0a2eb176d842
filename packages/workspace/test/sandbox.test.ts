import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolationSupport, runSandboxed } from '@patchbay/workspace';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sandbox-test-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const base = () => ({ cwd: dir, scratchDir: join(dir, '.scratch'), timeoutMs: 10_000, maxOutputBytes: 10_000, env: { PATH: '/usr/bin:/bin' } });

describe('runSandboxed', () => {
  it('returns the exit code and the interleaved output', async () => {
    const result = await runSandboxed({ ...base(), command: 'echo out; echo err >&2; exit 3' });
    expect(result.exitCode).toBe(3);
    expect(result.output).toContain('out');
    expect(result.output).toContain('err');
    expect(result.timedOut).toBe(false);
  });

  it('kills the whole process tree when a command forks and sleeps past the limit', async () => {
    const started = Date.now();
    const result = await runSandboxed({ ...base(), timeoutMs: 500, command: '(sleep 30 & sleep 30 & wait) ; echo never' });
    expect(result.timedOut).toBe(true);
    expect(result.output).not.toContain('never');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('does not wait for background processes a finished command left behind', async () => {
    const started = Date.now();
    const result = await runSandboxed({ ...base(), command: 'sleep 30 & echo done' });
    expect(result.exitCode).toBe(0);
    expect(result.output).toContain('done');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('keeps the start and the end of a flood of output within the cap', async () => {
    const result = await runSandboxed({ ...base(), command: 'echo FIRST; yes flood | head -c 2000000; echo; echo LAST' });
    expect(result.truncated).toBe(true);
    expect(result.output.length).toBeLessThan(11_000);
    expect(result.output.startsWith('FIRST')).toBe(true);
    expect(result.output.trimEnd().endsWith('LAST')).toBe(true);
  });

  it('hides secret variables and the real home directory', async () => {
    const result = await runSandboxed({
      ...base(),
      env: { PATH: '/usr/bin:/bin', GITHUB_TOKEN: 'ghp_shouldnotleak', LANG: 'C' },
      command: 'env',
    });
    expect(result.output).not.toContain('ghp_shouldnotleak');
    expect(result.output).toContain('LANG=C');
    expect(result.output).toContain(`HOME=${join(dir, '.scratch', 'home')}`);
  });
});

describe('runSandboxed with bubblewrap isolation', async () => {
  const support = await isolationSupport({ path: '/usr/bin:/bin' });

  it('says whether bubblewrap works on this machine, and why not', () => {
    if (support.available) expect(support.bwrap).toMatch(/bwrap$/);
    else expect(support.reason).toMatch(/bubblewrap/);
  });

  describe.runIf(support.available)('where it works', () => {
    let outside: string;
    beforeAll(async () => {
      outside = await mkdtemp(join(tmpdir(), 'sandbox-outside-'));
      await writeFile(join(outside, 'credentials'), 'aws_secret=hunter2hunter2\n');
    });
    afterAll(() => rm(outside, { recursive: true, force: true }));

    it('marks the run isolated and lets the command write in its worktree', async () => {
      const result = await runSandboxed({ ...base(), command: 'echo data > inside.txt && cat inside.txt' });
      expect(result.isolated).toBe(true);
      expect(result.notice).toBeUndefined();
      expect(result.exitCode).toBe(0);
      expect(await readFile(join(dir, 'inside.txt'), 'utf8')).toBe('data\n');
    });

    it('hides the rest of /tmp, except what it is told to show read-only', async () => {
      const hidden = await runSandboxed({ ...base(), command: `cat ${join(outside, 'credentials')} || echo MISSING` });
      expect(hidden.output).toContain('MISSING');
      expect(hidden.output).not.toContain('hunter2');
      const shown = await runSandboxed({
        ...base(),
        readOnly: [outside],
        command: `cat ${join(outside, 'credentials')}; echo x > ${join(outside, 'w.txt')} || echo READONLY`,
      });
      expect(shown.output).toContain('aws_secret=');
      expect(shown.output).toContain('READONLY');
      expect(existsSync(join(outside, 'w.txt'))).toBe(false);
    });

    it('refuses writes outside the worktree', async () => {
      const target = join(outside, 'escaped.txt');
      const result = await runSandboxed({ ...base(), command: `echo x > ${target}; echo "exit $?"; touch /etc/patchbay-escape 2>&1; echo done` });
      expect(result.isolated).toBe(true);
      expect(result.output).toMatch(/Read-only file system/);
      expect(result.output).not.toContain('exit 0');
      expect(existsSync(target)).toBe(false);
      expect(existsSync('/etc/patchbay-escape')).toBe(false);
    });

    it('cuts off the network, even to this machine', async () => {
      const server = createServer((socket) => socket.end('hello\n'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      try {
        const probe = `require('net').connect(${port}, '127.0.0.1').on('data', () => console.log('CONNECTED')).on('error', (e) => console.log('REFUSED', e.code))`;
        // This Node may live under /tmp, which the sandbox replaces: it is made readable.
        const result = await runSandboxed({ ...base(), readOnly: [process.execPath], command: `${process.execPath} -e "${probe}"` });
        expect(result.isolated).toBe(true);
        expect(result.output).toContain('REFUSED');
        expect(result.output).not.toContain('CONNECTED');
        // The same command unisolated does reach it: the test can tell the difference.
        const open = await runSandboxed({ ...base(), isolation: 'off', command: `${process.execPath} -e "${probe}"` });
        expect(open.output).toContain('CONNECTED');
      } finally {
        server.close();
      }
    });

    it('hides credential files of the real home', async () => {
      const result = await runSandboxed({ ...base(), hide: [outside], command: `ls -A ${outside}; cat ${join(outside, 'credentials')}; echo end` });
      expect(result.output).not.toContain('hunter2');
      expect(result.output).toContain('end');
    });

    it('kills a test run that forks and sleeps, leaving no process behind', async () => {
      const marker = `${31 + Math.floor(Math.random() * 1000) / 1000}`;
      const started = Date.now();
      const result = await runSandboxed({ ...base(), timeoutMs: 500, command: `(sleep ${marker} & sleep ${marker} & wait); echo never` });
      expect(result.isolated).toBe(true);
      expect(result.timedOut).toBe(true);
      expect(result.output).not.toContain('never');
      expect(Date.now() - started).toBeLessThan(5_000);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const ps = spawnSync('pgrep', ['-f', `sleep ${marker}`], { encoding: 'utf8' });
      expect(ps.stdout.trim()).toBe('');
    });

    it('does not wait for background processes a finished command left behind', async () => {
      const started = Date.now();
      const result = await runSandboxed({ ...base(), command: 'sleep 30 & echo done' });
      expect(result.exitCode).toBe(0);
      expect(result.output).toContain('done');
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('truncates a flood of output and hides a secret set in the parent environment', async () => {
      const flood = await runSandboxed({ ...base(), command: 'echo FIRST; yes flood | head -c 3000000; echo; echo LAST' });
      expect(flood.truncated).toBe(true);
      expect(flood.output.length).toBeLessThan(11_000);
      expect(flood.output.trimEnd().endsWith('LAST')).toBe(true);
      const env = await runSandboxed({ ...base(), env: { PATH: '/usr/bin:/bin', NPM_TOKEN: 'npm_shouldnotleak', LANG: 'C' }, command: 'env; cat /proc/1/environ 2>/dev/null | tr "\\0" "\\n"' });
      expect(env.isolated).toBe(true);
      expect(env.output).not.toContain('npm_shouldnotleak');
      expect(env.output).toContain('LANG=C');
    });

    it('can leave the working directory read-only', async () => {
      const result = await runSandboxed({ ...base(), writableCwd: false, command: 'touch nope.txt; echo rc=$?' });
      expect(result.output).toContain('rc=1');
      expect(existsSync(join(dir, 'nope.txt'))).toBe(false);
    });
  });
});

describe('runSandboxed without isolation', () => {
  it('falls back with a clear notice when bubblewrap is not installed', async () => {
    const result = await runSandboxed({ ...base(), bwrap: '/nonexistent/bwrap', command: 'echo ran' });
    expect(result.isolated).toBe(false);
    expect(result.output).toContain('ran');
    expect(result.notice).toMatch(/^not isolated: bubblewrap does not work on this machine/);
    const missing = await runSandboxed({ ...base(), env: { PATH: dir }, command: 'echo ran' });
    expect(missing.isolated).toBe(false);
    expect(missing.notice).toMatch(/bubblewrap \(bwrap\) is not installed/);
  });

  it('falls back when bubblewrap is there but fails, quoting why', async () => {
    const fake = join(dir, 'fake-bwrap');
    await writeFile(fake, '#!/bin/sh\necho "bwrap: setting up uid map: Permission denied" >&2\nexit 1\n', { mode: 0o755 });
    const result = await runSandboxed({ ...base(), bwrap: fake, command: 'echo ran' });
    expect(result.isolated).toBe(false);
    expect(result.exitCode).toBe(0);
    expect(result.notice).toContain('setting up uid map: Permission denied');
    expect(result.notice).toContain('network access');
  });

  it('still kills the tree, caps output and filters the environment', async () => {
    const killed = await runSandboxed({ ...base(), isolation: 'off', timeoutMs: 400, command: '(sleep 30 & wait); echo never' });
    expect(killed.timedOut).toBe(true);
    expect(killed.isolated).toBe(false);
    expect(killed.notice).toMatch(/turned off/);
    const env = await runSandboxed({ ...base(), isolation: 'off', env: { PATH: '/usr/bin:/bin', API_KEY: 'k_shouldnotleak' }, command: 'env' });
    expect(env.output).not.toContain('k_shouldnotleak');
  });

  it('refuses to run unisolated when isolation is required', async () => {
    await expect(runSandboxed({ ...base(), isolation: 'require', bwrap: '/nonexistent/bwrap', command: 'echo ran' })).rejects.toThrow(/must isolate/);
  });
});
