import { createHash, randomBytes } from 'node:crypto';
import { copyFile, lstat, mkdir, open, readFile, readlink, rename, rm, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, dirname } from 'node:path';
import { type GitWorkspace, catBlobs, git, runGit } from '@patchbay/workspace';
import type { ContextCache } from './cache.js';
import type { CheckoutWatch } from './checkout-watch.js';
import { keepRecent } from './recent.js';

export interface ListedFile {
  path: string;
  size: number;
  /** Git blob hash of the content (computed the way git does for files outside git). */
  blob: string;
}

/** Which state of which repository: enough to look an analysis up without listing anything. */
export interface Identity {
  repo: string;
  commit: string;
  tree: string;
  /** Cache key of this state: the tree hash, or for a dirty working tree a hash of it and the changed files. */
  key: string;
  /** Files whose content comes from the working tree rather than git. */
  dirty: number;
}

export interface Listing extends Identity {
  files: ListedFile[];
  /** Entries that are not regular files git can give us, with why. */
  unanalysed: Array<{ path: string; reason: string }>;
}

export interface RepoSource {
  /** Cheap: what state this is, for a cache lookup. */
  identify(): Promise<Identity>;
  /** Cheaper still, when identifying takes a while: the key of the state it most likely is (a clean working tree), to look up meanwhile; undefined when there is no good guess. */
  likelyKey?(): Promise<string | undefined>;
  /** Every file of that state (done only when the cache has no analysis of it). */
  list(): Promise<Listing>;
  /** Contents by blob hash; what cannot be read is absent. */
  read(files: readonly ListedFile[]): Promise<Map<string, Buffer>>;
}

const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const GIT_ENV = { GIT_OPTIONAL_LOCKS: '0' };

/** Git's blob hash of some content. */
export function blobHash(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

function symlinkReason(target: string, linkPath: string): string {
  const escapes = isAbsolute(target) || relative('.', join(dirname(linkPath), target)).startsWith('..');
  return escapes ? `symlink pointing outside the repository (→ ${target}), not followed` : `symlink (→ ${target}), not followed`;
}

interface TreeEntry {
  mode: string;
  type: string;
  blob: string;
  size: number;
  path: string;
}

function parseLsTree(out: string): TreeEntry[] {
  return out
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const tab = line.indexOf('\t');
      const [mode = '', type = '', blob = '', size = '0'] = line.slice(0, tab).split(/\s+/);
      return { mode, type, blob, size: Number.parseInt(size, 10) || 0, path: line.slice(tab + 1) };
    });
}

/** A commit of a repository, read from the service's mirror: content comes from git alone. */
export function commitSource(workspace: GitWorkspace, url: string, commit: string): RepoSource {
  let mirror: string | undefined;
  let identity: Promise<Identity> | undefined;
  const identify = () =>
    (identity ??= (async () => {
      const tree = await workspace.treeOf(url, commit);
      mirror = await workspace.mirror(url);
      return { repo: url, commit, tree, key: tree, dirty: 0 };
    })());
  return {
    identify,
    async list() {
      const id = await identify();
      const where = mirror as string;
      const entries = parseLsTree(await git(where, ['ls-tree', '-r', '-l', '-z', '--full-tree', commit]));
      const files: ListedFile[] = [];
      const unanalysed: Listing['unanalysed'] = [];
      const targets = await catBlobs(where, entries.filter((e) => e.mode === '120000').map((l) => l.blob));
      for (const e of entries) {
        if (e.mode === '120000') unanalysed.push({ path: e.path, reason: symlinkReason(targets.get(e.blob)?.toString('utf8') ?? '?', e.path) });
        else if (e.type === 'commit') unanalysed.push({ path: e.path, reason: 'submodule, not analysed' });
        else if (e.type === 'blob') files.push({ path: e.path, size: e.size, blob: e.blob });
      }
      return { ...id, files, unanalysed };
    },
    async read(files) {
      return catBlobs(mirror ?? (await workspace.mirror(url)), files.map((f) => f.blob));
    },
  };
}

/** What the engine remembers about files outside git: size and mtime → blob, trusted for a TTL. */
export interface DirtyIndex {
  at: number;
  files: Record<string, [size: number, mtimeMs: number, blob: string]>;
}

export interface WorkingTreeOptions {
  /** Files larger than this are not read (or hashed): they are not analysed anyway. */
  maxFileBytes: number;
  ttlMs: number;
  now?: () => number;
  loadIndex(): Promise<DirtyIndex | null>;
  saveIndex(index: DirtyIndex): Promise<void>;
  /**
   * A directory of the engine's own: it keeps a copy of the repository's git index there,
   * with git's untracked cache and fresh stat data, so that checking the working tree for
   * changes does not read every directory. Without it, `git status` reads the repository's
   * own index and writes nothing.
   */
  stateDir?: string | undefined;
  /** Changes under the checkout seen without git: when none since the last look, that look's result stands (within `ttlMs`). */
  watch?: CheckoutWatch | undefined;
}

