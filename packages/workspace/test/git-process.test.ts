import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitFixture, createGitFixture } from '@patchbay/testkit';
import { catBlobs, git, runGit } from '@patchbay/workspace';

let repo: GitFixture;

beforeAll(async () => {
  repo = await createGitFixture({ 'a.txt': 'one\n\n', 'b.bin': 'x\r\n' });
});
afterAll(async () => {
  await repo.remove();
});

describe('runGit', () => {
  it('gives the output byte for byte, final newlines included', async () => {
    const r = await runGit(repo.dir, ['cat-file', 'blob', 'HEAD:a.txt']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString('utf8')).toBe('one\n\n');
  });

  it('hands input to git on stdin', async () => {
    const r = await runGit(repo.dir, ['hash-object', '--stdin'], { input: 'one\n\n' });
    const expected = await runGit(repo.dir, ['rev-parse', 'HEAD:a.txt']);
    expect(r.stdout.toString('utf8')).toBe(expected.stdout.toString('utf8'));
  });

  it('returns a failing exit with what git said, instead of throwing', async () => {
    const r = await runGit(repo.dir, ['cat-file', 'blob', 'HEAD:no-such-file']);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/no-such-file|Not a valid object/);
  });

  it('puts extra variables on top of the environment', async () => {
    const r = await runGit(repo.dir, ['var', 'GIT_AUTHOR_IDENT'], { env: { GIT_AUTHOR_NAME: 'Ada Example', GIT_AUTHOR_EMAIL: 'ada@example.org' } });
    expect(r.stdout.toString('utf8')).toMatch(/^Ada Example <ada@example\.org>/);
  });

  it('stops git and fails when the output is over the limit', async () => {
    const big = 'x'.repeat(200_000);
    await writeFile(join(repo.dir, 'big.txt'), big);
    await repo.git('add', 'big.txt');
    await repo.git('commit', '-q', '-m', 'big');
    await expect(runGit(repo.dir, ['cat-file', 'blob', 'HEAD:big.txt'], { maxBuffer: 50_000 })).rejects.toMatchObject({ code: 'GIT_FAILED', message: expect.stringMatching(/over 50000 bytes/) });
    expect((await runGit(repo.dir, ['cat-file', 'blob', 'HEAD:big.txt'], { maxBuffer: 200_000 })).stdout.length).toBe(200_000);
  });

  it('fails with a GitError when git cannot start there', async () => {
    const gone = await mkdtemp(join(tmpdir(), 'patchbay-gone-'));
    await rm(gone, { recursive: true });
    await expect(runGit(gone, ['-c', 'core.quotePath=false', 'status', '--porcelain'])).rejects.toMatchObject({ code: 'GIT_FAILED', message: expect.stringMatching(/^git status --porcelain could not run/) });
  });
});

describe('git and catBlobs on runGit', () => {
  it('drops one final newline from text output, and only one', async () => {
    expect(await git(repo.dir, ['cat-file', 'blob', 'HEAD:a.txt'])).toBe('one\n');
    expect(await git(repo.dir, ['cat-file', 'blob', 'HEAD:b.bin'])).toBe('x');
  });

  it('throws a GitError naming the command when git fails', async () => {
    await expect(git(repo.dir, ['rev-parse', '--verify', 'no-such-ref'])).rejects.toMatchObject({ code: 'GIT_FAILED', message: expect.stringMatching(/^git rev-parse --verify no-such-ref failed \(exit \d+\)/) });
  });

  it('reads many blobs in one batch, contents exact', async () => {
    const ids = (await git(repo.dir, ['rev-parse', 'HEAD:a.txt', 'HEAD:b.bin'])).split('\n');
    const blobs = await catBlobs(repo.dir, [...ids, '0'.repeat(40)]);
    expect([...blobs.keys()].sort()).toEqual([...ids].sort());
    expect(blobs.get(ids[0] as string)?.toString('utf8')).toBe('one\n\n');
    expect(blobs.get(ids[1] as string)?.toString('utf8')).toBe('x\r\n');
  });
});
