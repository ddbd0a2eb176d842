import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { FileChange } from '@patchbay/contracts';
import { GitError, InputError, NotFoundError } from '@patchbay/errors';
import { commandOf, runGit } from './git-process.js';

/** Git never signs, and names patchbay as the committer. */
const IDENTITY = ['-c', 'user.name=patchbay', '-c', 'user.email=patchbay@localhost', '-c', 'commit.gpgsign=false'];

/** Runs git as patchbay (see IDENTITY): its output as text, or a GitError naming the command and what git said. */
export async function git(cwd: string, args: readonly string[], options: { input?: string; env?: Record<string, string>; maxBuffer?: number } = {}): Promise<string> {
  const result = await runGit(cwd, [...IDENTITY, ...args], options);
  if (result.exitCode !== 0) {
    throw new GitError(`git ${commandOf(args)} failed (exit ${String(result.exitCode)}): ${result.stderr.trim().slice(0, 2_000)}`);
  }
  // One final newline dropped: what callers compare and split is the text itself.
  const end = result.stdout.at(-1) === 0x0a ? (result.stdout.at(-2) === 0x0d ? 2 : 1) : 0;
  return result.stdout.toString('utf8', 0, result.stdout.length - end);
}

export interface RepoFile {
  path: string;
  size: number;
  /** Blob hash: unchanged content keeps its id across commits. */
  blob: string;
}

export interface GitWorkspace {
  /** The local mirror of a repository, cloned on first use. */
  mirror(url: string): Promise<string>;
  /** Fetches and resolves a ref (the default branch when absent) to a commit id. */
  resolveCommit(url: string, ref?: string): Promise<string>;
  /** The tree of a commit (fetching it when the mirror lacks it); known without git when this workspace resolved the commit. */
  treeOf(url: string, commit: string): Promise<string>;
  listFiles(url: string, commit: string): Promise<RepoFile[]>;
  readFile(url: string, commit: string, path: string): Promise<Buffer | null>;
  /** Contents of many blobs in one git process. */
  readBlobs(url: string, blobs: readonly string[]): Promise<Map<string, Buffer>>;
  /** A fresh worktree at `commit`, removed after `fn` whatever happens. */
  withWorktree<T>(url: string, commit: string, fn: (dir: string) => Promise<T>): Promise<T>;
}

function validateUrl(url: string): void {
  if (url.startsWith('-')) throw new InputError(`repository url "${url}" may not start with "-"`);
  if (!isAbsolute(url) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !/^[^/]+@[^:]+:/.test(url)) {
    throw new InputError(`repository url "${url}" must be an absolute path or a git URL`);
  }
}

