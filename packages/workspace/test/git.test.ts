import { mkdir, mkdtemp, readFile, readdir, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type GitFixture, createGitFixture } from '@patchbay/testkit';
import { type GitWorkspace, applyPatch, commitAll, createGitWorkspace, diffWorktree, pushBranch, resolveInside } from '@patchbay/workspace';

const exists = (path: string) => stat(path).then(() => true, () => false);
const DATE = '2025-03-01T12:00:00Z';

const SOURCE = {
  'README.md': '# stats\n',
  'src/stats.js': 'export function median(xs) {\n  const s = [...xs].sort((a, b) => a - b);\n  return s[Math.floor(s.length / 2)];\n}\n',
  'src/old.js': 'export const old = true;\n',
  'test/stats.test.js': "import { median } from '../src/stats.js';\n",
};

let repo: GitFixture;
let root: string;
let ws: GitWorkspace;

beforeAll(async () => {
  repo = await createGitFixture(SOURCE);
  // A symlink in the repository: git stores it as mode 120000.
  await symlink('src/stats.js', join(repo.dir, 'link.js'));
  await repo.git('add', '-A');
  await repo.git('commit', '-q', '-m', 'link');
  await repo.git('checkout', '-q', '-b', 'feature');
  await writeFile(join(repo.dir, 'src/feature.js'), 'export const feature = 1;\n');
  await repo.git('add', '-A');
  await repo.git('commit', '-q', '-m', 'feature');
  await repo.git('checkout', '-q', 'main');
  root = await mkdtemp(join(tmpdir(), 'patchbay-ws-'));
  ws = createGitWorkspace(root);
});

afterAll(async () => {
  await repo.remove();
  await rm(root, { recursive: true, force: true });
});

const worktreesLeft = async () => (await readdir(join(root, 'worktrees')).catch(() => [])).length;

