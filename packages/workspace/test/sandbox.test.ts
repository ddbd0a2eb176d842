import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSandboxed } from '@patchbay/workspace';

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