async function readRegular(path: string, maxBytes: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTREG' });
    if (info.size > maxBytes) throw Object.assign(new Error('too large'), { code: 'ETOOBIG' });
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** The index of a checkout whose root has a `.git` directory or a `.git` file naming its git directory (a linked worktree). */
async function indexOfCheckout(root: string): Promise<string | undefined> {
  const dotGit = join(root, '.git');
  const info = await stat(dotGit).catch(() => undefined);
  if (info?.isDirectory()) return join(dotGit, 'index');
  if (!info?.isFile()) return undefined;
  const gitdir = /^gitdir:\s*(.+)$/m.exec(await readFile(dotGit, 'utf8').catch(() => ''))?.[1]?.trim();
  return gitdir ? join(resolve(root, gitdir), 'index') : undefined;
}

/** Commits' trees (a commit's tree never changes), for the checkouts this process reads. */
const COMMITS_REMEMBERED = 64;
const commitTrees = new Map<string, string>();

/**
 * `git status --porcelain=v2 --branch -z`: HEAD's commit (none before the first) and the
 * changed entries as "XY path", sorted (v2 writes "." where v1 writes a space).
 */
function parseStatus(out: string): { head: string | undefined; items: string[] } {
  let head: string | undefined;
  const items: string[] = [];
  for (const entry of out.split('\0')) {
    if (entry.startsWith('# branch.oid ')) {
      const oid = entry.slice('# branch.oid '.length);
      if (/^[0-9a-f]{40,64}$/.test(oid)) head = oid;
    } else if (entry.startsWith('1 ')) items.push(`${entry.slice(2, 4)} ${entry.split(' ').slice(8).join(' ')}`);
    else if (entry.startsWith('u ')) items.push(`${entry.slice(2, 4)} ${entry.split(' ').slice(10).join(' ')}`);
    else if (entry.startsWith('? ')) items.push(`?? ${entry.slice(2)}`);
  }
  return { head, items: items.sort() };
}

interface LastLook {
  changes: number;
  at: number;
  identity: Identity;
  dirtyFiles: ListedFile[];
  dirtyPaths: string[];
  unanalysed: Listing['unanalysed'];
}
/** What the last look at each watched checkout found, and how many changes its watch had seen then. */
const lastLooks = new WeakMap<CheckoutWatch, Map<string, LastLook>>();

/** Working trees this process last found with uncommitted changes: no point guessing they are clean. */
const lastSeenDirty = new Map<string, boolean>();

/**
 * Recent trees' entries, by tree hash (what a tree holds never changes): a running engine
 * asked again about an edited checkout lists its HEAD without running git.
 */
const TREES_REMEMBERED = 4;
const treeMemo = new Map<string, TreeEntry[]>();
async function treeEntries(tree: string, list: () => Promise<string>): Promise<TreeEntry[]> {
  return keepRecent(treeMemo, tree, treeMemo.get(tree) ?? parseLsTree(await list()), TREES_REMEMBERED);
}

/**
 * The engine's copy of a repository's git index, refreshed whenever the repository's own
 * index changes (git replaces that file on every write, so its size, time and inode tell).
 */
async function ownIndex(stateDir: string, root: string, gitIndex: string): Promise<string> {
  const info = await stat(gitIndex);
  const stamp = `${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`;
  const copy = join(stateDir, `${createHash('sha256').update(`${root}\0${gitIndex}`).digest('hex').slice(0, 24)}.index`);
  const known = await readFile(`${copy}.stamp`, 'utf8').catch(() => '');
  if (known === stamp && (await stat(copy).then(() => true, () => false))) return copy;
  await mkdir(stateDir, { recursive: true });
  const staging = `${copy}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await copyFile(gitIndex, staging);
    await rename(staging, copy);
  } finally {
    await rm(staging, { force: true });
  }
  await writeFile(`${copy}.stamp`, stamp);
  return copy;
}

/**
 * A local checkout as it is on disk, uncommitted changes included. Committed files come
 * from git by blob; changed, staged and untracked files are read from disk and hashed the
 * way git would, and remembered by size and mtime for `ttlMs`.
 */
export function workingTreeSource(dir: string, options: WorkingTreeOptions): RepoSource {
  const root = resolve(dir);
  const fromDisk = new Map<string, Buffer>();
  const now = options.now ?? Date.now;
  const gitOut = (args: string[]) => git(root, args, { env: GIT_ENV, maxBuffer: 1 << 30 });
  let identity: Promise<Identity> | undefined;
  const dirtyFiles: ListedFile[] = [];
  const dirtyPaths = new Set<string>();
  const unanalysed: Listing['unanalysed'] = [];

  let heads: Promise<{ head: string; tree: string; index: string }> | undefined;
  /** HEAD, its tree and where the repository's index is, in one git call. */
  const revParse = () =>
    (heads ??= (async () => {
      const r = await runGit(root, ['rev-parse', '--git-path', 'index', 'HEAD', 'HEAD^{tree}'], { env: GIT_ENV });
      const [index = '', head = '', tree = ''] = r.stdout.toString('utf8').trim().split('\n');
      // No commit yet: the empty tree.
      return r.exitCode === 0 ? { head, tree, index: resolve(root, index) } : { head: '', tree: EMPTY_TREE, index: resolve(root, index) };
    })());
  // v2 with --branch also names HEAD's commit, so a known commit needs no rev-parse.
  const statusArgs = ['status', '--porcelain=v2', '--branch', '--no-ahead-behind', '-z', '--no-renames', '--ignore-submodules=all'];
  const status = async (): Promise<string> => {
    // The usual layout tells where the index is without waiting for git to say.
    const gitIndex = (await indexOfCheckout(root)) ?? (await revParse()).index;
    const own = options.stateDir ? await ownIndex(options.stateDir, root, gitIndex).catch(() => undefined) : undefined;
    if (own) {
      const r = await runGit(root, ['-c', 'core.untrackedCache=true', '-c', 'status.showUntrackedFiles=all', ...statusArgs], {
        // Git may update this copy (stat data, untracked cache): it is ours, never the repository's index.
        env: { ...GIT_ENV, GIT_OPTIONAL_LOCKS: '1', GIT_INDEX_FILE: own },
        maxBuffer: 1 << 30,
      });
      if (r.exitCode === 0) return r.stdout.toString('utf8');
    }
    return gitOut([...statusArgs, '--untracked-files=all']);
  };
  const fromGit = async (): Promise<Identity> => {
    // A checkout this process saw dirty is likely an edit away from then: its commit's tree is known.
    const early = lastSeenDirty.get(root) ? undefined : revParse();
    const seen = parseStatus(await status());
    const knownTree = seen.head === undefined ? undefined : commitTrees.get(seen.head);
    const { head, tree } = knownTree !== undefined && seen.head !== undefined ? { head: seen.head, tree: knownTree } : await (early ?? revParse());
    if (head) keepRecent(commitTrees, head, tree, COMMITS_REMEMBERED);
    const items = seen.items;
    // The dirty-file index is needed only when something is dirty.
    const previous = items.length ? await options.loadIndex().catch(() => null) : null;
    const fresh = previous !== null && now() - previous.at < options.ttlMs;
    const trusted = fresh ? previous.files : {};
    const index: DirtyIndex = { at: fresh ? previous.at : now(), files: {} };
    let reread = false;
    const keyParts: string[] = [];
    for (const item of items) {
      const x = item[0];
      const y = item[1];
      const path = item.slice(3);
      dirtyPaths.add(path);
      if (x === 'D' || y === 'D') {
        keyParts.push(`${path}\0deleted`);
        continue;
      }
      // Outside git (changed, staged or untracked): read it, unless its size and mtime are remembered and trusted.
      const abs = join(root, path);
      let info;
      try {
        info = await lstat(abs);
      } catch (err) {
        unanalysed.push({ path, reason: `unreadable (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
        keyParts.push(`${path}\0unreadable`);
        continue;
      }
      if (info.isSymbolicLink()) {
        const target = await readlink(abs).catch(() => '?');
        const exists = await lstat(resolve(dirname(abs), target)).then(() => true, () => false);
        unanalysed.push({ path, reason: exists ? symlinkReason(target, path) : `broken symlink (→ ${target})` });
        keyParts.push(`${path}\0link\0${target}`);
        continue;
      }
      if (!info.isFile()) {
        unanalysed.push({ path, reason: 'not a regular file' });
        continue;
      }
      if (info.size > options.maxFileBytes) {
        // Not analysed, so not read: its size and time stand in for its content.
        const blob = `stat-${info.size}-${Math.trunc(info.mtimeMs)}`;
        dirtyFiles.push({ path, size: info.size, blob });
        keyParts.push(`${path}\0${blob}`);
        continue;
      }
      const known = trusted[path];
      if (known && known[0] === info.size && known[1] === info.mtimeMs) {
        dirtyFiles.push({ path, size: info.size, blob: known[2] });
        index.files[path] = known;
        keyParts.push(`${path}\0${known[2]}`);
        continue;
      }
      try {
        const content = await readRegular(abs, options.maxFileBytes);
        const blob = blobHash(content);
        fromDisk.set(blob, content);
        dirtyFiles.push({ path, size: content.length, blob });
        index.files[path] = [info.size, info.mtimeMs, blob];
        keyParts.push(`${path}\0${blob}`);
        reread = true;
      } catch (err) {
        unanalysed.push({ path, reason: `unreadable (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
        keyParts.push(`${path}\0unreadable`);
      }
    }
    if (items.length && (reread || Object.keys(index.files).length !== Object.keys(previous?.files ?? {}).length)) {
      if (reread) index.at = now();
      await options.saveIndex(index).catch(() => {});
    }
    const dirty = keyParts.length;
    lastSeenDirty.set(root, dirty > 0);
    const key = dirty === 0 ? tree : `w${createHash('sha256').update(`${tree}\n${keyParts.join('\n')}`).digest('hex').slice(0, 40)}`;
    return { repo: root, commit: head || '(no commits)', tree, key, dirty };
  };
  const identify = () =>
    (identity ??= (async () => {
      const watch = options.watch;
      const changes = await watch?.settled(root);
      const looks = watch && changes !== undefined ? (lastLooks.get(watch) ?? lastLooks.set(watch, new Map()).get(watch)) : undefined;
      const known = looks?.get(root);
      if (known && known.changes === changes && now() - known.at < options.ttlMs) {
        dirtyFiles.push(...known.dirtyFiles);
        for (const path of known.dirtyPaths) dirtyPaths.add(path);
        unanalysed.push(...known.unanalysed);
        return known.identity;
      }
      const at = now();
      const seen = await fromGit();
      if (looks && changes !== undefined) looks.set(root, { changes, at, identity: seen, dirtyFiles: [...dirtyFiles], dirtyPaths: [...dirtyPaths], unanalysed: [...unanalysed] });
      return seen;
    })());

  return {
    identify,
    // Clean, unless this process last saw the checkout dirty; no guess for a watched checkout looked at before, which is told at once.
    likelyKey: async () =>
      lastSeenDirty.get(root) || (options.watch && lastLooks.get(options.watch)?.has(root)) ? undefined : (await revParse()).tree,
    async list() {
      const id = await identify();
      const entries = id.commit === '(no commits)' ? [] : await treeEntries(id.tree, () => gitOut(['ls-tree', '-r', '-l', '-z', '--full-tree', id.tree]));
      const files: ListedFile[] = [];
      const skipped = [...unanalysed];
      for (const e of entries) {
        if (dirtyPaths.has(e.path)) continue;
        if (e.mode === '120000') {
          const target = await readlink(join(root, e.path)).catch(() => '?');
          skipped.push({ path: e.path, reason: symlinkReason(target, e.path) });
        } else if (e.type === 'commit') skipped.push({ path: e.path, reason: 'submodule, not analysed' });
        else if (e.type === 'blob') files.push({ path: e.path, size: e.size, blob: e.blob });
      }
      files.push(...dirtyFiles);
      files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      return { ...id, files, unanalysed: skipped };
    },
    async read(files) {
      const out = new Map<string, Buffer>();
      const fromGit: string[] = [];
      for (const f of files) {
        const cached = fromDisk.get(f.blob);
        if (cached) out.set(f.blob, cached);
        else if (!f.blob.startsWith('stat-')) fromGit.push(f.blob);
      }
      for (const [blob, content] of await catBlobs(root, fromGit)) out.set(blob, content);
      // Remembered dirty files are not in git: read them from disk by path.
      for (const f of files) {
        if (out.has(f.blob) || f.blob.startsWith('stat-')) continue;
        const content = await readRegular(join(root, f.path), options.maxFileBytes).catch(() => undefined);
        if (content && blobHash(content) === f.blob) out.set(f.blob, content);
      }
      return out;
    },
  };
}

/**
 * A local checkout as `patchbay context` and the engine's context queries read it: the
 * working tree, with the dirty-file index shared through the cache (so the CLI and a running
 * engine reuse each other's reading of the same checkout) and the engine's copy of git's
 * index kept under `workdir`.
 */
export function checkoutSource(
  dir: string,
  options: { cache: Pick<ContextCache, 'getPointer' | 'putPointer'>; workdir: string; maxFileBytes: number; ttlMs: number; watch?: CheckoutWatch | undefined },
): RepoSource {
  const indexName = `dirty:${dir}`;
  return workingTreeSource(dir, {
    maxFileBytes: options.maxFileBytes,
    ttlMs: options.ttlMs,
    loadIndex: () => options.cache.getPointer(indexName),
    saveIndex: (index) => options.cache.putPointer(indexName, index),
    stateDir: join(options.workdir, 'context-engine', 'index'),
    watch: options.watch,
  });
}