describe('createGitWorkspace', () => {
  it('resolves HEAD (the default branch) and a named branch to commit ids', async () => {
    const head = await ws.resolveCommit(repo.dir);
    expect(head).toBe(await repo.git('rev-parse', 'main'));
    expect(head).toMatch(/^[0-9a-f]{40}$/);
    expect(await ws.resolveCommit(repo.dir, 'HEAD')).toBe(head);
    const feature = await ws.resolveCommit(repo.dir, 'feature');
    expect(feature).toBe(await repo.git('rev-parse', 'feature'));
    expect(feature).not.toBe(head);
  });

  it("gives a commit's tree, for a resolved commit and for one the mirror has not fetched yet", async () => {
    const head = await ws.resolveCommit(repo.dir);
    expect(await ws.treeOf(repo.dir, head)).toBe(await repo.git('rev-parse', 'main^{tree}'));
    const feature = await repo.git('rev-parse', 'feature');
    expect(await ws.treeOf(repo.dir, feature)).toBe(await repo.git('rev-parse', 'feature^{tree}'));
    // A commit made after the mirror was cloned (on a branch of its own): asking for its tree fetches it.
    await repo.git('checkout', '-q', '-b', 'later');
    await writeFile(join(repo.dir, 'later.txt'), 'later\n');
    await repo.git('add', 'later.txt');
    await repo.git('commit', '-qm', 'later');
    await repo.git('checkout', '-q', 'main');
    const later = await repo.git('rev-parse', 'later');
    expect(await ws.treeOf(repo.dir, later)).toBe(await repo.git('rev-parse', 'later^{tree}'));
    await expect(ws.treeOf(repo.dir, '0'.repeat(40))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('rejects an unknown ref with a NotFound error', async () => {
    await expect(ws.resolveCommit(repo.dir, 'no-such-branch')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('ref "no-such-branch" does not exist'),
    });
  });

  it('rejects a ref or url that could be read as a git option', async () => {
    await expect(ws.resolveCommit(repo.dir, '--all')).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    await expect(ws.resolveCommit('--upload-pack=touch /tmp/x')).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    await expect(ws.resolveCommit('relative/path')).rejects.toMatchObject({ code: 'INPUT_INVALID' });
  });

  it('reports a repository that cannot be cloned as NotFound', async () => {
    await expect(ws.resolveCommit(join(root, 'does-not-exist'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('lists files with their sizes and blob ids, skipping symlinks', async () => {
    const head = await ws.resolveCommit(repo.dir);
    const files = await ws.listFiles(repo.dir, head);
    expect(files.map((f) => f.path).sort()).toEqual(Object.keys(SOURCE).sort());
    for (const file of files) {
      const content = SOURCE[file.path as keyof typeof SOURCE];
      expect(file.size).toBe(Buffer.byteLength(content));
      expect(file.blob).toBe(await repo.git('rev-parse', `${head}:${file.path}`));
    }
    expect(files.some((f) => f.path === 'link.js')).toBe(false);
  });

  it('reads many blobs at once by id, and a single file at a commit', async () => {
    const head = await ws.resolveCommit(repo.dir);
    const files = await ws.listFiles(repo.dir, head);
    const missing = '0'.repeat(40);
    const blobs = await ws.readBlobs(repo.dir, [...files.map((f) => f.blob), missing]);
    expect(blobs.size).toBe(files.length);
    for (const file of files) expect(blobs.get(file.blob)?.toString('utf8')).toBe(SOURCE[file.path as keyof typeof SOURCE]);
    expect(blobs.has(missing)).toBe(false);
    expect((await ws.readBlobs(repo.dir, [])).size).toBe(0);

    expect((await ws.readFile(repo.dir, head, 'src/stats.js'))?.toString('utf8')).toBe(SOURCE['src/stats.js']);
    expect(await ws.readFile(repo.dir, head, 'src/nope.js')).toBeNull();
  });

  it('gives a checkout at the commit and removes it afterwards', async () => {
    const feature = await ws.resolveCommit(repo.dir, 'feature');
    let seen = '';
    const result = await ws.withWorktree(repo.dir, feature, async (dir) => {
      seen = dir;
      expect(await readFile(join(dir, 'src/feature.js'), 'utf8')).toBe('export const feature = 1;\n');
      expect((await execa('git', ['rev-parse', 'HEAD'], { cwd: dir })).stdout).toBe(feature);
      return 42;
    });
    expect(result).toBe(42);
    expect(seen).not.toBe('');
    expect(await exists(seen)).toBe(false);
    expect(await worktreesLeft()).toBe(0);
    // The mirror forgets the worktree too.
    const mirror = await ws.mirror(repo.dir);
    expect((await execa('git', ['worktree', 'list', '--porcelain'], { cwd: mirror })).stdout).not.toContain(seen);
  });

  it('removes the worktree even when the callback throws', async () => {
    const head = await ws.resolveCommit(repo.dir);
    let seen = '';
    await expect(
      ws.withWorktree(repo.dir, head, async (dir) => {
        seen = dir;
        await writeFile(join(dir, 'scratch.txt'), 'x');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(seen).not.toBe('');
    expect(await exists(seen)).toBe(false);
    expect(await worktreesLeft()).toBe(0);
  });

  it('sees a new commit in the source repository (fetches on resolve)', async () => {
    const other = await createGitFixture({ 'a.txt': 'one\n' });
    try {
      const first = await ws.resolveCommit(other.dir);
      expect(first).toBe(other.head);
      await writeFile(join(other.dir, 'a.txt'), 'two\n');
      await other.git('commit', '-q', '-am', 'second');
      const second = await ws.resolveCommit(other.dir);
      expect(second).toBe(await other.git('rev-parse', 'HEAD'));
      expect(second).not.toBe(first);
      expect((await ws.readFile(other.dir, second, 'a.txt'))?.toString()).toBe('two\n');
    } finally {
      await other.remove();
    }
  });
});

describe('diffWorktree, applyPatch, commitAll, pushBranch', () => {
  let head: string;
  beforeAll(async () => {
    head = await ws.resolveCommit(repo.dir);
  });

  /** Creates, modifies and deletes a file, returning the diff against `head`. */
  const change = (dir: string) =>
    (async () => {
      await mkdir(join(dir, 'src/util'), { recursive: true });
      await writeFile(join(dir, 'src/util/mean.js'), 'export const mean = (xs) =>\n  xs.reduce((a, b) => a + b, 0) / xs.length;\n');
      await writeFile(join(dir, 'src/stats.js'), SOURCE['src/stats.js'].replace('  return s[Math.floor(s.length / 2)];\n', '  const m = Math.floor(s.length / 2);\n  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;\n'));
      await rm(join(dir, 'src/old.js'));
      return diffWorktree(dir, head);
    })();

  it('reports created, modified and deleted files with line counts', async () => {
    const diff = await ws.withWorktree(repo.dir, head, change);
    const byPath = Object.fromEntries(diff.files.map((f) => [f.path, f]));
    expect(Object.keys(byPath).sort()).toEqual(['src/old.js', 'src/stats.js', 'src/util/mean.js']);
    expect(byPath['src/util/mean.js']).toEqual({ path: 'src/util/mean.js', action: 'create', linesAdded: 2, linesRemoved: 0 });
    expect(byPath['src/stats.js']).toEqual({ path: 'src/stats.js', action: 'modify', linesAdded: 2, linesRemoved: 1 });
    expect(byPath['src/old.js']).toEqual({ path: 'src/old.js', action: 'delete', linesAdded: 0, linesRemoved: 1 });
    expect(diff.patch).toContain('diff --git a/src/stats.js b/src/stats.js');
    expect(diff.patch).toContain('new file mode 100644');
    expect(diff.patch).toContain('deleted file mode 100644');
    expect(diff.patch.endsWith('\n')).toBe(true);
  });

  it('reports nothing for an untouched worktree', async () => {
    const diff = await ws.withWorktree(repo.dir, head, (dir) => diffWorktree(dir, head));
    expect(diff).toEqual({ patch: '', files: [] });
  });

  it('makes a patch that applies in another fresh worktree, with the same result', async () => {
    const diff = await ws.withWorktree(repo.dir, head, change);
    await ws.withWorktree(repo.dir, head, async (dir) => {
      await applyPatch(dir, diff.patch);
      expect(await readFile(join(dir, 'src/util/mean.js'), 'utf8')).toContain('export const mean');
      expect(await readFile(join(dir, 'src/stats.js'), 'utf8')).toContain('(s[m - 1] + s[m]) / 2');
      expect(await exists(join(dir, 'src/old.js'))).toBe(false);
      const again = await diffWorktree(dir, head);
      expect(again.patch).toBe(diff.patch);
      expect(again.files).toEqual(diff.files);
    });
  });

  it('carries binary files through the patch', async () => {
    const bytes = Buffer.from([0, 1, 2, 255, 254, 0, 10, 13, 0]);
    const diff = await ws.withWorktree(repo.dir, head, async (dir) => {
      await writeFile(join(dir, 'blob.bin'), bytes);
      return diffWorktree(dir, head);
    });
    expect(diff.patch).toContain('GIT binary patch');
    await ws.withWorktree(repo.dir, head, async (dir) => {
      await applyPatch(dir, diff.patch);
      expect(Buffer.compare(await readFile(join(dir, 'blob.bin')), bytes)).toBe(0);
    });
  });

  it('refuses a patch that does not fit, changing nothing', async () => {
    const diff = await ws.withWorktree(repo.dir, head, change);
    await ws.withWorktree(repo.dir, head, async (dir) => {
      await writeFile(join(dir, 'src/stats.js'), 'something else entirely\n');
      await expect(applyPatch(dir, diff.patch)).rejects.toMatchObject({ code: 'GIT_FAILED' });
      expect(await exists(join(dir, 'src/util/mean.js'))).toBe(false);
      expect(await exists(join(dir, 'src/old.js'))).toBe(true);
    });
  });

  it('treats an empty patch as nothing to do', async () => {
    await ws.withWorktree(repo.dir, head, async (dir) => {
      await applyPatch(dir, '');
      expect((await diffWorktree(dir, head)).files).toEqual([]);
    });
  });

  it('commits deterministically: same base, change and date give the same commit id', async () => {
    const diff = await ws.withWorktree(repo.dir, head, change);
    const commitOnce = () =>
      ws.withWorktree(repo.dir, head, async (dir) => {
        await applyPatch(dir, diff.patch);
        return commitAll(dir, 'Make median average the middle values\n', DATE);
      });
    const first = await commitOnce();
    const second = await commitOnce();
    expect(first).toMatch(/^[0-9a-f]{40}$/);
    expect(second).toBe(first);
    const third = await ws.withWorktree(repo.dir, head, async (dir) => {
      await applyPatch(dir, diff.patch);
      return commitAll(dir, 'Make median average the middle values\n', '2025-03-02T12:00:00Z');
    });
    expect(third).not.toBe(first);
  });

  it('pushes a commit to a new patchbay/ branch without touching the checked-out branch or files', async () => {
    const diff = await ws.withWorktree(repo.dir, head, change);
    const mainBefore = await repo.git('rev-parse', 'main');
    const statusBefore = await repo.git('status', '--porcelain');
    const commit = await ws.withWorktree(repo.dir, head, async (dir) => {
      await applyPatch(dir, diff.patch);
      const id = await commitAll(dir, 'patchbay: median\n', DATE);
      await pushBranch(dir, repo.dir, id, 'patchbay/x');
      // A redelivered request pushes the same commit again: that is fine.
      await pushBranch(dir, repo.dir, id, 'patchbay/x');
      return id;
    });
    expect(await repo.git('rev-parse', 'refs/heads/patchbay/x')).toBe(commit);
    expect(await repo.git('ls-tree', '--name-only', '-r', commit, 'src')).toContain('src/util/mean.js');
    expect(await repo.git('rev-parse', `${commit}^`)).toBe(head);
    expect(await repo.git('log', '-1', '--format=%an <%ae>|%s', commit)).toBe('patchbay <patchbay@localhost>|patchbay: median');
    expect(await repo.git('symbolic-ref', '--short', 'HEAD')).toBe('main');
    expect(await repo.git('rev-parse', 'main')).toBe(mainBefore);
    expect(await repo.git('status', '--porcelain')).toBe(statusBefore);
    expect(await readFile(join(repo.dir, 'src/stats.js'), 'utf8')).toBe(SOURCE['src/stats.js']);
    expect(await exists(join(repo.dir, 'src/old.js'))).toBe(true);
    // The branch is visible through the workspace, too.
    expect(await ws.resolveCommit(repo.dir, 'patchbay/x')).toBe(commit);
  });

  it('refuses to move an existing branch to an unrelated commit', async () => {
    const other = await ws.withWorktree(repo.dir, await ws.resolveCommit(repo.dir, 'feature'), async (dir) => {
      await writeFile(join(dir, 'x.txt'), 'x\n');
      const id = await commitAll(dir, 'unrelated\n', DATE);
      await pushBranch(dir, repo.dir, id, 'patchbay/y');
      return id;
    });
    await ws.withWorktree(repo.dir, head, async (dir) => {
      await writeFile(join(dir, 'y.txt'), 'y\n');
      const id = await commitAll(dir, 'diverged\n', DATE);
      await expect(pushBranch(dir, repo.dir, id, 'patchbay/y')).rejects.toMatchObject({ code: 'GIT_FAILED' });
    });
    expect(await repo.git('rev-parse', 'refs/heads/patchbay/y')).toBe(other);
  });
});

describe('resolveInside', () => {
  let dir: string;
  let outside: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'patchbay-inside-'));
    outside = await mkdtemp(join(tmpdir(), 'patchbay-outside-'));
    await mkdir(join(dir, 'src'), { recursive: true });
    await mkdir(join(dir, '.git'), { recursive: true });
    await writeFile(join(dir, 'src/a.ts'), 'a');
    await writeFile(join(outside, 'secret.txt'), 'secret');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('refuses absolute paths', async () => {
    await expect(resolveInside(dir, '/etc/passwd')).rejects.toMatchObject({ code: 'INPUT_INVALID', message: expect.stringContaining('relative') });
    await expect(resolveInside(dir, join(dir, 'src/a.ts'))).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    await expect(resolveInside(dir, 'C:/Windows/x')).rejects.toMatchObject({ code: 'INPUT_INVALID' });
  });

  it.each(['..', '../x', 'a/../../b', 'src/../../outside.txt', '..\\x'])('refuses %s, which leaves the repository', async (path) => {
    await expect(resolveInside(dir, path)).rejects.toMatchObject({ code: 'INPUT_INVALID', message: expect.stringContaining('leaves the repository') });
  });

  it.each(['.git/config', '.git', 'src/../.git/hooks/pre-commit', './.git/HEAD', '.', '', 'vendor/lib/.git/config', '.GIT/config'])(
    'refuses %j (any .git, the root, or empty)',
    async (path) => {
      await expect(resolveInside(dir, path)).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    },
  );

  it.each(['..foo/bar', 'a/..b', '...', 'src/..hidden.ts', '.gitignore', 'docs/.github/x.md'])('accepts %j, a name that only starts with dots', async (path) => {
    expect(await resolveInside(dir, path)).toBe(join(await realpath(dir), path));
  });

  it('refuses a path through a symlink that points outside the repository', async () => {
    await symlink(outside, join(dir, 'escape'));
    await expect(resolveInside(dir, 'escape/secret.txt')).rejects.toMatchObject({ message: expect.stringContaining('link that leaves') });
    // Also for a file that does not exist yet behind the link.
    await expect(resolveInside(dir, 'escape/new/file.txt')).rejects.toMatchObject({ code: 'INPUT_INVALID' });
  });

  it('refuses a file symlink to outside, and a dangling one', async () => {
    await symlink(join(outside, 'secret.txt'), join(dir, 'src/config.json'));
    await symlink(join(outside, 'gone/nothing.txt'), join(dir, 'src/dangling.txt'));
    await expect(resolveInside(dir, 'src/config.json')).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    await expect(resolveInside(dir, 'src/dangling.txt')).rejects.toMatchObject({ code: 'INPUT_INVALID' });
  });

  it('accepts a symlink that stays inside the repository', async () => {
    await symlink('src', join(dir, 'source'));
    expect(await resolveInside(dir, 'source/a.ts')).toBe(join(dir, 'source/a.ts'));
  });

  it('accepts normal nested paths, existing or not yet created', async () => {
    expect(await resolveInside(dir, 'src/a.ts')).toBe(join(dir, 'src/a.ts'));
    expect(await resolveInside(dir, 'src/deep/new/dir/file.ts')).toBe(join(dir, 'src/deep/new/dir/file.ts'));
    expect(await resolveInside(dir, 'brand-new/x.py')).toBe(join(dir, 'brand-new/x.py'));
    expect(await resolveInside(dir, './src/./b.ts')).toBe(join(dir, 'src/b.ts'));
    expect(await resolveInside(dir, 'src/sub/../c.ts')).toBe(join(dir, 'src/c.ts'));
    expect(await resolveInside(dir, 'src\\win\\d.ts')).toBe(join(dir, 'src/win/d.ts'));
    expect(await resolveInside(dir, '.github/workflows/ci.yml')).toBe(join(dir, '.github/workflows/ci.yml'));
    expect(await exists(join(dir, 'src/deep'))).toBe(false);
  });
});
