import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';

export interface GitFixture {
  dir: string;
  head: string;
  git(...args: string[]): Promise<string>;
  remove(): Promise<void>;
}

const identity = ['-c', 'user.name=patchbay-test', '-c', 'user.email=test@patchbay.local', '-c', 'commit.gpgsign=false'];

/** A real git repository in a temporary directory, from a file map or a directory to copy. */
export async function createGitFixture(source: Record<string, string> | { copyFrom: string }): Promise<GitFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'patchbay-repo-'));
  if ('copyFrom' in source && typeof source.copyFrom === 'string') {
    await cp(source.copyFrom, dir, { recursive: true });
  } else {
    for (const [path, content] of Object.entries(source as Record<string, string>)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    }
  }
  const git = async (...args: string[]) => (await execa('git', [...identity, ...args], { cwd: dir })).stdout;
  await git('init', '-q', '-b', 'main');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'fixture');
  return { dir, head: await git('rev-parse', 'HEAD'), git, remove: () => rm(dir, { recursive: true, force: true }) };
}