export function createGitWorkspace(root: string): GitWorkspace {
  const locks = new Map<string, Promise<unknown>>();
  const serial = <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const previous = locks.get(key) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    locks.set(key, next.catch(() => {}));
    return next;
  };
  // A commit's tree never changes: remembered from resolving it, so analysing it costs no git call.
  const trees = new Map<string, string>();
  const rememberTree = (commit: string, tree: string) => {
    trees.set(commit, tree);
    if (trees.size > 10_000) trees.delete(trees.keys().next().value as string);
  };
  const mirrorPath = (url: string) => join(root, 'mirrors', `${createHash('sha256').update(url).digest('hex').slice(0, 16)}.git`);
  const exists = (path: string) => stat(path).then(() => true, () => false);

  const mirror = (url: string) =>
    serial(url, async () => {
      validateUrl(url);
      const path = mirrorPath(url);
      if (await exists(path)) return path;
      await mkdir(join(root, 'mirrors'), { recursive: true });
      const staging = `${path}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        await git(root, ['clone', '--mirror', '--quiet', '--', url, staging]);
      } catch (err) {
        await rm(staging, { recursive: true, force: true });
        throw new NotFoundError(`cannot clone ${url}: ${(err as Error).message}`, { cause: err });
      }
      // Another process may have won the race; its mirror is as good as ours.
      await rename(staging, path).catch(() => rm(staging, { recursive: true, force: true }));
      return path;
    });

  const fetch = (url: string, path: string) =>
    serial(url, async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          await git(path, ['fetch', '--prune', '--quiet', 'origin']);
          return;
        } catch (err) {
          if (attempt >= 3) throw err;
          await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
        }
      }
    });

  const hasCommit = (path: string, commit: string) =>
    git(path, ['cat-file', '-e', `${commit}^{commit}`]).then(() => true, () => false);

  const ensureCommit = async (url: string, commit: string) => {
    const path = await mirror(url);
    if (!(await hasCommit(path, commit))) await fetch(url, path);
    return path;
  };

  const resolveCommit = async (url: string, ref?: string): Promise<string> => {
    const path = await mirror(url);
    await fetch(url, path);
    const wanted = ref ?? 'HEAD';
    if (wanted.startsWith('-')) throw new InputError(`ref "${wanted}" may not start with "-"`);
    let resolved: string;
    try {
      // The commit and its tree in one call (`--`: both are revisions, never paths).
      resolved = await git(path, ['rev-parse', `${wanted}^{commit}`, `${wanted}^{tree}`, '--']);
    } catch {
      throw new NotFoundError(`ref "${wanted}" does not exist in ${url}`);
    }
    const [commit = '', tree = ''] = resolved.split('\n');
    rememberTree(commit, tree);
    return commit;
  };

  return {
    mirror,
    resolveCommit,
    async treeOf(url, commit) {
      const known = trees.get(commit);
      if (known) return known;
      const path = await mirror(url);
      const treeOf = () => git(path, ['rev-parse', '--verify', '--quiet', `${commit}^{tree}`]);
      // A commit the mirror does not have yet: resolving it fetches (and learns its tree).
      const tree = await treeOf().catch(async () => {
        await resolveCommit(url, commit);
        return trees.get(commit) ?? treeOf();
      });
      rememberTree(commit, tree);
      return tree;
    },
    async listFiles(url, commit) {
      const path = await ensureCommit(url, commit);
      const out = await git(path, ['ls-tree', '-r', '-l', '-z', commit]);
      return out
        .split('\0')
        .filter(Boolean)
        .flatMap((line) => {
          const [meta = '', file = ''] = line.split('\t');
          const [mode, type, blob = '', size = '0'] = meta.split(/\s+/);
          if (type !== 'blob' || mode === '120000') return [];
          return [{ path: file, size: Number.parseInt(size, 10) || 0, blob }];
        });
    },
    async readFile(url, commit, file) {
      const path = await ensureCommit(url, commit);
      const result = await runGit(path, ['cat-file', 'blob', `${commit}:${file}`]);
      return result.exitCode === 0 ? result.stdout : null;
    },
    readBlobs: async (url, blobs) => catBlobs(await mirror(url), blobs),
    async withWorktree(url, commit, fn) {
      const path = await ensureCommit(url, commit);
      const dir = join(root, 'worktrees', `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`);
      await mkdir(join(root, 'worktrees'), { recursive: true });
      await serial(url, () => git(path, ['worktree', 'add', '--detach', '--quiet', dir, commit]));
      try {
        return await fn(dir);
      } finally {
        await rm(dir, { recursive: true, force: true });
        await serial(url, () => git(path, ['worktree', 'prune'])).catch(() => {});
      }
    },
  };
}

/** Contents of many blobs of the repository at `cwd`, read by one `git cat-file --batch`. */
export async function catBlobs(cwd: string, blobs: readonly string[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const unique = [...new Set(blobs)];
  if (unique.length === 0) return out;
  const result = await runGit(cwd, ['cat-file', '--batch'], {
    input: `${unique.join('\n')}\n`,
    maxBuffer: 2 * 1024 * 1024 * 1024,
    env: { GIT_OPTIONAL_LOCKS: '0' },
  });
  const data = result.stdout;
  let offset = 0;
  while (offset < data.length) {
    const eol = data.indexOf(0x0a, offset);
    if (eol < 0) break;
    const header = data.subarray(offset, eol).toString('utf8').split(' ');
    offset = eol + 1;
    if (header[1] === 'missing' || header.length < 3) continue;
    const size = Number.parseInt(header[2] ?? '0', 10);
    // A copy, so one small blob does not keep the whole batch alive.
    out.set(header[0] ?? '', Buffer.from(data.subarray(offset, offset + size)));
    offset += size + 1;
  }
  return out;
}

export interface WorktreeDiff {
  patch: string;
  files: FileChange[];
}

/** Everything changed in a worktree since `base`, as a binary-safe patch and per-file counts. */
export async function diffWorktree(dir: string, base: string): Promise<WorktreeDiff> {
  await git(dir, ['add', '-A']);
  const patch = await git(dir, ['diff', '--cached', '--binary', '--no-renames', base]);
  const numstat = await git(dir, ['diff', '--cached', '--numstat', '--no-renames', '-z', base]);
  const status = await git(dir, ['diff', '--cached', '--name-status', '--no-renames', '-z', base]);
  const actions = new Map<string, FileChange['action']>();
  const statusParts = status.split('\0').filter(Boolean);
  for (let i = 0; i + 1 < statusParts.length; i += 2) {
    const code = statusParts[i] ?? '';
    actions.set(statusParts[i + 1] ?? '', code.startsWith('A') ? 'create' : code.startsWith('D') ? 'delete' : 'modify');
  }
  const files = numstat
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const [added = '0', removed = '0', path = ''] = line.split('\t');
      return {
        path,
        action: actions.get(path) ?? 'modify',
        linesAdded: Number.parseInt(added, 10) || 0,
        linesRemoved: Number.parseInt(removed, 10) || 0,
      };
    });
  return { patch: patch === '' ? '' : `${patch}\n`, files };
}

/** Applies a patch made by diffWorktree; fails without partial changes when it does not fit. */
export async function applyPatch(dir: string, patch: string): Promise<void> {
  if (patch.trim() === '') return;
  await git(dir, ['apply', '--index', '--binary', '--whitespace=nowarn', '-'], { input: patch });
}

/** Commits everything staged with a fixed date, so the same request makes the same commit. */
export async function commitAll(dir: string, message: string, date: string): Promise<string> {
  await git(dir, ['add', '-A']);
  await git(dir, ['commit', '--quiet', '--allow-empty', '-F', '-'], {
    input: message,
    env: { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
  });
  return git(dir, ['rev-parse', 'HEAD']);
}

/** Pushes a commit to a branch of the repository at `url`; the branch must be new or already there. */
export async function pushBranch(dir: string, url: string, commit: string, branch: string): Promise<void> {
  validateUrl(url);
  await git(dir, ['push', '--quiet', '--', url, `${commit}:refs/heads/${branch}`]);
}
